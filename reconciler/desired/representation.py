"""Typed models of the desired-state language: Keycloak 26.7's realm representation, in its own names.

Field lists and types come from Keycloak 26.7.3's ``org.keycloak.representations.idm`` classes and
from what ``GET /admin/realms/{realm}`` and the partial export write. Every field is optional (the
spec keeps exactly what was declared); the loader checks the few required keys (``required``).
The realm document itself (``Realm``: these settings plus each kind's collections and the ``policy``
block) is assembled from the kinds' registry in ``language.py``.

Per model, ``read_only`` names fields an export writes that the server computes (dropped silently) and
``unmanaged`` names fields kcr does not manage (accepted, dropped, reported once as a warning). Any
other unknown key is an error with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from reconciler.compare import scalar_to_str


def _string_map(value: Any) -> Any:
    """Keycloak's string maps: YAML ``true``/``5`` become "true"/"5" (what Keycloak stores)."""
    if isinstance(value, dict):
        return {k: scalar_to_str(v) for k, v in value.items()}
    return value


def _list_map(value: Any) -> Any:
    """Multi-valued attributes: a bare value means a one-element list."""
    if isinstance(value, dict):
        return {
            k: [scalar_to_str(x) for x in v] if isinstance(v, list) else [scalar_to_str(v)]
            for k, v in value.items()
        }
    return value


# How a structure hook refuses part of a document: (path in the document, message, hint).
Report = Callable[[tuple[str | int, ...], str, str], None]

StringMap = Annotated[dict[str, str], BeforeValidator(_string_map)]
ListMap = Annotated[dict[str, list[str]], BeforeValidator(_list_map)]
Names = list[str]
State = Literal["present", "absent"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=False)

    read_only: ClassVar[frozenset[str]] = frozenset({"id"})
    unmanaged: ClassVar[frozenset[str]] = frozenset()
    required: ClassVar[str | None] = None  # the key every object must have (checked offline)
    # Keys of which an object must have one (the first is asked for when it has none); () if none.
    required_one_of: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def normalise(cls, data: dict[str, Any], path: tuple[str | int, ...], report: Report) -> None:
        """Export shapes rewritten into the language's, in place, once unknown keys are dropped (an
        organization's member objects become usernames); ``report`` refuses a part."""

    @classmethod
    def is_unmanaged(cls, key: str) -> bool:
        """A key accepted and ignored with a warning (a model may accept an open set of them)."""
        return key in cls.unmanaged


class Resource(Model):
    """An object the reconciler creates/deletes; ``state: absent`` asks for its deletion."""

    state: State | None = Field(None, description="kcr extension: `absent` deletes the object")


class ProtocolMapper(Model):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    protocol: str | None = None
    protocolMapper: str | None = None
    consentRequired: bool | None = None
    consentText: str | None = None
    config: StringMap | None = None


class Composites(Model):
    realm: Names | None = None
    client: dict[str, Names] | None = None
    read_only: ClassVar[frozenset[str]] = frozenset({"application"})


class Role(Resource):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    composite: bool | None = None
    composites: Composites | None = None
    attributes: ListMap | None = None
    read_only: ClassVar[frozenset[str]] = frozenset({"id", "clientRole", "containerId", "scopeParamRequired"})


class Roles(Model):
    realm: list[Role] | None = None
    client: dict[str, list[Role]] | None = None
    read_only: ClassVar[frozenset[str]] = frozenset({"application"})


class ClientScope(Resource):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    protocol: str | None = None
    attributes: StringMap | None = None
    protocolMappers: list[ProtocolMapper] | None = None


class FlowOverrides(Model):
    """A client's own flows, by alias (a Keycloak export's flow ids are read as the aliases)."""

    browser: str | None = Field(None, description="alias of the browser flow for this client")
    direct_grant: str | None = Field(None, description="alias of the direct grant flow for this client")


class AuthorizationScope(Model):
    """A scope of a resource server (``name`` names it)."""

    required: ClassVar[str | None] = "name"
    name: str | None = None
    displayName: str | None = None
    iconUri: str | None = None


