"""Merging documents by realm: lists are concatenated, realm settings merged; the same object or
setting declared twice is an error that names both places.

Every merged object keeps its origin (document and path), so later checks can point at the exact
line of a reference inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.positions import DocPath, Document, dotted
from reconciler.errors import Problem, SourceLocation

Origin = tuple[Document, DocPath]
LISTS = (
    "clientScopes",
    "clients",
    "groups",
    "users",
    "organizations",
    "defaultDefaultClientScopes",
    "defaultOptionalClientScopes",
)


@dataclass
class MergedRealm:
    name: str
    origin: Origin
    spec: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Origin] = field(default_factory=dict)
    # collection ("clients", "roles.realm", "roles.client.<clientId>", ...) -> origin of each item
    items: dict[str, list[Origin]] = field(default_factory=dict)
    client_role_keys: dict[str, list[Origin]] = field(default_factory=dict)  # clientId -> where keyed


def at(origin: Origin, *sub: str | int, key: bool = False) -> SourceLocation:
    doc, path = origin
    return doc.location((*path, *sub), key=key)


def path_of(origin: Origin, *sub: str | int) -> str:
    return dotted((*origin[1], *sub))


def shown(origin: Origin, value: Any, *sub: str | int) -> str:
    """A value for a message: quoted, unless ${...} substitution produced it (it may be secret)."""
    doc, path = origin
    if doc.is_substituted((*path, *sub)):
        return "(substituted value)"
    return repr(value)


def merge(documents: list[tuple[Document, dict[str, Any]]]) -> tuple[dict[str, MergedRealm], list[Problem]]:
    realms: dict[str, MergedRealm] = {}
    problems: list[Problem] = []
    for doc, spec in documents:
        name = spec["realm"]
        realm = realms.get(name)
        if realm is None:
            realm = realms[name] = MergedRealm(name, (doc, ()), {"realm": name})
        for key, value in spec.items():
            if key == "realm":
                continue
            origin: Origin = (doc, (key,))
            if key in LISTS:
                realm.spec.setdefault(key, []).extend(value)
                realm.items.setdefault(key, []).extend((doc, (key, i)) for i in range(len(value)))
            elif key == "roles":
                merge_roles(realm, doc, value)
            elif key in realm.settings:
                first = realm.settings[key]
                problems.append(
                    Problem(
                        f"realm setting {key!r} of realm {name!r} is declared twice "
                        f"(also at {at(first, key=True)})",
                        doc.location((key,), key=True),
                        key,
                        "declare it in one place only",
                    )
                )
            else:
                realm.spec[key] = value
                realm.settings[key] = origin
    return realms, problems


def merge_roles(realm: MergedRealm, doc: Document, roles: dict[str, Any]) -> None:
    merged = realm.spec.setdefault("roles", {})
    for i, role in enumerate(roles.get("realm") or []):
        merged.setdefault("realm", []).append(role)
        realm.items.setdefault("roles.realm", []).append((doc, ("roles", "realm", i)))
    for client_id, client_roles in (roles.get("client") or {}).items():
        merged.setdefault("client", {}).setdefault(client_id, []).extend(client_roles)
        realm.client_role_keys.setdefault(client_id, []).append((doc, ("roles", "client", client_id)))
        realm.items.setdefault(f"roles.client.{client_id}", []).extend(
            (doc, ("roles", "client", client_id, i)) for i in range(len(client_roles))
        )
