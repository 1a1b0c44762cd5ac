"""The normalisation table of ``reconciler.compare``: what differs and what only looks different."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.compare import SENSITIVE, FieldDiff, Rules, diff_declared, redact

CLIENT = Rules(
    sets=frozenset({"redirectUris", "webOrigins"}),
    string_maps=frozenset({"attributes", "protocolMappers[].config"}),
    list_maps=frozenset({"groupAttributes"}),
    keyed_lists={"protocolMappers": "name"},
    secrets=frozenset({"secret", "attributes.client.secret.rotated", "protocolMappers[].config.token"}),
    ignore=frozenset({"state"}),
)


def paths(diffs: list[FieldDiff]) -> list[str]:
    return [d.path for d in diffs]


# -- sets --------------------------------------------------------------------------------------------
def test_sets_ignore_order() -> None:
    assert diff_declared({"redirectUris": ["a", "b"]}, {"redirectUris": ["b", "a"]}, CLIENT) == []


def test_sets_report_a_missing_item_with_the_whole_lists() -> None:
    diffs = diff_declared({"redirectUris": ["a", "b"]}, {"redirectUris": ["a"]}, CLIENT)
    assert diffs == [FieldDiff("redirectUris", ["a"], ["a", "b"])]


def test_set_declared_empty_equals_live_absent() -> None:
    assert diff_declared({"webOrigins": []}, {}, CLIENT) == []


def test_set_with_a_repeated_item_equals_the_stored_set() -> None:
    """Keycloak stores a set: declaring an item twice must not show a change forever."""
    assert diff_declared({"redirectUris": ["a", "a", "b"]}, {"redirectUris": ["b", "a"]}, CLIENT) == []


# -- string maps -------------------------------------------------------------------------------------
def test_string_map_scalars_equal_their_string_form() -> None:
    desired = {"attributes": {"pkce": True, "lifespan": 300, "name": "x"}}
    live = {"attributes": {"pkce": "true", "lifespan": "300", "name": "x", "other": "kept"}}
    assert diff_declared(desired, live, CLIENT) == []


def test_string_map_compares_declared_keys_only_and_reports_each() -> None:
    desired = {"attributes": {"pkce": False, "lifespan": 60}}
    live = {"attributes": {"pkce": "true", "lifespan": "60", "undeclared": "x"}}
    assert diff_declared(desired, live, CLIENT) == [FieldDiff("attributes.pkce", "true", "false")]


def test_string_map_missing_key_is_a_difference() -> None:
    diffs = diff_declared({"attributes": {"a": "1"}}, {}, CLIENT)
    assert diffs == [FieldDiff("attributes.a", None, "1")]


# -- list maps ---------------------------------------------------------------------------------------
def test_list_map_bare_string_equals_one_element_list() -> None:
    assert (
        diff_declared({"groupAttributes": {"team": "ops"}}, {"groupAttributes": {"team": ["ops"]}}, CLIENT)
        == []
    )


def test_list_map_values_compare_as_sets_of_strings() -> None:
    desired = {"groupAttributes": {"ids": [2, 1]}}
    assert diff_declared(desired, {"groupAttributes": {"ids": ["1", "2"]}}, CLIENT) == []
    diffs = diff_declared(desired, {"groupAttributes": {"ids": ["1"]}}, CLIENT)
    assert diffs == [FieldDiff("groupAttributes.ids", ["1"], ["1", "2"])]


def test_list_map_empty_equals_absent() -> None:
    assert diff_declared({"groupAttributes": {"x": []}}, {"groupAttributes": {}}, CLIENT) == []


# -- keyed lists -------------------------------------------------------------------------------------
MAPPER = {
    "name": "aud",
    "protocolMapper": "oidc-audience-mapper",
    "config": {"included.client.audience": "x"},
}


def test_keyed_list_matches_items_by_key_over_declared_fields() -> None:
    live_item = {
        **MAPPER,
        "id": "123",
        "protocol": "openid-connect",
        "config": {"included.client.audience": "x", "access.token.claim": "true"},
    }
    assert diff_declared({"protocolMappers": [MAPPER]}, {"protocolMappers": [live_item]}, CLIENT) == []


def test_keyed_list_item_field_difference_has_the_item_in_its_path() -> None:
    live_item = {**MAPPER, "config": {"included.client.audience": "y"}}
    diffs = diff_declared({"protocolMappers": [MAPPER]}, {"protocolMappers": [live_item]}, CLIENT)
    assert diffs == [FieldDiff("protocolMappers[aud].config.included.client.audience", "y", "x")]


def test_keyed_list_extra_live_item_is_a_difference_without_its_id() -> None:
    extra = {"id": "999", "name": "extra", "protocolMapper": "oidc-hardcoded-claim-mapper"}
    diffs = diff_declared({"protocolMappers": [MAPPER]}, {"protocolMappers": [MAPPER, extra]}, CLIENT)
    assert diffs == [
        FieldDiff(
            "protocolMappers[extra]", {"name": "extra", "protocolMapper": "oidc-hardcoded-claim-mapper"}, None
        )
    ]


def test_keyed_list_missing_item_is_a_difference() -> None:
    assert paths(diff_declared({"protocolMappers": [MAPPER]}, {}, CLIENT)) == ["protocolMappers[aud]"]


# -- secrets -----------------------------------------------------------------------------------------
def test_secret_is_compared_but_never_shown() -> None:
    assert diff_declared({"secret": "s3cr3t"}, {"secret": "s3cr3t"}, CLIENT) == []
    assert diff_declared({"secret": "s3cr3t"}, {"secret": "other"}, CLIENT) == [
        FieldDiff("secret", SENSITIVE, SENSITIVE)
    ]
    assert diff_declared({"secret": "s3cr3t"}, {}, CLIENT) == [FieldDiff("secret", None, SENSITIVE)]


def test_secret_inside_a_string_map_is_never_shown() -> None:
    diffs = diff_declared(
        {"attributes": {"client.secret.rotated": "new-s3cr3t"}},
        {"attributes": {"client.secret.rotated": "old-s3cr3t"}},
        CLIENT,
    )
    assert diffs == [FieldDiff("attributes.client.secret.rotated", SENSITIVE, SENSITIVE)]


def test_secret_inside_a_new_keyed_list_item_is_never_shown() -> None:
    mapper = {"name": "tok", "config": {"token": "t0ken-s3cr3t"}}
    extra = {"name": "old", "config": {"token": "old-t0ken"}}
    diffs = diff_declared({"protocolMappers": [mapper]}, {"protocolMappers": [extra]}, CLIENT)
    assert "s3cr3t" not in repr(diffs)
    assert "old-t0ken" not in repr(diffs)
    assert diffs[0] == FieldDiff(
        "protocolMappers[tok]", None, {"name": "tok", "config": {"token": SENSITIVE}}
    )


def test_redact_replaces_secrets_at_any_depth() -> None:
    value = {"secret": "x", "protocolMappers": [{"config": {"token": "y", "other": "z"}}]}
    assert redact(value, CLIENT) == {
        "secret": SENSITIVE,
        "protocolMappers": [{"config": {"token": SENSITIVE, "other": "z"}}],
    }


# -- absent vs null, declared-only keys, ignore --------------------------------------------------------
def test_declared_null_equals_absent() -> None:
    assert diff_declared({"description": None}, {}, CLIENT) == []
    assert diff_declared({"description": None}, {"description": "x"}, CLIENT) == [
        FieldDiff("description", "x", None)
    ]


def test_undeclared_live_keys_are_not_compared() -> None:
    assert diff_declared({"enabled": True}, {"enabled": True, "bearerOnly": True, "id": "u"}, CLIENT) == []


def test_ignored_keys_are_skipped() -> None:
    assert diff_declared({"state": "absent"}, {}, CLIENT) == []


def test_scalar_returned_as_string_compares_as_stored() -> None:
    assert diff_declared({"accessTokenLifespan": 300}, {"accessTokenLifespan": "300"}, Rules()) == []
    assert diff_declared({"enabled": True}, {"enabled": False}, Rules()) == [
        FieldDiff("enabled", False, True)
    ]


def test_nested_object_compares_declared_keys_only() -> None:
    desired = {"smtpServer": {"host": "mail"}}
    assert diff_declared(desired, {"smtpServer": {"host": "mail", "port": "25"}}, Rules()) == []
    assert paths(diff_declared(desired, {"smtpServer": {"host": "other"}}, Rules())) == ["smtpServer.host"]


def test_plain_list_is_compared_in_order() -> None:
    assert paths(diff_declared({"l": [1, 2]}, {"l": [2, 1]}, Rules())) == ["l"]
    assert diff_declared({"l": []}, {}, Rules()) == []


# -- properties --------------------------------------------------------------------------------------
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
keys = st.text(alphabet="abcdefgh.", min_size=1, max_size=6)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)
documents = st.dictionaries(keys, json_values, max_size=6)


@settings(deadline=None)
@given(documents)
def test_a_document_never_differs_from_itself(doc: dict[str, Any]) -> None:
    assert diff_declared(doc, doc, Rules()) == []
    assert diff_declared(doc, doc, CLIENT) == []


@settings(deadline=None)
@given(documents, documents)
def test_undeclared_live_keys_never_make_a_difference(doc: dict[str, Any], extra: dict[str, Any]) -> None:
    live = {**extra, **doc}
    assert diff_declared(doc, live, Rules()) == []


@settings(deadline=None)
@given(st.lists(st.text(max_size=10), max_size=8), st.randoms())
def test_set_comparison_is_order_invariant(items: list[str], rnd: Any) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert diff_declared({"redirectUris": items}, {"redirectUris": shuffled}, CLIENT) == []


@settings(deadline=None)
@given(st.text(min_size=6, max_size=20), st.text(min_size=6, max_size=20))
def test_secrets_never_appear_in_a_diff(declared: str, live: str) -> None:
    diffs = diff_declared(
        {"secret": declared, "attributes": {"client.secret.rotated": declared}},
        {"secret": live, "attributes": {"client.secret.rotated": live}},
        CLIENT,
    )
    for diff in diffs:
        assert diff.before in (SENSITIVE, None)
        assert diff.after == SENSITIVE


# DeepDiff as an oracle: without rules, diff_declared must agree with a full deep comparison of the
# declared document against the live one cut down to the declared keys.
oracle_scalars = st.booleans() | st.integers() | st.text(alphabet="xyz", max_size=4)
oracle_values = st.recursive(
    oracle_scalars,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3) | st.dictionaries(keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)
oracle_documents = st.dictionaries(keys, oracle_values, max_size=4)


def _declared_part(live: Any, declared: Any) -> Any:
    if isinstance(declared, dict) and isinstance(live, dict):
        return {k: _declared_part(live[k], v) for k, v in declared.items() if k in live}
    return live


@settings(deadline=None)
@given(oracle_documents, oracle_documents)
def test_agrees_with_deepdiff_without_rules(declared: dict[str, Any], live: dict[str, Any]) -> None:
    ours = diff_declared(declared, live, Rules())
    theirs = DeepDiff(declared, _declared_part(live, declared))
    assert bool(ours) == bool(theirs), (ours, theirs)


def test_a_declared_list_against_a_live_scalar_is_a_change_not_a_crash() -> None:
    # Found by the DeepDiff property test: list(True) raised TypeError.
    assert diff_declared({"a": [False]}, {"a": True}, Rules()) == [FieldDiff("a", True, [False])]
