"""The shipped desired-state, applied to a real Keycloak, enables the token flows it promises.

Order matters inside this module only for the shared realm: every test leaves it as the example
declares it (the onboarding test deletes the user it creates), so the idempotence test can run last.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import Result
from joserfc.errors import InvalidClaimError

from reconciler.apply import apply_plan
from reconciler.desired import load
from reconciler.engine import make_plan
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.broker import Broker
from reconciler.testing.browser import Page
from reconciler.testing.oidc import Realm, TokenError, audiences, unverified_claims, verify_access_token
from reconciler.testing.server import KeycloakServer
from tests.e2e.conftest import (
    CORPORATE_REALM,
    EXAMPLE_ENV,
    FRONTEND_REDIRECT,
    LOGIN_CLIENT,
    NO_EXCHANGE_CLIENT,
    NO_EXCHANGE_SECRET,
    REALM,
    SHIPPED,
    kcr,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.xdist_group("e2e-shipped-realms"),
    pytest.mark.usefixtures("shipped", "test_clients"),
]

ENTERPRISE_CLIENT = "enterprise-client"
ENTERPRISE_SECRET = EXAMPLE_ENV["ENTERPRISE_CLIENT_SECRET"]
DEMO_USER = "acme-demo"
DEMO_PASSWORD = EXAMPLE_ENV["DEMO_USER_PASSWORD"]
DEFAULT_ROLE = "default-roles-enterprise"
ACCESS_TOKEN_LIFESPAN = 600  # desired-state/enterprise/realm.yaml
CONTOSO_IDP = "contoso-corporate"  # desired-state/enterprise/identity-providers.yaml
CONTOSO_EMPLOYEE = "erin"  # scripts/corporate-idp/contoso.yaml; the broker keeps the upstream username
CONTOSO_EMAIL = "erin@contoso.example.com"


def login_demo_user(realm: Realm) -> dict[str, Any]:
    return realm.password_grant(LOGIN_CLIENT, DEMO_USER, DEMO_PASSWORD)


def test_validate_accepts_the_shipped_example(e2e_env: dict[str, str]) -> None:
    result = kcr("validate", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert "2 realm(s)" in result.output


def test_apply_created_both_realms(shipped: Result, admin_api: AdminClient) -> None:
    assert "Apply complete" in shipped.output
    enterprise = admin_api.get(f"/{seg(REALM)}")
    assert enterprise["organizationsEnabled"] is True
    assert enterprise["revokeRefreshToken"] is True
    assert enterprise["accessTokenLifespan"] == ACCESS_TOKEN_LIFESPAN
    assert enterprise["adminEventsEnabled"] is True
    assert admin_api.get("/enterprise-dev")["accessTokenLifespan"] == 900


def test_member_token_carries_exactly_the_roles_of_its_organization_group(realm: Realm) -> None:
    # acme-demo is in /acme, which maps the realm role `user`; default-roles-enterprise is held by
    # every user and the example empties its composites, so nothing else appears.
    claims = verify_access_token(realm, login_demo_user(realm)["access_token"], ENTERPRISE_CLIENT)
    assert sorted(claims["role"]) == sorted(["user", DEFAULT_ROLE])


def test_admin_token_carries_the_composite_roles_of_the_admins_subgroup(
    realm: Realm,
    admin_api: AdminClient,
) -> None:
    # acme-admin's declared password is temporary: the scripted login is refused until it is changed.
    with pytest.raises(TokenError) as refused:
        realm.password_grant(LOGIN_CLIENT, "acme-admin", EXAMPLE_ENV["ACME_ADMIN_PASSWORD"])
    assert refused.value.description == "Account is not fully set up"
    # Reset it (as the user would at first login) to see what a tenant admin's token says.
    user = admin_api.get(f"/{seg(REALM)}/users", {"username": "acme-admin", "exact": "true"})[0]
    admin_api.put(
        f"/{seg(REALM)}/users/{user['id']}/reset-password",
        {"type": "password", "value": "Acme-admin-new-2", "temporary": False},
    )
    admin_api.put(f"/{seg(REALM)}/users/{user['id']}", {"requiredActions": []})
    claims = unverified_claims(
        realm.password_grant(LOGIN_CLIENT, "acme-admin", "Acme-admin-new-2")["access_token"]
    )
    # /acme/admins maps `admin` (composite of manager, itself of user) and inherits `user` from /acme.
    assert sorted(claims["role"]) == sorted(["admin", "manager", "user", DEFAULT_ROLE])


def _reports_permissions(realm: Realm, token: str, permission: str | None = None) -> dict[str, list[str]]:
    granted = realm.uma_permissions(token, "reports-api", permission)
    return {str(p["rsname"]): sorted(p.get("scopes") or []) for p in granted}


def test_reports_api_grants_export_only_to_managers_of_the_same_tenant(
    realm: Realm, admin_api: AdminClient
) -> None:
    # A member of acme may view acme's reports, nothing else; asking for export is refused.
    member = login_demo_user(realm)["access_token"]
    assert _reports_permissions(realm, member) == {"acme reports": ["view"]}
    with pytest.raises(TokenError) as refused:
        _reports_permissions(realm, member, "acme reports#export")
    assert (refused.value.status, refused.value.error) == (403, "access_denied")
    # A manager of globex may view and export globex's reports, and nothing of acme's.
    user = admin_api.get(f"/{seg(REALM)}/users", {"username": "globex-manager", "exact": "true"})[0]
    admin_api.put(
        f"/{seg(REALM)}/users/{user['id']}/reset-password",
        {"type": "password", "value": "Globex-manager-new-2", "temporary": False},
    )
    admin_api.put(f"/{seg(REALM)}/users/{user['id']}", {"requiredActions": []})
    manager = realm.password_grant(LOGIN_CLIENT, "globex-manager", "Globex-manager-new-2")["access_token"]
    assert _reports_permissions(realm, manager) == {"globex reports": ["export", "view"]}
    with pytest.raises(TokenError) as other_tenant:
        _reports_permissions(realm, manager, "acme reports#export")
    assert (other_tenant.value.status, other_tenant.value.error) == (403, "access_denied")


def test_identity_service_exchanges_a_user_token_for_exactly_one_backend(realm: Realm) -> None:
    subject = login_demo_user(realm)["access_token"]
    original = unverified_claims(subject)
    assert ENTERPRISE_CLIENT in audiences(original)

    exchanged = realm.exchange(
        ENTERPRISE_CLIENT, ENTERPRISE_SECRET, subject, audience="orders-api", scope="orders-api-audience"
    )
    claims = verify_access_token(realm, exchanged["access_token"], "orders-api")
    assert audiences(claims) == ["orders-api"]
    assert claims["sub"] == original["sub"]
    assert claims["azp"] == ENTERPRISE_CLIENT
    assert sorted(claims["role"]) == sorted(["user", DEFAULT_ROLE])
    assert claims["resource_access"] == {"orders-api": {"roles": ["orders:read"]}}
    assert "refresh_token" not in exchanged
    # Keycloak gives the exchanged token a fresh lifespan from the exchange, never a longer one.
    assert claims["exp"] - claims["iat"] <= ACCESS_TOKEN_LIFESPAN
    assert claims["exp"] <= original["exp"] + (claims["iat"] - original["iat"])
    # A backend that is not the audience rejects it.
    with pytest.raises(InvalidClaimError):
        verify_access_token(realm, exchanged["access_token"], "reports-api")


def test_exchange_needs_the_backend_scope_and_the_permission(realm: Realm) -> None:
    subject = login_demo_user(realm)["access_token"]
    # The `audience` parameter only narrows what enterprise-client's scopes provide.
    with pytest.raises(TokenError) as no_scope:
        realm.exchange(ENTERPRISE_CLIENT, ENTERPRISE_SECRET, subject, audience="orders-api")
    assert no_scope.value.description == "Requested audience not available: orders-api"
    with pytest.raises(TokenError) as wrong_scope:
        realm.exchange(
            ENTERPRISE_CLIENT, ENTERPRISE_SECRET, subject, audience="reports-api", scope="orders-api-audience"
        )
    assert wrong_scope.value.description == "Requested audience not available: reports-api"
    # A confidential client without standard.token.exchange.enabled is refused.
    with pytest.raises(TokenError) as not_allowed:
        realm.exchange(NO_EXCHANGE_CLIENT, NO_EXCHANGE_SECRET, subject, audience="orders-api")
    assert not_allowed.value.description == "Standard token exchange is not enabled for the requested client"


def test_code_flow_refresh_rotation_and_exchange_of_the_identity_services_own_token(realm: Realm) -> None:
    tokens = realm.authorization_code_login(
        ENTERPRISE_CLIENT, ENTERPRISE_SECRET, FRONTEND_REDIRECT, DEMO_USER, DEMO_PASSWORD
    )
    own = verify_access_token(realm, tokens["access_token"], None)
    # Without Keycloak's `roles` scope, the identity service's own token is good for no backend.
    assert own["azp"] == ENTERPRISE_CLIENT
    assert audiences(own) == []
    assert sorted(own["role"]) == sorted(["user", DEFAULT_ROLE])

    # A token issued to enterprise-client itself (azp) may be exchanged; `organization` adds the tenant.
    exchanged = realm.exchange(
        ENTERPRISE_CLIENT,
        ENTERPRISE_SECRET,
        tokens["access_token"],
        audience="reports-api",
        scope="reports-api-audience organization",
    )
    claims = verify_access_token(realm, exchanged["access_token"], "reports-api")
    assert audiences(claims) == ["reports-api"]
    assert claims["organization"] == ["acme"]

    first = realm.refresh(ENTERPRISE_CLIENT, ENTERPRISE_SECRET, tokens["refresh_token"])
    assert first["refresh_token"] != tokens["refresh_token"]
    refreshed = verify_access_token(realm, first["access_token"], None)
    assert refreshed["sub"] == own["sub"]
    second = realm.refresh(ENTERPRISE_CLIENT, ENTERPRISE_SECRET, first["refresh_token"])
    # Rotation: the refresh token used by the first refresh is dead ...
    with pytest.raises(TokenError) as replay:
        realm.refresh(ENTERPRISE_CLIENT, ENTERPRISE_SECRET, first["refresh_token"])
    assert replay.value.error == "invalid_grant"
    assert replay.value.description == "Maximum allowed refresh token reuse exceeded"
    # ... and the replay ended the client's session: the newest refresh token is dead too.
    with pytest.raises(TokenError) as after_replay:
        realm.refresh(ENTERPRISE_CLIENT, ENTERPRISE_SECRET, second["refresh_token"])
    assert after_replay.value.error == "invalid_grant"


def test_onboarding_service_account_creates_a_member_but_cannot_change_the_realm(
    realm: Realm, keycloak: KeycloakServer, admin_api: AdminClient
) -> None:
    token = realm.client_credentials("onboarding-service", EXAMPLE_ENV["ONBOARDING_CLIENT_SECRET"])
    verify_access_token(realm, token["access_token"], None)
    base = f"{keycloak.url.rstrip('/')}/admin/realms/{REALM}"
    username = f"onboarded-{int(time.time())}"
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=30
    ) as onboarding:
        created = onboarding.post(
            "/users",
            json={
                "username": username,
                "email": f"{username}@acme.example.com",
                "firstName": "New",
                "lastName": "Member",
                "enabled": True,
                "credentials": [{"type": "password", "value": "Onboarded-pw-1", "temporary": True}],
            },
        )
        assert created.status_code == 201, created.text
        user_id = created.headers["location"].rsplit("/", 1)[-1]
        try:
            group = onboarding.get("/group-by-path/acme")
            assert group.status_code == 200
            joined = onboarding.put(f"/users/{user_id}/groups/{group.json()['id']}")
            assert joined.status_code == 204
            members = admin_api.get(f"/{seg(REALM)}/groups/{group.json()['id']}/members")
            assert username in {m["username"] for m in members}
            # Least privilege: no realm settings, no organization membership, no admin roles.
            assert onboarding.put("", json={"accessTokenLifespan": 3600}).status_code == 403
            orgs = admin_api.get(f"/{seg(REALM)}/organizations", {"search": "acme"})
            acme = next(o for o in orgs if o["alias"] == "acme")
            assert onboarding.post(f"/organizations/{acme['id']}/members", json=user_id).status_code == 403
            assert admin_api.get(f"/{seg(REALM)}")["accessTokenLifespan"] == 600
            management = admin_api.get(f"/{seg(REALM)}/clients", {"clientId": "realm-management"})[0]
            realm_admin = admin_api.get(f"/{seg(REALM)}/clients/{management['id']}/roles/realm-admin")
            granted = onboarding.post(
                f"/users/{user_id}/role-mappings/clients/{management['id']}",
                json=[{"id": realm_admin["id"], "name": "realm-admin"}],
            )
            assert granted.status_code == 403
        finally:
            admin_api.delete(f"/{seg(REALM)}/users/{user_id}")


def test_user_profile_keeps_the_declared_tenant_attributes_and_refuses_others(
    admin_api: AdminClient, workdir: Path, e2e_env: dict[str, str]
) -> None:
    (demo,) = admin_api.get(f"/{seg(REALM)}/users", {"username": DEMO_USER, "exact": "true"})
    assert demo["attributes"] == {"tenant": ["acme"], "department": ["Sales"]}
    # kcr refuses an attribute the profile does not declare, before any write ...
    users = workdir / "enterprise" / "users.yaml"
    users.write_text(
        users.read_text(encoding="utf-8").replace("      department: Sales\n", "      costCenter: '42'\n"),
        encoding="utf-8",
    )
    refused = kcr("validate", str(workdir))
    assert refused.exit_code == 1, refused.output
    assert "attribute 'costCenter' is not in the declared userProfile" in refused.output
    # ... and Keycloak, which the profile governs, drops one written behind kcr's back.
    path = f"/{seg(REALM)}/users/{demo['id']}"
    admin_api.put(path, {**demo, "attributes": {**demo["attributes"], "costCenter": ["42"]}})
    assert admin_api.get(path)["attributes"] == {"tenant": ["acme"], "department": ["Sales"]}


@pytest.mark.usefixtures("corporate_idp")
def test_a_contoso_employee_logs_in_through_the_corporate_idp_as_a_managed_member(
    keycloak: KeycloakServer, admin_api: AdminClient
) -> None:
    """The email typed on the enterprise login page sends the browser to Contoso's IdP (the
    organization link); the first login accepts the terms of use (the required action), and makes a
    managed member of Contoso with the attributes and the group its mappers give."""
    broker = Broker(keycloak.url.rstrip("/"), REALM, CONTOSO_IDP, CORPORATE_REALM, "enterprise-broker")
    pages: list[Page] = []
    tokens = broker.login(CONTOSO_EMAIL, EXAMPLE_ENV["CONTOSO_EMPLOYEE_PASSWORD"], hint=False, pages=pages)
    # Identity-first: the enterprise page asks for the email only, then the upstream page takes over.
    email_form = pages[0].form
    assert email_form is not None
    assert "password" not in email_form.fields
    assert f"/realms/{CORPORATE_REALM}/" in pages[1].url
    assert [p.required_action for p in pages if p.required_action] == ["TERMS_AND_CONDITIONS"]
    claims = unverified_claims(tokens["access_token"])
    assert claims["preferred_username"] == CONTOSO_EMPLOYEE

    (user,) = admin_api.get(f"/{seg(REALM)}/users", {"username": CONTOSO_EMPLOYEE, "exact": "true"})
    assert user["attributes"]["tenant"] == ["contoso"]
    assert user["attributes"]["department"] == ["Research"]  # the upstream claim, by the mapper
    # The group mapper put the account into /contoso, which gives it the tenant's roles.
    assert [g["path"] for g in admin_api.get(f"/{seg(REALM)}/users/{user['id']}/groups")] == ["/contoso"]
    effective = admin_api.get(f"/{seg(REALM)}/users/{user['id']}/role-mappings/realm/composite")
    assert "user" in {r["name"] for r in effective}
    orgs = admin_api.get(f"/{seg(REALM)}/organizations", {"search": "contoso"})
    contoso = next(o for o in orgs if o["alias"] == "contoso")
    members = admin_api.get(f"/{seg(REALM)}/organizations/{contoso['id']}/members")
    assert {m["username"]: m["membershipType"] for m in members} == {CONTOSO_EMPLOYEE: "MANAGED"}
    # The account stays: Contoso declares no members, so the next plan leaves it alone (below).


def test_second_apply_changes_nothing(keycloak: KeycloakServer, e2e_env: dict[str, str]) -> None:
    plan = kcr("plan", str(SHIPPED), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    state = load([str(SHIPPED)])
    with AdminClient(keycloak.settings()) as api:
        the_plan, lives = make_plan(api, state)
        assert the_plan.changes == []
        apply_plan(api, the_plan, state, lives)
        writes = {m: n for m, n in api.requests.items() if m not in ("GET", "EXPORT", "TOKEN")}
    assert writes == {}
    again = kcr("apply", str(SHIPPED), "--auto-approve")
    assert again.exit_code == 0, again.output
    assert "Nothing to apply." in again.output
