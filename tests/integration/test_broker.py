"""The identity-brokering test helper (reconciler.testing.broker) against the real Keycloak: a login
through an identity provider linked to an organization makes the account a MANAGED member, the way a
real user's first login through their company's identity provider does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.broker import Broker
from reconciler.testing.oidc import LoginError, unverified_claims
from reconciler.testing.server import KeycloakServer

PASSWORD = "Upstream-Passw0rd"


@pytest.fixture
def broker(admin_api: AdminClient, keycloak: KeycloakServer, fresh_realm: str) -> Iterator[Broker]:
    admin_api.post("", {"realm": fresh_realm, "enabled": True, "organizationsEnabled": True})
    made = Broker.create(admin_api, keycloak.url, fresh_realm)
    yield made
    made.delete(admin_api)


def members(api: AdminClient, realm: str, org_id: str) -> dict[str, str]:
    found = api.get_paged(f"/{seg(realm)}/organizations/{org_id}/members", {}, page_size=100)
    return {m["username"]: m["membershipType"] for m in found}


def test_brokered_login_makes_a_managed_member(admin_api: AdminClient, broker: Broker) -> None:
    org_id = admin_api.create(
        f"/{seg(broker.realm)}/organizations",
        {"name": "Acme", "alias": "acme", "domains": [{"name": "acme.example.com"}]},
    )
    broker.link_organization(admin_api, org_id, "acme.example.com")
    broker.add_upstream_user(admin_api, "bob", PASSWORD, email="bob@acme.example.com")

    tokens = broker.login("bob", PASSWORD)

    assert unverified_claims(tokens["access_token"])["preferred_username"] == "bob"
    assert members(admin_api, broker.realm, org_id) == {"bob": "MANAGED"}
    # A second login finds the account it made (no first-broker-login again).
    broker.login("bob", PASSWORD)
    assert members(admin_api, broker.realm, org_id) == {"bob": "MANAGED"}


def test_brokered_login_without_an_organization_makes_a_plain_account(
    admin_api: AdminClient, broker: Broker
) -> None:
    broker.add_upstream_user(admin_api, "carol", PASSWORD)
    with pytest.raises(LoginError, match="carol"):
        broker.login("carol", "not-the-password")
    assert admin_api.get(f"/{seg(broker.realm)}/users", {"username": "carol", "exact": "true"}) == []

    broker.login("carol", PASSWORD)
    found = admin_api.get(f"/{seg(broker.realm)}/users", {"username": "carol", "exact": "true"})
    assert [u["username"] for u in found] == ["carol"]
    links = admin_api.get(f"/{seg(broker.realm)}/users/{found[0]['id']}/federated-identity")
    assert [link["identityProvider"] for link in links] == [broker.alias]
