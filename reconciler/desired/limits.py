"""Values Keycloak cannot store or address, refused before anything is sent:

- text longer than its database columns hold (255 characters): Keycloak answers a bare HTTP 500;
- names that are URL dot segments (``.``, ``..``): kcr addresses roles and groups by name, and a URL
  cannot hold such a segment (normalised away by the HTTP client, or refused by Keycloak when encoded
  as ``%2E``), so the request would reach another object or fail.

Checked against Keycloak 26.7.3 in tests/integration/test_realm_file_defects.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from reconciler.desired.merge import MergedRealm, Origin, at, path_of
from reconciler.errors import Problem
from reconciler.kinds import REGISTRY

MAX_LENGTH = 255
DOT_SEGMENTS = frozenset({".", ".."})

# collection -> fields holding text of at most MAX_LENGTH characters (each kind's ``text_limits``).
# "x[]": every item of list x; "x[].y": field y of every item of x; "attributes{}": every key and value
# of a list map.
LIMITED: dict[str, tuple[str, ...]] = {
    kind.collection: kind.text_limits for kind in REGISTRY if kind.collection and kind.text_limits
}
REALM_LIMITED = ("displayName",)
# Objects that kcr addresses by name in a URL path (and realms: /admin/realms/<realm>): collection ->
# the field naming them.
NAMED_IN_URLS = {
    kind.collection: kind.key_field
    for kind in REGISTRY
    if kind.collection and kind.key_field and kind.named_in_urls
}

Sub = tuple[str | int, ...]


def objects(realm: MergedRealm, collection: str) -> Iterator[tuple[dict[str, Any], Origin]]:
    """Every declared object of a collection ("roles": realm and client roles; "groups": at any depth)."""
    for kind in REGISTRY:
        if kind.collection == collection:
            for obj in kind.declared_objects(realm):
                yield obj.spec, obj.origin


def _values(obj: dict[str, Any], field: str) -> Iterator[tuple[Sub, Any, bool]]:
    """(path below the object, value, is a map key) for each value a LIMITED field names."""
    if field.endswith("{}"):
        for key, values in (obj.get(field[:-2]) or {}).items():
            yield (field[:-2], key), key, True
            for i, value in enumerate(values if isinstance(values, list) else [values]):
                yield ((field[:-2], key, i) if isinstance(values, list) else (field[:-2], key)), value, False
    elif field.endswith("[]"):
        for i, value in enumerate(obj.get(field[:-2]) or []):
            yield (field[:-2], i), value, False
    elif "[]." in field:
        outer, inner = field.split("[].", 1)
        for i, item in enumerate(obj.get(outer) or []):
            if isinstance(item, dict):
                yield (outer, i, inner), item.get(inner), False
    else:
        yield (field,), obj.get(field), False


def _too_long(origin: Origin, sub: Sub, value: Any, key: bool) -> Problem | None:
    if not isinstance(value, str) or len(value) <= MAX_LENGTH:
        return None
    what = "key" if key else "value"
    return Problem(
        f"this {what} is {len(value)} characters long; Keycloak stores at most {MAX_LENGTH} "
        "and fails without saying why on longer ones (HTTP 500)",
        at(origin, *sub, key=key),
        path_of(origin, *sub),
        f"shorten it to {MAX_LENGTH} characters or fewer",
    )


def check_limits(realm: MergedRealm) -> list[Problem]:
    """Values too long for Keycloak, and names no URL can address."""
    problems: list[Problem] = []
    top: list[tuple[dict[str, Any], Origin, str]] = [({"realm": realm.name}, realm.origin, "realm")]
    top += [(realm.spec, (realm.settings[k][0], ()), k) for k in REALM_LIMITED if k in realm.settings]
    for obj, origin, field in top:
        found = _too_long(origin, (field,), obj.get(field), False)
        problems.extend([found] if found else [])
    for collection, fields in LIMITED.items():
        for obj, origin in objects(realm, collection):
            for field in fields:
                for sub, value, is_key in _values(obj, field):
                    found = _too_long(origin, sub, value, is_key)
                    problems.extend([found] if found else [])
    named = [("realms", "realm", {"realm": realm.name}, realm.origin)]
    named += [(c, k, obj, origin) for c, k in NAMED_IN_URLS.items() for obj, origin in objects(realm, c)]
    for collection, name_key, obj, origin in named:
        if obj.get(name_key) in DOT_SEGMENTS:
            problems.append(
                Problem(
                    f"{name_key} {obj[name_key]!r} cannot be used: Keycloak's Admin API addresses "
                    f"{collection} by name in the URL, and no URL can hold the segment {obj[name_key]!r}",
                    at(origin, name_key),
                    path_of(origin, name_key),
                    "choose another name",
                )
            )
    return problems
