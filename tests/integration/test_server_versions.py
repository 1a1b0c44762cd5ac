"""Each row of the version-facts table (reconciler/versions.py) against the server the tests run on:
on a version that has the fact, kcr converges; on one that lacks it, `kcr plan` stops with an error
naming the version needed, before any write. `make test-matrix` runs this on every supported version,
so each row is shown on both sides (26.0.8 lacks every row but organizations; 26.7.3 has all)."""

from __future__ import annotations

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.server import KeycloakServer
from reconciler.versions import (
    ADMIN_PERMISSIONS,
    AUTHN_CONTEXT_CLASS_REF_SCOPE,
    GROUP_DESCRIPTION,
    ORGANIZATION_ADMIN_ROLES,
    ORGANIZATION_DOMAIN_ANY,
    REALM_FIELDS,
    SERVICE_ACCOUNT_SCOPE,
    STANDARD_TOKEN_EXCHANGE,
    Fact,
    ServerInfo,
    has,
)
from tests.integration.conftest import Doc, Kcr, find_one

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(admin_api: AdminClient) -> ServerInfo:
    return admin_api.server_info()


def _either_side(kcr: Kcr, server: ServerInfo, fact: Fact, realm: str, doc: Doc) -> bool:
    """Plan and apply ``doc``: converges when the server has ``fact``; else the plan names the version
    needed and nothing is written. Whether the server had it."""
    kcr.write(doc)
    if has(server, fact):
        kcr.apply_converged()
        return True
    planned = kcr.plan()
    assert planned.exit_code == 1, planned.output
    assert (
        f"needs Keycloak {fact.since.line} or newer; the server runs {server.version_text}" in planned.output
    )
    assert "realm.yaml:" in planned.output  # at the place it is written
    applied = kcr.apply()
    assert applied.exit_code == 1, applied.output
    with pytest.raises(NotFound):
        AdminClient(kcr.server.settings()).get(f"/{seg(realm)}")  # not even the realm was created
    return False


def test_standard_token_exchange(
    kcr: Kcr, server: ServerInfo, fresh_realm: str, admin_api: AdminClient
) -> None:
    client = {"clientId": "exchanger", "attributes": {"standard.token.exchange.enabled": "true"}}
    if _either_side(
        kcr, server, STANDARD_TOKEN_EXCHANGE, fresh_realm, {"realm": fresh_realm, "clients": [client]}
    ):
        live = find_one(admin_api, fresh_realm, "clients", clientId="exchanger")
        assert live is not None
        assert live["attributes"]["standard.token.exchange.enabled"] == "true"


def test_organization_admin_roles(kcr: Kcr, server: ServerInfo, fresh_realm: str) -> None:
    user = {"username": "org-admin", "clientRoles": {"realm-management": ["view-organizations"]}}
    _either_side(kcr, server, ORGANIZATION_ADMIN_ROLES, fresh_realm, {"realm": fresh_realm, "users": [user]})


def test_authn_context_class_ref_scope(kcr: Kcr, server: ServerInfo, fresh_realm: str) -> None:
    client = {
        "clientId": "urn:sp",
        "protocol": "saml",
        "defaultClientScopes": ["role_list"],
        "optionalClientScopes": ["AuthnContextClassRef"],
    }
    doc = {"realm": fresh_realm, "clients": [client]}
    _either_side(kcr, server, AUTHN_CONTEXT_CLASS_REF_SCOPE, fresh_realm, doc)


def test_group_description(kcr: Kcr, server: ServerInfo, fresh_realm: str) -> None:
    groups = [{"name": "staff", "subGroups": [{"name": "leads", "description": "Team leads"}]}]
    _either_side(kcr, server, GROUP_DESCRIPTION, fresh_realm, {"realm": fresh_realm, "groups": groups})


