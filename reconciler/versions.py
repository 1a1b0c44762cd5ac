"""Keycloak versions: parsing, the supported range, and the ONE table of what differs between versions.

Every difference between the supported Keycloak versions that kcr knows of is a row of ``FACTS`` below,
with the first version that has it (and, for what a server can switch off, its feature flag). Code asks
``has(server, FACT)``; nothing else compares version numbers. ``tests/integration/test_server_versions.py``
shows each row on both sides of its version (``make test-matrix`` runs it on every supported version).

The version comes from ``GET /admin/serverinfo`` (``systemInfo.version``), read once per run. Keycloak
gives ``systemInfo`` only to accounts with the realm-management role realm-admin (or master admins):
with fewer rights (view-realm, ...) it answers without it, and with none at all 403. Then the version is
unknown: a warning says so and the checks assume the newest supported version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem


class KeycloakVersion(NamedTuple):
    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> KeycloakVersion | None:
        """``26.0.8``, ``26.0.15.redhat-00001`` (Red Hat build), ``999.0.0-SNAPSHOT`` (nightly); None when
        the text is not a version."""
        match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", text or "")
        if not match:
            return None
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))

    @property
    def line(self) -> str:
        """The release line, e.g. ``26.0``."""
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


# The release lines kcr supports, and the patch of each that the tests run against.
OLDEST_SUPPORTED = KeycloakVersion(26, 0)
NEWEST_SUPPORTED = KeycloakVersion(26, 7)  # any 26.7.x
TESTED_VERSIONS: tuple[str, ...] = ("26.0.8", "26.2.5", "26.4.7", "26.5.6", "26.6.4", "26.7.3")


@dataclass(frozen=True)
class ServerInfo:
    """What kcr knows of the server: its version (None when it did not say), its feature flags, and
    the providers it has by SPI (``identity-provider-mapper`` -> ids; None when it did not say)."""

    version_text: str = ""
    features: Mapping[str, bool] = field(default_factory=dict)  # empty when not told
    providers: Mapping[str, frozenset[str]] | None = None

    @property
    def version(self) -> KeycloakVersion | None:
        return KeycloakVersion.parse(self.version_text)

    def provider_ids(self, spi: str) -> frozenset[str] | None:
        """The ids of the providers of ``spi`` the server has; None when it did not tell."""
        return None if self.providers is None else self.providers.get(spi, frozenset())

    @classmethod
    def from_serverinfo(cls, info: Any) -> ServerInfo:
        if not isinstance(info, dict):
            return cls()
        system = info.get("systemInfo")
        version = str(system.get("version") or "") if isinstance(system, dict) else ""
        features = {
            str(f["name"]): bool(f.get("enabled"))
            for f in info.get("features") or []
            if isinstance(f, dict) and "name" in f
        }
        return cls(version_text=version, features=features, providers=_providers(info.get("providers")))


def _providers(spis: Any) -> dict[str, frozenset[str]] | None:
    """``providers`` of serverinfo: SPI -> {providers: {id: ...}}. Every account with a realm-management
    role gets it (Keycloak 26.7: view-realm, query-users, ... alike); None when absent."""
    if not isinstance(spis, dict):
        return None
    return {
        str(spi): frozenset(str(p) for p in (rep.get("providers") or {}))
        for spi, rep in spis.items()
        if isinstance(rep, dict)
    }


def supported(version: KeycloakVersion) -> bool:
    """Whether ``version`` is on a supported release line (any patch of 26.0 ... 26.7)."""
    return version >= OLDEST_SUPPORTED and version[:2] <= NEWEST_SUPPORTED[:2]


def version_warning(server: ServerInfo) -> str | None:
    """A warning when the server is outside the supported range or did not tell its version."""
    version = server.version
    if version is None:
        return (
            "Keycloak did not tell its version to this account (GET /admin/serverinfo answered without "
            "systemInfo: it needs the realm-management role realm-admin); kcr assumes "
            f"{NEWEST_SUPPORTED.line} and cannot check that the desired state fits the server's version"
        )
    if supported(version):
        return None
    side = "older" if version < OLDEST_SUPPORTED else "newer"
    return (
        f"Keycloak {server.version_text} is {side} than the versions kcr supports ({OLDEST_SUPPORTED.line} "
        f"to {NEWEST_SUPPORTED.line}; tested on {', '.join(TESTED_VERSIONS)}): the plan may miss or "
        "misread what this version has or lacks"
    )


def providers_warning(server: ServerInfo) -> str | None:
    """A warning when the server did not tell this account its providers: what kcr cannot check then."""
    if server.providers is not None:
        return None
    return (
        "Keycloak did not tell this account which providers it has (GET /admin/serverinfo answered "
        "without providers: it needs a role of realm-management); kcr cannot check identity provider "
        "mapper types (identityProviderMapper) against them, and does not guess"
    )


# Where a realm spec uses something: (object address in DesiredRealm.locations, path inside it).
Uses = Callable[[Mapping[str, Any]], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class Fact:
    """Something Keycloak has from version ``since`` on (and lacks before)."""

    since: KeycloakVersion
    what: str  # for messages: "<what> needs Keycloak <since> or newer"
    feature: str = ""  # the serverinfo feature flag that can switch it off, if any
    uses: Uses | None = None  # where a desired realm uses it (None: kcr adapts by itself)
    hint: str = ""  # what to do on an older server
    builtins: frozenset[str] = frozenset()  # names Keycloak creates with every realm from ``since`` on


def has(server: ServerInfo, fact: Fact) -> bool:
    """Whether the server has ``fact``. An unknown version counts as the newest (see version_warning);
    a feature flag counts only when the server listed its features."""
    version = server.version
    if version is not None and version < fact.since:
        return False
    return not (fact.feature and server.features and not server.features.get(fact.feature, False))


def lacking_builtins(server: ServerInfo) -> frozenset[str]:
    """Names of builtins.py that this server does not create (they came with a later version)."""
    return frozenset(name for fact in FACTS if not has(server, fact) for name in fact.builtins)


def lacks_message(server: ServerInfo, fact: Fact) -> str:
    version = server.version
    if version is not None and version < fact.since:
        return f"{fact.what} needs Keycloak {fact.since.line} or newer; the server runs {server.version_text}"
    return f"{fact.what} is switched off on this Keycloak (feature {fact.feature.lower()} is disabled)"


# ---- where a desired realm uses each feature --------------------------------------------------------


def _items(spec: Mapping[str, Any], collection: str, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for item in spec.get(collection) or []:
        if isinstance(item, Mapping):
            yield f"{collection}[{item.get(key)}]", item


def _declared_fields(realm_fields: tuple[str, ...]) -> Uses:
    def uses(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        for name in realm_fields:
            if name in spec:
                yield name, ""

    return uses


def _group_descriptions(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    def walk(groups: Any, parent: str) -> Iterator[tuple[str, str]]:
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, Mapping):
                path = f"{parent}/{group.get('name')}"
                if "description" in group:
                    yield f"groups[{path}]", "description"
                yield from walk(group.get("subGroups"), path)

    yield from walk(spec.get("groups"), "")


def _organizations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for address, _ in _items(spec, "organizations", "alias"):
        yield address, ""


STANDARD_TOKEN_EXCHANGE_ATTRIBUTE = "standard.token.exchange.enabled"


def _standard_token_exchange(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for address, client in _items(spec, "clients", "clientId"):
        attributes = client.get("attributes") or {}
        if (
            isinstance(attributes, Mapping)
            and str(attributes.get(STANDARD_TOKEN_EXCHANGE_ATTRIBUTE)) == "true"
        ):
            yield address, f"attributes.{STANDARD_TOKEN_EXCHANGE_ATTRIBUTE}"


ORGANIZATION_ROLES = frozenset({"view-organizations", "manage-organizations", "query-organizations"})


def _client_role_refs(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every reference to a realm-management organization role below ``node``: in ``clientRoles``
    (users, groups) and in role ``composites.client``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key in ("clientRoles", "client") and isinstance(value, Mapping):
                names = value.get("realm-management") or []
                for name in names if isinstance(names, list) else []:
                    if name in ORGANIZATION_ROLES:
                        yield path, f"{key}.realm-management[{name}]"
            yield from _client_role_refs(value, path)
    elif isinstance(node, list):
        for item in node:
            yield from _client_role_refs(item, path)


def _organization_roles(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for collection, key in (("users", "username"), ("groups", "name")):
        for address, item in _items(spec, collection, key):
            yield from _client_role_refs(item, address)
    roles = spec.get("roles") or {}
    for role in roles.get("realm") or [] if isinstance(roles, Mapping) else []:
        if isinstance(role, Mapping):
            yield from _client_role_refs(role, f"roles.realm[{role.get('name')}]")


ORGANIZATION_DOMAIN = "kc.org.domain"


def _any_organization_domain(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for address, provider in _items(spec, "identityProviders", "alias"):
        config = provider.get("config") or {}
        if isinstance(config, Mapping) and str(config.get(ORGANIZATION_DOMAIN)).upper() == "ANY":
            yield address, f"config.{ORGANIZATION_DOMAIN}"


def _admin_permissions(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for address, client in _items(spec, "clients", "clientId"):
        if client.get("clientId") == "admin-permissions" and "authorizationSettings" in client:
            yield address, "authorizationSettings"


def _scope_refs(scope: str) -> Uses:
    """References to the client scope ``scope`` that the desired state does not declare itself."""

    def uses(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        if any(isinstance(s, Mapping) and s.get("name") == scope for s in spec.get("clientScopes") or []):
            return
        for key in ("defaultDefaultClientScopes", "defaultOptionalClientScopes"):
            if scope in (spec.get(key) or []):
                yield f"{key}[{scope}]", ""
        for address, client in _items(spec, "clients", "clientId"):
            for key in ("defaultClientScopes", "optionalClientScopes"):
                if scope in (client.get(key) or []):
                    yield address, key

    return uses


# ---- the table ---------------------------------------------------------------------------------------

ORGANIZATIONS = Fact(
    KeycloakVersion(26, 0),
    "organizations",
    feature="ORGANIZATION",
    uses=_organizations,
    hint="enable the feature (kc.sh --features=organization) or remove the organizations",
)
STANDARD_TOKEN_EXCHANGE = Fact(
    KeycloakVersion(26, 2),
    "Standard Token Exchange V2 (client attribute standard.token.exchange.enabled)",
    feature="TOKEN_EXCHANGE_STANDARD_V2",
    uses=_standard_token_exchange,
    hint="remove the attribute, or upgrade Keycloak",
)
ORGANIZATION_ADMIN_ROLES = Fact(
    KeycloakVersion(26, 7),  # before it even GET /organizations needs manage-realm (26.6.4: 403 with view-*)
    "the realm-management roles view-organizations, manage-organizations and query-organizations",
    uses=_organization_roles,
    hint="grant manage-realm instead, which covers organizations on older versions (reading them too)",
    builtins=ORGANIZATION_ROLES,
)
AUTHN_CONTEXT_CLASS_REF_SCOPE = Fact(
    KeycloakVersion(26, 7),
    "the built-in SAML client scope AuthnContextClassRef",
    uses=_scope_refs("AuthnContextClassRef"),
    hint="remove the reference, or declare the scope under clientScopes",
    builtins=frozenset({"AuthnContextClassRef"}),
)
GROUP_DESCRIPTION = Fact(
    KeycloakVersion(26, 4),  # 26.0.8 and 26.2.5 answer HTTP 400 "Unrecognized field", 26.4.7 stores it
    "the group field description",
    uses=_group_descriptions,
    hint="remove the description, or upgrade Keycloak",
)
ORGANIZATION_DOMAIN_ANY = Fact(
    KeycloakVersion(
        26, 2
    ),  # 26.0.8 answers HTTP 400 "Domain does not match any domain from the organization"
    f"the organization domain ANY of a linked identity provider (config {ORGANIZATION_DOMAIN}: ANY)",
    uses=_any_organization_domain,
    hint="name one of the organization's domains, or upgrade Keycloak",
)
ADMIN_PERMISSIONS = Fact(
    KeycloakVersion(26, 2),
    "admin permissions (fine-grained admin permissions v2: the admin-permissions client's policies)",
    uses=_admin_permissions,
    hint="remove them, or upgrade Keycloak",
)
# Realm fields that older versions do not know: Keycloak refuses the whole realm update with HTTP 400
# "Unrecognized field" (mid-apply), so kcr refuses them before the first write.
# field -> the first 26.x minor whose realm representation has it (seen on 26.0.8, 26.2.5, 26.4.7,
# 26.5.6, 26.6.4, 26.7.3: a version not in that list is counted with the older side)
REALM_FIELD_SINCE: dict[str, int] = {
    "adminPermissionsEnabled": 2,
    "verifiableCredentialsEnabled": 2,
    "maxSecondaryAuthFailures": 6,
    "scimApiEnabled": 6,
    "webAuthnPolicyResidentKey": 7,
    "webAuthnPolicyPasswordlessResidentKey": 7,
}
REALM_FIELDS: dict[str, Fact] = {
    name: Fact(
        KeycloakVersion(26, minor),
        f"the realm field {name}",
        uses=_declared_fields((name,)),
        hint="remove the field, or upgrade Keycloak",
    )
    for name, minor in REALM_FIELD_SINCE.items()
}
# Behaviour kcr adapts to by itself (no ``uses``).
ORGANIZATION_LIST_ATTRIBUTES = Fact(
    KeycloakVersion(26, 2),  # 26.0.8 lacks it, 26.2.5 has it
    "organization attributes in the organization listing (before it, only GET /organizations/{id} has them)",
)
SERVICE_ACCOUNT_SCOPE = Fact(
    KeycloakVersion(26, 2),
    "the built-in client scope service_account (before it, enabling a service account put the mappers "
    "Client ID, Client Host and Client IP Address on the client itself)",
    builtins=frozenset({"service_account"}),
)

# What a new realm has built in, and Admin API behaviour, that changed (kcr adapts by itself, or never
# relies on it; the tests state each on both sides).
REQUIRED_ACTIONS_26_4 = Fact(
    KeycloakVersion(26, 4),  # 26.2.5 registers 11 actions, 26.4.7 14 (reconciler/kinds/required_action.py)
    "the built-in required actions Update Email, Linking Identity Provider and Recovery Authentication "
    "Codes, registered in every new realm (and the priorities after them moved up by 10)",
    builtins=frozenset({"UPDATE_EMAIL", "idp_link", "CONFIGURE_RECOVERY_AUTHN_CODES"}),
)
REQUIRED_ACTIONS_OTP_AFTER_EMAIL = Fact(
    KeycloakVersion(26, 7),
    "the built-in required actions Configure OTP (priority 54) and Update Password (57) after Verify Email "
    "(before it: 10 and 30, first)",
)
CONDITIONAL_2FA_FLOWS = Fact(
    KeycloakVersion(26, 4),
    "the built-in sub-flows 'Browser - Conditional 2FA' and 'First broker login - Conditional 2FA', each "
    "with a conditional-credential config (before it: '... - Conditional OTP', without one)",
)
IDENTITY_PROVIDER_DEFAULTS_OMITTED = Fact(
    KeycloakVersion(26, 5),
    "identity providers read without the fields at their default (before it: every boolean, "
    "updateProfileFirstLoginMode and config.syncMode LEGACY, which a PUT without config leaves)",
)
IDENTITY_PROVIDER_ALIAS_FIXED = Fact(
    KeycloakVersion(26, 7),
    "an identity provider's alias cannot change (before it: a PUT with another alias renames the provider)",
)
AUTHORIZATION_EMPTY = Fact(
    KeycloakVersion(26, 5),  # 26.2.5 makes them; Keycloak PR 43969 removed them
    "an empty resource server when a client's authorization services are enabled (before it: Default "
    "Resource, Default Policy, a JavaScript policy, and Default Permission; kcr keeps a js policy only as "
    "it is, and exports it)",
)
LDAP_FAILURES_SKIPPED_IN_USER_LISTS = Fact(
    KeycloakVersion(26, 4),  # 26.0.8 and 26.2.5 answer HTTP 400, 26.4.7 lists the realm's own users
    "GET /users of a realm with an LDAP provider Keycloak cannot bind to (before it: HTTP 400 'Failed to "
    "fetch results from the LDAP [<provider>] provider', so kcr cannot read the realm's users)",
)
AUTHENTICATOR_CONFIG_ALIAS_UNIQUE = Fact(
    KeycloakVersion(26, 2),  # 26.0.8 stores a second config of the same alias
    "an authenticator config alias unique in its realm (HTTP 409 'already exists'; before it: a second "
    "config of the same alias is stored; kcr refuses duplicate aliases offline on every version)",
)
IMPORT_MAKES_CLIENTS_AS_POST = Fact(
    KeycloakVersion(26, 6),  # 26.2.5, 26.4.7 and 26.5.6: frontchannelLogout on, even when the body says false
    "the realm import makes a client as POST /clients does (before it: frontchannelLogout on where the "
    "POST leaves it off; kcr then creates a new realm's clients one by one after the import)",
)
REALM_MANAGEMENT_LOCKED = Fact(
    KeycloakVersion(26, 7),
    "the realm-management client refuses every write, even an admin's (before it: writable; kcr refuses "
    "changes to it offline on every version)",
)
REALM_DISPLAY_NAME_LIMITED = Fact(
    KeycloakVersion(26, 7),  # 26.4.7 and 26.6.4 store 256 characters
    "a realm displayName over 255 characters fails with HTTP 500 (before it: stored; kcr refuses it "
    "offline on every version)",
)
DOT_SEGMENTS_REFUSED = Fact(
    KeycloakVersion(26, 4),
    "a request path with an encoded dot segment (%2E) is refused with HTTP 400 'Request path not "
    "normalized' (before it: normalised like a plain dot)",
)

FACTS: tuple[Fact, ...] = (
    ORGANIZATIONS,
    STANDARD_TOKEN_EXCHANGE,
    ORGANIZATION_ADMIN_ROLES,
    AUTHN_CONTEXT_CLASS_REF_SCOPE,
    GROUP_DESCRIPTION,
    ORGANIZATION_DOMAIN_ANY,
    ADMIN_PERMISSIONS,
    SERVICE_ACCOUNT_SCOPE,
    ORGANIZATION_LIST_ATTRIBUTES,
    REQUIRED_ACTIONS_26_4,
    REQUIRED_ACTIONS_OTP_AFTER_EMAIL,
    CONDITIONAL_2FA_FLOWS,
    IDENTITY_PROVIDER_DEFAULTS_OMITTED,
    IDENTITY_PROVIDER_ALIAS_FIXED,
    AUTHORIZATION_EMPTY,
    LDAP_FAILURES_SKIPPED_IN_USER_LISTS,
    AUTHENTICATOR_CONFIG_ALIAS_UNIQUE,
    REALM_MANAGEMENT_LOCKED,
    REALM_DISPLAY_NAME_LIMITED,
    DOT_SEGMENTS_REFUSED,
    *REALM_FIELDS.values(),
)


def version_problems(realm: DesiredRealm, server: ServerInfo) -> list[Problem]:
    """What ``realm`` declares that the server lacks, each at the place it is written."""
    problems: list[Problem] = []
    for fact in FACTS:
        if fact.uses is None or has(server, fact):
            continue
        for address, sub in fact.uses(realm.spec):
            problems.append(
                Problem(
                    lacks_message(server, fact),
                    location=realm.locations.get(address),
                    path=f"{realm.name}: {address}{'.' + sub if sub else ''}",
                    hint=fact.hint,
                )
            )
    return problems
