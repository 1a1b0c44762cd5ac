"""Offline checks of the clients' ``authorizationSettings`` (``AuthorizationKind.check_declared`` runs
them): names unique per list, every reference inside a resource's scopes and a policy's ``config``
(JSON text or a list, so not a plain ``Reference`` field) naming something declared or built in, the
client able to hold authorization services, and the admin-permissions client's own rules.

A user that a policy names may be left undeclared (users are often not kept in git): the plan checks
that Keycloak has it, before any write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.desired.authorization_refs import (
    ADMIN_PERMISSIONS,
    ADMIN_RESOURCE_TYPES,
    ADMIN_SCOPES,
    PERMISSION_TYPES,
    REFERENCE_KEYS,
    BadReference,
    parse_refs,
    ref_name,
    split_role,
)
from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, Sub, say, shown

BASE: Sub = ("authorizationSettings",)
# resourceType of an admin permission -> the config key naming the same kind of object in a policy
ADMIN_OBJECTS = {"Users": "users", "Groups": "groups", "Clients": "clients", "Roles": "roles"}


class _Checker:
    def __init__(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        self.realm, self.names, self.found = realm, names, found

    def missing(
        self, origin: Origin, sub: Sub, what: str, name: str, hint: str, absent: bool = False
    ) -> None:
        text = shown(origin, name, *sub)
        if absent:
            self.found.error(
                origin, sub, f"{say(what, text)} is declared with state: absent", "remove the reference"
            )
        else:
            self.found.error(
                origin, sub, f"{say(what, text)} is not declared in realm {self.realm.name!r}", hint
            )

    def resolves(self, kind: str, name: tuple[str, str]) -> bool:
        names = self.names[kind]
        return name in names.present or name in names.builtin

    def client(self, client: dict[str, Any], origin: Origin) -> None:
        if client.get("state") == "absent":
            return
        if client.get("authorizationServicesEnabled") is True:
            for flag in ("bearerOnly", "publicClient"):
                if client.get(flag) is True:
                    self.found.error(
                        origin,
                        (flag,),
                        f"authorization services need a confidential client, and this one has {flag}: true "
                        "(Keycloak fails the write with HTTP 500)",
                        f"remove {flag}: true, and set serviceAccountsEnabled: true",
                    )
        settings = client.get("authorizationSettings")
        if not isinstance(settings, dict):
            return
        fgap = client.get("clientId") == ADMIN_PERMISSIONS
        if fgap:
            self.admin_permissions(settings, origin)
        elif client.get("authorizationServicesEnabled") is not True:
            self.found.error(
                origin,
                BASE,
                "authorizationSettings need the client's authorization services",
                "set authorizationServicesEnabled: true on the client",
                key=True,
            )
        declared = self.unique(settings, origin)
        for i, resource in enumerate(settings.get("resources") or []):
            for j, scope in enumerate(resource.get("scopes") or []):
                if scope not in declared["scopes"]:
                    self.missing(
                        origin,
                        (*BASE, "resources", i, "scopes", j),
                        "authorization scope",
                        scope,
                        "declare it under authorizationSettings.scopes",
                    )
        policies = {
            p.get("name") for p in settings.get("policies") or [] if p.get("type") not in PERMISSION_TYPES
        }
        known = {"policy": policies, "resource": declared["resources"], "scope": declared["scopes"]}
        for i, policy in enumerate(settings.get("policies") or []):
            for key, value in (policy.get("config") or {}).items():
                if key not in REFERENCE_KEYS or (key in ("resources", "scopes") and fgap):
                    continue  # an admin permission's: admin_permissions
                sub = (*BASE, "policies", i, "config", key)
                for ref in self.refs(origin, sub, key, value):
                    self.reference(origin, sub, key, ref_name(key, ref), known)

    def unique(self, settings: dict[str, Any], origin: Origin) -> dict[str, set[str]]:
        declared: dict[str, set[str]] = {}
        for section, what in (("scopes", "scope"), ("resources", "resource"), ("policies", "policy")):
            declared[section] = set()
            for i, item in enumerate(settings.get(section) or []):
                name = item.get("name")
                if name in declared[section]:
                    self.found.error(
                        origin,
                        (*BASE, section, i, "name"),
                        f"authorization {what} {name!r} is declared twice",
                        "declare it once",
                    )
                declared[section].add(name)
        return declared

    def refs(self, origin: Origin, sub: Sub, key: str, value: Any) -> list[Any]:
        try:
            return parse_refs(key, value)
        except BadReference as exc:
            self.found.error(origin, sub, f"config.{key} {exc}", "write a list of names")
            return []

    def reference(self, origin: Origin, sub: Sub, key: str, name: str, known: dict[str, set[str]]) -> None:
        what = REFERENCE_KEYS[key]
        if what == "role":
            clients = {n for _, n in self.names["client"].present | self.names["client"].builtin}
            client_id, role = split_role(name, clients)
            if not self.resolves("role", (client_id or "", role)):
                if client_id is None:
                    self.missing(origin, sub, "realm role", role, "declare it under roles.realm")
                else:
                    self.missing(
                        origin,
                        sub,
                        f"role {{}} of client {client_id!r}",
                        role,
                        f"declare it under roles.client.{client_id}",
                    )
        elif what == "group" and not self.resolves("group", ("", name)):
            self.missing(origin, sub, "group", name, "declare it under groups (subGroups)")
        elif what == "client" and not self.resolves("client", ("", name)):
            self.missing(origin, sub, "client", name, "declare the client under clients")
        elif what == "user" and ("", name.lower()) in self.names["user"].absent:
            self.missing(origin, sub, "user", name.lower(), "", absent=True)
        elif what in known and name not in known[what]:
            self.missing(
                origin,
                sub,
                f"authorization {what}",
                name,
                "declare it in this client's authorizationSettings",
            )

    def admin_permissions(self, settings: dict[str, Any], origin: Origin) -> None:
        """The admin-permissions client (FGAP v2): only its policies are declared (its resources and
        scopes are Keycloak's); a permission covers objects of its resourceType, by name."""
        if self.realm.spec.get("adminPermissionsEnabled") is not True:
            self.found.error(
                origin,
                BASE,
                f"the {ADMIN_PERMISSIONS} client exists only while the realm has admin permissions",
                "set adminPermissionsEnabled: true on the realm",
                key=True,
            )
        for section in ("resources", "scopes"):
            if section in settings:
                self.found.error(
                    origin,
                    (*BASE, section),
                    f"the {section} of the {ADMIN_PERMISSIONS} client are Keycloak's own",
                    f"remove {section}; declare permissions under policies with a resourceType",
                    key=True,
                )
        for i, policy in enumerate(settings.get("policies") or []):
            if policy.get("type") not in PERMISSION_TYPES:
                continue
            resource_type = policy.get("resourceType")
            if resource_type not in ADMIN_RESOURCE_TYPES:
                self.found.error(
                    origin,
                    (*BASE, "policies", i, "resourceType"),
                    f"an admin permission needs a resourceType ({', '.join(ADMIN_RESOURCE_TYPES)})",
                    "write the type of the objects it covers",
                )
                continue
            config = policy.get("config") or {}
            sub = (*BASE, "policies", i, "config")
            for scope in self.refs(origin, (*sub, "scopes"), "scopes", config.get("scopes") or []):
                if scope not in ADMIN_SCOPES:
                    self.found.error(
                        origin,
                        (*sub, "scopes"),
                        f"{scope!r} is not a scope of admin permissions",
                        f"use one of {', '.join(sorted(ADMIN_SCOPES))}",
                    )
            key = ADMIN_OBJECTS[resource_type]
            for ref in self.refs(origin, (*sub, "resources"), "resources", config.get("resources") or []):
                self.reference(origin, (*sub, "resources"), key, ref, {})


def check_authorization(realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
    checker = _Checker(realm, names, found)
    for client, origin in realm.listed("clients"):
        if isinstance(client, dict):
            checker.client(client, origin)
