"""``load(paths)``: files -> documents -> substitution -> structure -> merge -> checks -> DesiredState.

Every problem of every file is collected before anything is raised. Structural problems (syntax,
types, unknown keys) are reported for all documents; the cross-document checks (duplicates across
files, references, cycles) run once the structure of every document is valid, so that they never
report consequences of an earlier mistake.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from reconciler.desired.checks import check_realm
from reconciler.desired.language import KEY_FIELDS, POLICY_KEY
from reconciler.desired.merge import MergedRealm, at, merge
from reconciler.desired.positions import Document
from reconciler.desired.profile_component import declared_twice, lift_user_profile
from reconciler.desired.source import find_files, read_file
from reconciler.desired.state import DEFAULT_MAX_DELETES, DesiredRealm, DesiredState, LiveReference, Policy
from reconciler.desired.structure import check_document
from reconciler.desired.substitute import substitute
from reconciler.errors import DesiredStateError, Problem, SourceLocation
from reconciler.kinds import REGISTRY


def load(paths: list[str], env: Mapping[str, str] | None = None, *, need_values: bool = True) -> DesiredState:
    """Load and check the desired state under ``paths``; raise ``DesiredStateError`` with every problem.
    ``need_values=False`` (``kcr validate``): an unset ``${env:...}`` is a note, not an error (a pull
    request from a fork has no secrets), and the state is for checking only, never for a plan."""
    files, problems = find_files(paths)
    notes: list[Problem] | None = None if need_values else []
    warnings: dict[str, Problem] = {}
    checked: list[tuple[Document, dict[str, Any]]] = []
    lifted: list[tuple[Document, str, SourceLocation]] = []  # a realm export's user profile component
    for path in files:
        docs, file_problems = read_file(path)
        problems.extend(file_problems)
        for doc in docs:
            substitution_problems = substitute(doc, os.environ if env is None else env, notes)
            profile = lift_user_profile(doc)
            result = check_document(doc)
            problems.extend(substitution_problems)
            problems.extend(profile.problems)
            problems.extend(result.problems)
            for key, warning in result.warnings:
                warnings.setdefault(key, warning)
            if result.spec is not None and not substitution_problems:
                checked.append((doc, result.spec))
                if profile.location is not None:
                    lifted.append((doc, result.spec["realm"], profile.location))
    problems.extend(declared_twice(lifted, checked))
    if problems:
        raise DesiredStateError(_sorted(problems))
    realms, problems = merge(checked)
    live_references: dict[str, list[LiveReference]] = {}
    for realm in realms.values():
        found = check_realm(realm)
        live_references[realm.name] = found.live
        problems.extend(found.problems)
        for warning in found.warnings:
            warnings.setdefault(f"{warning.location}:{warning.path}", warning)
    if problems:
        raise DesiredStateError(_sorted(problems))
    return DesiredState(
        realms={name: _desired_realm(realm, live_references[name]) for name, realm in realms.items()},
        sources=[str(f) for f in files],
        warnings=list(warnings.values()),
        notes=_sorted(notes or []),
    )


def _sorted(problems: list[Problem]) -> list[Problem]:
    """By file and position: the order a reader goes through them."""
    return sorted(
        problems,
        key=lambda p: (p.location.file, p.location.line, p.location.column) if p.location else ("", 0, 0),
    )


def _desired_realm(realm: MergedRealm, live_references: list[LiveReference]) -> DesiredRealm:
    spec = realm.spec
    policy_spec = spec.pop(POLICY_KEY, None) or {}
    policy = Policy(
        prune=frozenset(policy_spec.get("prune") or ()),
        prune_unmanaged={k: tuple(v) for k, v in (policy_spec.get("pruneUnmanaged") or {}).items()},
        max_deletes=policy_spec.get("maxDeletes", DEFAULT_MAX_DELETES),
    )
    return DesiredRealm(realm.name, spec, policy, _locations(realm), live_references)


def _locations(realm: MergedRealm) -> dict[str, SourceLocation]:
    """Where each realm setting and each object was written."""
    out: dict[str, SourceLocation] = {}
    for key, (doc, path) in realm.settings.items():
        out[key] = doc.location(path)
    for collection in realm.items:
        key_field = KEY_FIELDS.get(collection, "name")
        for obj, (doc, path) in realm.listed(collection):
            if isinstance(obj, str):  # a name in a list of names (defaultDefaultClientScopes)
                out[f"{collection}[{obj}]"] = doc.location(path)
            if not isinstance(obj, dict):
                continue
            name = obj.get(key_field) or obj.get("name") or obj.get("serviceAccountClientId")
            address = f"{collection}[{name}]"
            out[address] = doc.location(path)
    # objects whose name is not a field of theirs (a subgroup's path)
    for kind in REGISTRY:
        for obj in kind.declared_objects(realm):
            if obj.name is not None:
                out.setdefault(f"{obj.collection}[{obj.name}]", at(obj.origin))
    return out
