"""What Keycloak 26.7 fills in by itself: values an export leaves out, as a new object gets them anyway.

``kcr export`` is read-only, so it cannot create a throw-away object to compare with. These tables
were measured once on Keycloak 26.7.3 (a realm created with ``POST /admin/realms {"realm", "enabled":
true}`` and objects created with the Admin API's minimal bodies, each read back with GET), and the
round-trip test (tests/integration/test_export.py) checks them: an export applied to an empty realm and
exported again gives the same files, which holds only if every value left out here is what Keycloak
fills in.

Measured facts worth knowing (they differ from the admin console's defaults and from older notes):

- ``POST /clients`` with only ``clientId`` makes a *confidential* client (``publicClient: false``)
  with ``directAccessGrantsEnabled: false``, ``frontchannelLogout: false`` (``true`` for SAML),
  ``standardFlowEnabled: true``, ``fullScopeAllowed: true``, ``nodeReRegistrationTimeout: -1`` and
  a generated ``secret`` (public clients have none). It adds the attributes ``realm_client`` and
  ``client.secret.creation.time`` (not for public clients) and no ``backchannel.logout.*`` attribute.
- A SAML client also gets generated signing keys (``saml.signing.certificate``,
  ``saml.signing.private.key``), an ``saml.artifact.binding.identifier`` derived from the clientId,
  and the SAML attribute defaults in ``SAML_CLIENT_ATTRIBUTES``.
- A new client is linked to the realm's default and optional client scopes *of its protocol*; a
  client with the service account enabled is linked to ``service_account`` as well.
- ``POST /users`` without ``enabled`` makes a *disabled* user; ``emailVerified`` defaults to false.
- ``POST /organizations`` derives ``alias`` from ``name`` (and refuses a name with spaces without an
  alias); ``enabled`` defaults to true; a domain's ``verified`` to false.
- A new realm's default client scopes are the SAML scopes ``role_list``, ``saml_organization``,
  ``AuthnContextClassRef`` and the OIDC scopes ``acr``, ``basic``, ``email``, ``profile``, ``roles``,
  ``web-origins``; its optional ones ``address``, ``microprofile-jwt``, ``offline_access``,
  ``organization``, ``phone``.
"""

from __future__ import annotations

from typing import Any

