"""What Keycloak deletes along with an object kcr deletes, against the real server: the plan shows each
such object as a delete of its own, counts it (summary, ``policy.maxDeletes``, the apply summary), and
never lists it as "Unmanaged (left alone)".

- Deleting an organization deletes the accounts of its MANAGED members (made by a login through an
  identity provider linked to the organization), and so does removing such a member.
- Deleting a group deletes its subgroups; deleting a client deletes its client roles (and every
  mapping to them), hand-made ones included.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.broker import Broker
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import Doc, Kcr, find_one, group_by_path

pytestmark = pytest.mark.integration

PASSWORD = "Upstream-Passw0rd-7c1"


def unmanaged(output: str) -> set[str]:
    """The addresses of the plan's "Unmanaged (left alone): a, b" line."""
    line = next((line for line in output.splitlines() if line.startswith("Unmanaged")), "")
    return set(line.split(": ", 1)[1].split(", ")) if line else set()


@pytest.fixture
def broker(admin_api: AdminClient, keycloak: KeycloakServer, empty_realm: str) -> Iterator[Broker]:
    admin_api.put(f"/{seg(empty_realm)}", {"realm": empty_realm, "organizationsEnabled": True})
    made = Broker.create(admin_api, keycloak.url, empty_realm)
    yield made
    made.delete(admin_api)


def managed_member(api: AdminClient, broker: Broker, org_alias: str, username: str) -> None:
    """``username`` logs in through the identity provider linked to ``org_alias``: a MANAGED member."""
    org = find_one(api, broker.realm, "organizations", alias=org_alias)
    assert org is not None
    domain = org["domains"][0]["name"]
    broker.link_organization(api, org["id"], domain)
    broker.add_upstream_user(api, username, PASSWORD, email=f"{username}@{domain}")
    broker.login(username, PASSWORD)


def test_organization_deletes_and_member_removals_show_the_accounts_they_delete(
    kcr: Kcr, admin_api: AdminClient, broker: Broker
) -> None:
    realm = broker.realm
    doc: Doc = {
        "realm": realm,
        "organizationsEnabled": True,
        "policy": {"maxDeletes": 1},
        "organizations": [
            {"name": "Acme", "alias": "acme", "domains": ["acme.example.com"]},
            {"name": "Globex", "alias": "globex", "domains": ["globex.example.com"]},
        ],
    }
    kcr.write(doc)
    kcr.apply_converged()
    managed_member(admin_api, broker, "acme", "bob")

    # Deleting the organization deletes bob's account with it.
    doc["organizations"][0]["state"] = "absent"
    kcr.write(doc)
    planned = kcr.plan()
    assert planned.exit_code == 2, planned.output
    assert f"- {realm}/organization/acme" in planned.output
    assert f"- {realm}/user/bob" in planned.output
    assert "Plan: 0 to add, 0 to change, 2 to destroy." in planned.output
    assert f"{realm}/user/bob" not in unmanaged(planned.output)
    refused = kcr.apply()
    assert refused.exit_code == 1
    assert "deletes 2 objects" in refused.output
    assert f"{realm}/user/bob" in refused.output
    assert find_one(admin_api, realm, "users", username="bob") is not None

    doc["policy"]["maxDeletes"] = 2
    kcr.write(doc)
    applied = kcr.apply_converged()
    assert "0 changed, 2 destroyed." in applied.output
    assert find_one(admin_api, realm, "users", username="bob") is None

    # Removing a managed member deletes the account too: a delete of its own, counted.
    managed_member(admin_api, broker, "globex", "carol")
    doc["organizations"][1]["members"] = []
    kcr.write(doc)
    planned = kcr.plan()
    assert f"~ {realm}/organization/globex" in planned.output
    assert f"- {realm}/user/carol" in planned.output
    assert "Plan: 0 to add, 1 to change, 1 to destroy." in planned.output
    assert f"{realm}/user/carol" not in unmanaged(planned.output)
    applied = kcr.apply_converged()
    assert "1 changed, 1 destroyed." in applied.output
    assert find_one(admin_api, realm, "users", username="carol") is None


def test_pruning_a_parent_shows_the_hand_made_children_keycloak_deletes_with_it(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    realm = empty_realm
    base = f"/{seg(realm)}"
    doc: Doc = {
        "realm": realm,
        "policy": {"prune": ["groups", "clients"], "maxDeletes": 2},
        "groups": [{"name": "team", "subGroups": [{"name": "declared"}]}, {"name": "kept"}],
        "clients": [{"clientId": "app", "publicClient": True}],
    }
    kcr.write(doc)
    kcr.apply_converged()
    # By hand: a subgroup of the managed group, a role of the managed client and a user mapped to it.
    team = group_by_path(admin_api, realm, "/team")
    assert team is not None
    admin_api.post(f"{base}/groups/{team['id']}/children", {"name": "hand"})
    app = find_one(admin_api, realm, "clients", clientId="app")
    assert app is not None
    admin_api.post(f"{base}/clients/{app['id']}/roles", {"name": "hand-role"})
    user_id = admin_api.create(f"{base}/users", {"username": "mapped", "enabled": True})
    role = admin_api.get(f"{base}/clients/{app['id']}/roles/hand-role")
    admin_api.post(f"{base}/users/{user_id}/role-mappings/clients/{app['id']}", [role])
    planned = kcr.plan()
    assert f"{realm}/group/team/hand" in unmanaged(planned.output)

    doc["groups"] = [{"name": "kept"}]
    doc["clients"] = []
    kcr.write(doc)
    planned = kcr.plan()
    for address in (
        "group/team",
        "group/team/declared",
        "group/team/hand",
        "client/app",
        "role/app/hand-role",
    ):
        assert f"- {realm}/{address}" in planned.output, planned.output
        assert f"{realm}/{address}" not in unmanaged(planned.output)
    assert "Plan: 0 to add, 0 to change, 5 to destroy." in planned.output
    refused = kcr.apply()
    assert refused.exit_code == 1
    assert "deletes 5 objects" in refused.output

    doc["policy"]["maxDeletes"] = 5
    kcr.write(doc)
    applied = kcr.apply_converged()
    assert "5 destroyed." in applied.output
    assert group_by_path(admin_api, realm, "/team") is None
    assert find_one(admin_api, realm, "clients", clientId="app") is None
    assert admin_api.get(f"{base}/users/{user_id}/role-mappings").get("clientMappings") in (None, {})
