"""Checks of a merged realm: duplicate names, references that must resolve, composite-role cycles and
values Keycloak would refuse (empty names, malformed redirect URIs, organization domains).

Everything is linear in the number of objects: names go into sets once, then each reference is one
lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from reconciler.builtins import (
    BUILTIN_CLIENT_ROLES,
    BUILTIN_CLIENT_SCOPES,
    BUILTIN_CLIENTS,
    OIDC,
    REALM_MANAGEMENT,
    REALM_MANAGEMENT_AS_CREATED,
    builtin_realm_roles,
    builtin_scope_protocol,
)
from reconciler.compare import Rules, diff_declared
from reconciler.desired.limits import check_limits
from reconciler.desired.merge import MergedRealm, Origin, at, path_of, shown
from reconciler.errors import Problem

_DOMAIN = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)
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


@dataclass
class _Checker:
    realm: MergedRealm
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    realm_roles: set[str] = field(default_factory=set)
    clients: set[str] = field(default_factory=set)
    client_roles: dict[str, set[str]] = field(default_factory=dict)
    scopes: set[str] = field(default_factory=set)
    group_paths: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    identity_providers: set[str] = field(default_factory=set)
    absent: set[tuple[str, str]] = field(default_factory=set)  # (what, name) declared state: absent

    @property
    def spec(self) -> dict[str, Any]:
        return self.realm.spec

    def error(
        self, origin: Origin, sub: tuple[str | int, ...], message: str, hint: str = "", *, key: bool = False
    ) -> None:
        self.problems.append(Problem(message, at(origin, *sub, key=key), path_of(origin, *sub), hint))

    def items(self, collection: str) -> Iterator[tuple[dict[str, Any], Origin]]:
        yield from zip(self._list(collection), self.realm.items.get(collection, []), strict=True)

    def _list(self, collection: str) -> list[Any]:
        if collection.startswith("roles.client."):
            return list((self.spec.get("roles") or {}).get("client", {}).get(collection[13:], []))
        if collection == "roles.realm":
            return list((self.spec.get("roles") or {}).get("realm", []))
        return list(self.spec.get(collection) or [])

    # -- names ---------------------------------------------------------------------------------
    def collect(
        self, collection: str, key: str, what: str, into: set[str], normalise: Callable[[str], str] = str
    ) -> None:
        seen: dict[str, Origin] = {}
        for obj, origin in self.items(collection):
            name = obj.get(key)
            if not isinstance(name, str):
                continue
            if not name.strip():
                self.error(origin, (key,), f"{key} must not be empty", f"write the {key}")
                continue
            norm = normalise(name)
            if norm in seen:
                self.error(
                    origin,
                    (key,),
                    f"{_say(what, shown(origin, name, key))} is declared twice "
                    f"(also at {at(seen[norm], key)})",
                    "declare it once",
                )
                continue
            seen[norm] = origin
            if obj.get("state") == "absent":
                self.absent.add((what, norm))
            else:
                into.add(norm)

    def collect_all(self) -> None:
        self.collect("clients", "clientId", "client", self.clients)
        self.collect("clientScopes", "name", "client scope", self.scopes)
        self.collect("identityProviders", "alias", "identity provider", self.identity_providers)
        self.collect("roles.realm", "name", "realm role", self.realm_roles)
        for client_id in (self.spec.get("roles") or {}).get("client", {}):
            names: set[str] = set()
            self.collect(f"roles.client.{client_id}", "name", f"role {{}} of client {client_id!r}", names)
            self.client_roles[client_id] = names
        self.collect_users()
        self.collect_organizations()
        self.collect_groups(self.spec.get("groups") or [], self.realm.items.get("groups", []), "")
        self.realm_roles.update(builtin_realm_roles(self.realm.name))
        self.clients.update(BUILTIN_CLIENTS)
        for client_id, builtin_roles in BUILTIN_CLIENT_ROLES.items():
            self.client_roles.setdefault(client_id, set()).update(builtin_roles)
        self.scopes.update(BUILTIN_CLIENT_SCOPES)

    def collect_users(self) -> None:
        seen: dict[str, Origin] = {}
        for user, origin in self.items("users"):
            username, sa_client = user.get("username"), user.get("serviceAccountClientId")
            if isinstance(username, str) and not username.strip():
                self.error(
                    origin, ("username",), "user username must not be empty", "give the user a username"
                )
                continue
            # Keycloak stores usernames in lower case: "Alice" and "alice" are the same user
            key, sub = (
                (f"username:{username.lower()}", "username")
                if isinstance(username, str)
                else (f"service-account:{sa_client}", "serviceAccountClientId")
            )
            if key in seen:
                self.error(
                    origin,
                    (sub,),
                    f"user {shown(origin, user.get(sub), sub)} is declared twice "
                    f"(also at {at(seen[key], sub)})",
                    "declare it once",
                )
                continue
            seen[key] = origin
            if isinstance(username, str) and user.get("state") == "absent":
                self.absent.add(("user", username.lower()))
            elif isinstance(username, str):
                self.usernames.add(username.lower())

    def collect_organizations(self) -> None:
        names: dict[str, Origin] = {}
        aliases: dict[str, Origin] = {}
        domains: dict[str, tuple[Origin, int]] = {}
        for org, origin in self.items("organizations"):
            for key, seen in (("name", names), ("alias", aliases)):
                value = org.get(key)
                if not isinstance(value, str):
                    continue
                if not value.strip():
                    self.error(
                        origin,
                        (key,),
                        f"organization {key} must not be empty",
                        f"give the organization a {key}",
                    )
                elif value in seen:
                    self.error(
                        origin,
                        (key,),
                        f"organization {key} {shown(origin, value, key)} is declared "
                        f"twice (also at {at(seen[value], key)})",
                        "declare it once",
                    )
                else:
                    seen[value] = origin
            for i, domain in enumerate(org.get("domains") or []):
                name = domain.get("name")
                if not isinstance(name, str):
                    continue
                if not _DOMAIN.fullmatch(name) and not _unresolved(origin, "domains", i, "name"):
                    self.error(
                        origin,
                        ("domains", i),
                        f"{shown(origin, name, 'domains', i)} is not a domain name",
                        "write a host name such as example.com (or *.example.com)",
                    )
                elif name in domains:
                    first, j = domains[name]
                    self.error(
                        origin,
                        ("domains", i),
                        f"domain {shown(origin, name, 'domains', i)} belongs to "
                        f"two organizations (also at {at(first, 'domains', j)})",
                        "a domain can belong to one organization of a realm only",
                    )
                else:
                    domains[name] = (origin, i)

    def collect_groups(self, groups: list[Any], origins: list[Origin], parent: str) -> None:
        seen: dict[str, Origin] = {}
        for group, origin in zip(groups, origins, strict=True):
            name = group.get("name")
            if not isinstance(name, str):
                continue
            if not name.strip():
                self.error(origin, ("name",), "group name must not be empty", "give the group a name")
                continue
            path = f"{parent}/{name}"
            if name in seen:
                self.error(
                    origin,
                    ("name",),
                    f"group {shown(origin, path, 'name')} is declared twice "
                    f"(also at {at(seen[name], 'name')})",
                    "declare it once (subgroups go under subGroups of one declaration)",
                )
                continue
            seen[name] = origin
            if group.get("state") == "absent":
                self.absent.add(("group", path))
            else:
                self.group_paths.add(path)
            subs = group.get("subGroups") or []
            doc, base = origin
            self.collect_groups(subs, [(doc, (*base, "subGroups", i)) for i in range(len(subs))], path)

    # -- references ----------------------------------------------------------------------------
    def missing(
        self,
        origin: Origin,
        sub: tuple[str | int, ...],
        what: str,
        name: str,
        hint: str,
        *,
        key: bool = False,
    ) -> None:
        absent = (what, name) in self.absent
        text = shown(origin, name, *sub)
        message = (
            f"{_say(what, text)} is declared with state: absent"
            if absent
            else f"{_say(what, text)} is not declared in realm {self.realm.name!r}"
        )
        self.error(origin, sub, message, "remove the reference" if absent else hint, key=key)

    def check_role_refs(
        self,
        origin: Origin,
        realm_roles: Any,
        client_roles: Any,
        realm_sub: tuple[str | int, ...],
        client_sub: tuple[str | int, ...],
    ) -> None:
        for i, name in enumerate(realm_roles or []):
            if name not in self.realm_roles:
                self.missing(origin, (*realm_sub, i), "realm role", name, "declare it under roles.realm")
        for client_id, names in (client_roles or {}).items():
            if client_id not in self.clients:
                self.missing(
                    origin,
                    (*client_sub, client_id),
                    "client",
                    client_id,
                    "declare the client under clients",
                    key=True,
                )
                continue
            known = self.client_roles.get(client_id, set())
            for i, name in enumerate(names or []):
                if name not in known:
                    self.missing(
                        origin,
                        (*client_sub, client_id, i),
                        f"role {{}} of client {client_id!r}",
                        name,
                        f"declare it under roles.client.{client_id}",
                    )

    def check_references(self) -> None:
        for client_id, origins in self.realm.client_role_keys.items():
            if client_id not in self.clients:
                self.missing(
                    origins[0], (), "client", client_id, "declare the client under clients", key=True
                )
        role_lists = [
            "roles.realm",
            *(f"roles.client.{c}" for c in (self.spec.get("roles") or {}).get("client", {})),
        ]
        for collection in role_lists:
            for role, origin in self.items(collection):
                comps = role.get("composites") or {}
                self.check_role_refs(
                    origin,
                    comps.get("realm"),
                    comps.get("client"),
                    ("composites", "realm"),
                    ("composites", "client"),
                )
        self.check_group_refs(self.spec.get("groups") or [], self.realm.items.get("groups", []))
        declared_clients = {c.get("clientId"): c for c in self.spec.get("clients") or []}
        for user, origin in self.items("users"):
            self.check_role_refs(
                origin, user.get("realmRoles"), user.get("clientRoles"), ("realmRoles",), ("clientRoles",)
            )
            for i, path in enumerate(user.get("groups") or []):
                if not path.startswith("/"):
                    self.error(
                        origin,
                        ("groups", i),
                        f"group path {shown(origin, path, 'groups', i)} must start with /",
                        "write the full path, e.g. /parent/child",
                    )
                elif path not in self.group_paths:
                    self.missing(origin, ("groups", i), "group", path, "declare it under groups (subGroups)")
            sa_client = user.get("serviceAccountClientId")
            if isinstance(sa_client, str):
                if sa_client not in self.clients:
                    self.missing(
                        origin,
                        ("serviceAccountClientId",),
                        "client",
                        sa_client,
                        "declare the client under clients",
                    )
                elif declared_clients.get(sa_client, {}).get("serviceAccountsEnabled") is False:
                    self.error(
                        origin,
                        ("serviceAccountClientId",),
                        f"client {sa_client!r} has serviceAccountsEnabled: false",
                        "set serviceAccountsEnabled: true on the client",
                    )
        protocols = {s.get("name"): s.get("protocol") or OIDC for s in self.spec.get("clientScopes") or []}
        for client, origin in self.items("clients"):
            for key in ("defaultClientScopes", "optionalClientScopes"):
                self.check_scopes(origin, key, client.get(key))
                self.check_scope_protocols(origin, key, client, protocols)
            for i, uri in enumerate(client.get("redirectUris") or []):
                self.check_redirect_uri(origin, i, uri)
        for key in ("defaultDefaultClientScopes", "defaultOptionalClientScopes"):
            seen: set[str] = set()
            for name, origin in zip(self.spec.get(key) or [], self.realm.items.get(key, []), strict=True):
                if name in seen:
                    self.error(
                        origin,
                        (),
                        f"client scope {shown(origin, name)} is listed twice in {key}",
                        "list it once",
                    )
                seen.add(name)
                self.check_scope(origin, (), name)
        self.check_user_profile()
        for mapper, origin in self.items("identityProviderMappers"):
            alias = mapper.get("identityProviderAlias")
            if not isinstance(alias, str):
                self.error(
                    origin, (), "identityProviderAlias is required", "name the mapper's identity provider"
                )
            elif alias not in self.identity_providers:
                self.missing(
                    origin,
                    ("identityProviderAlias",),
                    "identity provider",
                    alias,
                    "declare it under identityProviders",
                )
        for org, origin in self.items("organizations"):
            for i, alias in enumerate(org.get("identityProviders") or []):
                if isinstance(alias, str) and alias not in self.identity_providers:
                    self.missing(
                        origin,
                        ("identityProviders", i),
                        "identity provider",
                        alias,
                        "declare it under identityProviders",
                    )
            for i, member in enumerate(org.get("members") or []):
                if isinstance(member, str) and member.lower() not in self.usernames:
                    if ("user", member.lower()) in self.absent:
                        self.missing(origin, ("members", i), "user", member.lower(), "")
                    else:
                        self.missing(origin, ("members", i), "user", member, "declare the user under users")

    def check_user_profile(self) -> None:
        """A declared profile keeps username and email, and allows the attributes users declare
        (Keycloak drops the others silently while unmanaged attributes are DISABLED)."""
        profile = self.spec.get("userProfile")
        origins = self.realm.items.get("userProfile.attributes") or []
        if not isinstance(profile, dict) or not origins:
            return
        declared = {a.get("name") for a in profile.get("attributes") or [] if isinstance(a, dict)}
        for name in ("username", "email"):
            if name not in declared:
                self.error(
                    origins[0],
                    (),
                    f"userProfile.attributes must keep {name!r}",
                    f"declare the attribute {name!r} (Keycloak cannot remove it)",
                )
        if (profile.get("unmanagedAttributePolicy") or "DISABLED") != "DISABLED":
            return
        for user, origin in self.items("users"):
            for name in user.get("attributes") or {}:
                if name not in declared:
                    self.error(
                        origin,
                        ("attributes", name),
                        f"attribute {name!r} is not in the declared userProfile",
                        "declare it under userProfile.attributes, or set unmanagedAttributePolicy",
                        key=True,
                    )

    def check_group_refs(self, groups: list[Any], origins: list[Origin]) -> None:
        for group, origin in zip(groups, origins, strict=True):
            self.check_role_refs(
                origin, group.get("realmRoles"), group.get("clientRoles"), ("realmRoles",), ("clientRoles",)
            )
            subs = group.get("subGroups") or []
            doc, base = origin
            self.check_group_refs(subs, [(doc, (*base, "subGroups", i)) for i in range(len(subs))])

    def check_scopes(self, origin: Origin, key: str, names: Any) -> None:
        for i, name in enumerate(names or []):
            self.check_scope(origin, (key, i), name)

    def check_scope_protocols(
        self, origin: Origin, key: str, client: dict[str, Any], protocols: dict[str, str]
    ) -> None:
        """Keycloak silently ignores a link to a scope of another protocol (a SAML role_list on an
        OpenID Connect client): the plan would show it forever."""
        protocol = client.get("protocol") or OIDC
        for i, name in enumerate(client.get(key) or []):
            if name not in self.scopes:
                continue  # reported as missing
            theirs = protocols.get(name) or builtin_scope_protocol(name)
            if theirs != protocol:
                self.error(
                    origin,
                    (key, i),
                    f"client scope {shown(origin, name, key, i)} has protocol {theirs}, and this "
                    f"client has protocol {protocol}: Keycloak silently ignores the link",
                    f"remove it, or link a scope whose protocol is {protocol}",
                )

    def check_scope(self, origin: Origin, sub: tuple[str | int, ...], name: str) -> None:
        if name not in self.scopes:
            self.missing(origin, sub, "client scope", name, "declare it under clientScopes")

    def check_redirect_uri(self, origin: Origin, i: int, uri: str) -> None:
        sub = ("redirectUris", i)
        if _unresolved(origin, *sub):
            return  # an unset ${env:...} under kcr validate: checked by plan, once it has a value
        wrong = redirect_uri_problem(uri)
        if wrong:
            message, hint = wrong
            self.error(origin, sub, f"redirect URI {shown(origin, uri, *sub)} {message}", hint)
        elif "*" in uri[:-1]:
            self.warnings.append(
                Problem(
                    f"redirect URI {shown(origin, uri, *sub)} has a '*' that is not at the end",
                    at(origin, *sub),
                    path_of(origin, *sub),
                    "Keycloak treats '*' as a wildcard only as the last character",
                )
            )

    # -- Keycloak's own realm-management client -------------------------------------------------
    def check_realm_management(self) -> None:
        """Declaring it as Keycloak made it is fine (exports do); any change would be a 403."""
        for client, origin in self.items("clients"):
            if client.get("clientId") != REALM_MANAGEMENT:
                continue
            if client.get("state") == "absent":
                self.error(origin, ("state",), f"{_REFUSED}: it cannot be deleted", "remove state: absent")
                continue
            for diff in diff_declared(client, REALM_MANAGEMENT_AS_CREATED, _CLIENT_RULES):
                sub = tuple(diff.path.split(".", 1)[0:1])
                self.error(origin, sub, f"{_REFUSED}: {diff.path} cannot change", f"remove {diff.path}")
        collection = f"roles.client.{REALM_MANAGEMENT}"
        for role, origin in self.items(collection):
            name = role.get("name")
            if role.get("state") == "absent" or name not in BUILTIN_CLIENT_ROLES[REALM_MANAGEMENT]:
                self.error(
                    origin,
                    ("name",),
                    f"{_REFUSED}: its roles cannot be created or deleted",
                    f"remove this role from {collection}",
                )

    # -- composite cycles ----------------------------------------------------------------------
    def check_cycles(self) -> None:
        graph: dict[tuple[str, str], list[tuple[str, str]]] = {}
        where: dict[tuple[str, str], Origin] = {}
        roles = self.spec.get("roles") or {}
        lists: list[tuple[str, str]] = [("", "roles.realm")]
        lists += [(c, f"roles.client.{c}") for c in roles.get("client", {})]
        for client_id, collection in lists:
            for role, origin in self.items(collection):
                node = (client_id, role.get("name", ""))
                comps = role.get("composites") or {}
                targets = [("", n) for n in comps.get("realm") or []]
                targets += [(c, n) for c, names in (comps.get("client") or {}).items() for n in names or []]
                graph[node] = targets
                where[node] = origin
        state: dict[tuple[str, str], int] = {}  # 1 on the stack, 2 done
        reported: set[frozenset[tuple[str, str]]] = set()
        for start in graph:
            if state.get(start):
                continue
            stack: list[tuple[tuple[str, str], Iterator[tuple[str, str]]]] = [(start, iter(graph[start]))]
            state[start] = 1
            while stack:
                node, edges = stack[-1]
                nxt = next(edges, None)
                if nxt is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(nxt) == 1:
                    cycle = [n for n, _ in stack][[n for n, _ in stack].index(nxt) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        names = " -> ".join(_role_label(n) for n in [*cycle, nxt])
                        self.error(
                            where[nxt],
                            ("composites",),
                            f"composite roles form a cycle: {names}",
                            "remove one of the composites",
                            key=True,
                        )
                elif nxt in graph and not state.get(nxt):
                    state[nxt] = 1
                    stack.append((nxt, iter(graph[nxt])))


def _unresolved(origin: Origin, *sub: str | int) -> bool:
    doc, path = origin
    return doc.is_unresolved((*path, *sub))


def _say(what: str, name: str) -> str:
    """("realm role", "'x'") -> "realm role 'x'"; ("role {} of client 'web'", "'x'") -> "role 'x' of ..."."""
    return what.replace("{}", name) if "{}" in what else f"{what} {name}"


def _role_label(node: tuple[str, str]) -> str:
    client_id, name = node
    return f"{client_id}/{name}" if client_id else name


def check_realm(realm: MergedRealm) -> tuple[list[Problem], list[Problem]]:
    """The problems and warnings of one merged realm."""
    checker = _Checker(realm)
    checker.collect_all()
    checker.check_references()
    checker.check_realm_management()
    checker.check_cycles()
    return checker.problems + check_limits(realm), checker.warnings
