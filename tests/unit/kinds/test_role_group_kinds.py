"""Pure tests of the role and group kinds: declared order, flattening, comparison rules."""

from __future__ import annotations

from typing import Any, cast

import pytest

from reconciler.desired.state import DesiredRealm
from reconciler.errors import DesiredStateError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.base import Context, LiveRealm
from reconciler.kinds.group import GroupKind, flatten, parent_path
from reconciler.kinds.lookup import role_key
from reconciler.kinds.role import (
    RoleKind,
    dependency_order,
    merge_list_attributes,
)

ROLES = RoleKind()
GROUPS = GroupKind()


def realm(**spec: Any) -> DesiredRealm:
    return DesiredRealm(name="acme", spec={"realm": "acme", **spec})


def ctx_for(desired: DesiredRealm) -> Context:
    # compare() makes no request: an AdminClient is never touched here.
    return Context(
        api=cast(AdminClient, None),
        realm=desired.name,
        desired=desired,
        live=LiveRealm(name=desired.name, exists=True),
    )


# -- roles: keys and order ------------------------------------------------------------------------
def test_role_keys_realm_by_name_client_as_client_id_slash_name() -> None:
    desired = realm(roles={"realm": [{"name": "admin"}], "client": {"orders-api": [{"name": "read"}]}})
    assert list(ROLES.declared(desired)) == ["admin", "orders-api/read"]
    assert ROLES.address("acme", "orders-api/read") == "acme/role/orders-api/read"
    assert role_key(None, "admin") == "admin"
    assert role_key("orders-api", "read") == "orders-api/read"


def test_composite_children_come_before_the_roles_that_contain_them() -> None:
    desired = realm(
        roles={
            "realm": [
                {"name": "super", "composites": {"realm": ["admin"], "client": {"orders-api": ["write"]}}},
                {"name": "admin", "composites": {"realm": ["viewer"]}},
                {"name": "viewer"},
            ],
            "client": {
                "orders-api": [
                    {"name": "write", "composites": {"client": {"orders-api": ["read"]}}},
                    {"name": "read"},
                ]
            },
        }
    )
    order = list(ROLES.declared(desired))
    assert sorted(order) == sorted(["super", "admin", "viewer", "orders-api/write", "orders-api/read"])
    for parent, child in [
        ("super", "admin"),
        ("admin", "viewer"),
        ("super", "orders-api/write"),
        ("orders-api/write", "orders-api/read"),
    ]:
        assert order.index(child) < order.index(parent), (parent, child, order)


def test_dependency_order_terminates_on_a_cycle_and_keeps_every_node() -> None:
    order = dependency_order({"a": ["b"], "b": ["c"], "c": ["a"], "d": []})
    assert sorted(order) == ["a", "b", "c", "d"]


def test_dependency_order_keeps_declaration_order_when_free_and_ignores_undeclared_targets() -> None:
    assert dependency_order({"x": [], "y": ["offline_access"], "z": []}) == ["x", "y", "z"]


def test_dependency_order_handles_a_deep_chain_without_recursion() -> None:
    edges = {f"r{i}": [f"r{i + 1}"] for i in range(5000)}
    edges["r5000"] = []
    order = dependency_order(edges)
    assert order[0] == "r5000"
    assert order[-1] == "r0"


def test_a_realm_role_that_looks_like_a_client_role_key_is_rejected() -> None:
    desired = realm(
        roles={"realm": [{"name": "orders-api/read"}], "client": {"orders-api": [{"name": "read"}]}}
    )
    with pytest.raises(DesiredStateError, match="orders-api/read"):
        ROLES.declared(desired)


def test_builtin_roles() -> None:
    assert ROLES.is_builtin("offline_access", {}, "acme")
    assert ROLES.is_builtin("uma_authorization", {}, "acme")
    assert ROLES.is_builtin("default-roles-acme", {}, "Acme")  # Keycloak lower-cases the realm name
    assert ROLES.is_builtin("realm-management/view-users", {}, "acme")
    assert ROLES.is_builtin("account/manage-account", {}, "acme")
    assert ROLES.is_builtin("acme-realm/view-users", {}, "master")
    assert not ROLES.is_builtin("acme-realm/view-users", {}, "acme")
    assert not ROLES.is_builtin("admin", {}, "acme")
    assert ROLES.is_builtin("admin", {}, "master")
    assert not ROLES.is_builtin("orders-api/read", {}, "acme")


# -- roles: comparison ----------------------------------------------------------------------------
LIVE_ROLE: dict[str, Any] = {
    "name": "admin",
    "description": "Admins",
    "id": "1",
    "attributes": {"tier": ["gold", "silver"], "team": ["ops"]},
    "composites": {"realm": ["viewer", "offline_access"], "client": {"orders-api": ["read", "write"]}},
}