def _scope_names(value: Any) -> Any:
    """A resource's scopes: the export's ``[{name: x}]`` or plain names."""
    if isinstance(value, list):
        return [v.get("name") if isinstance(v, dict) else v for v in value]
    return value


class AuthorizationResource(Model):
    """A protected resource of a resource server (``name`` names it)."""

    required: ClassVar[str | None] = "name"
    read_only: ClassVar[frozenset[str]] = frozenset({"_id", "id", "owner"})
    name: str | None = None
    displayName: str | None = None
    type: str | None = None
    uris: Names | None = None
    scopes: Annotated[Names | None, BeforeValidator(_scope_names)] = Field(
        None, description="scope names (the export's {name: ...} objects are accepted)"
    )
    ownerManagedAccess: bool | None = None
    attributes: ListMap | None = None
    icon_uri: str | None = None


def _policy_config(value: Any) -> Any:
    """A policy's config: strings as Keycloak stores them; a reference list may be written as a YAML
    list instead of Keycloak's JSON text."""
    if isinstance(value, dict):
        return {k: v if isinstance(v, list) else scalar_to_str(v) for k, v in value.items()}
    return value


class AuthorizationPolicy(Model):
    """A policy or permission of a resource server (``name`` names it); references in ``config``
    (roles, groups, clients, users, applyPolicies, resources, scopes) are by name."""

    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    type: (
        Literal["role", "group", "client", "user", "time", "regex", "aggregate", "resource", "scope", "js"]
        | None
    ) = Field(
        None,
        description="js: a JavaScript policy Keycloak made (its Default Policy before 26.5); kept, never "
        "created or changed by kcr",
    )
    logic: Literal["POSITIVE", "NEGATIVE"] | None = None
    decisionStrategy: Literal["UNANIMOUS", "AFFIRMATIVE", "CONSENSUS"] | None = None
    resourceType: str | None = Field(
        None, description="admin permissions: Users, Groups, Clients or Roles (resources named by name)"
    )
    config: Annotated[dict[str, str | list[Any]] | None, BeforeValidator(_policy_config)] = Field(
        None, description="references as JSON text (the export) or as a list: roles: [{id: manager}]"
    )


class AuthorizationSettings(Model):
    """A client's authorization services (its resource server). A declared list is the whole set."""

    read_only: ClassVar[frozenset[str]] = frozenset({"id", "clientId", "name"})
    policyEnforcementMode: Literal["ENFORCING", "PERMISSIVE", "DISABLED"] | None = None
    decisionStrategy: Literal["UNANIMOUS", "AFFIRMATIVE", "CONSENSUS"] | None = None
    allowRemoteResourceManagement: bool | None = None
    resources: list[AuthorizationResource] | None = None
    scopes: list[AuthorizationScope] | None = None
    policies: list[AuthorizationPolicy] | None = Field(None, description="policies and permissions")


class Client(Resource):
    required: ClassVar[str | None] = "clientId"
    clientId: str | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    rootUrl: str | None = None
    adminUrl: str | None = None
    baseUrl: str | None = None
    surrogateAuthRequired: bool | None = None
    enabled: bool | None = None
    alwaysDisplayInConsole: bool | None = None
    clientAuthenticatorType: str | None = None
    secret: str | None = None
    redirectUris: Names | None = None
    webOrigins: Names | None = None
    bearerOnly: bool | None = None
    consentRequired: bool | None = None
    standardFlowEnabled: bool | None = None
    implicitFlowEnabled: bool | None = None
    directAccessGrantsEnabled: bool | None = None
    serviceAccountsEnabled: bool | None = None
    authorizationServicesEnabled: bool | None = None
    publicClient: bool | None = None
    frontchannelLogout: bool | None = None
    protocol: str | None = None
    attributes: StringMap | None = None
    fullScopeAllowed: bool | None = None
    nodeReRegistrationTimeout: int | None = None
    protocolMappers: list[ProtocolMapper] | None = None
    defaultClientScopes: Names | None = None
    optionalClientScopes: Names | None = None
    authorizationSettings: AuthorizationSettings | None = Field(
        None, description="authorization services; needs authorizationServicesEnabled: true"
    )
    read_only: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "access",
            "origin",
            "notBefore",
            "registrationAccessToken",
            "registeredNodes",
            "defaultRoles",
            "directGrantsOnly",
            "clientTemplate",
            "useTemplateConfig",
            "useTemplateScope",
            "useTemplateMappers",
        }
    )
    authenticationFlowBindingOverrides: FlowOverrides | None = Field(
        None, description="flows this client logs in with instead of the realm's; the whole map when declared"
    )


