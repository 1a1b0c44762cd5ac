"""The terminal rendering: the frozen strings scripts and reviewers rely on."""

from __future__ import annotations

import pytest

from reconciler.compare import SENSITIVE
from reconciler.plan import Action
from reconciler.render import render
from reconciler.render.lines import format_value, update_field
from reconciler.render.text import unmanaged_line
from tests.unit.render.fixtures import (
    mixed_plan,
    no_changes_plan,
    org_member_destroy_plan,
    plan_of,
    unmanaged,
)


def test_final_line_is_the_summary() -> None:
    assert render(mixed_plan(), "text").splitlines()[-1] == "Plan: 1 to add, 2 to change, 2 to destroy."


def test_no_changes_line_starts_with_no_changes() -> None:
    last = render(no_changes_plan(), "text").splitlines()[-1]
    assert last == "No changes. Keycloak matches the desired state."


def test_blocks_follow_plan_order_with_terraform_signs() -> None:
    heads = [ln for ln in render(mixed_plan(), "text").splitlines() if ln[:4] in ("  + ", "  ~ ", "  - ")]
    assert heads == [
        "  ~ enterprise/realm",
        "  + enterprise/client/orders-api",
        "  ~ enterprise/client/web",
        "  - enterprise/group/legacy",
        "  - enterprise/user/old.bob",
    ]


def test_list_update_shows_added_and_removed_items() -> None:
    text = render(mixed_plan(), "text")
    assert '      ~ redirectUris: + "https://b.example.com/*"  - "https://a.example.com/*"' in text


def test_accounts_deleted_by_an_update_are_deletes_of_their_own() -> None:
    text = render(org_member_destroy_plan(), "text")
    assert "  - enterprise/user/carol\n      # deleted by Keycloak with enterprise/organization/acme" in text
    assert "  - enterprise/user/dave\n" in text
    assert text.endswith("Plan: 0 to add, 1 to change, 2 to destroy.\n")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("text", '"text"'),
        (True, "true"),
        (300, "300"),
        (None, "null"),
        (SENSITIVE, SENSITIVE),
        (["a", 1], '["a", 1]'),
        ({"k": SENSITIVE}, '{"k": (sensitive value)}'),
        ("é\n", '"é\\n"'),
    ],
)
def test_values_are_json_ish_scalars(value: object, shown: str) -> None:
    assert format_value(value) == shown


def test_reordered_list_falls_back_to_old_and_new() -> None:
    assert update_field("l", ["a", "b"], ["b", "a"]) == 'l: ["a", "b"] -> ["b", "a"]'
    assert update_field("l", None, ["a"]) == 'l: + "a"'


def test_many_unmanaged_objects_are_counted_not_all_listed() -> None:
    many = [unmanaged("user", f"u{i}") for i in range(25)]
    line = unmanaged_line(many)
    assert line is not None
    assert line.startswith("Unmanaged (left alone, 25 objects): enterprise/user/u0, ")
    assert line.endswith("enterprise/user/u9, and 15 more")
    assert "u10" not in line


def test_colour_is_off_by_default_and_optional() -> None:
    plain = render(mixed_plan(), "text")
    coloured = render(mixed_plan(), "text", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    import click

    assert click.unstyle(coloured) == plain


def test_unknown_format_is_a_kcr_error() -> None:
    from reconciler.errors import KcrError

    with pytest.raises(KcrError, match="Unknown output format 'yaml'"):
        render(plan_of([]), "yaml")


def test_create_fields_are_aligned() -> None:
    text = render(mixed_plan(), "text")
    assert '      + clientId     = "orders-api"' in text
    assert "      + secret       = (sensitive value)" in text
    # a list of objects: one line per item, named as change paths name it
    assert '      + protocolMappers[audience] = {"name": "audience", ' in text
    assert Action.CREATE.value == "create"
