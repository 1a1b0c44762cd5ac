"""What every renderer shows of a change, as a list of signed lines; each format only lays them out.

Renderers never compute a diff: they read ``before``/``after``/``changed_paths`` of a Change, which
the kinds already redacted (``(sensitive value)``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.compare import SENSITIVE
from reconciler.plan import Action, Change

# Fields that say which object a deletion removes, shown first (and alone) in its summary.
SUMMARY_KEYS = ("clientId", "name", "username", "alias", "path", "email", "enabled", "description")
# Fields that name an item of a list of objects, as in change paths (``protocolMappers[audience]``).
ITEM_KEYS = ("name", "alias", "clientId", "username", "type")
# Unmanaged objects listed by address before the rest is given as a count.
UNMANAGED_SHOWN = 10


@dataclass(frozen=True)
class Line:
    """``sign``: ``+`` ``-`` ``~`` (a field or an object), ``#`` (a comment), ``!`` (a warning)."""

    sign: str
    text: str
    depth: int = 1  # 0: the object's address line; 1: its fields


SIGNS = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}


def format_value(value: Any) -> str:
    """A value as JSON-ish text on one line: ``"text"``, ``true``, ``300``, ``null``, ``[...]``."""
    if value == SENSITIVE:
        return SENSITIVE
    if isinstance(value, Mapping):
        inner = ", ".join(
            f"{json.dumps(str(k), ensure_ascii=False)}: {format_value(v)}" for k, v in value.items()
        )
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, default=str)


def lookup(values: Mapping[str, Any] | None, path: str) -> Any:
    """A field of ``before``/``after``: kept flat by path (``attributes.a``) or nested."""
    if not values:
        return None
    if path in values:
        return values[path]
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def list_delta(before: Any, after: Any) -> tuple[list[Any], list[Any]] | None:
    """Items added and removed when a list changed as a set; None when it is not a list change."""
    if not isinstance(after, list | None) or not isinstance(before, list | None):
        return None
    if before is None and after is None:
        return None
    key = _canonical
    old = {key(v): v for v in before or []}
    new = {key(v): v for v in after or []}
    added = [v for k, v in new.items() if k not in old]
    removed = [v for k, v in old.items() if k not in new]
    if not added and not removed:
        return None  # same items in another order: show old -> new
    return added, removed


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def update_field(path: str, before: Any, after: Any) -> str:
    """``redirectUris: + "https://b/*"  - "https://a/*"`` or ``enabled: false -> true``."""
    delta = list_delta(before, after)
    if delta is not None:
        added, removed = delta
        parts = [f"+ {format_value(v)}" for v in added] + [f"- {format_value(v)}" for v in removed]
        return f"{path}: " + "  ".join(parts)
    return f"{path}: {format_value(before)} -> {format_value(after)}"


def update_paths(change: Change) -> list[str]:
    if change.changed_paths:
        return list(change.changed_paths)
    return list(dict.fromkeys([*(change.before or {}), *(change.after or {})]))


def change_lines(change: Change) -> list[Line]:
    """The address line, the reason, then the fields."""
    lines = [Line(SIGNS[change.action], change.address, depth=0)]
    if change.reason:
        lines.append(Line("#", change.reason))
    if change.action is Action.CREATE:
        lines.extend(_aligned("+", change.after or {}))
    elif change.action is Action.UPDATE:
        for path in update_paths(change):
            text = update_field(path, lookup(change.before, path), lookup(change.after, path))
            lines.append(Line("~", text))
    else:
        lines.extend(delete_summary(change.before or {}))
    return lines


def _aligned(sign: str, fields: Mapping[str, Any]) -> list[Line]:
    """``name = value`` lines, ``=`` aligned; a list of objects (protocol mappers) gets a line per item."""
    flat: list[tuple[str, Any]] = []
    for key, value in fields.items():
        if _is_object_list(value):
            flat += [(f"{key}[{_item_name(item, i)}]", item) for i, item in enumerate(value)]
        else:
            flat.append((str(key), value))
    # Align on the plain fields: a long item name would push every value far to the right.
    width = max((len(str(k)) for k, v in fields.items() if not _is_object_list(v)), default=0)
    return [Line(sign, f"{k.ljust(width)} = {format_value(v)}") for k, v in flat]


def _is_object_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _item_name(item: Mapping[str, Any], index: int) -> str:
    """How plan paths name a list item: by its key (``protocolMappers[audience]``), else its index."""
    for key in ITEM_KEYS:
        if isinstance(item.get(key), str):
            return str(item[key])
    return str(index)


def delete_summary(before: Mapping[str, Any]) -> list[Line]:
    """What identifies the deleted object; the other fields only as a count."""
    shown = {k: before[k] for k in SUMMARY_KEYS if k in before and not isinstance(before[k], Mapping | list)}
    lines = _aligned("-", shown)
    rest = len(before) - len(shown)
    if rest > 0:
        lines.append(Line("#", f"(and {rest} other field{'s' if rest != 1 else ''})"))
    return lines


def summary_line(summary: Mapping[str, int]) -> str:
    return f"Plan: {summary['add']} to add, {summary['change']} to change, {summary['destroy']} to destroy."


NO_CHANGES = "No changes. Keycloak matches the desired state."
