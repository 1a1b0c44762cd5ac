"""Admin permissions (fine-grained admin permissions v2) declared in git: the policies and permissions
of the realm's ``admin-permissions`` client, by name. Against a real Keycloak: a delegated
administrator manages the users of their group and gets 403 for anyone else (real Admin API calls
with their own token); one field changed is exactly that change; a permission taken out is deleted;
apply then plan is no change; ``kcr export`` of permissions made by hand writes them by name and plans
no change, and drift sees a hand edit. On a server before 26.2 the plan stops with the version needed."""

from __future__ import annotations

import copy
from pathlib import Path

import httpx
import pytest
from ruamel.yaml import YAML

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.oidc import Realm
from reconciler.versions import ADMIN_PERMISSIONS, ServerInfo, has
from tests.integration.conftest import Doc, Kcr, find_one, login_user

pytestmark = pytest.mark.integration

CLIENT = "admin-permissions"
PERMISSION = {
    "name": "acme members",
    "type": "scope",
    "resourceType": "Groups",
    "decisionStrategy": "UNANIMOUS",
    "config": {
        "resources": ["/acme"],
        "scopes": ["view-members", "manage-members"],
        "applyPolicies": ["tenant admins"],
    },
}


def _doc(realm: str, permissions: list[Doc]) -> Doc:
    policies = [
        {"name": "tenant admins", "type": "user", "logic": "POSITIVE", "config": {"users": ["tenant-admin"]}}
    ]
    return {
        "realm": realm,
        "adminPermissionsEnabled": True,
        "groups": [{"name": "acme"}, {"name": "globex"}],
        "users": [
            # query-users lets them reach the user endpoints at all; the permissions say which users.
            login_user("tenant-admin", clientRoles={"realm-management": ["query-users", "query-groups"]}),
            login_user("alice", groups=["/acme"]),
            login_user("bob", groups=["/globex"]),
        ],
        "clients": [{"clientId": CLIENT, "authorizationSettings": {"policies": policies + permissions}}],
    }


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _user_id(api: AdminClient, realm: str, username: str) -> str:
    return str(api.get(f"/{seg(realm)}/users", {"username": username, "exact": "true"})[0]["id"])


class DelegatedAdmin:
    """Admin API calls with the tenant admin's own token (admin-cli, password grant)."""

    def __init__(self, base_url: str, realm: str, api: AdminClient) -> None:
        token = Realm(base_url, realm).password_grant("admin-cli", "tenant-admin", "Tenant-admin-password-1")
        self.headers = {"Authorization": f"Bearer {token['access_token']}"}
        self.base = f"{base_url}/admin/realms/{realm}"
        self.ids = {name: _user_id(api, realm, name) for name in ("alice", "bob")}

    def view(self, user: str) -> int:
        return httpx.get(f"{self.base}/users/{self.ids[user]}", headers=self.headers, timeout=30).status_code

    def rename(self, user: str, first_name: str) -> int:
        url = f"{self.base}/users/{self.ids[user]}"
        return httpx.put(url, json={"firstName": first_name}, headers=self.headers, timeout=30).status_code


