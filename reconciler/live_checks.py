"""Checks of the desired state against the live realm, made at plan time before any write.

Offline, a reference to one of Keycloak's built-ins resolves without a declaration, and a
``Reference.live_only`` one is not checked; the live realm may lack the object all the same (deleted
by hand, or a built-in of a newer Keycloak version). Without this check, an apply would stop in the
middle, after earlier writes. The offline checks leave these references in
``DesiredRealm.live_references``; each kind says what key a name has in its live objects
(``Kind.live_key``).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.desired.checks import plan_references
from reconciler.desired.state import DesiredRealm, LiveReference
from reconciler.errors import Problem
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind, LiveRealm


def _exists(ref: LiveReference, kind: Kind, live: LiveRealm) -> bool | None:
    """Whether the object is in Keycloak once the plan is applied; None when unknown (not read)."""
    if not live.exists:
        return ref.builtin  # Keycloak makes its built-ins with the realm
    if kind.name not in live.objects or not kind.read_lists_all:
        return None
    return kind.live_key(ref.scope, ref.name) in live.objects[kind.name]


def check_live_references(
    desired: DesiredRealm, live: LiveRealm, kinds: Sequence[Kind] = REGISTRY
) -> list[Problem]:
    """References to built-ins (or to names that may exist only in Keycloak) that neither the desired
    state nor Keycloak has, and each kind's own checks against the live realm (``Kind.check_live``)."""
    by_name = {kind.name: kind for kind in kinds}
    problems = [p for kind in kinds for p in kind.check_live(desired, live)]
    refs = desired.live_references
    for ref in refs if refs is not None else plan_references(desired, kinds):
        kind = by_name.get(ref.kind)
        if kind is None or _exists(ref, kind, live) is not False:
            continue
        what, hint = kind.describe(ref.scope)
        named = what.replace("{}", ref.shown) if "{}" in what else f"{what} {ref.shown}"
        problems.append(
            Problem(
                f"{named} is not declared, and realm {desired.name!r} in Keycloak has no such "
                f"{kind.noun.split()[-1]}",
                ref.location,
                ref.path,
                f"{hint}, or remove the reference",
            )
        )
    return problems