# Realm settings of a new realm (kcr creates realms with enabled: true).
REALM: dict[str, Any] = {
    "accessCodeLifespan": 60,
    "accessCodeLifespanLogin": 1800,
    "accessCodeLifespanUserAction": 300,
    "accessTokenLifespan": 300,
    "accessTokenLifespanForImplicitFlow": 900,
    "actionTokenGeneratedByAdminLifespan": 43200,
    "actionTokenGeneratedByUserLifespan": 300,
    "adminEventsDetailsEnabled": False,
    "adminEventsEnabled": False,
    "adminPermissionsEnabled": False,
    "bruteForceProtected": False,
    "bruteForceStrategy": "MULTIPLE",
    "clientOfflineSessionIdleTimeout": 0,
    "clientOfflineSessionMaxLifespan": 0,
    "clientSessionIdleTimeout": 0,
    "clientSessionMaxLifespan": 0,
    "defaultSignatureAlgorithm": "RS256",
    "duplicateEmailsAllowed": False,
    "editUsernameAllowed": False,
    "enabled": True,
    "enabledEventTypes": [],
    "eventsEnabled": False,
    "eventsListeners": ["jboss-logging"],
    "failureFactor": 30,
    "internationalizationEnabled": False,
    "loginWithEmailAllowed": True,
    "maxDeltaTimeSeconds": 43200,
    "maxFailureWaitSeconds": 900,
    "maxSecondaryAuthFailures": 0,
    "maxTemporaryLockouts": 0,
    "minimumQuickLoginWaitSeconds": 60,
    "oauth2DeviceCodeLifespan": 600,
    "oauth2DevicePollingInterval": 5,
    "offlineSessionIdleTimeout": 2592000,
    "offlineSessionMaxLifespan": 5184000,
    "offlineSessionMaxLifespanEnabled": False,
    "organizationsEnabled": False,
    "otpPolicyAlgorithm": "HmacSHA1",
    "otpPolicyCodeReusable": False,
    "otpPolicyDigits": 6,
    "otpPolicyInitialCounter": 0,
    "otpPolicyLookAheadWindow": 1,
    "otpPolicyPeriod": 30,
    "otpPolicyType": "totp",
    "permanentLockout": False,
    "quickLoginCheckMilliSeconds": 1000,
    "refreshTokenMaxReuse": 0,
    "registrationAllowed": False,
    "registrationEmailAsUsername": False,
    "rememberMe": False,
    "requiredCredentials": ["password"],
    "resetPasswordAllowed": False,
    "revokeRefreshToken": False,
    "scimApiEnabled": False,
    "sslRequired": "external",
    "ssoSessionIdleTimeout": 1800,
    "ssoSessionIdleTimeoutRememberMe": 0,
    "ssoSessionMaxLifespan": 36000,
    "ssoSessionMaxLifespanRememberMe": 0,
    "userManagedAccessAllowed": False,
    "verifiableCredentialsEnabled": False,
    "verifyEmail": False,
    "waitIncrementSeconds": 60,
    "webAuthnPolicyAcceptableAaguids": [],
    "webAuthnPolicyAttestationConveyancePreference": "not specified",
    "webAuthnPolicyAuthenticatorAttachment": "not specified",
    "webAuthnPolicyAvoidSameAuthenticatorRegister": False,
    "webAuthnPolicyCreateTimeout": 0,
    "webAuthnPolicyExtraOrigins": [],
    "webAuthnPolicyPasswordlessAcceptableAaguids": [],
    "webAuthnPolicyPasswordlessAttestationConveyancePreference": "not specified",
    "webAuthnPolicyPasswordlessAuthenticatorAttachment": "not specified",
    "webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister": False,
    "webAuthnPolicyPasswordlessCreateTimeout": 0,
    "webAuthnPolicyPasswordlessExtraOrigins": [],
    "webAuthnPolicyPasswordlessRequireResidentKey": "not specified",
    "webAuthnPolicyPasswordlessResidentKey": "required",
    "webAuthnPolicyPasswordlessRpEntityName": "keycloak",
    "webAuthnPolicyPasswordlessRpId": "",
    "webAuthnPolicyPasswordlessSignatureAlgorithms": ["ES256", "RS256"],
    "webAuthnPolicyPasswordlessUserVerificationRequirement": "required",
    "webAuthnPolicyRequireResidentKey": "not specified",
    "webAuthnPolicyResidentKey": "not specified",
    "webAuthnPolicyRpEntityName": "keycloak",
    "webAuthnPolicyRpId": "",
    "webAuthnPolicySignatureAlgorithms": ["ES256", "RS256"],
    "webAuthnPolicyUserVerificationRequirement": "not specified",
}
# String maps of a new realm: only keys whose value differs are exported.
REALM_ATTRIBUTES: dict[str, str] = {
    "cibaAuthRequestedUserHint": "login_hint",
    "cibaBackchannelTokenDeliveryMode": "poll",
    "cibaExpiresIn": "120",
    "cibaInterval": "5",
    "oauth2DeviceCodeLifespan": "600",
    "oauth2DevicePollingInterval": "5",
    "parRequestUriLifespan": "60",
    "realmReusableOtpCode": "false",
}
REALM_BROWSER_SECURITY_HEADERS: dict[str, str] = {
    "contentSecurityPolicy": "frame-src 'self'; frame-ancestors 'self'; object-src 'none';",
    "contentSecurityPolicyReportOnly": "",
    "referrerPolicy": "no-referrer",
    "strictTransportSecurity": "max-age=31536000; includeSubDomains",
    "xContentTypeOptions": "nosniff",
    "xFrameOptions": "SAMEORIGIN",
    "xRobotsTag": "none",
}

