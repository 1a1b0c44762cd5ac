"""Pure tests of the client and client-scope kinds: comparison, redaction, link planning."""

from __future__ import annotations

import json
from typing import Any, cast

import pytest

from reconciler.compare import SENSITIVE
from reconciler.desired.state import DesiredRealm
from reconciler.engine import diff_realm
from reconciler.errors import DesiredStateError, MissingReference
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.base import Context, LiveRealm, Obj
from reconciler.kinds.client import ClientKind
from reconciler.kinds.client_scope import (
    ClientScopeKind,
    DefaultClientScopesKind,
    mapper_body,
    reconcile_links,
)

SECRET = "do-not-print-me-7f3a"
CLIENT = ClientKind()
SCOPE = ClientScopeKind()
DEFAULTS = DefaultClientScopesKind()


class RecordingApi:
    """Records writes; answers nothing else (the code under test must not read)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def put(self, path: str, json: Any = None) -> None:
        self.calls.append(("PUT", path))

    def delete(self, path: str, json: Any = None) -> None:
        self.calls.append(("DELETE", path))


def ctx(api: object = None, realm: str = "r", live: LiveRealm | None = None) -> Context:
    return Context(
        api=cast(AdminClient, api),
        realm=realm,
        desired=DesiredRealm(name=realm, spec={}),
        live=live or LiveRealm(name=realm, exists=True),
    )


def live_client(**fields: Any) -> Obj:
    base: Obj = {
        "id": "uuid-1",
        "clientId": "app",
        "publicClient": False,
        "secret": SECRET,
        "redirectUris": ["https://a/*", "https://b/*"],
        "webOrigins": ["+"],
        "attributes": {
            "standard.token.exchange.enabled": "true",
            "pkce.code.challenge.method": "S256",
            "realm_client": "false",
        },
        "protocolMappers": [
            {
                "id": "m-1",
                "name": "aud",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "consentRequired": False,
                "config": {
                    "included.client.audience": "api",
                    "access.token.claim": "true",
                    "introspection.token.claim": "true",
                },
            }
        ],
        "defaultClientScopes": ["profile", "email", "service_account"],
        "optionalClientScopes": ["phone"],
    }
    base.update(fields)
    return base


def paths(desired: Obj, live: Obj) -> list[str]:
    return [d.path for d in CLIENT.compare("app", desired, live, ctx())]


def test_attributes_compare_booleans_and_strings_over_declared_keys_only() -> None:
    desired = {"attributes": {"standard.token.exchange.enabled": True}}
    assert paths(desired, live_client()) == []
    assert paths({"attributes": {"standard.token.exchange.enabled": False}}, live_client()) == [
        "attributes.standard.token.exchange.enabled"
    ]


def test_uri_lists_and_scope_links_compare_as_sets() -> None:
    desired = {
        "redirectUris": ["https://b/*", "https://a/*"],
        "defaultClientScopes": ["email", "profile"],
        "optionalClientScopes": ["phone"],
    }
    # service_account is linked by Keycloak itself while the service account is on: not a difference.
    assert paths(desired, live_client()) == []
    assert paths({"redirectUris": ["https://a/*"]}, live_client()) == ["redirectUris"]
    assert paths({"defaultClientScopes": ["email"]}, live_client()) == ["defaultClientScopes"]


def test_declaring_service_account_scope_makes_it_compared() -> None:
    live = live_client(defaultClientScopes=["profile"])
    assert paths({"defaultClientScopes": ["profile", "service_account"]}, live) == ["defaultClientScopes"]


def test_mapper_config_is_compared_over_declared_keys_and_mappers_are_keyed_by_name() -> None:
    declared_mapper = {
        "name": "aud",
        "protocolMapper": "oidc-audience-mapper",
        "config": {"included.client.audience": "api", "access.token.claim": True},
    }
    assert paths({"protocolMappers": [declared_mapper]}, live_client()) == []
    changed = {**declared_mapper, "config": {"included.client.audience": "other"}}
    assert paths({"protocolMappers": [changed]}, live_client()) == [
        "protocolMappers[aud].config.included.client.audience"
    ]
    # The declared list is authoritative: a live mapper not declared is a difference.
    assert paths({"protocolMappers": []}, live_client()) == ["protocolMappers[aud]"]


def test_scope_attributes_and_mappers() -> None:
    live = {
        "id": "s-1",
        "name": "orders",
        "description": "d",
        "protocol": "openid-connect",
        "attributes": {"include.in.token.scope": "true"},
        "protocolMappers": [
            {"id": "m", "name": "claim", "config": {"claim.name": "x", "multivalued": "true"}}
        ],
    }
    desired = {
        "name": "orders",
        "attributes": {"include.in.token.scope": True},
        "protocolMappers": [{"name": "claim", "config": {"multivalued": True}}],
    }
    assert SCOPE.compare("orders", desired, live, ctx()) == []
    desired["protocolMappers"] = [{"name": "other"}]
    assert [d.path for d in SCOPE.compare("orders", desired, live, ctx())] == [
        "protocolMappers[other]",
        "protocolMappers[claim]",
    ]


def test_secret_difference_is_redacted_in_the_plan() -> None:
    live = LiveRealm(name="r", exists=True, objects={"client": {"app": live_client()}})
    desired = DesiredRealm(name="r", spec={"clients": [{"clientId": "app", "secret": "new-" + SECRET}]})
    changes, _, _ = diff_realm(cast(AdminClient, None), desired, live, [CLIENT])
    assert [(c.changed_paths, c.before, c.after) for c in changes] == [
        (("secret",), {"secret": SENSITIVE}, {"secret": SENSITIVE})
    ]
    same = DesiredRealm(name="r", spec={"clients": [{"clientId": "app", "secret": SECRET}]})
    assert diff_realm(cast(AdminClient, None), same, live, [CLIENT])[0] == []


def test_create_and_delete_changes_never_carry_the_secret() -> None:
    live = LiveRealm(
        name="r",
        exists=True,
        objects={"client": {"gone": {**live_client(), "clientId": "gone"}}},
        managed={"clients": {"gone"}},
    )
    desired = DesiredRealm(name="r", spec={"clients": [{"clientId": "new", "secret": SECRET}]})
    desired.policy = type(desired.policy)(prune=frozenset({"clients"}))
    changes, _, _ = diff_realm(cast(AdminClient, None), desired, live, [CLIENT])
    assert sorted(c.action.value for c in changes) == ["create", "delete"]
    assert SECRET not in json.dumps([c.to_json() for c in changes])


def test_undeclared_secret_is_never_compared() -> None:
    assert paths({"publicClient": False}, live_client(secret="anything")) == []


def test_builtins() -> None:
    assert CLIENT.is_builtin("realm-management", {}, "r")
    assert not CLIENT.is_builtin("app", {}, "r")
    assert CLIENT.is_builtin("acme-realm", {"attributes": {"realm_client": "true"}}, "master")
    assert not CLIENT.is_builtin("acme-realm", {"attributes": {"realm_client": "true"}}, "acme")
    assert SCOPE.is_builtin("profile", {}, "r")
    assert not SCOPE.is_builtin("orders", {}, "r")


def test_default_scope_lists_declared_only() -> None:
    assert DEFAULTS.declared(DesiredRealm(name="r", spec={"clients": []})) == {}
    spec = {"defaultOptionalClientScopes": ["phone"]}
    assert DEFAULTS.declared(DesiredRealm(name="r", spec=spec)) == {"r": spec}
    live = {"defaultDefaultClientScopes": ["profile"], "defaultOptionalClientScopes": ["address", "phone"]}
    assert [d.path for d in DEFAULTS.compare("r", spec, live, ctx())] == ["defaultOptionalClientScopes"]


def test_mapper_body_keeps_undeclared_config_and_fills_protocol() -> None:
    live = {"id": "m", "name": "aud", "protocol": "openid-connect", "config": {"a": "1", "b": "2"}}
    body = mapper_body({"name": "aud", "config": {"b": False, "c": None}}, live, "openid-connect")
    assert body == {
        "id": "m",
        "name": "aud",
        "protocol": "openid-connect",
        "config": {"a": "1", "b": "false"},
    }
    assert mapper_body({"name": "x"}, None, "saml")["protocol"] == "saml"


def _links(
    want_default: list[str] | None,
    want_optional: list[str] | None,
    live_default: set[str],
    live_optional: set[str],
) -> list[tuple[str, str]]:
    api = RecordingApi()
    live = LiveRealm(name="r", exists=True)
    live.ids.scope_ids = {n: f"id-{n}" for n in "abcde"}
    reconcile_links(
        ctx(api, live=live),
        "x",
        want_default=want_default,
        want_optional=want_optional,
        live_default=live_default,
        live_optional=live_optional,
        path_default=lambda i: f"D/{i}",
        path_optional=lambda i: f"O/{i}",
    )
    return api.calls


def test_moving_a_scope_deletes_before_adding() -> None:
    # "b" moves from optional to default: it must leave the optional list first.
    assert _links(["a", "b"], None, {"a"}, {"b", "c"}) == [("DELETE", "O/id-b"), ("PUT", "D/id-b")]
    assert _links(None, ["a"], {"a"}, set()) == [("DELETE", "D/id-a"), ("PUT", "O/id-a")]


def test_undeclared_list_is_left_alone_and_nothing_to_do_is_no_request() -> None:
    assert _links(["a"], None, {"a"}, {"b", "c"}) == []
    assert _links(["a"], ["b"], {"a", "d"}, {"b", "e"}) == [("DELETE", "D/id-d"), ("DELETE", "O/id-e")]


def test_unknown_scopes_are_missing_references_and_doubly_listed_ones_desired_state_errors() -> None:
    with pytest.raises(MissingReference, match="'zzz' does not exist"):
        _links(["zzz"], None, set(), set())
    with pytest.raises(DesiredStateError, match="both default and optional"):
        _links(["a"], ["a"], set(), set())


def test_secrets_kept_in_attributes_are_redacted_too() -> None:
    live = LiveRealm(name="r", exists=True, objects={"client": {"app": live_client()}})
    attrs = {"saml.signing.private.key": SECRET, "client.secret.rotated": SECRET}
    desired = DesiredRealm(name="r", spec={"clients": [{"clientId": "app", "attributes": attrs}]})
    changes, _, _ = diff_realm(cast(AdminClient, None), desired, live, [CLIENT])
    assert changes[0].changed_paths == (
        "attributes.saml.signing.private.key",
        "attributes.client.secret.rotated",
    )
    assert SECRET not in json.dumps([c.to_json() for c in changes])
