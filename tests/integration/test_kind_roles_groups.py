"""The role and group kinds against a real Keycloak: read, plan, apply, plan again."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState, Policy
from reconciler.engine import make_plan
from reconciler.errors import BadRequest, DesiredStateError, NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.base import Context, Kind
from reconciler.kinds.group import GroupKind
from reconciler.kinds.realm import RealmKind
from reconciler.kinds.role import RoleKind
from reconciler.live import read_live
from reconciler.plan import Action, Plan
from reconciler.versions import GROUP_DESCRIPTION, has

pytestmark = pytest.mark.integration
KINDS: list[Kind] = [RealmKind(), RoleKind(), GroupKind()]
Spec = dict[str, Any]


# -- the desired state and the same state made by hand through the Admin API ---------------------
# Group descriptions exist from 26.4 (versions.GROUP_DESCRIPTION): left out on older servers.
MANAGERS_DESCRIPTION: Spec = {"description": "Managers"}


@pytest.fixture(autouse=True)
def _group_descriptions_only_where_the_server_has_them(
    admin_api: AdminClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not has(admin_api.server_info(), GROUP_DESCRIPTION):
        monkeypatch.delitem(MANAGERS_DESCRIPTION, "description")


def desired_spec() -> Spec:
    return {
        "roles": {
            "realm": [
                # declared parents first on purpose: the kind orders composites' children first
                {
                    "name": "admin",
                    "description": "Admins",
                    "composite": True,
                    "composites": {"realm": ["viewer", "editor"], "client": {"orders-api": ["read"]}},
                },
                {
                    "name": "viewer",
                    "description": "Can view",
                    "attributes": {"level": ["1"], "tags": ["b", "a"]},
                },
                {"name": "editor", "attributes": {"level": "2"}},
            ],
            "client": {
                "orders-api": [
                    {
                        "name": "write",
                        "attributes": {"scope": ["orders:write"]},
                        "composites": {"client": {"orders-api": ["read"]}},
                    },
                    {"name": "read", "description": "Read orders"},
                ]
            },
        },
        "groups": [
            {
                "name": "acme",
                "attributes": {"region": ["eu"]},
                "realmRoles": ["viewer"],
                "subGroups": [
                    {
                        "name": "managers",
                        **MANAGERS_DESCRIPTION,
                        "clientRoles": {"orders-api": ["write"]},
                        "subGroups": [
                            {
                                "name": "leads",
                                "attributes": {"floor": ["3"]},
                                "realmRoles": ["admin"],
                                "clientRoles": {"orders-api": ["read"], "realm-management": ["view-users"]},
                            }
                        ],
                    }
                ],
            },
            {
                "name": "big",
                "subGroups": [{"name": f"team-{i:02d}", "attributes": {"n": [str(i)]}} for i in range(12)],
            },
        ],
    }


def create_client(api: AdminClient, realm: str, client_id: str) -> str:
    return api.create(f"/{seg(realm)}/clients", {"clientId": client_id, "publicClient": False})


def role_rep(api: AdminClient, realm: str, name: str, client_uuid: str | None = None) -> dict[str, str]:
    path = (
        f"/{seg(realm)}/roles/{seg(name)}"
        if client_uuid is None
        else (f"/{seg(realm)}/clients/{client_uuid}/roles/{seg(name)}")
    )
    rep = api.get(path)
    return {"id": rep["id"], "name": rep["name"]}


def client_uuid_of(api: AdminClient, realm: str, client_id: str) -> str:
    return str(api.get(f"/{seg(realm)}/clients", {"clientId": client_id})[0]["id"])


def build_by_hand(api: AdminClient, realm: str) -> None:
    """The state of ``desired_spec()``, made directly through the Admin API."""
    r = f"/{seg(realm)}"
    orders = create_client(api, realm, "orders-api")
    api.post(f"{r}/clients/{orders}/roles", {"name": "read", "description": "Read orders"})
    api.post(
        f"{r}/clients/{orders}/roles",
        {
            "name": "write",
            "attributes": {"scope": ["orders:write"]},
            "composite": True,
            "composites": {"client": {"orders-api": ["read"]}},
        },
    )
    api.post(
        f"{r}/roles",
        {"name": "viewer", "description": "Can view", "attributes": {"level": ["1"], "tags": ["a", "b"]}},
    )
    api.post(f"{r}/roles", {"name": "editor", "attributes": {"level": ["2"]}})
    api.post(
        f"{r}/roles",
        {
            "name": "admin",
            "description": "Admins",
            "composite": True,
            "composites": {"realm": ["viewer", "editor"], "client": {"orders-api": ["read"]}},
        },
    )
    management = client_uuid_of(api, realm, "realm-management")

    acme = api.create(f"{r}/groups", {"name": "acme", "attributes": {"region": ["eu"]}})
    api.post(f"{r}/groups/{acme}/role-mappings/realm", [role_rep(api, realm, "viewer")])
    managers = api.create(f"{r}/groups/{acme}/children", {"name": "managers", **MANAGERS_DESCRIPTION})
    api.post(f"{r}/groups/{managers}/role-mappings/clients/{orders}", [role_rep(api, realm, "write", orders)])
    leads = api.create(f"{r}/groups/{managers}/children", {"name": "leads", "attributes": {"floor": ["3"]}})
    api.post(f"{r}/groups/{leads}/role-mappings/realm", [role_rep(api, realm, "admin")])
    api.post(f"{r}/groups/{leads}/role-mappings/clients/{orders}", [role_rep(api, realm, "read", orders)])
    api.post(
        f"{r}/groups/{leads}/role-mappings/clients/{management}",
        [role_rep(api, realm, "view-users", management)],
    )
    big = api.create(f"{r}/groups", {"name": "big"})
    for i in range(12):
        api.create(f"{r}/groups/{big}/children", {"name": f"team-{i:02d}", "attributes": {"n": [str(i)]}})


def state(realm: str, spec: Spec, policy: Policy | None = None) -> DesiredState:
    return DesiredState(
        realms={realm: DesiredRealm(name=realm, spec={"realm": realm, **spec}, policy=policy or Policy())}
    )


def plan_for(api: AdminClient, desired: DesiredState) -> Plan:
    plan, _ = make_plan(api, desired, kinds=KINDS)
    return plan


def converge(api: AdminClient, desired: DesiredState) -> Plan:
    """Plan, apply, and return the plan made afterwards."""
    plan, lives = make_plan(api, desired, kinds=KINDS)
    apply_plan(api, plan, desired, lives)
    return plan_for(api, desired)


def find_role(spec: Spec, name: str, client_id: str | None = None) -> Spec:
    roles = spec["roles"]["realm"] if client_id is None else spec["roles"]["client"][client_id]
    return next(r for r in roles if r["name"] == name)


def find_group(spec: Spec, path: str) -> Spec:
    groups: list[Spec] = spec["groups"]
    found: Spec = {}
    for name in path.strip("/").split("/"):
        found = next(g for g in groups if g["name"] == name)
        groups = found.setdefault("subGroups", [])
    return found


# -- 1. same state made by hand: no changes -------------------------------------------------------
def test_hand_made_state_declared_the_same_plans_no_changes(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    plan = plan_for(admin_api, state(empty_realm, desired_spec()))
    assert plan.changes == []
    unmanaged = {u.address for u in plan.unmanaged}
    # built-in roles (offline_access, default roles, clients' roles) are neither managed nor unmanaged
    assert unmanaged == set()


def test_read_sees_the_whole_tree_with_attributes_and_mappings(
    admin_api: AdminClient, empty_realm: str
) -> None:
    build_by_hand(admin_api, empty_realm)
    live = read_live(admin_api, DesiredRealm(name=empty_realm, spec={}), KINDS)
    groups = live.of("group")
    assert len([p for p in groups if p.startswith("/big/")]) == 12  # more than /children's default 10
    leads = groups["/acme/managers/leads"]
    assert leads["realmRoles"] == ["admin"]
    assert leads["clientRoles"] == {"orders-api": ["read"], "realm-management": ["view-users"]}
    assert leads["attributes"] == {"floor": ["3"]}
    admin = live.of("role")["admin"]
    assert admin["composites"] == {"realm": ["editor", "viewer"], "client": {"orders-api": ["read"]}}
    assert live.of("role")["orders-api/write"]["composites"] == {
        "realm": [],
        "client": {"orders-api": ["read"]},
    }
    assert set(live.ids.role_ids) >= {"admin", "orders-api/read", "realm-management/view-users"}
    assert live.ids.group_ids["/acme/managers/leads"] == leads["id"]


def test_group_children_are_paged_explicitly(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    kind = GroupKind()
    kind.page_size = 5
    desired = DesiredRealm(name=empty_realm, spec={})
    live = read_live(admin_api, desired, [kind], bulk_reads=False)  # the listings, not the export
    assert sorted(p for p in live.of("group") if p.startswith("/big/")) == [
        f"/big/team-{i:02d}" for i in range(12)
    ]


def test_read_requests_do_not_grow_with_users(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    desired = DesiredRealm(name=empty_realm, spec={})

    def requests_to_read() -> int:
        before = admin_api.request_count
        read_live(admin_api, desired, KINDS)
        return admin_api.request_count - before

    first = requests_to_read()
    groups = admin_api.get(f"/{seg(empty_realm)}/groups", {"search": "leads"})
    leads = groups[0]["subGroups"][0]["subGroups"][0]["id"]
    for i in range(15):
        user = admin_api.create(f"/{seg(empty_realm)}/users", {"username": f"user-{i}", "enabled": True})
        admin_api.put(f"/{seg(empty_realm)}/users/{user}/groups/{leads}")
    assert requests_to_read() == first


# -- 2. one change at a time shows exactly that change; 3. apply converges ----------------------
Mutation = Callable[[Spec], None]


def set_role_description(spec: Spec) -> None:
    find_role(spec, "viewer")["description"] = "Can view everything"


def set_role_attribute(spec: Spec) -> None:
    find_role(spec, "viewer")["attributes"]["level"] = ["9"]


def add_realm_composite(spec: Spec) -> None:
    find_role(spec, "admin")["composites"]["realm"].append("offline_access")


def remove_client_composite(spec: Spec) -> None:
    find_role(spec, "admin")["composites"]["client"]["orders-api"] = []


def set_client_role_attribute(spec: Spec) -> None:
    find_role(spec, "write", "orders-api")["attributes"] = {"scope": ["orders:write", "orders:admin"]}


def clear_client_role_description(spec: Spec) -> None:
    find_role(spec, "read", "orders-api")["description"] = None


def set_group_attribute(spec: Spec) -> None:
    find_group(spec, "/acme/managers/leads")["attributes"]["floor"] = ["4"]


def remove_group_realm_role(spec: Spec) -> None:
    find_group(spec, "/acme")["realmRoles"] = []


def add_group_client_role(spec: Spec) -> None:
    find_group(spec, "/acme/managers")["clientRoles"]["orders-api"].append("read")


def set_group_description(spec: Spec) -> None:
    find_group(spec, "/big/team-11")["description"] = "Eleven"


def add_subgroup(spec: Spec) -> None:
    find_group(spec, "/acme/managers/leads")["subGroups"] = [
        {"name": "night-shift", "realmRoles": ["editor"]}
    ]


def add_realm_role(spec: Spec) -> None:
    spec["roles"]["realm"].append({"name": "auditor", "composites": {"realm": ["viewer"]}})


def add_default_role(spec: Spec) -> None:
    spec["roles"]["realm"].append(
        {
            "name": "default-roles-{realm}",
            "composites": {
                "realm": ["offline_access", "uma_authorization", "viewer"],
                "client": {"account": ["view-profile", "manage-account"]},
            },
        }
    )


CASES: list[tuple[Mutation, Action, str, tuple[str, ...]]] = [
    (set_role_description, Action.UPDATE, "role/viewer", ("description",)),
    (set_role_attribute, Action.UPDATE, "role/viewer", ("attributes.level",)),
    (add_realm_composite, Action.UPDATE, "role/admin", ("composites.realm",)),
    (remove_client_composite, Action.UPDATE, "role/admin", ("composites.client.orders-api",)),
    (set_client_role_attribute, Action.UPDATE, "role/orders-api/write", ("attributes.scope",)),
    (clear_client_role_description, Action.UPDATE, "role/orders-api/read", ("description",)),
    (set_group_attribute, Action.UPDATE, "group/acme/managers/leads", ("attributes.floor",)),
    (remove_group_realm_role, Action.UPDATE, "group/acme", ("realmRoles",)),
    (add_group_client_role, Action.UPDATE, "group/acme/managers", ("clientRoles.orders-api",)),
    (set_group_description, Action.UPDATE, "group/big/team-11", ("description",)),
    (add_subgroup, Action.CREATE, "group/acme/managers/leads/night-shift", ("name", "realmRoles")),
    (add_realm_role, Action.CREATE, "role/auditor", ("composites", "name")),
    (add_default_role, Action.UPDATE, "role/default-roles-{realm}", ("composites.realm",)),
]


@pytest.mark.parametrize(("mutate", "action", "address", "paths"), CASES, ids=[c[0].__name__ for c in CASES])
def test_one_change_is_exactly_one_planned_change_and_apply_converges(
    admin_api: AdminClient,
    empty_realm: str,
    mutate: Mutation,
    action: Action,
    address: str,
    paths: tuple[str, ...],
) -> None:
    build_by_hand(admin_api, empty_realm)
    spec = copy.deepcopy(desired_spec())
    mutate(spec)
    for role in spec["roles"]["realm"]:
        role["name"] = role["name"].replace("{realm}", empty_realm)
    desired = state(empty_realm, spec)
    if mutate is set_group_description and not MANAGERS_DESCRIPTION:
        with pytest.raises(DesiredStateError, match=r"group field description needs Keycloak 26\.4 or newer"):
            make_plan(admin_api, desired, kinds=KINDS)
        return
    plan, lives = make_plan(admin_api, desired, kinds=KINDS)
    expected = f"{empty_realm}/{address.replace('{realm}', empty_realm)}"
    assert [(c.action, c.address, c.changed_paths) for c in plan.changes] == [(action, expected, paths)]
    apply_plan(admin_api, plan, desired, lives)
    assert plan_for(admin_api, desired).changes == []


def test_updates_keep_what_is_not_declared(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    r = f"/{seg(empty_realm)}"
    spec = {
        "roles": {"realm": [{"name": "viewer", "attributes": {"level": ["5"]}}]},
        "groups": [
            {
                "name": "acme",
                "subGroups": [
                    {"name": "managers", "attributes": {"new": ["x"]}, "clientRoles": {"orders-api": []}}
                ],
            }
        ],
    }
    assert converge(admin_api, state(empty_realm, spec)).changes == []
    viewer = admin_api.get(f"{r}/roles/viewer")
    # description and the other attribute survive a role PUT that sends only what is declared
    assert viewer["description"] == "Can view"
    assert {k: sorted(v) for k, v in viewer["attributes"].items()} == {"level": ["5"], "tags": ["a", "b"]}
    managers = admin_api.get(f"{r}/group-by-path/acme/managers")
    assert managers.get("description") == MANAGERS_DESCRIPTION.get("description")
    assert managers["attributes"] == {"new": ["x"]}
    assert managers["clientRoles"] == {}
    acme = admin_api.get(f"{r}/group-by-path/acme")
    assert acme["attributes"] == {"region": ["eu"]}
    assert acme["realmRoles"] == ["viewer"]


def test_from_an_empty_realm_apply_creates_everything_then_no_changes(
    admin_api: AdminClient,
    empty_realm: str,
) -> None:
    create_client(admin_api, empty_realm, "orders-api")  # the client kind's work, done by hand here
    spec = desired_spec()
    spec["roles"]["realm"].append(
        {
            "name": f"default-roles-{empty_realm}",
            "composites": {
                "realm": ["offline_access", "uma_authorization", "viewer"],
                "client": {"account": ["view-profile", "manage-account"]},
            },
        }
    )
    desired = state(empty_realm, spec)
    plan, lives = make_plan(admin_api, desired, kinds=KINDS)
    creates = [c.address.split("/", 1)[1] for c in plan.changes if c.action is Action.CREATE]
    assert len(creates) == 5 + 3 + 13
    for child, parent in [
        ("role/viewer", "role/admin"),
        ("role/orders-api/read", "role/admin"),
        ("role/orders-api/read", "role/orders-api/write"),
        ("group/acme/managers", "group/acme/managers/leads"),
    ]:
        assert creates.index(child) < creates.index(parent)
    assert [c.address for c in plan.changes if c.action is Action.UPDATE] == [
        f"{empty_realm}/role/default-roles-{empty_realm}"
    ]
    apply_plan(admin_api, plan, desired, lives)
    assert plan_for(admin_api, desired).changes == []

    r = f"/{seg(empty_realm)}"
    admin = admin_api.get(f"{r}/roles/admin")
    composites = admin_api.get(f"{r}/roles-by-id/{admin['id']}/composites")
    assert sorted((c["clientRole"], c["name"]) for c in composites) == [
        (False, "editor"),
        (False, "viewer"),
        (True, "read"),
    ]
    leads = admin_api.get(f"{r}/group-by-path/acme/managers/leads")
    assert leads["realmRoles"] == ["admin"]
    assert leads["clientRoles"] == {"orders-api": ["read"], "realm-management": ["view-users"]}
    assert (
        len(
            admin_api.get(
                f"{r}/groups/{admin_api.get(f'{r}/group-by-path/big')['id']}/children",
                {"first": 0, "max": 100},
            )
        )
        == 12
    )
    default_names = {c["name"] for c in admin_api.get(f"{r}/roles/default-roles-{empty_realm}/composites")}
    assert default_names == {
        "offline_access",
        "uma_authorization",
        "viewer",
        "view-profile",
        "manage-account",
    }


def test_declared_absent_and_pruned_objects_are_deleted(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    r = f"/{seg(empty_realm)}"
    admin_api.post(f"{r}/roles", {"name": "tmp-by-hand"})
    admin_api.create(f"{r}/groups", {"name": "by-hand"})
    spec = desired_spec()
    find_role(spec, "editor")["state"] = "absent"
    find_role(spec, "admin")["composites"]["realm"] = ["viewer"]
    spec["groups"][0]["subGroups"][0]["state"] = "absent"  # /acme/managers, and /acme/managers/leads
    spec["groups"][0]["subGroups"][0]["subGroups"][0]["state"] = "absent"
    policy = Policy(prune_unmanaged={"roles": ("tmp-*",)})
    desired = state(empty_realm, spec, policy)
    plan, lives = make_plan(admin_api, desired, kinds=KINDS)
    deletes = [c.address.split("/", 1)[1] for c in plan.changes if c.action is Action.DELETE]
    assert deletes == ["group/acme/managers/leads", "group/acme/managers", "role/tmp-by-hand", "role/editor"]
    assert {u.address.split("/", 1)[1] for u in plan.unmanaged} == {"group/by-hand"}
    apply_plan(admin_api, plan, desired, lives)
    assert plan_for(admin_api, desired).changes == []
    assert {
        g["name"] for g in admin_api.get(f"{r}/groups/{lives[empty_realm].ids.group_ids['/acme']}/children")
    } == set()


def test_deleting_a_child_after_its_parent_is_not_an_error(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    desired = DesiredRealm(name=empty_realm, spec={})
    live = read_live(admin_api, desired, KINDS)
    ctx = Context(api=admin_api, realm=empty_realm, desired=desired, live=live)
    kind = GroupKind()
    groups = live.of("group")
    kind.delete(ctx, "/acme", groups["/acme"])
    kind.delete(ctx, "/acme/managers/leads", groups["/acme/managers/leads"])
    assert kind.read_one(ctx, "/acme/managers/leads") is None
    assert kind.read_one(ctx, "/acme") is None
    assert "/acme/managers" not in live.ids.group_ids


def test_read_one_matches_read(admin_api: AdminClient, empty_realm: str) -> None:
    build_by_hand(admin_api, empty_realm)
    desired = DesiredRealm(name=empty_realm, spec={"realm": empty_realm, **desired_spec()})
    live = read_live(admin_api, desired, KINDS)
    ctx = Context(api=admin_api, realm=empty_realm, desired=desired, live=live)
    for kind in (RoleKind(), GroupKind()):
        for key, obj in live.of(kind.name).items():
            if kind.is_builtin(key, obj, empty_realm):
                continue
            assert kind.read_one(ctx, key) == obj, key


def test_with_every_kind_client_roles_go_under_a_client_created_in_the_same_apply(
    admin_api: AdminClient, empty_realm: str
) -> None:
    spec = desired_spec()
    spec["clients"] = [{"clientId": "orders-api", "publicClient": False}]
    desired = state(empty_realm, spec)
    plan, lives = make_plan(admin_api, desired)  # the whole registry
    kinds_in_order = [c.kind for c in plan.changes]
    assert kinds_in_order.index("client") < kinds_in_order.index("role") < kinds_in_order.index("group")
    apply_plan(admin_api, plan, desired, lives)
    again, _ = make_plan(admin_api, desired)
    assert again.changes == []
    orders = client_uuid_of(admin_api, empty_realm, "orders-api")
    names = {r["name"] for r in admin_api.get(f"/{seg(empty_realm)}/clients/{orders}/roles")}
    assert names == {"read", "write"}


# -- the Admin API facts these kinds rely on (Keycloak 26.7) --------------------------------------
def test_admin_api_facts_for_roles(admin_api: AdminClient, empty_realm: str) -> None:
    r = f"/{seg(empty_realm)}"
    location = admin_api.post(f"{r}/roles", {"name": "a", "description": "d", "attributes": {"k": ["1"]}})
    assert location.headers["Location"].endswith("/roles/a")  # the name, not an id
    a = admin_api.get(f"{r}/roles/a")
    admin_api.put(f"{r}/roles-by-id/{a['id']}", {"name": "a"})
    after = admin_api.get(f"{r}/roles-by-id/{a['id']}")
    assert "description" not in after  # left out = cleared
    assert after["attributes"] == {"k": ["1"]}  # left out = kept
    with pytest.raises(BadRequest):  # attribute values must be lists
        admin_api.post(f"{r}/roles", {"name": "bare", "attributes": {"k": "1"}})
    admin_api.post(f"{r}/roles", {"name": "b"})
    b = admin_api.get(f"{r}/roles/b")
    with pytest.raises(NotFound):  # composites are looked up by id
        admin_api.post(f"{r}/roles-by-id/{a['id']}/composites", [{"name": "b"}])
    admin_api.post(f"{r}/roles-by-id/{a['id']}/composites", [{"id": b["id"]}])
    assert admin_api.get(f"{r}/roles/a")["composite"] is True
    listed = admin_api.get(f"{r}/roles", {"briefRepresentation": "false", "first": 0, "max": 100})
    assert "composites" not in next(x for x in listed if x["name"] == "a")  # names need another read
    admin_api.delete(f"{r}/roles-by-id/{a['id']}/composites", [{"id": b["id"]}])
    assert admin_api.get(f"{r}/roles/a")["composite"] is False
    # an inline composite naming an unknown client is dropped without an error
    admin_api.post(f"{r}/roles", {"name": "c", "composite": True, "composites": {"client": {"nope": ["x"]}}})
    assert admin_api.get(f"{r}/roles/c")["composite"] is False
    assert len(admin_api.get(f"{r}/roles", {"first": 0, "max": 2})) == 2  # pages with first+max


def test_admin_api_facts_for_groups(admin_api: AdminClient, empty_realm: str) -> None:
    r = f"/{seg(empty_realm)}"
    admin_api.post(f"{r}/roles", {"name": "viewer"})
    viewer = admin_api.get(f"{r}/roles/viewer")
    described = {"description": "d"} if MANAGERS_DESCRIPTION else {}
    top = admin_api.create(f"{r}/groups", {"name": "top", **described, "attributes": {"k": ["1"]}})
    for i in range(11):
        admin_api.create(f"{r}/groups/{top}/children", {"name": f"c{i:02d}"})
    assert len(admin_api.get(f"{r}/groups/{top}/children")) == 10  # default max=10
    for body in ([{"name": "viewer"}], [{"id": viewer["id"]}]):  # both id and name are needed
        with pytest.raises(NotFound):
            admin_api.post(f"{r}/groups/{top}/role-mappings/realm", body)
    admin_api.post(f"{r}/groups/{top}/role-mappings/realm", [{"id": viewer["id"], "name": "viewer"}])
    listed = admin_api.get(f"{r}/groups", {"briefRepresentation": "false", "first": 0, "max": 10})[0]
    assert (listed["realmRoles"], listed["attributes"], listed["subGroupCount"]) == (
        ["viewer"],
        {"k": ["1"]},
        11,
    )
    brief = admin_api.get(f"{r}/groups", {"first": 0, "max": 10})[0]
    assert "attributes" not in brief
    assert "realmRoles" not in brief
    admin_api.put(f"{r}/groups/{top}", {"name": "top"})
    after = admin_api.get(f"{r}/groups/{top}")
    assert "description" not in after  # left out = cleared
    assert after["attributes"] == {"k": ["1"]}  # left out = kept
    child = admin_api.get(f"{r}/group-by-path/top/c00")["id"]
    admin_api.delete(f"{r}/groups/{top}")  # takes its subgroups along
    with pytest.raises(NotFound):
        admin_api.delete(f"{r}/groups/{child}")