DEFAULT_DEFAULT_CLIENT_SCOPES = frozenset(
    {
        "role_list",
        "saml_organization",
        "AuthnContextClassRef",
        "acr",
        "basic",
        "email",
        "profile",
        "roles",
        "web-origins",
    }
)
DEFAULT_OPTIONAL_CLIENT_SCOPES = frozenset(
    {"address", "microprofile-jwt", "offline_access", "organization", "phone"}
)

# Client fields that POST /clients fills in (any protocol); SAML overrides frontchannelLogout.
CLIENT: dict[str, Any] = {
    "alwaysDisplayInConsole": False,
    "authorizationServicesEnabled": False,
    "bearerOnly": False,
    "clientAuthenticatorType": "client-secret",
    "consentRequired": False,
    "directAccessGrantsEnabled": False,
    "enabled": True,
    "frontchannelLogout": False,
    "fullScopeAllowed": True,
    "implicitFlowEnabled": False,
    "nodeReRegistrationTimeout": -1,
    "protocol": "openid-connect",
    "publicClient": False,
    "serviceAccountsEnabled": False,
    "standardFlowEnabled": True,
    "surrogateAuthRequired": False,
}
SAML_CLIENT: dict[str, Any] = {**CLIENT, "frontchannelLogout": True}
SAML_CLIENT_ATTRIBUTES: dict[str, str] = {
    "saml.allow.ecp.flow": "false",
    "saml.authnstatement": "true",
    "saml.client.signature": "true",
    "saml.force.post.binding": "true",
    "saml.server.signature": "true",
    "saml.signature.algorithm": "RSA_SHA256",
    "saml_force_name_id_format": "false",
    "saml_name_id_format": "username",
    "saml_signature_canonicalization_method": "http://www.w3.org/2001/10/xml-exc-c14n#",
}
# Client attributes whose value is what Keycloak does when the attribute is absent (the admin console
# writes them on every client it creates; the Admin API does not): left out as noise.
CLIENT_ATTRIBUTES: dict[str, str] = {
    "acr.loa.map": "{}",
    "backchannel.logout.revoke.offline.tokens": "false",
    "backchannel.logout.session.required": "true",
    "client_credentials.use_refresh_token": "false",
    "display.on.consent.screen": "true",
    "exclude.issuer.from.auth.response": "false",
    "exclude.session.state.from.auth.response": "false",
    "oauth2.device.authorization.grant.enabled": "false",
    "oidc.ciba.grant.enabled": "false",
    "require.pushed.authorization.requests": "false",
    "standard.token.exchange.enabled": "false",
    "tls.client.certificate.bound.access.tokens": "false",
    "token.response.type.bearer.lower-case": "false",
    "use.refresh.tokens": "true",
}
# Client attributes that Keycloak computes or generates: never exported (secrets among them).
CLIENT_COMPUTED_ATTRIBUTES = frozenset(
    {
        "realm_client",
        "client.secret.creation.time",
        "client.secret.rotated",
        "client.secret.rotated.creation.time",
        "client.secret.rotated.expiration.time",
        "saml.artifact.binding.identifier",
        "saml.signing.certificate",
        "saml.signing.private.key",
        "saml.encryption.certificate",
        "saml.encryption.private.key",
    }
)

# The composites of a new realm's default role (``default-roles-<realm>``, held by every user).
DEFAULT_ROLE_COMPOSITES: dict[str, Any] = {
    "realm": ["offline_access", "uma_authorization"],
    "client": {"account": ["manage-account", "view-profile"]},
}

PROTOCOL_MAPPER: dict[str, Any] = {"consentRequired": False}
USER: dict[str, Any] = {"enabled": False, "emailVerified": False}
ORGANIZATION: dict[str, Any] = {"enabled": True}
DOMAIN: dict[str, Any] = {"verified": False}
