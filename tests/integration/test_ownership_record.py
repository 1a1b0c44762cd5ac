"""The ownership record (realm attribute ``kcr.managed``) against the real Keycloak: a record that
cannot be saved (an account without manage-realm, or a save refused through the fault-injecting
proxy) stops the apply with a message instead of passing silently, and the client Keycloak makes for
fine-grained admin permissions is a built-in that no policy prunes."""

from __future__ import annotations

import pytest

from reconciler import ownership
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.faultproxy import FaultProxy
from reconciler.testing.server import KeycloakServer
from reconciler.versions import REALM_FIELDS, has
from tests.integration.conftest import Doc, Kcr, find_one

pytestmark = pytest.mark.integration

REALM_PUT = r"^/admin/realms/[^/]+$"  # the realm PUT that saves the ownership record
LIMITED_SECRET = "Limited-acc0unt-S3cret-4b1d"
# Enough to plan, and to write users and groups, but not the realm (so not its attributes).
LIMITED_ROLES = ("view-realm", "view-clients", "view-users", "query-users", "query-groups", "manage-users")


def limited_account(api: AdminClient, realm: str) -> dict[str, str]:
    """A service account of ``realm`` with manage-users but not manage-realm; its KEYCLOAK_* env."""
    base = f"/{seg(realm)}"
    client_id = api.create(
        f"{base}/clients",
        {"clientId": "kcr-limited", "secret": LIMITED_SECRET, "serviceAccountsEnabled": True},
    )
    account = api.get(f"{base}/clients/{client_id}/service-account-user")
    management = find_one(api, realm, "clients", clientId="realm-management")
    assert management is not None
    roles = [api.get(f"{base}/clients/{management['id']}/roles/{name}") for name in LIMITED_ROLES]
    api.post(f"{base}/users/{account['id']}/role-mappings/clients/{management['id']}", roles)
    return {
        "KEYCLOAK_REALM": realm,
        "KEYCLOAK_CLIENT_ID": "kcr-limited",
        "KEYCLOAK_CLIENT_SECRET": LIMITED_SECRET,
    }


def test_an_account_without_manage_realm_stops_before_its_first_write(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    realm = empty_realm
    kcr.write({"realm": realm, "groups": [{"name": "team"}], "users": [{"username": "user1"}]})
    refused = kcr.run("apply", kcr.path, "--auto-approve", env=limited_account(admin_api, realm))
    assert refused.exit_code == 1, refused.output
    assert "manage-realm" in refused.output
    assert find_one(admin_api, realm, "users", username="user1") is None
    assert admin_api.get(f"/{seg(realm)}/groups") == []


def test_an_ownership_record_that_cannot_be_saved_fails_the_apply(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, keycloak: KeycloakServer
) -> None:
    realm = empty_realm
    doc: Doc = {
        "realm": realm,
        "policy": {"prune": ["users"]},
        "groups": [{"name": "team"}],
        "users": [{"username": "user1", "groups": ["/team"]}, {"username": "user2"}],
    }
    kcr.write(doc)
    with FaultProxy(keycloak.url) as proxy:
        through = {"KEYCLOAK_URL": proxy.url}
        # Creating: the record is saved before the first object is made, so the apply stops there.
        proxy.inject("PUT", REALM_PUT, "status", status=403, times=None)
        refused = kcr.run("apply", kcr.path, "--auto-approve", env=through)
        assert refused.exit_code == 1, refused.output
        assert f"could not save kcr's ownership record (the attribute {ownership.ATTRIBUTE}" in refused.output
        assert "manage-realm" in refused.output
        assert find_one(admin_api, realm, "users", username="user1") is None
        assert admin_api.get(f"/{seg(realm)}/groups") == []

        proxy.clear()
        kcr.apply_converged()
        assert ownership.parse(admin_api.get(f"/{seg(realm)}"))["users"] == {"user1", "user2"}

        # Deleting: the object goes, the record cannot say so; the apply says it and exits 1.
        doc["users"] = [{"username": "user1", "groups": ["/team"]}]
        kcr.write(doc)
        proxy.inject("PUT", REALM_PUT, "status", status=403, times=None)
        pruned = kcr.run("apply", kcr.path, "--auto-approve", env=through)
        assert pruned.exit_code == 1, pruned.output
        assert f"- {realm}/user/user2: done" in pruned.output
        assert "The changes were applied, but kcr's ownership record" in pruned.output
        assert find_one(admin_api, realm, "users", username="user2") is None
    kcr.apply_converged()
    assert ownership.parse(admin_api.get(f"/{seg(realm)}"))["users"] == {"user1"}


ADMIN_PERMISSIONS = REALM_FIELDS["adminPermissionsEnabled"]


def test_the_admin_permissions_client_is_a_built_in(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    realm = fresh_realm
    doc: Doc = {
        "realm": realm,
        "adminPermissionsEnabled": True,
        "policy": {"pruneUnmanaged": {"clients": ["*"]}},
        "clients": [{"clientId": "app", "publicClient": True}],
    }
    kcr.write(doc)
    if not has(admin_api.server_info(), ADMIN_PERMISSIONS):  # 26.0: no such field, no such client
        refused = kcr.plan()
        assert refused.exit_code == 1, refused.output
        assert "adminPermissionsEnabled needs Keycloak 26.2 or newer" in refused.output
        return
    applied = kcr.apply_converged()
    assert "admin-permissions" not in applied.output
    planned = kcr.run("plan", kcr.path)
    assert "admin-permissions" not in planned.output
    assert find_one(admin_api, realm, "clients", clientId="admin-permissions") is not None