def test_a_delegated_admin_manages_only_the_users_of_their_group(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    server: ServerInfo = admin_api.server_info()
    doc = _doc(fresh_realm, [PERMISSION])
    kcr.write(doc)
    if not has(server, ADMIN_PERMISSIONS):
        planned = kcr.plan()
        assert planned.exit_code == 1, planned.output
        assert f"needs Keycloak 26.2 or newer; the server runs {server.version_text}" in planned.output
        return
    kcr.apply_converged()
    assert _changes(kcr) == []

    admin = DelegatedAdmin(kcr.server.url, fresh_realm, admin_api)
    assert (admin.view("alice"), admin.rename("alice", "Alicia")) == (200, 204)
    assert (admin.view("bob"), admin.rename("bob", "Robert")) == (403, 403)
    alice = admin_api.get(f"/{seg(fresh_realm)}/users/{admin.ids['alice']}")
    assert alice["firstName"] == "Alicia"
    admin_api.put(f"/{seg(fresh_realm)}/users/{admin.ids['alice']}", {"firstName": "Alice"})  # as declared

    # One field: the scopes of the permission. Viewing stays, managing goes.
    doc = copy.deepcopy(doc)
    doc["clients"][0]["authorizationSettings"]["policies"][1]["config"]["scopes"] = ["view-members"]
    kcr.write(doc)
    assert _changes(kcr) == [
        ("authorization", CLIENT, Action.UPDATE, ("policies[acme members].config.scopes",))
    ]
    kcr.apply_converged()
    assert (admin.view("alice"), admin.rename("alice", "Ali")) == (200, 403)

    # A permission taken out of the declared list is deleted: nothing is left to the delegated admin.
    kcr.write(_doc(fresh_realm, []))
    assert _changes(kcr) == [("authorization", CLIENT, Action.UPDATE, ("policies[acme members]",))]
    kcr.apply_converged()
    assert admin.view("alice") == 403


def test_the_admin_permissions_client_is_a_built_in(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    server: ServerInfo = admin_api.server_info()
    if not has(server, ADMIN_PERMISSIONS):
        return  # no such client before 26.2 (the version error is shown above)
    kcr.write({"realm": fresh_realm, "adminPermissionsEnabled": True, "policy": {"prune": ["clients"]}})
    kcr.apply_converged()
    plan = kcr.plan_only().plan
    assert plan.changes == []
    assert not [u for u in plan.unmanaged if u.key == CLIENT]
    assert find_one(admin_api, fresh_realm, "clients", clientId=CLIENT) is not None
    exported = kcr.run("export", "--realm", fresh_realm, "--out", str(kcr.folder / "export"))
    assert exported.exit_code == 0, exported.output
    assert seg(CLIENT) not in (kcr.folder / "export" / fresh_realm / "realm.yaml").read_text(encoding="utf-8")


ORGANIZATIONS = "view every organization"


def _by_hand(api: AdminClient, realm: str) -> str:
    """A realm whose admin permissions an administrator made in the console (the Admin API's typed
    endpoints, with ids as the console sends them); the resource server's path."""
    api.post("", {"realm": realm, "enabled": True, "adminPermissionsEnabled": True})
    base = f"/{seg(realm)}"
    api.post(f"{base}/groups", {"name": "acme"})
    api.post(f"{base}/roles", {"name": "auditor"})
    api.post(f"{base}/users", {"username": "helper", "enabled": True})
    client = find_one(api, realm, "clients", clientId=CLIENT)
    assert client is not None
    server = f"{base}/clients/{seg(client['id'])}/authz/resource-server"
    acme = api.get(f"{base}/groups", {"search": "acme", "exact": "true"})[0]["id"]
    auditor = api.get(f"{base}/roles/auditor")["id"]
    api.post(f"{server}/policy/user", {"name": "helpers", "users": [_user_id(api, realm, "helper")]})
    api.post(
        f"{server}/policy/role",
        {"name": "auditors", "logic": "NEGATIVE", "roles": [{"id": auditor, "required": True}]},
    )
    api.post(
        f"{server}/permission/scope",
        {
            "name": "acme members",
            "resourceType": "Groups",
            "resources": [acme],
            "scopes": ["view-members", "manage-members"],
            "policies": ["helpers"],
        },
    )
    api.post(
        f"{server}/permission/scope",
        {"name": "view every user", "resourceType": "Users", "scopes": ["view"], "policies": ["auditors"]},
    )
    # A resource type kcr does not manage: 26.7.3 has Organizations (older lines may lack it).
    if "Organizations" in {r["name"] for r in api.get(f"{server}/resource", {"first": 0, "max": -1})}:
        api.post(
            f"{server}/permission/scope",
            {
                "name": ORGANIZATIONS,
                "resourceType": "Organizations",
                "scopes": ["view"],
                "policies": ["helpers"],
            },
        )
    return server


def test_export_of_admin_permissions_made_by_hand_plans_no_change_and_drift_sees_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    server_info: ServerInfo = admin_api.server_info()
    if not has(server_info, ADMIN_PERMISSIONS):
        # No admin-permissions client before 26.2: the export has none, and plans no change.
        admin_api.post("", {"realm": fresh_realm, "enabled": True})
        folder = kcr.export_plans_no_change(fresh_realm, tmp_path / "export")
        clients = folder / "clients.yaml"  # (26.0.8: not written at all, the realm has only built-ins)
        assert not clients.exists() or CLIENT not in clients.read_text(encoding="utf-8")
        return
    server = _by_hand(admin_api, fresh_realm)

    folder = kcr.export_plans_no_change(fresh_realm, tmp_path / "export")
    text = (folder / "clients.yaml").read_text(encoding="utf-8")
    (exported,) = [c for c in YAML(typ="safe").load(text)["clients"] if c["clientId"] == CLIENT]
    assert exported == {
        "clientId": CLIENT,
        "authorizationSettings": {
            "policies": [
                {
                    "name": "acme members",
                    "type": "scope",
                    "resourceType": "Groups",
                    "logic": "POSITIVE",
                    "decisionStrategy": "UNANIMOUS",
                    "config": {
                        "resources": ["/acme"],
                        "scopes": ["manage-members", "view-members"],
                        "applyPolicies": ["helpers"],
                    },
                },
                {
                    "name": "auditors",
                    "type": "role",
                    "logic": "NEGATIVE",
                    "decisionStrategy": "UNANIMOUS",
                    "config": {"roles": [{"id": "auditor", "required": True}]},
                },
                {
                    "name": "helpers",
                    "type": "user",
                    "logic": "POSITIVE",
                    "decisionStrategy": "UNANIMOUS",
                    "config": {"users": ["helper"]},
                },
                {
                    "name": "view every user",
                    "type": "scope",
                    "resourceType": "Users",
                    "logic": "POSITIVE",
                    "decisionStrategy": "UNANIMOUS",
                    "config": {"scopes": ["view"], "applyPolicies": ["auditors"]},
                },
            ]
        },
    }
    # A permission of a resource type kcr does not manage is left alone: not exported, not deleted.
    assert ORGANIZATIONS not in text
    # By name, never by id: no id of Keycloak's is in the file.
    for rep in admin_api.get(f"{server}/policy", {"first": 0, "max": -1}):
        assert rep["id"] not in text
    applied = kcr.run("apply", str(folder), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    kept = {p["name"] for p in admin_api.get(f"{server}/policy", {"first": 0, "max": -1})}
    hand_made = {"acme members", "auditors", "helpers", "view every user"}
    if "Organizations" in {r["name"] for r in admin_api.get(f"{server}/resource", {"first": 0, "max": -1})}:
        hand_made.add(ORGANIZATIONS)
    assert kept == hand_made
    assert "adminPermissionsEnabled: true" in (folder / "realm.yaml").read_text(encoding="utf-8")

    # A hand edit after the export: drift names the permission's field.
    permission = admin_api.get(f"{server}/policy", {"name": "acme members"})[0]
    acme = admin_api.get(f"/{seg(fresh_realm)}/groups", {"search": "acme", "exact": "true"})[0]["id"]
    admin_api.put(
        f"{server}/permission/scope/{seg(permission['id'])}",
        {
            "id": permission["id"],
            "name": "acme members",
            "resourceType": "Groups",
            "resources": [acme],
            "scopes": ["view-members"],
            "policies": ["helpers"],
        },
    )
    drift = kcr.run("drift", str(folder))
    assert drift.exit_code == 2, drift.output
    assert f"{fresh_realm}/authorization/{CLIENT}" in drift.output
    assert "policies[acme members].config.scopes" in drift.output
