"""The user and organization kinds against a real Keycloak: no-change plans, one field at a time,
apply then plan again, and the request cost of reading many users."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.errors import ApplyError, NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds import REGISTRY, Context, LiveRealm
from reconciler.kinds.base import Kind
from reconciler.kinds.organization import OrganizationKind
from reconciler.kinds.realm import RealmKind
from reconciler.kinds.user import UserKind
from reconciler.plan import Action, Plan

pytestmark = pytest.mark.integration

Spec = dict[str, Any]
OUR_KINDS: list[Kind] = [RealmKind(), UserKind(), OrganizationKind()]
MEMBERS = [f"m{i:02d}" for i in range(1, 14)]  # 13 members: more than the default page of 10


# -- setting a realm up through the Admin API ---------------------------------------------------
def make_realm(api: AdminClient, realm: str, *, unmanaged_policy: str | None = "ADMIN_EDIT") -> None:
    """Groups, realm roles, a client with roles and a service account, and the user profile."""
    api.post("", {"realm": realm, "enabled": True, "organizationsEnabled": True})
    base = f"/{seg(realm)}"
    if unmanaged_policy:
        profile = api.get(f"{base}/users/profile")
        profile["unmanagedAttributePolicy"] = unmanaged_policy
        api.put(f"{base}/users/profile", profile)
    acme = api.create(f"{base}/groups", {"name": "acme"})
    for child in ("managers", "staff"):
        api.post(f"{base}/groups/{acme}/children", {"name": child})
    api.post(f"{base}/groups", {"name": "ops"})
    for role in ("admin", "auditor", "viewer"):
        api.post(f"{base}/roles", {"name": role})
    client = api.create(
        f"{base}/clients",
        {
            "clientId": "orders",
            "publicClient": False,
            "serviceAccountsEnabled": True,
            "secret": "orders-secret",
        },
    )
    for role in ("read", "write"):
        api.post(f"{base}/clients/{client}/roles", {"name": role})


def role_refs(api: AdminClient, path: str, names: list[str]) -> list[dict[str, str]]:
    return [{"id": api.get(f"{path}/{seg(n)}")["id"], "name": n} for n in names]


def populate(api: AdminClient, realm: str) -> None:
    """Users, memberships, role mappings and organizations, all made by hand."""
    base = f"/{seg(realm)}"
    client = api.get(f"{base}/clients", {"clientId": "orders"})[0]["id"]
    alice = api.create(
        f"{base}/users",
        {
            "username": "alice",
            "email": "alice@acme.org",
            "firstName": "Alice",
            "lastName": "Liddell",
            "enabled": True,
            "emailVerified": True,
            "attributes": {"dept": ["eng"], "tags": ["a", "b"]},
            "requiredActions": ["CONFIGURE_TOTP"],
            "groups": ["/acme/managers", "/ops"],
        },
    )
    bob = api.create(
        f"{base}/users",
        {"username": "bob", "email": "bob@globex.org", "enabled": True, "groups": ["/acme/staff"]},
    )
    api.post(f"{base}/users/{alice}/role-mappings/realm", role_refs(api, f"{base}/roles", ["admin"]))
    api.post(f"{base}/users/{bob}/role-mappings/realm", role_refs(api, f"{base}/roles", ["viewer"]))
    api.post(
        f"{base}/users/{alice}/role-mappings/clients/{client}",
        role_refs(api, f"{base}/clients/{client}/roles", ["read"]),
    )
    sa = api.get(f"{base}/clients/{client}/service-account-user")["id"]
    api.post(f"{base}/users/{sa}/role-mappings/realm", role_refs(api, f"{base}/roles", ["auditor"]))
    member_ids = [api.create(f"{base}/users", {"username": m, "enabled": True}) for m in MEMBERS]
    acme = api.create(
        f"{base}/organizations",
        {
            "name": "Acme Inc",
            "alias": "acme",
            "description": "Anvils",
            "redirectUrl": "https://acme.org/",
            "domains": [{"name": "acme.org", "verified": True}, {"name": "acme.com"}],
            "attributes": {"tier": ["gold"]},
        },
    )
    globex = api.create(f"{base}/organizations", {"name": "globex", "domains": [{"name": "globex.org"}]})
    for user_id in [alice, *member_ids]:
        api.post(f"{base}/organizations/{acme}/members", user_id)
    api.post(f"{base}/organizations/{globex}/members", bob)


def declared_spec() -> Spec:
    """What ``populate`` made, as a user would declare it."""
    return {
        "organizationsEnabled": True,
        "users": [
            {
                "username": "alice",
                "email": "alice@acme.org",
                "firstName": "Alice",
                "lastName": "Liddell",
                "enabled": True,
                "emailVerified": True,
                "attributes": {"dept": "eng", "tags": ["b", "a"]},
                "requiredActions": ["CONFIGURE_TOTP"],
                "groups": ["/ops", "/acme/managers"],
                "realmRoles": ["admin"],
                "clientRoles": {"orders": ["read"]},
                "credentials": [{"type": "password", "value": "never-compared", "temporary": False}],
            },
            {
                "username": "bob",
                "email": "bob@globex.org",
                "groups": ["/acme/staff"],
                "realmRoles": ["viewer"],
                "clientRoles": {"orders": []},
            },
            {"serviceAccountClientId": "orders", "realmRoles": ["auditor"]},
            *({"username": m} for m in MEMBERS),
        ],
        "organizations": [
            {
                "name": "Acme Inc",
                "alias": "acme",
                "description": "Anvils",
                "redirectUrl": "https://acme.org/",
                "enabled": True,
                "domains": [{"name": "ACME.com"}, {"name": "acme.org", "verified": True}],
                "attributes": {"tier": "gold"},
                "members": ["alice", *MEMBERS],
            },
            {"name": "globex", "domains": [{"name": "globex.org"}], "members": ["bob"]},
        ],
    }


def state(realm: str, spec: Spec) -> DesiredState:
    return DesiredState(realms={realm: DesiredRealm(name=realm, spec=spec)})


def plan_for(
    api: AdminClient, realm: str, spec: Spec, kinds: list[Kind] | None = None
) -> tuple[Plan, dict[str, LiveRealm]]:
    return make_plan(api, state(realm, spec), kinds=OUR_KINDS if kinds is None else kinds)


def user(spec: Spec, username: str) -> Spec:
    return next(u for u in spec["users"] if u.get("username") == username)


def service_account(spec: Spec) -> Spec:
    return next(u for u in spec["users"] if u.get("serviceAccountClientId") == "orders")


def org(spec: Spec, alias: str) -> Spec:
    return next(o for o in spec["organizations"] if o.get("alias", o["name"]) == alias)


@pytest.fixture
def populated(admin_api: AdminClient, fresh_realm: str) -> str:
    make_realm(admin_api, fresh_realm)
    populate(admin_api, fresh_realm)
    return fresh_realm


# -- 1. the same declared: no changes ------------------------------------------------------------------
def test_declaring_what_exists_plans_no_changes(admin_api: AdminClient, populated: str) -> None:
    plan, lives = plan_for(admin_api, populated, declared_spec())
    assert [c.address for c in plan.changes] == []
    live_orgs = lives[populated].of("organization")
    assert sorted(live_orgs["acme"]["members"]) == sorted(["alice", *MEMBERS])  # past a page of 10
    assert live_orgs["acme"]["_managedMembers"] == []  # added through the Admin API: UNMANAGED
    # Service-account users are not listed by GET /users: never reported as unmanaged.
    assert not [u for u in plan.unmanaged if u.kind == "user"]


def test_no_changes_with_every_registered_kind(admin_api: AdminClient, populated: str) -> None:
    plan, _ = plan_for(admin_api, populated, declared_spec(), kinds=REGISTRY)
    assert [c.address for c in plan.changes if c.kind in ("user", "organization")] == []


def test_unmanaged_users_are_reported_but_service_accounts_are_not(
    admin_api: AdminClient, populated: str
) -> None:
    spec = declared_spec()
    spec["users"] = [u for u in spec["users"] if u.get("username") != "bob"]
    spec["organizations"] = []
    plan, _ = plan_for(admin_api, populated, spec)
    assert [u.key for u in plan.unmanaged if u.kind == "user"] == ["bob"]
    assert sorted(u.key for u in plan.unmanaged if u.kind == "organization") == ["acme", "globex"]
    assert plan.changes == []


# -- 2 and 3. one field at a time: exactly that change; apply; then no changes -------------------------
def _set_email(s: Spec) -> None:
    user(s, "alice")["email"] = "alice@wonderland.org"


def _set_attribute(s: Spec) -> None:
    user(s, "alice")["attributes"]["dept"] = ["research"]


def _add_group(s: Spec) -> None:
    user(s, "alice")["groups"].append("/acme/staff")


def _remove_group(s: Spec) -> None:
    user(s, "alice")["groups"].remove("/ops")


def _remove_realm_role(s: Spec) -> None:
    user(s, "alice")["realmRoles"] = []


def _add_client_role(s: Spec) -> None:
    user(s, "bob")["clientRoles"]["orders"] = ["write"]


def _add_required_action(s: Spec) -> None:
    user(s, "alice")["requiredActions"].append("UPDATE_PROFILE")


def _service_account_role(s: Spec) -> None:
    service_account(s)["realmRoles"] = ["auditor", "viewer"]


def _service_account_group(s: Spec) -> None:
    service_account(s)["groups"] = ["/ops"]


def _add_org_domain(s: Spec) -> None:
    org(s, "acme")["domains"].append({"name": "acme.net"})


def _remove_org_member(s: Spec) -> None:
    org(s, "acme")["members"].remove("m05")


ONE_FIELD: list[tuple[Callable[[Spec], None], str, tuple[str, ...]]] = [
    (_set_email, "user/alice", ("email",)),
    (_set_attribute, "user/alice", ("attributes.dept",)),
    (_add_group, "user/alice", ("groups",)),
    (_remove_group, "user/alice", ("groups",)),
    (_remove_realm_role, "user/alice", ("realmRoles",)),
    (_add_client_role, "user/bob", ("clientRoles.orders",)),
    (_add_required_action, "user/alice", ("requiredActions",)),
    (_service_account_role, "user/service-account-orders", ("realmRoles",)),
    (_service_account_group, "user/service-account-orders", ("groups",)),
    (_add_org_domain, "organization/acme", ("domains",)),
    (_remove_org_member, "organization/acme", ("members",)),
]


@pytest.mark.parametrize(
    ("mutate", "address", "paths"), ONE_FIELD, ids=[m.__name__[1:] for m, _, _ in ONE_FIELD]
)
def test_one_field_changes_exactly_that_and_applies(
    admin_api: AdminClient,
    populated: str,
    mutate: Callable[[Spec], None],
    address: str,
    paths: tuple[str, ...],
) -> None:
    spec = declared_spec()
    mutate(spec)
    plan, lives = plan_for(admin_api, populated, spec)
    assert [(c.address, c.action, c.changed_paths) for c in plan.changes] == [
        (f"{populated}/{address}", Action.UPDATE, paths)
    ]
    assert plan.changes[0].destroys == 0
    assert "never-compared" not in plan.dumps()

    apply_plan(admin_api, plan, state(populated, spec), lives)

    again, _ = plan_for(admin_api, populated, spec)
    assert [c.address for c in again.changes] == []


def test_apply_keeps_what_is_not_declared(admin_api: AdminClient, populated: str) -> None:
    """Undeclared attributes, the default role and the removed org member's account survive."""
    spec = declared_spec()
    user(spec, "alice")["attributes"] = {"dept": "research"}  # tags not declared any more
    user(spec, "alice")["realmRoles"] = ["auditor"]
    org(spec, "acme")["members"].remove("m05")
    plan, lives = plan_for(admin_api, populated, spec)
    apply_plan(admin_api, plan, state(populated, spec), lives)

    base = f"/{seg(populated)}"
    alice = admin_api.get(f"{base}/users", {"username": "alice", "exact": "true"})[0]
    assert alice["attributes"] == {"dept": ["research"], "tags": ["a", "b"]}
    realm_roles = {r["name"] for r in admin_api.get(f"{base}/users/{alice['id']}/role-mappings/realm")}
    assert realm_roles == {"auditor", f"default-roles-{populated}"}
    assert admin_api.get(f"{base}/users", {"username": "m05", "exact": "true"})  # only unlinked


