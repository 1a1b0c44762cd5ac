"""Planning: compare live state (read by ``live.py``) per kind with the desired state, order the plan.

Knows no kind by name: it walks the registry in phase order.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.errors import DesiredStateError, PlanError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import REGISTRY, Kind, by_name
from reconciler.kinds.base import STATE_KEY, Cascade, Context, LiveRealm, without_extensions
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
    # (the change, an object Keycloak deletes as its side effect)
    cascades: list[tuple[Change, Cascade]] = []

    def delete(kind: Kind, key: str, current: dict[str, Any], reason: str) -> None:
        side_effects = kind.deleted_with(ctx, key, current)
        note = kind.delete_note(key, current, side_effects)
        change = _delete(kind, desired.name, key, current, f"{reason}; {note}" if note else reason)
        changes.append(change)
        cascades.extend((change, c) for c in side_effects)

    for kind in sorted(kinds, key=lambda k: k.phase):
        declared = kind.declared(desired)
        live_objs = live.of(kind.name)
        for key, spec in declared.items():
            address = kind.address(desired.name, key)
            current = live_objs.get(key)
            fingerprints[address] = kind.fingerprint(current)
            if spec.get(STATE_KEY) == "absent":
                if current is not None:
                    delete(kind, key, current, "declared absent")
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
                update = Change(
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
                )
                changes.append(update)
                cascades.extend((update, c) for c in kind.deleted_by_update(key, diffs, current))
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
                delete(
                    kind,
                    key,
                    current,
                    f"managed by kcr, no longer declared, and policy.prune includes {kind.collection}",
                )
            elif key not in managed and policy.prunes_unmanaged(kind.collection, key):
                fingerprints[address] = kind.fingerprint(current)
                delete(
                    kind, key, current, f"not declared, and policy.pruneUnmanaged.{kind.collection} names it"
                )
            else:
                unmanaged.append(Unmanaged(realm=desired.name, kind=kind.name, key=key, address=address))
    side_effects = _side_effect_deletes(desired, live, changes, cascades)
    changes.extend(side_effects)
    for c in side_effects:
        fingerprints[c.address] = by_name(c.kind).fingerprint(live.of(c.kind).get(c.key))
    gone = {c.address for c in side_effects}
    return changes, [u for u in unmanaged if u.address not in gone], fingerprints


def _side_effect_deletes(
    desired: DesiredRealm, live: LiveRealm, changes: list[Change], cascades: list[tuple[Change, Cascade]]
) -> list[Change]:
    """A delete of its own for each object that Keycloak deletes along with a change, so that the
    plan shows it, the summary and ``policy.maxDeletes`` count it, and it is never "left alone".
    Refused when the object is declared: the next plan would make it again, and so on forever."""
    planned = {c.address: c for c in changes}
    declared: dict[str, dict[str, Any]] = {}
    out: list[Change] = []
    for cause, cascade in cascades:
        kind = by_name(cascade.kind)
        address = kind.address(desired.name, cascade.key)
        if address in planned and planned[address].action is Action.DELETE:
            continue  # deleted anyway (declared absent, pruned, or already a side effect)
        if cascade.kind not in declared:
            declared[cascade.kind] = kind.declared(desired)
        spec = declared[cascade.kind].get(cascade.key)
        if spec is not None and spec.get(STATE_KEY) != "absent":
            raise PlanError(
                f"{cause.address}: Keycloak deletes {address} with this change ({cascade.why}), "
                f"but {address} is declared, so every apply would make it again. Take it out of the "
                f"desired state (or declare it state: absent), or leave {cause.address} as it is."
            )
        current = live.of(kind.name).get(cascade.key)
        if current is None and kind.name in live.objects:
            continue  # not there (any more)
        change = _delete(
            kind,
            desired.name,
            cascade.key,
            current or {},
            f"deleted by Keycloak with {cause.address}: {cascade.why}",
        )
        change = replace(change, deleted_by=cause.address)
        planned[address] = change
        out.append(change)
    return out


def _create_reason(kind: Kind, key: str, want: dict[str, Any], realm: str) -> str:
    # A declared built-in (the default role, a service-account user) of a realm or client that does
    # not exist yet: Keycloak makes it with its parent, and apply then sets the declared fields.
    if kind.is_builtin(key, want, realm):
        return "made by Keycloak with its realm or client; kcr then sets the declared fields"
    return "declared, not in Keycloak"


def _delete(kind: Kind, realm: str, key: str, live: dict[str, Any], reason: str) -> Change:
    return Change(
        realm=realm,
        kind=kind.name,
        key=key,
        action=Action.DELETE,
        address=kind.address(realm, key),
        before=kind.redact(_public(live)),
        after=None,
        reason=reason,
        phase=kind.phase,
        destroys=1,
    )


def _public(live: dict[str, Any]) -> dict[str, Any]:
    # Ids and the kinds' private bookkeeping (keys starting with "_") are not for reviewers.
    return {k: v for k, v in live.items() if k != "id" and not k.startswith("_")}


def order_changes(changes: list[Change]) -> list[Change]:
    """Creates and updates in phase order (kind order kept inside a phase), then deletes reversed; a
    delete that Keycloak makes with another delete comes right after it. kcr must never delete such an
    object ahead of its cause: a user imported from an LDAP provider in WRITABLE mode would be deleted
    from the directory; after its cause it is gone already, and apply finds nothing to do."""
    forward = sorted((c for c in changes if c.action is not Action.DELETE), key=lambda c: c.phase)
    deletes = [c for c in changes if c.action is Action.DELETE]
    causes = {c.address for c in deletes}
    followers: dict[str, list[Change]] = {}
    own: list[Change] = []
    for change in deletes:
        if change.deleted_by in causes:
            followers.setdefault(change.deleted_by, []).append(change)
        else:
            own.append(change)
    own.reverse()
    own.sort(key=lambda c: -c.phase)
    backward: list[Change] = []
    for change in own:
        backward += [change, *followers.get(change.address, [])]
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
    early_reads: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[Plan, dict[str, LiveRealm]]:
    """The plan for ``desired`` against the server, and the live state it was computed from;
    ``early_reads``: reads already running, by realm (``reconciler.early_reads``)."""
    started = time.monotonic()
    before_requests = api.request_count
    changes: list[Change] = []
    unmanaged: list[Unmanaged] = []
    fingerprints: dict[str, str | None] = {}
    lives: dict[str, LiveRealm] = {}
    names = [n for n in desired.realms if realms is None or n in realms]
    check_server_version(api, desired, names)
    for name in names:
        early = (early_reads or {}).get(name)
        lives[name] = read_live(api, desired.realms[name], kinds, observer=observer, started=early)
    # References the live realm must satisfy: refused here, before any write, with every problem.
    every_kind = kinds if kinds is not None else REGISTRY
    problems = [p for n in names for p in check_live_references(desired.realms[n], lives[n], every_kind)]
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