class Group(Resource):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    attributes: ListMap | None = None
    realmRoles: Names | None = None
    clientRoles: dict[str, Names] | None = None
    subGroups: list[Group] | None = None
    read_only: ClassVar[frozenset[str]] = frozenset({"id", "path", "parentId", "subGroupCount", "access"})


class Credential(Model):
    required: ClassVar[str | None] = "type"
    type: str | None = None
    value: str | None = Field(None, description="the password (write-only; use ${env:...} or ${file:...})")
    temporary: bool | None = None
    userLabel: str | None = None
    read_only: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "createdDate",
            "priority",
            "device",
            "counter",
            "digits",
            "period",
            "algorithm",
            "hashIterations",
            "config",
            "federationLink",
            # hashed credentials of an export: the loader drops (and warns about) a credential
            # that has no ``value``
            "secretData",
            "credentialData",
            "hashedSaltedValue",
            "salt",
        }
    )


class User(Resource):
    # a service account is declared by its client
    required_one_of: ClassVar[tuple[str, ...]] = ("username", "serviceAccountClientId")
    username: str | None = None
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    enabled: bool | None = None
    emailVerified: bool | None = None
    attributes: ListMap | None = None
    groups: Names | None = None
    realmRoles: Names | None = None
    clientRoles: dict[str, Names] | None = None
    requiredActions: Names | None = None
    credentials: list[Credential] | None = None
    serviceAccountClientId: str | None = None
    read_only: ClassVar[frozenset[str]] = frozenset(
        {
            "id",
            "createdTimestamp",
            "totp",
            "disableableCredentialTypes",
            "notBefore",
            "access",
            "userProfileMetadata",
            "origin",
            "self",
            "applicationRoles",
            "socialLinks",
            "membershipType",
        }
    )
    unmanaged: ClassVar[frozenset[str]] = frozenset(
        {
            "federatedIdentities",
            "federationLink",
            "clientConsents",
            "verifiableCredentials",
            "issuedVerifiableCredentials",
        }
    )


class Domain(Model):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    verified: bool | None = None

    @classmethod
    def normalise(cls, data: dict[str, Any], path: tuple[str | int, ...], report: Report) -> None:
        if isinstance(data.get("name"), str):
            data["name"] = data["name"].lower()  # Keycloak stores domains in lower case


class Organization(Resource):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    alias: str | None = None
    enabled: bool | None = None
    description: str | None = None
    redirectUrl: str | None = None
    domains: list[Domain] | None = None
    attributes: ListMap | None = None
    members: Names | None = Field(None, description="usernames (the export's member objects are accepted)")
    identityProviders: Names | None = Field(
        None, description="aliases of linked identity providers (the export's provider objects are accepted)"
    )
    unmanaged: ClassVar[frozenset[str]] = frozenset({"groups"})

    @classmethod
    def normalise(cls, data: dict[str, Any], path: tuple[str | int, ...], report: Report) -> None:
        """Domains may be plain names; an export's member and provider objects stand for their name."""
        domains = data.get("domains")
        if isinstance(domains, list):
            data["domains"] = [{"name": d.lower()} if isinstance(d, str) else d for d in domains]
        named = (
            (
                "members",
                "username",
                "an organization member needs a 'username'",
                "write the member's username",
            ),
            (
                "identityProviders",
                "alias",
                "a linked identity provider needs an 'alias'",
                "write the provider's alias",
            ),
        )
        for key, name_field, message, hint in named:
            items = data.get(key)
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    if not isinstance(item.get(name_field), str):
                        report((*path, key, i), message, hint)
                    items[i] = item.get(name_field)