# -- creating and deleting -------------------------------------------------------------------------------
def test_create_everything_then_no_changes(admin_api: AdminClient, fresh_realm: str) -> None:
    make_realm(admin_api, fresh_realm)
    spec = declared_spec()
    user(spec, "alice")["credentials"] = [{"type": "password", "value": "S3cret-pw", "temporary": True}]
    user(spec, "alice")["username"] = "Alice"  # Keycloak stores usernames in lower case
    plan, lives = plan_for(admin_api, fresh_realm, spec)
    actions = {c.address.split("/", 1)[1]: c.action for c in plan.changes}
    assert {
        k: actions.get(k) for k in ("user/alice", "user/bob", "organization/acme", "organization/globex")
    } == dict.fromkeys(("user/alice", "user/bob", "organization/acme", "organization/globex"), Action.CREATE)
    # the client made its service-account user: kcr only maps its roles
    assert actions["user/service-account-orders"] is Action.UPDATE
    text = plan.dumps()
    assert "S3cret-pw" not in text
    assert "(sensitive value)" in text

    apply_plan(admin_api, plan, state(fresh_realm, spec), lives)

    again, live = plan_for(admin_api, fresh_realm, spec)
    assert [c.address for c in again.changes] == []
    alice = live[fresh_realm].of("user")["alice"]
    # temporary: true made Keycloak add UPDATE_PASSWORD, next to the declared action
    assert alice["requiredActions"] == ["CONFIGURE_TOTP", "UPDATE_PASSWORD"]
    # a later change of required actions keeps the one the temporary password still waits for
    user(spec, "Alice")["requiredActions"].append("UPDATE_PROFILE")
    plan, lives = plan_for(admin_api, fresh_realm, spec)
    assert [c.changed_paths for c in plan.changes] == [("requiredActions",)]
    apply_plan(admin_api, plan, state(fresh_realm, spec), lives)
    stored = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": "alice", "exact": "true"})[0]
    assert sorted(stored["requiredActions"]) == ["CONFIGURE_TOTP", "UPDATE_PASSWORD", "UPDATE_PROFILE"]
    assert live[fresh_realm].of("organization")["acme"]["domains"] == [
        {"name": "acme.com", "verified": False},
        {"name": "acme.org", "verified": True},
    ]


