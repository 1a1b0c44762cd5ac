"""What Keycloak 26.7 creates with every realm: references to these resolve without a declaration,
and the reconciler never prunes them or reports them as unmanaged.

Checked against a realm created on Keycloak 26.7.3 (its partial export): see
tests/integration/test_export_validates.py::test_builtins_match_a_new_realm.
"""

from __future__ import annotations

BUILTIN_CLIENTS = frozenset(
    {"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console"}
)

BUILTIN_CLIENT_ROLES: dict[str, frozenset[str]] = {
    "realm-management": frozenset(
        {
            "realm-admin",
            "create-client",
            "impersonation",
            "manage-authorization",
            "manage-clients",
            "manage-events",
            "manage-identity-providers",
            "manage-realm",
            "manage-users",
            "query-clients",
            "query-groups",
            "query-realms",
            "query-users",
            "view-authorization",
            "view-clients",
            "view-events",
            "view-identity-providers",
            "view-realm",
            "view-users",
            "manage-organizations",
            "view-organizations",
            "query-organizations",
        }
    ),
    "account": frozenset(
        {
            "manage-account",
            "manage-account-links",
            "view-profile",
            "view-applications",
            "view-consent",
            "manage-consent",
            "view-groups",
            "delete-account",
        }
    ),
    "broker": frozenset({"read-token"}),
}

# 26.7 added the SAML scope "AuthnContextClassRef" to the defaults.
BUILTIN_CLIENT_SCOPES = frozenset(
    {
        "acr",
        "address",
        "basic",
        "email",
        "microprofile-jwt",
        "offline_access",
        "organization",
        "phone",
        "profile",
        "role_list",
        "roles",
        "saml_organization",
        "service_account",
        "web-origins",
        "AuthnContextClassRef",
    }
)

# The SAML ones among them; the others are openid-connect. Keycloak silently ignores a link between a
# client and a scope of another protocol.
SAML_BUILTIN_CLIENT_SCOPES = frozenset({"role_list", "saml_organization", "AuthnContextClassRef"})
OIDC = "openid-connect"


def builtin_scope_protocol(name: str) -> str:
    return "saml" if name in SAML_BUILTIN_CLIENT_SCOPES else OIDC


# Keycloak refuses every write to this client and its roles (HTTP 403, even for the master admin).
REALM_MANAGEMENT = "realm-management"
# The client as Keycloak creates it (and as an export writes it): declaring these values is no change.
REALM_MANAGEMENT_AS_CREATED: dict[str, object] = {
    "clientId": REALM_MANAGEMENT,
    "name": "${client_realm-management}",
    "surrogateAuthRequired": False,
    "enabled": True,
    "alwaysDisplayInConsole": False,
    "clientAuthenticatorType": "client-secret",
    "redirectUris": [],
    "webOrigins": [],
    "bearerOnly": True,
    "consentRequired": False,
    "standardFlowEnabled": True,
    "implicitFlowEnabled": False,
    "directAccessGrantsEnabled": False,
    "serviceAccountsEnabled": False,
    "publicClient": False,
    "frontchannelLogout": False,
    "protocol": "openid-connect",
    "attributes": {"realm_client": "true"},
    "fullScopeAllowed": False,
    "nodeReRegistrationTimeout": 0,
    "defaultClientScopes": ["web-origins", "acr", "profile", "roles", "basic", "email"],
    "optionalClientScopes": ["address", "phone", "organization", "offline_access", "microprofile-jwt"],
}

BUILTIN_REALM_ROLES = frozenset({"offline_access", "uma_authorization"})
# The master realm also has these, and one "<realm>-realm" client per realm.
MASTER_BUILTIN_REALM_ROLES = frozenset({"admin", "create-realm"})


def default_role(realm: str) -> str:
    # Keycloak lower-cases the realm name in its default role.
    return f"default-roles-{realm.lower()}"


def builtin_realm_roles(realm: str) -> frozenset[str]:
    master = MASTER_BUILTIN_REALM_ROLES if realm == "master" else frozenset()
    return BUILTIN_REALM_ROLES | master | {default_role(realm)}


# The realm's flow bindings and the built-in flow each names in a new realm (the same on 26.0 ... 26.7).
REALM_FLOW_BINDINGS: dict[str, str] = {
    "browserFlow": "browser",
    "registrationFlow": "registration",
    "directGrantFlow": "direct grant",
    "resetCredentialsFlow": "reset credentials",
    "clientAuthenticationFlow": "clients",
    "dockerAuthenticationFlow": "docker auth",
    "firstBrokerLoginFlow": "first broker login",
}
# Top-level built-in flows a binding may name without declaring them. Their executions differ between
# versions: kcr compares those with the live server, never with a list of its own.
BUILTIN_FLOWS = frozenset(REALM_FLOW_BINDINGS.values())

# The client role Keycloak gives every client with authorization services.
UMA_PROTECTION = "uma_protection"
