"""Small pure helpers the kinds' export builders share: what counts as empty, what differs from a
default, how maps are written, the environment variable name a secret hint suggests."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.desired.representation import Model

# Model fields that are never exported (the extension key and ids).
_SKIP = frozenset({"state", "id"})


def exported_fields(model: type[Model]) -> list[str]:
    """The fields of ``model`` an export may write, in the model's order."""
    return [f for f in model.model_fields if f not in _SKIP and f not in model.unmanaged]


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def differs(value: Any, default: Any, as_set: bool = False) -> bool:
    if as_set and isinstance(value, list) and isinstance(default, list):
        return sorted(map(str, value)) != sorted(map(str, default))
    return bool(value != default)


def env_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in parts if p)


def string_map(
    values: Mapping[str, Any] | None, drop: Iterable[str] = (), defaults_: Mapping[str, str] | None = None
) -> dict[str, str]:
    dropped = set(drop)
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if key in dropped or empty(value):
            continue
        if defaults_ is not None and defaults_.get(key) == value:
            continue
        out[key] = value
    return out


def list_map(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (values or {}).items():
        items = value if isinstance(value, list) else [value]
        kept = sorted(str(v) for v in items if v is not None)
        if kept:
            out[key] = kept
    return out


def role_map(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    return {cid: sorted(names) for cid, names in sorted((values or {}).items()) if names}


def named_with_attributes(live: Mapping[str, Any]) -> dict[str, Any]:
    """``name``, a non-empty ``description`` and multi-valued ``attributes`` (roles, groups)."""
    out: dict[str, Any] = {"name": live["name"]}
    if not empty(live.get("description")):
        out["description"] = live["description"]
    attributes = list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    return out
