"""Field-level comparison of a declared object against its live representation.

Pure functions, no I/O. The rule of the whole tool lives here: only what the YAML declares is
compared. A key left out of the YAML is not ours; a map (``attributes``, mapper ``config``) is compared
key by key over the declared keys only; a declared list is compared as a whole (as a set where order
means nothing to Keycloak).

The normalisation table (``Rules``) says, per field path, how Keycloak's answer differs from what a
user writes without meaning anything different:

============================  ====================================================================
rule                          why
============================  ====================================================================
``sets``                      Keycloak stores these as sets and answers in any order
                              (redirectUris, webOrigins, realm roles, group memberships, domains)
``string_maps``               map<string,string> (client/realm/scope attributes, mapper config):
                              ``true``/``300`` in YAML equal ``"true"``/``"300"`` from the API;
                              ``""`` equals absent (Keycloak does not keep empty values)
``list_maps``                 map<string,list<string>> (user/group/role/org attributes): a bare
                              string equals a one-element list; values compared as sets
``keyed_lists``               lists of objects identified by a key (protocolMappers by name):
                              matched by key, each compared over its declared fields
``secrets``                   compared by value but never shown: before/after are redacted
``ignore``                    extension or write-only keys that a kind handles itself
absent vs null                the API omits null fields: a declared ``null`` equals absent
============================  ====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SENSITIVE = "(sensitive value)"


@dataclass(frozen=True)
class Rules:
    """Normalisation rules of one kind; paths are dotted, list items written as ``[]``."""

    sets: frozenset[str] = frozenset()
    string_maps: frozenset[str] = frozenset()
    list_maps: frozenset[str] = frozenset()
    keyed_lists: Mapping[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldDiff:
    """One declared field whose live value differs. ``before``/``after`` are redacted for secrets."""

    path: str
    before: Any
    after: Any


def scalar_to_str(value: Any) -> Any:
    """How Keycloak stores a scalar in a string map: booleans lower-case, numbers as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def str_list(value: Any) -> list[str]:
    """A multi-valued attribute as Keycloak stores it: a list of strings (a bare scalar is a
    one-item list; nulls are dropped)."""
    items = value if isinstance(value, list) else [value]
    return [str(scalar_to_str(v)) for v in items if v is not None]


def _string_map_value(value: Any) -> str | None:
    # Keycloak does not keep empty attribute values: "" reads back as absent.
    if value is None or value == "":
        return None
    return str(scalar_to_str(value))


def normalise_list_value(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return sorted(str(scalar_to_str(v)) for v in items)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _set_key(value: Any) -> str:
    return repr(scalar_to_str(value)) if not isinstance(value, dict | list) else repr(value)


def equal_as_set(desired: list[Any] | None, live: list[Any] | None) -> bool:
    # A set: an item declared twice is stored once.
    return set(map(_set_key, desired or [])) == set(map(_set_key, live or []))


def diff_declared(
    desired: Mapping[str, Any],
    live: Mapping[str, Any] | None,
    rules: Rules,
    prefix: str = "",
    pattern: str = "",
) -> list[FieldDiff]:
    """Differences between ``desired`` and ``live`` over the keys that ``desired`` declares."""
    live = live or {}
    diffs: list[FieldDiff] = []
    for key, want in desired.items():
        path = _join(prefix, key)
        pat = _join(pattern, key)
        if pat in rules.ignore:
            continue
        have = live.get(key)
        diffs.extend(_diff_value(want, have, rules, path, pat))
    return diffs


def _diff_value(want: Any, have: Any, rules: Rules, path: str, pat: str) -> list[FieldDiff]:
    if pat in rules.secrets:
        if want is not None and want != have:
            return [FieldDiff(path, SENSITIVE if have is not None else None, SENSITIVE)]
        return []
    if pat in rules.string_maps:
        return _diff_map(want, have, rules, path, pat, _string_map_value)
    if pat in rules.list_maps:
        return _diff_map(want, have, rules, path, pat, normalise_list_value)
    if pat in rules.keyed_lists:
        return _diff_keyed_list(want, have, rules, path, pat, rules.keyed_lists[pat])
    if pat in rules.sets:
        if not equal_as_set(want, have):
            return [FieldDiff(path, have, want)]
        return []
    if isinstance(want, Mapping):
        if have is not None and not isinstance(have, Mapping):
            return [FieldDiff(path, have, want)]
        return diff_declared(want, have or {}, rules, path, pat)
    if isinstance(want, list):
        if have is not None and not isinstance(have, list):
            return [FieldDiff(path, have, want)]
        if list(want) != list(have or []) and not (want == [] and have is None):
            return [FieldDiff(path, have, want)]
        return []
    if want is None:
        return [] if have is None else [FieldDiff(path, have, None)]
    if isinstance(have, str) and not isinstance(want, str):
        # Some representation fields come back as strings; compare as Keycloak would store them.
        return [] if scalar_to_str(want) == have else [FieldDiff(path, have, want)]
    if isinstance(want, bool) != isinstance(have, bool):
        return [FieldDiff(path, have, want)]  # True == 1 in Python, not in Keycloak
    return [] if want == have else [FieldDiff(path, have, want)]


def _diff_map(want: Any, have: Any, rules: Rules, path: str, pat: str, norm: Any) -> list[FieldDiff]:
    if not isinstance(want, Mapping):
        return [] if want is None else [FieldDiff(path, have, want)]
    have = have if isinstance(have, Mapping) else {}
    diffs = []
    for key, value in want.items():
        w, h = norm(value), norm(have.get(key))
        if w in ([], None) and h in ([], None):
            continue
        if w == h:
            continue
        if f"{pat}.{key}" in rules.secrets:
            # A secret kept in a map (a client's rotated secret) is compared, never shown.
            if w is not None:
                diffs.append(FieldDiff(f"{path}.{key}", SENSITIVE if h is not None else None, SENSITIVE))
            continue
        diffs.append(FieldDiff(f"{path}.{key}", h, w))
    return diffs


def _diff_keyed_list(
    want: Any, have: Any, rules: Rules, path: str, pat: str, key_field: str
) -> list[FieldDiff]:
    """A declared keyed list is authoritative for its members: extra live items are a difference."""
    live_by_key = {item.get(key_field): item for item in (have or []) if isinstance(item, Mapping)}
    diffs: list[FieldDiff] = []
    declared_keys = set()
    for item in want or []:
        k = item.get(key_field)
        declared_keys.add(k)
        live_item = live_by_key.get(k)
        item_path = f"{path}[{k}]"
        if live_item is None:
            diffs.append(FieldDiff(item_path, None, redact(item, rules, pat + "[]")))
        else:
            diffs.extend(diff_declared(item, live_item, rules, item_path, pat + "[]"))
    for k, live_item in live_by_key.items():
        if k not in declared_keys:
            diffs.append(FieldDiff(f"{path}[{k}]", redact(_strip_ids(live_item), rules, pat + "[]"), None))
    return diffs


def _strip_ids(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "id"}


def redact(value: Any, rules: Rules, pattern: str = "") -> Any:
    """A copy of a declared object with every secret replaced by ``(sensitive value)``."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            pat = _join(pattern, str(k))
            out[k] = SENSITIVE if pat in rules.secrets and v is not None else redact(v, rules, pat)
        return out
    if isinstance(value, list):
        return [redact(v, rules, pattern + "[]") for v in value]
    return value