def test_state_absent_deletes_user_and_organization(admin_api: AdminClient, populated: str) -> None:
    spec = declared_spec()
    user(spec, "bob")["state"] = "absent"
    org(spec, "globex")["state"] = "absent"
    plan, lives = plan_for(admin_api, populated, spec)
    assert [(c.address, c.action) for c in plan.changes] == [
        (f"{populated}/organization/globex", Action.DELETE),
        (f"{populated}/user/bob", Action.DELETE),
    ]
    apply_plan(admin_api, plan, state(populated, spec), lives)
    assert admin_api.get(f"/{seg(populated)}/users", {"username": "bob", "exact": "true"}) == []
    again, _ = plan_for(admin_api, populated, spec)
    assert again.changes == []


def test_undeclared_profile_attribute_fails_loudly(admin_api: AdminClient, fresh_realm: str) -> None:
    """With the default user profile, Keycloak accepts an unknown attribute and drops it."""
    make_realm(admin_api, fresh_realm, unmanaged_policy=None)
    spec: Spec = {"users": [{"username": "carol", "attributes": {"dept": "eng"}}]}
    plan, lives = plan_for(admin_api, fresh_realm, spec)
    with pytest.raises(ApplyError, match="user profile"):
        apply_plan(admin_api, plan, state(fresh_realm, spec), lives)
    again, _ = plan_for(admin_api, fresh_realm, spec)
    assert [c.changed_paths for c in again.changes] == [("attributes.dept",)]
    assert "unmanagedAttributePolicy" in again.changes[0].reason