class RealmSettings(Resource):
    """A realm's own settings. ``realm`` (its name) is required in every document."""

    required: ClassVar[str | None] = "realm"

    realm: str | None = None
    displayName: str | None = None
    displayNameHtml: str | None = None
    enabled: bool | None = None
    sslRequired: Literal["all", "external", "none"] | None = None
    defaultSignatureAlgorithm: str | None = None
    revokeRefreshToken: bool | None = None
    refreshTokenMaxReuse: int | None = None
    accessTokenLifespan: int | None = None
    accessTokenLifespanForImplicitFlow: int | None = None
    ssoSessionIdleTimeout: int | None = None
    ssoSessionMaxLifespan: int | None = None
    ssoSessionIdleTimeoutRememberMe: int | None = None
    ssoSessionMaxLifespanRememberMe: int | None = None
    offlineSessionIdleTimeout: int | None = None
    offlineSessionMaxLifespanEnabled: bool | None = None
    offlineSessionMaxLifespan: int | None = None
    clientSessionIdleTimeout: int | None = None
    clientSessionMaxLifespan: int | None = None
    clientOfflineSessionIdleTimeout: int | None = None
    clientOfflineSessionMaxLifespan: int | None = None
    accessCodeLifespan: int | None = None
    accessCodeLifespanUserAction: int | None = None
    accessCodeLifespanLogin: int | None = None
    actionTokenGeneratedByAdminLifespan: int | None = None
    actionTokenGeneratedByUserLifespan: int | None = None
    oauth2DeviceCodeLifespan: int | None = None
    oauth2DevicePollingInterval: int | None = None
    registrationAllowed: bool | None = None
    registrationEmailAsUsername: bool | None = None
    rememberMe: bool | None = None
    verifyEmail: bool | None = None
    loginWithEmailAllowed: bool | None = None
    duplicateEmailsAllowed: bool | None = None
    resetPasswordAllowed: bool | None = None
    editUsernameAllowed: bool | None = None
    bruteForceProtected: bool | None = None
    permanentLockout: bool | None = None
    maxTemporaryLockouts: int | None = None
    bruteForceStrategy: Literal["LINEAR", "MULTIPLE"] | None = None
    maxFailureWaitSeconds: int | None = None
    minimumQuickLoginWaitSeconds: int | None = None
    waitIncrementSeconds: int | None = None
    quickLoginCheckMilliSeconds: int | None = None
    maxDeltaTimeSeconds: int | None = None
    failureFactor: int | None = None
    maxSecondaryAuthFailures: int | None = None
    requiredCredentials: Names | None = None
    passwordPolicy: str | None = None
    otpPolicyType: str | None = None
    otpPolicyAlgorithm: str | None = None
    otpPolicyInitialCounter: int | None = None
    otpPolicyDigits: int | None = None
    otpPolicyLookAheadWindow: int | None = None
    otpPolicyPeriod: int | None = None
    otpPolicyCodeReusable: bool | None = None
    webAuthnPolicyRpEntityName: str | None = None
    webAuthnPolicySignatureAlgorithms: Names | None = None
    webAuthnPolicyRpId: str | None = None
    webAuthnPolicyAttestationConveyancePreference: str | None = None
    webAuthnPolicyAuthenticatorAttachment: str | None = None
    webAuthnPolicyRequireResidentKey: str | None = None
    webAuthnPolicyResidentKey: str | None = None
    webAuthnPolicyUserVerificationRequirement: str | None = None
    webAuthnPolicyCreateTimeout: int | None = None
    webAuthnPolicyAvoidSameAuthenticatorRegister: bool | None = None
    webAuthnPolicyAcceptableAaguids: Names | None = None
    webAuthnPolicyExtraOrigins: Names | None = None
    webAuthnPolicyPasswordlessRpEntityName: str | None = None
    webAuthnPolicyPasswordlessSignatureAlgorithms: Names | None = None
    webAuthnPolicyPasswordlessRpId: str | None = None
    webAuthnPolicyPasswordlessAttestationConveyancePreference: str | None = None
    webAuthnPolicyPasswordlessAuthenticatorAttachment: str | None = None
    webAuthnPolicyPasswordlessRequireResidentKey: str | None = None
    webAuthnPolicyPasswordlessResidentKey: str | None = None
    webAuthnPolicyPasswordlessUserVerificationRequirement: str | None = None
    webAuthnPolicyPasswordlessCreateTimeout: int | None = None
    webAuthnPolicyPasswordlessAvoidSameAuthenticatorRegister: bool | None = None
    webAuthnPolicyPasswordlessAcceptableAaguids: Names | None = None
    webAuthnPolicyPasswordlessExtraOrigins: Names | None = None
    webAuthnPolicyPasswordlessPasskeysEnabled: bool | None = None
    webAuthnPolicyPasswordlessMediation: str | None = None
    browserSecurityHeaders: StringMap | None = None
    smtpServer: StringMap | None = None
    loginTheme: str | None = None
    accountTheme: str | None = None
    adminTheme: str | None = None
    emailTheme: str | None = None
    eventsEnabled: bool | None = None
    eventsExpiration: int | None = None
    eventsListeners: Names | None = None
    enabledEventTypes: Names | None = None
    adminEventsEnabled: bool | None = None
    adminEventsDetailsEnabled: bool | None = None
    internationalizationEnabled: bool | None = None
    supportedLocales: Names | None = None
    defaultLocale: str | None = None
    attributes: StringMap | None = None
    userManagedAccessAllowed: bool | None = None
    organizationsEnabled: bool | None = None
    verifiableCredentialsEnabled: bool | None = None
    adminPermissionsEnabled: bool | None = None
    scimApiEnabled: bool | None = None
    # Flow bindings, by flow alias (written after the flows by the flow-binding kind, not with the realm).
    browserFlow: str | None = Field(None, description="alias of the browser login flow")
    registrationFlow: str | None = Field(None, description="alias of the registration flow")
    directGrantFlow: str | None = Field(None, description="alias of the direct grant (password) flow")
    resetCredentialsFlow: str | None = Field(None, description="alias of the reset credentials flow")
    clientAuthenticationFlow: str | None = Field(None, description="alias of the client authentication flow")
    dockerAuthenticationFlow: str | None = Field(None, description="alias of the docker authentication flow")
    firstBrokerLoginFlow: str | None = Field(None, description="alias of the default first broker login flow")

    read_only: ClassVar[frozenset[str]] = frozenset()
    # Derived: the keys of NOT_MANAGED_YET that no field owns (set below the class).
    unmanaged: ClassVar[frozenset[str]] = frozenset()


