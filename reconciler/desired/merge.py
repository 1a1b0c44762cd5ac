"""Merging documents by realm: lists are concatenated, realm settings merged; the same object or
setting declared twice is an error that names both places.

Every merged object keeps its origin (document and path), so later checks can point at the exact
line of a reference inside it.
"""

from __future__ import annotations

from typing import Any

from reconciler.desired.declared import MergedRealm, Origin, at, path_of, shown
from reconciler.desired.language import LIST_KEYS, MAPLIST_KEYS, SECTIONS
from reconciler.desired.positions import Document
from reconciler.desired.structure import children_of
from reconciler.errors import Problem

__all__ = ["NESTED", "MergedRealm", "Origin", "at", "merge", "path_of", "shown"]

# Object sections ("roles") whose inner lists are merged item by item: key -> model.
NESTED = {s.key: s.model for s in SECTIONS if s.shape == "object" and s.model is not None}


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
            if key in LIST_KEYS:
                realm.spec.setdefault(key, []).extend(value)
                realm.items.setdefault(key, []).extend((doc, (key, i)) for i in range(len(value)))
            elif key in NESTED:
                merge_nested(realm, doc, key, value)
            elif key in MAPLIST_KEYS:
                merge_maplist(realm, doc, key, value or {})
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


def merge_maplist(realm: MergedRealm, doc: Document, key: str, value: dict[str, Any]) -> None:
    """A map of lists (``clientScopeMappings``): the lists under one map key, concatenated."""
    merged = realm.spec.setdefault(key, {})
    for map_key, items in value.items():
        part = list(items or [])
        merged.setdefault(map_key, []).extend(part)
        realm.map_keys.setdefault(key, {}).setdefault(map_key, []).append((doc, (key, map_key)))
        realm.items.setdefault(f"{key}.{map_key}", []).extend(
            (doc, (key, map_key, i)) for i in range(len(part))
        )


def merge_nested(realm: MergedRealm, doc: Document, key: str, value: dict[str, Any]) -> None:
    """An object section's lists, concatenated item by item (``roles.realm``, ``roles.client.<id>``)."""
    merged = realm.spec.setdefault(key, {})
    children = children_of(NESTED[key])
    for field_name, scalar in value.items():
        if field_name not in children:  # a scalar of the section (userProfile.unmanagedAttributePolicy)
            merged[field_name] = scalar
    for field_name, (shape, _) in children.items():
        if field_name not in value:
            continue
        part: Any = value[field_name] or ([] if shape == "list" else {})
        where = f"{key}.{field_name}"
        if shape == "object":
            merged[field_name] = part
            continue
        if shape == "list":
            merged.setdefault(field_name, [])  # declared empty is declared (``profiles: []`` removes all)
            for i, item in enumerate(part):
                merged.setdefault(field_name, []).append(item)
                realm.items.setdefault(where, []).append((doc, (key, field_name, i)))
            continue
        for map_key, items in part.items():
            merged.setdefault(field_name, {}).setdefault(map_key, []).extend(items)
            realm.map_keys.setdefault(where, {}).setdefault(map_key, []).append(
                (doc, (key, field_name, map_key))
            )
            realm.items.setdefault(f"{where}.{map_key}", []).extend(
                (doc, (key, field_name, map_key, i)) for i in range(len(items))
            )