def test_organizations_disabled_read_as_none(admin_api: AdminClient, empty_realm: str) -> None:
    with pytest.raises(NotFound, match="Organizations not enabled"):
        admin_api.get(f"/{seg(empty_realm)}/organizations")
    plan, _ = plan_for(admin_api, empty_realm, {"organizations": [{"name": "acme"}]})
    assert [(c.address, c.action) for c in plan.changes] == [
        (f"{empty_realm}/organization/acme", Action.CREATE)
    ]


# -- Admin API facts this module relies on -----------------------------------------------------------------
def test_admin_api_membership_facts(admin_api: AdminClient, populated: str) -> None:
    base = f"/{seg(populated)}"
    listed = {u["username"] for u in admin_api.get_paged(f"{base}/users", {"briefRepresentation": "false"})}
    assert "service-account-orders" not in listed  # service accounts are not listed
    assert "alice" in listed
    # /roles/{name}/users lists direct mappings only, and includes service-account users
    auditor = {u["username"] for u in admin_api.get(f"{base}/roles/auditor/users", {"first": 0, "max": 50})}
    assert auditor == {"service-account-orders"}
    comp = "comp-" + populated
    admin_api.post(f"{base}/roles", {"name": comp})
    admin_api.post(f"{base}/roles/{comp}/composites", role_refs(admin_api, f"{base}/roles", ["viewer"]))
    alice_id = next(iter(admin_api.get(f"{base}/users", {"username": "alice", "exact": "true"})))["id"]
    admin_api.post(
        f"{base}/users/{alice_id}/role-mappings/realm", role_refs(admin_api, f"{base}/roles", [comp])
    )
    viewers = {u["username"] for u in admin_api.get(f"{base}/roles/viewer/users", {"first": 0, "max": 50})}
    assert viewers == {"bob"}
    # /groups/{id}/members lists direct members only
    acme = admin_api.get(f"{base}/group-by-path/acme")
    assert admin_api.get(f"{base}/groups/{acme['id']}/members", {"first": 0, "max": 50}) == []
    # organization listings default to 10
    orgs = admin_api.get(f"{base}/organizations", {"search": "acme"})
    assert len(admin_api.get(f"{base}/organizations/{orgs[0]['id']}/members")) == 10