def compare_role(desired: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    d = realm(roles={"realm": [{"name": "admin", **desired}]})
    return [
        (x.path, x.before, x.after)
        for x in ROLES.compare("admin", {"name": "admin", **desired}, LIVE_ROLE, ctx_for(d))
    ]


def test_role_undeclared_fields_are_not_compared() -> None:
    assert compare_role({}) == []


def test_role_attributes_are_a_list_map_compared_as_sets_over_declared_keys() -> None:
    assert compare_role({"attributes": {"tier": ["silver", "gold"], "team": "ops"}}) == []
    assert compare_role({"attributes": {"team": ["dev"]}}) == [("attributes.team", ["ops"], ["dev"])]


def test_role_composite_flag_is_derived_and_ignored() -> None:
    assert compare_role({"composite": False}) == []


def test_role_composites_are_sets_per_realm_and_per_declared_client() -> None:
    same = {"realm": ["offline_access", "viewer"], "client": {"orders-api": ["write", "read"]}}
    assert compare_role({"composites": same}) == []
    # Only what is declared inside composites is compared: here the realm list alone.
    assert compare_role({"composites": {"realm": ["viewer", "offline_access"]}}) == []
    assert compare_role({"composites": {"realm": ["viewer"]}}) == [
        ("composites.realm", ["offline_access", "viewer"], ["viewer"])
    ]
    assert compare_role({"composites": {"client": {"orders-api": ["read"], "billing": ["pay"]}}}) == [
        ("composites.client.orders-api", ["read", "write"], ["read"]),
        ("composites.client.billing", [], ["pay"]),
    ]


def test_role_without_composites_live_compares_as_empty() -> None:
    d = realm(roles={"realm": [{"name": "x"}]})
    live = {"name": "x", "attributes": {}, "id": "2"}
    assert ROLES.compare("x", {"name": "x", "composites": {"realm": []}}, live, ctx_for(d)) == []
    diffs = ROLES.compare("x", {"name": "x", "composites": {"realm": ["a"]}}, live, ctx_for(d))
    assert [(x.path, x.before, x.after) for x in diffs] == [("composites.realm", [], ["a"])]


def test_merge_list_attributes_keeps_undeclared_keys_and_removes_null_or_empty() -> None:
    live = {"keep": ["1"], "change": ["a"], "drop": ["x"], "drop2": ["y"]}
    declared = {"change": ["b", 2, True], "drop": None, "drop2": [], "new": "one"}
    assert merge_list_attributes(live, declared) == {
        "keep": ["1"],
        "change": ["b", "2", "true"],
        "new": ["one"],
    }


# -- groups ---------------------------------------------------------------------------------------
TREE = [
    {
        "name": "acme",
        "attributes": {"a": "1"},
        "subGroups": [
            {"name": "managers", "subGroups": [{"name": "leads", "realmRoles": ["admin"]}]},
            {"name": "staff"},
        ],
    },
    {"name": "other"},
]


def test_groups_flatten_to_paths_parents_first_without_subgroups() -> None:
    declared = GROUPS.declared(realm(groups=TREE))
    assert list(declared) == ["/acme", "/acme/managers", "/acme/managers/leads", "/acme/staff", "/other"]
    assert declared["/acme"] == {"name": "acme", "attributes": {"a": "1"}}
    assert declared["/acme/managers/leads"] == {"name": "leads", "realmRoles": ["admin"]}
    assert GROUPS.address("acme", "/acme/managers") == "acme/group/acme/managers"
    assert [p for p, _ in flatten([])] == []


def test_parent_path() -> None:
    assert parent_path("/acme/managers/leads") == "/acme/managers"
    assert parent_path("/acme") == ""


LIVE_GROUP: dict[str, Any] = {
    "name": "leads",
    "description": "Team leads",
    "id": "g1",
    "attributes": {"floor": ["3"], "tags": ["a", "b"]},
    "realmRoles": ["admin", "viewer"],
    "clientRoles": {"orders-api": ["read"], "billing": ["pay"]},
}


def compare_group(desired: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    d = realm(groups=[{"name": "leads", **desired}])
    return [
        (x.path, x.before, x.after)
        for x in GROUPS.compare("/leads", {"name": "leads", **desired}, LIVE_GROUP, ctx_for(d))
    ]


def test_group_undeclared_fields_and_subgroups_are_not_compared() -> None:
    assert compare_group({}) == []
    assert compare_group({"subGroups": [{"name": "x"}]}) == []


def test_group_attributes_list_map() -> None:
    assert compare_group({"attributes": {"floor": 3, "tags": ["b", "a"]}}) == []
    assert compare_group({"attributes": {"floor": "4"}}) == [("attributes.floor", ["3"], ["4"])]


def test_group_realm_roles_are_an_authoritative_set() -> None:
    assert compare_group({"realmRoles": ["viewer", "admin"]}) == []
    assert compare_group({"realmRoles": ["viewer"]}) == [("realmRoles", ["admin", "viewer"], ["viewer"])]
    assert compare_group({"realmRoles": []}) == [("realmRoles", ["admin", "viewer"], [])]


def test_group_client_roles_are_sets_per_declared_client() -> None:
    assert compare_group({"clientRoles": {"orders-api": ["read"]}}) == []  # billing not declared
    assert compare_group({"clientRoles": {"orders-api": ["read", "write"]}}) == [
        ("clientRoles.orders-api", ["read"], ["read", "write"])
    ]
    assert compare_group({"clientRoles": {"billing": []}}) == [("clientRoles.billing", ["pay"], [])]
