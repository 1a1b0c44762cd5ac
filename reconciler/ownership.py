"""The ownership record: which objects kcr manages in a realm, so that pruning deletes only those.

Kept server-side, in the realm attribute ``kcr.managed`` (a JSON object: collection -> sorted keys),
because not every kind can carry a marker of its own (the user profile silently drops undeclared
user attributes). An object becomes managed when it is declared and applied; an object created by
hand is never in the record, so it is never pruned unless the policy names it.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.keycloak.client import AdminClient, seg

ATTRIBUTE = "kcr.managed"


def parse(realm_rep: dict[str, Any] | None) -> dict[str, set[str]]:
    raw = ((realm_rep or {}).get("attributes") or {}).get(ATTRIBUTE)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): {str(x) for x in v} for k, v in data.items() if isinstance(v, list)}


def dumps(managed: dict[str, set[str]]) -> str:
    return json.dumps({k: sorted(v) for k, v in sorted(managed.items()) if v}, separators=(",", ":"))


def save(api: AdminClient, realm: str, managed: dict[str, set[str]]) -> bool:
    """Write the record if it changed; the realm PUT replaces ``attributes``, so GET, overlay, PUT."""
    rep = api.get(f"/{seg(realm)}")
    attributes = dict(rep.get("attributes") or {})
    value = dumps(managed)
    if attributes.get(ATTRIBUTE, "{}") == value:
        return False
    attributes[ATTRIBUTE] = value
    rep["attributes"] = attributes
    api.put(f"/{seg(realm)}", rep)
    return True