# Realm document keys that an export writes and that no kind manages yet: accepted, dropped and
# reported once as a warning. Only keys nothing manages belong here, and a key that a realm setting
# or a kind's section comes to own leaves the effective list by itself (``ignored_keys``), so a new
# kind needs no change here.
NOT_MANAGED_YET: frozenset[str] = frozenset(
    {
        "id",
        "notBefore",
        "keycloakVersion",
        "defaultRole",
        "defaultRoles",
        "adminPermissionsClient",
        "otpSupportedApplications",
        "protocolMappers",
        "federatedUsers",
        "userFederationProviders",
        "userFederationMappers",
        "passwordCredentialGrantAllowed",
        "userCacheEnabled",
        "realmCacheEnabled",
        "privateKey",
        "publicKey",
        "certificate",
        "codeSecret",
        "social",
        "updateProfileOnInitialSocialLogin",
        "socialProviders",
        "applicationScopeMappings",
        "applications",
        "oauthClients",
        "clientTemplates",
    }
)


def ignored_keys(model: type[Model]) -> frozenset[str]:
    """The keys of NOT_MANAGED_YET that ``model`` (the realm's settings, or the whole realm document)
    does not own."""
    return frozenset(key for key in NOT_MANAGED_YET if key not in model.model_fields)


RealmSettings.unmanaged = ignored_keys(RealmSettings)
Group.model_rebuild()
