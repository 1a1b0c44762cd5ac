"""Planning: compare live state (read by ``live.py``) per kind with the desired state, order the plan.

Knows no kind by name: it walks the registry in phase order.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.errors import DesiredStateError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import REGISTRY, Kind
from reconciler.kinds.base import STATE_KEY, Context, LiveRealm, without_extensions
from reconciler.live import read_live
from reconciler.live_checks import check_live_references
from reconciler.observe import NOTHING, Observer
from reconciler.plan import Action, Change, Plan, Unmanaged
from reconciler.versions import version_problems

RealmDiff = tuple[list[Change], list[Unmanaged], dict[str, str | None]]


def diff_realm(
    api: AdminClient, desired: DesiredRealm, live: LiveRealm, kinds: Sequence[Kind] | None = None
) -> RealmDiff:
    """Changes, unmanaged objects and live fingerprints for one realm."""
    kinds = kinds if kinds is not None else REGISTRY
    ctx = Context(api=api, realm=desired.name, desired=desired, live=live)
    changes: list[Change] = []
    unmanaged: list[Unmanaged] = []
    fingerprints: dict[str, str | None] = {}
    for kind in sorted(kinds, key=lambda k: k.phase):
        declared = kind.declared(desired)
        live_objs = live.of(kind.name)
        for key, spec in declared.items():
            address = kind.address(desired.name, key)
            current = live_objs.get(key)
            fingerprints[address] = kind.fingerprint(current)
            if spec.get(STATE_KEY) == "absent":
                if current is not None:
                    changes.append(_delete(kind, desired.name, key, current, "declared absent"))
                continue
            want = without_extensions(spec)
            if current is None:
                changes.append(
                    Change(
                        realm=desired.name,
                        kind=kind.name,
                        key=key,
                        action=Action.CREATE,
                        address=address,
                        before=None,
                        after=kind.redact(want),
                        changed_paths=tuple(sorted(want)),
                        reason=_create_reason(kind, key, want, desired.name),
                        phase=kind.phase,
                    )
                )
                continue
            diffs = kind.compare(key, want, current, ctx)
            if diffs:
                changes.append(
                    Change(
                        realm=desired.name,
                        kind=kind.name,
                        key=key,
                        action=Action.UPDATE,
                        address=address,
                        before=kind.redact({d.path: d.before for d in diffs}),
                        after=kind.redact({d.path: d.after for d in diffs}),
                        changed_paths=tuple(d.path for d in diffs),
                        reason=kind.update_reason(key, diffs, current),
                        phase=kind.phase,
                        destroys=kind.destroys_on_update(key, diffs, current),
                    )
                )
        if kind.collection is None:
            continue
        managed = live.managed.get(kind.collection, set())
        for key, current in live_objs.items():
            if key in declared or kind.is_builtin(key, current, desired.name):
                continue
            address = kind.address(desired.name, key)
            policy = desired.policy
            if key in managed and policy.prunes(kind.collection):
                fingerprints[address] = kind.fingerprint(current)
                changes.append(
                    _delete(
                        kind,
                        desired.name,
                        key,
                        current,
                        f"managed by kcr, no longer declared, and policy.prune includes {kind.collection}",
                    )
                )
            elif key not in managed and policy.prunes_unmanaged(kind.collection, key):
                fingerprints[address] = kind.fingerprint(current)
                changes.append(
                    _delete(
                        kind,
                        desired.name,
                        key,
                        current,
                        f"not declared, and policy.pruneUnmanaged.{kind.collection} names it",
                    )
                )
            else:
                unmanaged.append(Unmanaged(realm=desired.name, kind=kind.name, key=key, address=address))
    return changes, unmanaged, fingerprints


def _create_reason(kind: Kind, key: str, want: dict[str, Any], realm: str) -> str:
    # A declared built-in (the default role, a service-account user) of a realm or client that does
    # not exist yet: Keycloak makes it with its parent, and apply then sets the declared fields.
    if kind.is_builtin(key, want, realm):
        return "made by Keycloak with its realm or client; kcr then sets the declared fields"
    return "declared, not in Keycloak"


def _delete(kind: Kind, realm: str, key: str, live: dict[str, Any], reason: str) -> Change:
    destroys, extra = kind.destroys_on_delete(key, live)
    return Change(
        realm=realm,
        kind=kind.name,
        key=key,
        action=Action.DELETE,
        address=kind.address(realm, key),
        before=kind.redact(_public(live)),
        after=None,
        reason=f"{reason}; {extra}" if extra else reason,
        phase=kind.phase,
        destroys=destroys,
    )


def _public(live: dict[str, Any]) -> dict[str, Any]:
    # Ids and the kinds' private bookkeeping (keys starting with "_") are not for reviewers.
    return {k: v for k, v in live.items() if k != "id" and not k.startswith("_")}


def order_changes(changes: list[Change]) -> list[Change]:
    """Creates and updates in phase order (kind order kept inside a phase), then deletes reversed."""
    forward = sorted((c for c in changes if c.action is not Action.DELETE), key=lambda c: c.phase)
    backward = [c for c in changes if c.action is Action.DELETE]
    backward.reverse()
    backward.sort(key=lambda c: -c.phase)
    ordered = forward + backward
    return [Change(**{**c.__dict__, "order": i}) for i, c in enumerate(ordered, start=1)]


def check_server_version(api: AdminClient, desired: DesiredState, names: list[str]) -> None:
    """Stop before reading (and so before any write) when the realms use what the server lacks."""
    server = api.server_info()
    problems = [p for name in names for p in version_problems(desired.realms[name], server)]
    if problems:
        raise DesiredStateError(problems)


def make_plan(
    api: AdminClient,
    desired: DesiredState,
    *,
    realms: list[str] | None = None,
    kinds: Sequence[Kind] | None = None,
    observer: Observer = NOTHING,
) -> tuple[Plan, dict[str, LiveRealm]]:
    """The plan for ``desired`` against the server, and the live state it was computed from."""
    started = time.monotonic()
    before_requests = api.request_count
    changes: list[Change] = []
    unmanaged: list[Unmanaged] = []
    fingerprints: dict[str, str | None] = {}
    lives: dict[str, LiveRealm] = {}
    names = [n for n in desired.realms if realms is None or n in realms]
    check_server_version(api, desired, names)
    for name in names:
        lives[name] = read_live(api, desired.realms[name], kinds, observer=observer)
    # References the live realm must satisfy: refused here, before any write, with every problem.
    problems = [p for n in names for p in check_live_references(desired.realms[n], lives[n])]
    if problems:
        raise DesiredStateError(problems)
    for name in names:
        realm, live = desired.realms[name], lives[name]
        c, u, f = diff_realm(api, realm, live, kinds)
        changes.extend(c)
        unmanaged.extend(u)
        fingerprints.update(f)
    plan = Plan(
        changes=order_changes(changes),
        unmanaged=unmanaged,
        fingerprints=fingerprints,
        desired_fingerprint=desired.fingerprint(),
        sources=list(desired.sources),
        realms=names,
        stats={
            "requests": api.request_count - before_requests,
            "seconds": round(time.monotonic() - started, 3),
        },
    )
    return plan, lives
