"""``reconciler.engine.order_changes``: creates and updates by phase, then deletes in reverse."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.engine import order_changes
from reconciler.plan import Action, Change

# Phases of the registry: realm 10, client-scope 20, client 30, role 40, group 50, user 60, org 70.
PHASES = {
    "realm": 10,
    "client-scope": 20,
    "client": 30,
    "role": 40,
    "group": 50,
    "user": 60,
    "organization": 70,
}


def change(kind: str, key: str, action: Action) -> Change:
    return Change(
        realm="r",
        kind=kind,
        key=key,
        action=action,
        address=f"r/{kind}/{key}",
        before=None,
        after=None,
        phase=PHASES[kind],
        destroys=1 if action is Action.DELETE else 0,
    )


def addresses(changes: list[Change]) -> list[str]:
    return [c.address for c in changes]


def test_creates_and_updates_run_in_phase_order() -> None:
    given_order = [
        change("user", "u", Action.CREATE),
        change("client", "c", Action.UPDATE),
        change("realm", "r", Action.CREATE),
        change("group", "g", Action.CREATE),
        change("client-scope", "s", Action.CREATE),
    ]
    assert addresses(order_changes(given_order)) == [
        "r/realm/r",
        "r/client-scope/s",
        "r/client/c",
        "r/group/g",
        "r/user/u",
    ]


def test_kind_order_is_kept_inside_a_phase() -> None:
    """Parents are declared before children (groups /a before /a/b): creates keep that order."""
    given_order = [
        change("group", "a", Action.CREATE),
        change("client", "c", Action.CREATE),
        change("group", "a/b", Action.CREATE),
        change("group", "a/b/c", Action.UPDATE),
    ]
    assert addresses(order_changes(given_order)) == [
        "r/client/c",
        "r/group/a",
        "r/group/a/b",
        "r/group/a/b/c",
    ]


def test_deletes_come_last_in_reverse_phase_and_reverse_declared_order() -> None:
    given_order = [
        change("client", "old-c", Action.DELETE),
        change("group", "p", Action.DELETE),
        change("group", "p/child", Action.DELETE),
        change("user", "new", Action.CREATE),
        change("organization", "o", Action.DELETE),
        change("realm", "r", Action.UPDATE),
    ]
    assert addresses(order_changes(given_order)) == [
        "r/realm/r",
        "r/user/new",  # forward
        "r/organization/o",
        "r/group/p/child",
        "r/group/p",
        "r/client/old-c",
    ]  # backward, children first


def test_a_delete_keycloak_makes_with_another_comes_right_after_its_cause() -> None:
    # An LDAP provider (phase 55) takes the users it imported (phase 60) with it: kcr must not delete
    # them first (in WRITABLE mode that deletes them from the directory).
    provider = replace(change("group", "x", Action.DELETE), kind="component", address="r/component/corp")
    provider = replace(provider, phase=55)
    imported = [replace(change("user", u, Action.DELETE), deleted_by=provider.address) for u in ("a", "b")]
    subgroup = replace(change("group", "p/child", Action.DELETE), deleted_by="r/group/p")
    given_order = [
        change("user", "pruned", Action.DELETE),
        provider,
        change("group", "p", Action.DELETE),
        *imported,
        subgroup,
        change("user", "new", Action.CREATE),
    ]
    assert addresses(order_changes(given_order)) == [
        "r/user/new",
        "r/user/pruned",
        "r/component/corp",
        "r/user/a",
        "r/user/b",
        "r/group/p",
        "r/group/p/child",
    ]


def test_order_numbers_are_consecutive_from_one_and_nothing_else_changes() -> None:
    given_order = [
        change("user", "u", Action.DELETE),
        change("client", "c", Action.CREATE),
        change("role", "x", Action.UPDATE),
    ]
    ordered = order_changes(given_order)
    assert [c.order for c in ordered] == [1, 2, 3]
    by_address = {c.address: c for c in given_order}
    for c in ordered:
        assert replace(c, order=0) == by_address[c.address]
    assert [c.order for c in given_order] == [0, 0, 0]  # the input is left alone


def test_empty_plan_orders_to_empty() -> None:
    assert order_changes([]) == []


changes_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(PHASES)), st.sampled_from(list(Action))), max_size=30
).map(lambda items: [change(kind, f"k{i}", action) for i, (kind, action) in enumerate(items)])


@settings(deadline=None)
@given(changes_strategy)
def test_ordering_invariants(changes: list[Change]) -> None:
    ordered = order_changes(changes)
    assert sorted(addresses(ordered)) == sorted(addresses(changes))
    assert [c.order for c in ordered] == list(range(1, len(changes) + 1))
    kinds_of = [c.action is Action.DELETE for c in ordered]
    assert kinds_of == sorted(kinds_of), "no create or update after a delete"
    forward = [c.phase for c in ordered if c.action is not Action.DELETE]
    backward = [c.phase for c in ordered if c.action is Action.DELETE]
    assert forward == sorted(forward)
    assert backward == sorted(backward, reverse=True)
    # Inside one phase: forward keeps the given order, deletes reverse it.
    for phase in set(PHASES.values()):
        given_fwd = [c.address for c in changes if c.phase == phase and c.action is not Action.DELETE]
        given_del = [c.address for c in changes if c.phase == phase and c.action is Action.DELETE]
        assert [c.address for c in ordered if c.phase == phase and c.action is not Action.DELETE] == given_fwd
        assert [c.address for c in ordered if c.phase == phase and c.action is Action.DELETE] == given_del[
            ::-1
        ]
