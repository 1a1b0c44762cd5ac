"""Identity brokering declared with kcr, proven by real logins: a second realm on the same Keycloak is the
upstream OIDC provider; kcr declares the identity provider (with its write-only secret), a mapper that
turns a claim into a realm role, and the organization the provider is linked to. A user's login through
the broker then gets the role and becomes a MANAGED member, and removing that member deletes the
account, as the plan says. A mapper type the server lacks (Keycloak stores it, then the login fails
with HTTP 500) is refused at plan time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.broker import Broker
from reconciler.testing.oidc import LoginError, unverified_claims
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

PASSWORD = "Upstream-Passw0rd"
ALIAS = "corporate"


@pytest.fixture
def broker(admin_api: AdminClient, keycloak: KeycloakServer, fresh_realm: str) -> Iterator[Broker]:
    """The upstream realm, and the broker realm without the provider (kcr declares it)."""
    admin_api.post("", {"realm": fresh_realm, "enabled": True, "organizationsEnabled": True})
    made = Broker.create(admin_api, keycloak.url, fresh_realm, alias=ALIAS)
    yield made
    made.delete(admin_api)


def _declared_provider(api: AdminClient, broker: Broker) -> dict[str, Any]:
    """The provider as Broker made it, with the upstream client's secret; then removed from Keycloak."""
    path = f"/{seg(broker.realm)}/identity-provider/instances/{ALIAS}"
    made = api.get(path)
    api.delete(path)
    (client,) = api.get(f"/{seg(broker.upstream_realm)}/clients", {"clientId": broker.upstream_client_id})
    config = {**made["config"], "clientSecret": client["secret"], "kc.org.domain": "acme.test"}
    return {"alias": ALIAS, "providerId": "oidc", "trustEmail": True, "config": config}


def test_brokered_login_through_what_kcr_declared(kcr: Kcr, admin_api: AdminClient, broker: Broker) -> None:
    realm = broker.realm
    doc: dict[str, Any] = {
        "realm": realm,
        "organizationsEnabled": True,
        "roles": {"realm": [{"name": "partner"}]},
        "identityProviders": [_declared_provider(admin_api, broker)],
        "identityProviderMappers": [
            {
                "name": "partner-by-email",
                "identityProviderAlias": ALIAS,
                "identityProviderMapper": "oidc-role-idp-mapper",
                "config": {
                    "claim": "email",
                    "claim.value": "bob@acme.test",
                    "role": "partner",
                    "syncMode": "INHERIT",
                },
            }
        ],
        "organizations": [
            {"name": "Acme", "alias": "acme", "domains": ["acme.test"], "identityProviders": [ALIAS]}
        ],
    }
    kcr.write(doc)
    applied = kcr.apply_converged()
    assert doc["identityProviders"][0]["config"]["clientSecret"] not in applied.output
    broker.add_upstream_user(admin_api, "bob", PASSWORD, email="bob@acme.test")
    broker.add_upstream_user(admin_api, "carol", PASSWORD, email="carol@acme.test")

    # The login works only with the secret kcr wrote; the mapper gives bob the role, not carol.
    for username in ("bob", "carol"):
        claims = unverified_claims(broker.login(username, PASSWORD)["access_token"])
        assert claims["preferred_username"] == username
    users = {u["username"]: u["id"] for u in admin_api.get(f"/{seg(realm)}/users")}
    roles = {
        name: {r["name"] for r in admin_api.get(f"/{seg(realm)}/users/{users[name]}/role-mappings/realm")}
        for name in ("bob", "carol")
    }
    assert "partner" in roles["bob"]
    assert "partner" not in roles["carol"]

    # The organization-linked provider made both MANAGED members.
    (org,) = admin_api.get(f"/{seg(realm)}/organizations", {"search": "Acme"})
    members = admin_api.get(f"/{seg(realm)}/organizations/{org['id']}/members")
    assert {m["username"]: m["membershipType"] for m in members} == {"bob": "MANAGED", "carol": "MANAGED"}

    # Declaring the members without carol deletes carol's account, and the plan says so.
    doc["users"] = [{"username": "bob"}]  # the account the login made, declared as it is
    doc["organizations"][0]["members"] = ["bob"]
    kcr.write(doc)
    changes = {(c.kind, c.action): c for c in kcr.plan_only().plan.changes}
    assert set(changes) == {("organization", Action.UPDATE), ("user", Action.DELETE)}
    update, account = changes["organization", Action.UPDATE], changes["user", Action.DELETE]
    assert update.reason == "removing managed member carol deletes the user account"
    # The account Keycloak deletes with the removal is a delete of its own, counted once.
    assert account.address == f"{realm}/user/carol"
    assert account.deleted_by == update.address
    assert sum(c.destroys for c in changes.values()) == 1
    kcr.apply_converged()
    assert [u["username"] for u in admin_api.get(f"/{seg(realm)}/users")] == ["bob"]


def test_a_mapper_type_the_server_lacks_is_refused_at_plan_time(
    kcr: Kcr, admin_api: AdminClient, broker: Broker
) -> None:
    realm = broker.realm
    mappers = f"/{seg(realm)}/identity-provider/instances/{ALIAS}/mappers"
    broker.add_upstream_user(admin_api, "bob", PASSWORD)
    typo = {
        "name": "partner",
        "identityProviderAlias": ALIAS,
        "identityProviderMapper": "oidc-role-idp-maper",
    }

    # Keycloak's side: it stores a mapper of a type it does not have, and the login then fails (500).
    admin_api.post(mappers, {**typo, "config": {"syncMode": "INHERIT"}})
    with pytest.raises(LoginError) as failed:
        broker.login("bob", PASSWORD)
    assert re.search(r"HTTP 50[02] ", str(failed.value))  # 502 up to 26.6.4, 500 on 26.7.3
    (stored,) = admin_api.get(mappers)
    admin_api.delete(f"{mappers}/{seg(stored['id'])}")

    # kcr's side: refused at plan time, at its line, before any write (the provider is not made).
    doc: dict[str, Any] = {
        "realm": realm,
        "identityProviders": [_declared_provider(admin_api, broker)],
        "identityProviderMappers": [{**typo, "config": {"syncMode": "INHERIT"}}],
    }
    path = kcr.write(doc)
    line = path.read_text(encoding="utf-8").splitlines().index("identityProviderMappers:") + 2
    for result in (kcr.plan(), kcr.apply()):
        assert result.exit_code == 1, result.output
        assert (
            f"{path}:{line}:3: identityProviderMappers[{ALIAS}/partner].identityProviderMapper: identity "
            "provider mapper type 'oidc-role-idp-maper' does not exist on this Keycloak"
        ) in result.output
        assert "did you mean 'oidc-role-idp-mapper'?" in result.output
        assert "Traceback" not in result.output
    assert admin_api.get(f"/{seg(realm)}/identity-provider/instances") == []

    # A type the server has: applied, and the login through the provider works.
    doc["identityProviderMappers"][0]["identityProviderMapper"] = "oidc-role-idp-mapper"
    doc["identityProviderMappers"][0]["config"] = {
        "claim": "email",
        "claim.value": "x",
        "role": "offline_access",
    }
    doc["identityProviderMappers"][0]["config"]["syncMode"] = "INHERIT"
    kcr.write(doc)
    kcr.apply_converged()
    assert unverified_claims(broker.login("bob", PASSWORD)["access_token"])["preferred_username"] == "bob"
