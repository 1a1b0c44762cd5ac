"""Offline checks of declared clients that are not references: redirect URIs Keycloak would refuse
(or could never match), scope links Keycloak silently ignores, and changes to Keycloak's own
realm-management client (refused with 403). ``ClientKind.check_declared`` runs them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.builtins import (
    BUILTIN_CLIENT_ROLES,
    OIDC,
    REALM_MANAGEMENT,
    REALM_MANAGEMENT_AS_CREATED,
    builtin_scope_protocol,
)
from reconciler.compare import Rules, diff_declared
from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, at, path_of, shown, unresolved
from reconciler.desired.positions import DocPath, Document, dotted
from reconciler.errors import Problem

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.DOTALL)
_BAD_URI_CHAR = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]|%(?![0-9A-Fa-f]{2})")
ILLEGAL_SCHEMES = frozenset({"javascript", "data"})  # what Keycloak 26.7 refuses as redirect URI schemes
_CLIENT_RULES = Rules(
    sets=frozenset({"redirectUris", "webOrigins", "defaultClientScopes", "optionalClientScopes"}),
    string_maps=frozenset({"attributes"}),
)
_REFUSED = (
    f"Keycloak refuses every change to its {REALM_MANAGEMENT} client (HTTP 403, even for the master admin)"
)
SCOPE_LINKS = ("defaultClientScopes", "optionalClientScopes")


def redirect_uri_problem(uri: str) -> tuple[str, str] | None:
    """Why Keycloak would refuse this redirect URI (or it could never match), or None."""
    if uri in ("*", "+"):
        return None
    if not uri:
        return "must not be empty", "remove it, or write the URI"
    if _BAD_URI_CHAR.search(uri):
        return (
            "is not a valid URI: it contains a space or a character that must be %-encoded",
            "percent-encode the character",
        )
    if "#" in uri:
        return "must not contain a URL fragment (#...)", "remove the # part"
    if uri.startswith("/"):
        return None
    match = _SCHEME.fullmatch(uri)
    if not match:
        return (
            "must be an absolute URI (https://host/path), a path starting with /, * or +",
            "add the scheme and host, or start the path with /",
        )
    if match.group(1).lower() in ILLEGAL_SCHEMES:
        return f"uses the scheme {match.group(1)!r}, which Keycloak refuses", "use https"
    if match.group(2) in ("", "//"):
        return "needs a host or path after the scheme", "write e.g. https://app.example.com/*"
    return None


def check_clients(realm: MergedRealm, scopes: Names, found: Findings) -> None:
    protocols = {s.get("name"): s.get("protocol") or OIDC for s in realm.spec.get("clientScopes") or []}
    for client, origin in realm.listed("clients"):
        for key in SCOPE_LINKS:
            _check_scope_protocols(origin, key, client, protocols, scopes, found)
        for i, uri in enumerate(client.get("redirectUris") or []):
            _check_redirect_uri(origin, i, uri, found)
    _check_realm_management(realm, found)


def _check_scope_protocols(
    origin: Origin,
    key: str,
    client: Mapping[str, Any],
    protocols: Mapping[str, str],
    scopes: Names,
    found: Findings,
) -> None:
    """Keycloak silently ignores a link to a scope of another protocol (a SAML role_list on an
    OpenID Connect client): the plan would show it forever."""
    protocol = client.get("protocol") or OIDC
    for i, name in enumerate(client.get(key) or []):
        if ("", name) not in scopes.present and ("", name) not in scopes.builtin:
            continue  # reported as missing
        theirs = protocols.get(name) or builtin_scope_protocol(name)
        if theirs != protocol:
            found.error(
                origin,
                (key, i),
                f"client scope {shown(origin, name, key, i)} has protocol {theirs}, and this "
                f"client has protocol {protocol}: Keycloak silently ignores the link",
                f"remove it, or link a scope whose protocol is {protocol}",
            )


def _check_redirect_uri(origin: Origin, i: int, uri: str, found: Findings) -> None:
    sub = ("redirectUris", i)
    if unresolved(origin, *sub):
        return  # an unset ${env:...} under kcr validate: checked by plan, once it has a value
    wrong = redirect_uri_problem(uri)
    if wrong:
        message, hint = wrong
        found.error(origin, sub, f"redirect URI {shown(origin, uri, *sub)} {message}", hint)
    elif "*" in uri[:-1]:
        found.warnings.append(
            Problem(
                f"redirect URI {shown(origin, uri, *sub)} has a '*' that is not at the end",
                at(origin, *sub),
                path_of(origin, *sub),
                "Keycloak treats '*' as a wildcard only as the last character",
            )
        )


def _check_realm_management(realm: MergedRealm, found: Findings) -> None:
    """Declaring Keycloak's own client as Keycloak made it is fine (exports do); any change would be
    a 403."""
    for client, origin in realm.listed("clients"):
        if client.get("clientId") != REALM_MANAGEMENT:
            continue
        if client.get("state") == "absent":
            found.error(origin, ("state",), f"{_REFUSED}: it cannot be deleted", "remove state: absent")
            continue
        for diff in diff_declared(client, REALM_MANAGEMENT_AS_CREATED, _CLIENT_RULES):
            sub = tuple(diff.path.split(".", 1)[0:1])
            found.error(origin, sub, f"{_REFUSED}: {diff.path} cannot change", f"remove {diff.path}")
    collection = f"roles.client.{REALM_MANAGEMENT}"
    for role, origin in realm.listed(collection):
        name = role.get("name")
        if role.get("state") == "absent" or name not in BUILTIN_CLIENT_ROLES[REALM_MANAGEMENT]:
            found.error(
                origin,
                ("name",),
                f"{_REFUSED}: its roles cannot be created or deleted",
                f"remove this role from {collection}",
            )


MASKED_SECRET = "**********"  # what exports and GET write in place of a client secret


def check_client_secrets(
    spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]
) -> list[Problem]:
    """An export's masked secret is not a secret: dropped (storing it would make "**********" the
    secret). A public client has no secret: Keycloak drops one, so declaring it never converges."""
    problems: list[Problem] = []
    for i, client in enumerate(spec.get("clients") or []):
        if "secret" not in client:
            continue
        path: DocPath = ("clients", i, "secret")
        if client["secret"] == MASKED_SECRET:
            del client["secret"]
            warnings.append(
                (
                    "clients[].secret",
                    Problem(
                        "the masked secret of an export ('**********') is not the secret: ignored",
                        doc.location(path, key=True),
                        dotted(path),
                        "declare it as secret: ${env:NAME} to manage it; left out, Keycloak keeps the "
                        "client's secret (or makes one for a new client)",
                    ),
                )
            )
        elif client.get("publicClient") is True and client["secret"] is not None:
            problems.append(
                Problem(
                    "a public client has no secret (Keycloak drops it, so it would never match)",
                    doc.location(path, key=True),
                    dotted(path),
                    "remove secret, or set publicClient: false",
                )
            )
    return problems
