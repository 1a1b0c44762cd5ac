"""Checks of a merged realm, derived from the kinds' registry: the names each kind declares (empty or
duplicate names are errors), every ``Reference`` a kind declares resolved against them, then each
kind's own ``check_declared`` (redirect URIs, composite-role cycles, ...) and the length limits.
A reference to a built-in or a ``live_only`` one is left to the plan (``live_checks.py``), which
checks it against the live realm.

Everything is linear in the number of objects: names go into sets once, then each reference is one
lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, Sub, at, path_of, say, shown
from reconciler.desired.limits import check_limits
from reconciler.desired.merge import merge
from reconciler.desired.positions import Document
from reconciler.desired.state import DesiredRealm, LiveReference
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind, Reference


@dataclass(frozen=True)
class _Value:
    """One value that a reference field holds: the name, where it is, and its scope."""

    name: Any
    origin: Origin
    sub: Sub
    scope: str  # the key of the innermost map above it ("" if none)
    is_key: bool  # a map key (messages point at the key)


def parts_of(field: str) -> list[str]:
    """ "composites.client.*[]" -> ["composites", "client", "*", "[]"]."""
    out: list[str] = []
    for step in field.split(".") if field else []:
        while step.endswith("[]") and step != "[]":
            out.append(step[:-2])
            step = "[]"
        out.append(step)
    return out


def _walk(value: Any, parts: list[str], origin: Origin, sub: Sub, scope: str) -> Iterator[_Value]:
    if not parts:
        yield _Value(value, origin, sub, scope, False)
        return
    head, rest = parts[0], parts[1:]
    if head == "[]":
        for i, item in enumerate(value if isinstance(value, list) else []):
            yield from _walk(item, rest, origin, (*sub, i), scope)
    elif head == "*":
        for key, item in (value if isinstance(value, dict) else {}).items():
            if rest:
                yield from _walk(item, rest, origin, (*sub, key), str(key))
            else:
                yield _Value(key, origin, (*sub, key), scope, True)
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest, origin, (*sub, head), scope)


def reference_values(kind: Kind, ref: Reference, realm: MergedRealm) -> Iterator[_Value]:
    """Every value the reference's field holds in the declared realm."""
    parts = parts_of(ref.field)
    if not ref.section:
        for obj in kind.declared_objects(realm):
            yield from _walk(obj.spec, parts, obj.origin, (), "")
        return
    section = next((s for s in kind.sections if s.key == ref.section), None)
    if section is None:  # a realm setting ("browserFlow"), written where it was
        if ref.section in realm.settings:
            yield from _walk(realm.spec.get(ref.section), parts, realm.settings[ref.section], (), "")
        return
    if section.shape == "maplist":  # "*": the map's keys; "*[]...": each item of each key's list
        for key, origins in realm.map_keys.get(section.key, {}).items():
            if parts == ["*"]:
                yield _Value(key, origins[0], (), "", True)
                continue
            for item, origin in realm.listed(f"{section.key}.{key}"):
                yield from _walk(item, parts[2:], origin, (), str(key))
        return
    if section.shape != "object":  # "[]...": each item, written where it was
        for item, origin in realm.listed(section.key):
            yield from _walk(item, parts[1:], origin, (), "")
        return
    # "<field>.*": the keys of a map of lists inside the section, each merged from where it was written
    for key, origins in realm.map_keys.get(f"{section.key}.{parts[0]}", {}).items():
        yield _Value(key, origins[0], (), "", True)


def _missing(found: Findings, realm: str, target: Kind, names: Names, value: _Value) -> None:
    norm = (value.scope, target.normalise(value.name))
    what, hint = target.describe(value.scope)
    if norm in names.absent:
        text = shown(value.origin, norm[1], *value.sub)
        message, hint = f"{say(what, text)} is declared with state: absent", "remove the reference"
    else:
        text = shown(value.origin, value.name, *value.sub)
        message = f"{say(what, text)} is not declared in realm {realm!r}"
    found.error(value.origin, value.sub, message, hint, key=value.is_key)


def _resolves(names: Names, name: tuple[str, str], builtins: bool) -> bool:
    return name in names.present or (builtins and name in names.builtin)


def check_references(
    realm: MergedRealm,
    names: Mapping[str, Names],
    found: Findings,
    kinds: Sequence[Kind] = REGISTRY,
    *,
    undeclared_live: bool = False,
) -> None:
    """Every reference of every kind names something declared (not ``state: absent``) or built in.
    ``undeclared_live``: an undeclared name is left to the plan, as ``live_only`` ones are."""
    by_name = {kind.name: kind for kind in kinds}
    for kind in kinds:
        # a subset of the kinds (a test's) checks only what it holds
        for ref in (r for r in kind.references if r.to in names):
            # a value ``within`` a map key is checked only when the key resolves ("clientRoles.*")
            outer_field = ref.field.rsplit("*", 1)[0] + "*"
            outer = next((r for r in kind.references if r.field == outer_field), None) if ref.within else None
            checked_ref = replace(ref, live_only=ref.live_only or undeclared_live)
            for value in reference_values(kind, ref, realm):
                if not isinstance(value.name, str):
                    continue
                if not ref.within:
                    if value.scope:
                        value = replace(value, scope="")
                elif outer is not None and outer.to in names:
                    key = ("", by_name[outer.to].normalise(value.scope))
                    if not _resolves(names[outer.to], key, outer.builtins):
                        continue  # reported as the missing key
                _check_value(realm, checked_ref, by_name[ref.to], names, value, found)


def _check_value(
    realm: MergedRealm,
    ref: Reference,
    target: Kind,
    names: Mapping[str, Names],
    value: _Value,
    found: Findings,
) -> None:
    wrong = target.malformed(value.name)
    if wrong:
        message, hint = wrong
        text = shown(value.origin, value.name, *value.sub)
        found.error(value.origin, value.sub, message.replace("{}", text), hint)
        return
    known = names[target.name]
    name = (value.scope, target.normalise(value.name))
    if name in known.present:
        return
    builtin = ref.builtins and name in known.builtin
    if name in known.absent or (not builtin and not ref.live_only):
        _missing(found, realm.name, target, known, value)
        return
    text = shown(value.origin, value.name, *value.sub)
    where, path = at(value.origin, *value.sub, key=value.is_key), path_of(value.origin, *value.sub)
    found.live.append(LiveReference(target.name, value.scope, value.name, builtin, text, where, path))


def plan_references(desired: DesiredRealm, kinds: Sequence[Kind] = REGISTRY) -> list[LiveReference]:
    """The references of a desired realm built without the loader (a library caller, a test): every
    name that is not declared, for the plan to find in the live realm (no source locations)."""
    spec = {**desired.spec, "realm": desired.name}
    realms, _ = merge([(Document("<desired state>", spec, (1, 1)), spec)])
    realm, found = realms[desired.name], Findings()
    names = {kind.name: kind.declared_names(realm, found) for kind in kinds if kind.noun}
    check_references(realm, names, found, kinds, undeclared_live=True)
    return [replace(ref, location=None) for ref in found.live]


def check_realm(realm: MergedRealm, kinds: Sequence[Kind] = REGISTRY) -> Findings:
    """The problems and warnings of one merged realm, and the references left to the plan."""
    found = Findings()
    names = {kind.name: kind.declared_names(realm, found) for kind in kinds if kind.noun}
    check_references(realm, names, found, kinds)
    for kind in kinds:
        kind.check_declared(realm, names, found)
    found.problems += check_limits(realm)
    return found