# -- 4. request cost ---------------------------------------------------------------------------------------
def test_reading_200_users_costs_requests_per_group_and_role_not_per_user(
    admin_api: AdminClient, fresh_realm: str
) -> None:
    make_realm(admin_api, fresh_realm)
    base = f"/{seg(fresh_realm)}"
    groups = [f"g{i}" for i in range(10)]
    for name in groups:
        admin_api.post(f"{base}/groups", {"name": name})
    users = [
        {
            "username": f"u{i:03d}",
            "enabled": True,
            "attributes": {"n": [str(i)]},
            "groups": [f"/g{i % 10}"],
            "realmRoles": ["viewer"] if i % 2 else [],
        }
        for i in range(200)
    ]
    admin_api.post(f"{base}/partialImport", {"ifResourceExists": "FAIL", "users": users})
    spec: Spec = {
        "users": [
            {
                "username": u["username"],
                "groups": u["groups"],
                "realmRoles": u["realmRoles"],
                "clientRoles": {"orders": []},
                "attributes": u["attributes"],
            }
            for u in users
        ]
    }
    desired = DesiredRealm(name=fresh_realm, spec=spec)
    live = LiveRealm(name=fresh_realm, exists=True)
    live.ids.realm = admin_api.get(base)
    before = admin_api.request_count
    objects = UserKind().read(Context(api=admin_api, realm=fresh_realm, desired=desired, live=live))
    used = admin_api.request_count - before
    assert len(objects) == 200
    assert objects["u007"]["groups"] == ["/g7"]
    assert objects["u007"]["realmRoles"] == ["viewer"]
    assert used < 60, used
    plan, _ = plan_for(admin_api, fresh_realm, spec)
    assert plan.changes == []


def test_plan_of_copy_is_independent(admin_api: AdminClient, populated: str) -> None:
    """Planning never changes the declared spec it was given (kinds copy before normalising)."""
    spec = declared_spec()
    kept = copy.deepcopy(spec)
    plan_for(admin_api, populated, spec)
    assert spec == kept


def test_temporary_lockout_is_not_drift(admin_api: AdminClient, fresh_realm: str) -> None:
    """Keycloak 26.7 keeps ``enabled: true`` on a user locked out by brute-force detection."""
    admin_api.post(
        "",
        {
            "realm": fresh_realm,
            "enabled": True,
            "bruteForceProtected": True,
            "failureFactor": 1,
            "permanentLockout": False,
        },
    )
    base = f"/{seg(fresh_realm)}"
    user_id = admin_api.create(
        f"{base}/users",
        {
            "username": "dave",
            "enabled": True,
            "email": "dave@x.org",
            "firstName": "D",
            "lastName": "D",
            "credentials": [{"type": "password", "value": "right-pw", "temporary": False}],
        },
    )
    token_url = f"{admin_api.settings.base_url}/realms/{fresh_realm}/protocol/openid-connect/token"
    for _ in range(2):
        httpx.post(
            token_url,
            data={
                "grant_type": "password",
                "client_id": "admin-cli",
                "username": "dave",
                "password": "wrong",
            },
        )
    assert admin_api.get(f"{base}/attack-detection/brute-force/users/{user_id}")["disabled"] is True
    plan, _ = plan_for(admin_api, fresh_realm, {"users": [{"username": "dave", "enabled": True}]})
    assert plan.changes == []