def test_organization_domain_any(
    kcr: Kcr, server: ServerInfo, fresh_realm: str, admin_api: AdminClient
) -> None:
    upstream = "http://127.0.0.1:9/upstream"
    provider = {
        "alias": "corporate",
        "providerId": "oidc",
        "config": {
            "clientId": "kc",
            "authorizationUrl": f"{upstream}/auth",
            "tokenUrl": f"{upstream}/token",
            "kc.org.domain": "ANY",
        },
    }
    organization = {"name": "Acme", "domains": [{"name": "acme.test"}], "identityProviders": ["corporate"]}
    doc = {
        "realm": fresh_realm,
        "organizationsEnabled": True,
        "identityProviders": [provider],
        "organizations": [organization],
    }
    if _either_side(kcr, server, ORGANIZATION_DOMAIN_ANY, fresh_realm, doc):
        live = admin_api.get(f"/{seg(fresh_realm)}/identity-provider/instances/corporate")
        assert live["config"]["kc.org.domain"] == "ANY"
        assert live["organizationId"]


def test_admin_permissions(kcr: Kcr, server: ServerInfo, fresh_realm: str) -> None:
    policy = {"name": "nobody", "type": "user", "config": {"users": ["tenant-admin"]}}
    doc = {
        "realm": fresh_realm,
        "adminPermissionsEnabled": True,
        "users": [{"username": "tenant-admin"}],
        "clients": [{"clientId": "admin-permissions", "authorizationSettings": {"policies": [policy]}}],
    }
    _either_side(kcr, server, ADMIN_PERMISSIONS, fresh_realm, doc)


# A value each field accepts on every version that has it (no feature flag needed).
REALM_FIELD_VALUES = {
    "adminPermissionsEnabled": False,
    "verifiableCredentialsEnabled": False,
    "maxSecondaryAuthFailures": 3,
    "scimApiEnabled": False,
    "webAuthnPolicyResidentKey": "Preferred",
    "webAuthnPolicyPasswordlessResidentKey": "Preferred",
}


@pytest.mark.parametrize("name", sorted(REALM_FIELDS))
def test_realm_fields(kcr: Kcr, server: ServerInfo, fresh_realm: str, name: str) -> None:
    doc = {"realm": fresh_realm, name: REALM_FIELD_VALUES[name]}
    _either_side(kcr, server, REALM_FIELDS[name], fresh_realm, doc)


def test_a_service_account_client_converges_on_both_sides(
    kcr: Kcr, server: ServerInfo, fresh_realm: str, admin_api: AdminClient
) -> None:
    """Before 26.2 Keycloak puts three mappers on a service-account client itself; kcr leaves them be
    (they are Keycloak's, like the service_account scope link later), on create and on update."""
    config = {"claim.name": "tenant", "claim.value": "acme", "access.token.claim": "true"}
    mapper: Doc = {
        "name": "tenant",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-hardcoded-claim-mapper",
        "config": config,
    }
    client = {"clientId": "robot", "serviceAccountsEnabled": True, "protocolMappers": [mapper]}
    kcr.write({"realm": fresh_realm, "clients": [client]})
    kcr.apply_converged()
    config["claim.value"] = "globex"
    kcr.write({"realm": fresh_realm, "clients": [client]})
    kcr.apply_converged()
    live = find_one(admin_api, fresh_realm, "clients", clientId="robot")
    assert live is not None
    names = {m["name"] for m in live.get("protocolMappers") or []}
    if has(server, SERVICE_ACCOUNT_SCOPE):
        assert names == {"tenant"}
        assert "service_account" in live["defaultClientScopes"]
    else:
        assert names == {"tenant", "Client ID", "Client Host", "Client IP Address"}


def test_the_server_version_is_read_once_and_known(kcr: Kcr, keycloak: KeycloakServer) -> None:
    with AdminClient(keycloak.settings()) as api:
        first = api.server_info()
        assert api.server_info() is first
        assert api.requests["GET"] == 1
    assert first.version_text == keycloak.version
