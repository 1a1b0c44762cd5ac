"""Applying: execute exactly the operations of a plan, in order, and check each write.

- Writes run one at a time inside a realm: Keycloak does not promise safe concurrent updates
  (OptimisticLockException 500s, deadlock 400s). The exception is a run of many changes of a kind
  whose objects are independent (users, clients): they are written with bounded concurrency
  (``--concurrency``), never two writes to one object at once.
- After each write the object is read back and compared again; what Keycloak silently dropped
  (user attributes outside the user profile, say) fails loudly instead of becoming a perpetual diff.
  A run of many changes of one kind (``BULK_FROM``) is checked instead by one re-read of the kind
  after the run, with the same failure for each object concerned.
- A new realm is created by Keycloak's import carrying what the import makes exactly
  (``Kind.add_to_realm_import``); the creates of those objects then find them, compare them with the
  re-read after the import and write (and read back) only what differs.
- The ownership record names each object before it is written (``_record_ahead``, in the main
  thread, also ahead of concurrent writes).
- On an error, nothing new is started; the report says what was applied, what failed and what was not
  attempted. A second run converges: every executor starts from what is live, not from the plan.
- A write that failed in a way that may be transient (its answer lost, 502/503/504, 409, one 500) is
  tried again after re-reading the object, so that it continues from what is live: a lost answer may
  hide a write Keycloak did. A 500 that comes again is deterministic: the apply stops.
- One apply at a time per realm: a lease in the realm (``lease.py``), taken before the first write.
- Secret values come from the desired state, never from the plan.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import NoReturn

from reconciler import ownership
from reconciler.audit import AuditLog
from reconciler.compare import FieldDiff
from reconciler.desired.state import DesiredState
from reconciler.errors import (
    ApiError,
    ApplyError,
    ApplyInterrupted,
    ApplyReport,
    BadRequest,
    Conflict,
    KcrError,
    KeycloakUnreachable,
    NotFound,
    PlanError,
    ServerError,
)
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Context, Kind, LiveRealm, Obj, without_extensions
from reconciler.lease import Leases
from reconciler.live import read_live
from reconciler.plan import Action, Change, Plan
from reconciler.versions import has

TRANSIENT = (KeycloakUnreachable, ServerError, Conflict)
MAX_ATTEMPTS = 3
MAX_500_ATTEMPTS = 2  # a 500 that repeats after a re-read is deterministic (a value Keycloak cannot store)
# The ownership record is saved ahead of the objects it names, for this many of them at a time: an
# apply killed at any point (even SIGKILL) leaves every object it created recorded as kcr's, at the
# cost of one read and one write of the realm per batch.
OWNERSHIP_BATCH = 50
OWNERSHIP_ERRORS = "ownership_errors"  # ApplyReport.extra key: realms whose record was not saved
# A run of at least this many consecutive changes of one kind is applied in bulk: written
# concurrently when the kind allows it (``Kind.parallel_writes``), and checked by one re-read of the
# kind afterwards instead of a read-back per write. Smaller runs write and read back one by one.
BULK_FROM = 20


def _runs(changes: list[Change]) -> list[tuple[int, int]]:
    """``[start, end)`` of each stretch of consecutive changes of one realm, kind and direction."""
    runs: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(changes) + 1):
        if index == len(changes) or _run_key(changes[index]) != _run_key(changes[start]):
            runs.append((start, index))
            start = index
    return runs


def _run_key(change: Change) -> tuple[str, str, bool]:
    return change.realm, change.kind, change.action is Action.DELETE


def check_mass_delete(plan: Plan, desired: DesiredState, allow: bool) -> None:
    """Refuse a plan that deletes more objects in a realm than its policy allows."""
    if allow:
        return
    for name in plan.realms:
        realm = desired.realms.get(name)
        limit = realm.policy.max_deletes if realm else 0
        deleting = [c for c in plan.changes if c.realm == name and c.destroys]
        count = sum(c.destroys for c in deleting)
        if count > limit:
            listed = ", ".join(c.address for c in deleting[:10]) + (" ..." if len(deleting) > 10 else "")
            raise PlanError(
                f"The plan deletes {count} objects in realm {name!r} (policy.maxDeletes is {limit}): "
                f"{listed}. Check the plan; if it is right, run again with --allow-mass-delete."
            )


def check_fresh(saved: Plan, fresh: Plan, desired: DesiredState) -> None:
    """A saved plan applies only to the live objects and desired state it was computed from."""
    # An address the fresh plan no longer reads (an undeclared object since deleted) is not stale:
    # its delete finds nothing to do.
    stale = sorted(addr for addr, fp in saved.fingerprints.items() if fresh.fingerprints.get(addr, fp) != fp)
    problems = []
    if stale:
        listed = ", ".join(stale[:20]) + (f" and {len(stale) - 20} more" if len(stale) > 20 else "")
        problems.append(f"changed in Keycloak since the plan was made: {listed}")
    if saved.desired_fingerprint and saved.desired_fingerprint != desired.fingerprint():
        problems.append("the desired state (files or ${env:...} values) changed since the plan was made")
    if problems:
        raise PlanError(
            "Saved plan is stale: "
            + "; ".join(problems)
            + ". Run `kcr plan --out` again and review the new plan."
        )


class Applier:
    def __init__(
        self,
        api: AdminClient,
        desired: DesiredState,
        lives: dict[str, LiveRealm],
        *,
        audit: AuditLog | None = None,
        verify: bool = True,
        on_change: Callable[[Change, str], None] | None = None,
        break_lease: bool = False,
        kinds: Sequence[Kind] | None = None,
        import_new_realms: bool = True,
    ) -> None:
        self.import_new_realms = import_new_realms
        self.kinds: dict[str, Kind] = {k.name: k for k in (kinds if kinds is not None else REGISTRY)}
        self.api = api
        self.desired = desired
        self.lives = lives
        self.audit = audit or AuditLog(None)
        self.verify = verify
        self.on_change = on_change
        self._declared: dict[tuple[str, str], dict[str, Obj]] = {}
        # (realm, kind, key) of every create or update started: the object may exist even when
        # its write failed halfway, so the ownership record keeps it (without re-reads).
        self._written: set[tuple[str, str, str]] = set()
        # (realm, kind, key) of creates and updates that found their object as declared: no write,
        # so no read-back (the object was read after the realm's import, or by the plan).
        self._unwritten: set[tuple[str, str, str]] = set()
        self.report = ApplyReport()
        self.leases = Leases(api, break_held=break_lease)

    def _ctx(self, realm: str) -> Context:
        return Context(api=self.api, realm=realm, desired=self.desired.realms[realm], live=self.lives[realm])

    def _desired_obj(self, kind: Kind, realm: str, key: str) -> Obj:
        cache_key = (realm, kind.name)
        if cache_key not in self._declared:
            self._declared[cache_key] = kind.declared(self.desired.realms[realm])
        try:
            return without_extensions(self._declared[cache_key][key])
        except KeyError:
            raise PlanError(
                f"{kind.address(realm, key)} is in the plan but not declared in the desired "
                "state: the plan is stale"
            ) from None

    def run(self, plan: Plan) -> ApplyReport:
        changes = list(plan.changes)
        touched_realms: list[str] = []
        self._finished: set[int] = set()  # indexes of changes applied or failed
        try:
            for start, end in _runs(changes):
                realm = changes[start].realm
                if realm not in touched_realms:
                    touched_realms.append(realm)
                kind = self.kinds.get(changes[start].kind)  # an unknown kind fails in _run_one
                bulk = kind is not None and end - start >= BULK_FROM
                if kind is not None and bulk and kind.parallel_writes:
                    self._run_concurrently(changes, start, end)
                else:
                    for index in range(start, end):
                        self._run_one(changes, index, verify=self.verify and not bulk)
                if kind is not None and bulk and self.verify and changes[start].action is not Action.DELETE:
                    self._verify_run(kind, changes, start, end)
        except KeyboardInterrupt:
            # Wherever the interrupt lands (inside a write or between two), report the same way.
            first = next((i for i in range(len(changes)) if i not in self._finished), None)
            if first is not None:
                self._record_failed(changes, first, "interrupted", time.monotonic())
                self.report.not_attempted = [
                    c.address for i, c in enumerate(changes) if i not in self._finished
                ]
            raise ApplyInterrupted("Apply interrupted", self.report) from None
        finally:
            try:
                # Never write the record of a realm whose lease another apply holds.
                leased = [realm for realm in touched_realms if self.leases.holds(realm)]
                if leased or not touched_realms:
                    self._save_ownership(plan, leased)
            finally:
                for problem in self.leases.release_all():
                    self.report.extra.setdefault("lease_errors", []).append(problem)
        unsaved = self.report.extra.get(OWNERSHIP_ERRORS)
        if unsaved:
            raise ApplyError(
                "The changes were applied, but kcr's ownership record (the realm attribute "
                f"{ownership.ATTRIBUTE}) was not saved: {'; '.join(unsaved)}. Until it is, the objects "
                "this apply made are not recorded as kcr's and policy.prune never deletes them. "
                "Saving it needs the realm-management role manage-realm: grant it and run kcr apply "
                "again, which records what is live.",
                self.report,
            )
        return self.report

    def _record_ahead(self, changes: list[Change], index: int) -> None:
        """Before creating or adopting an object, make sure the ownership record names it: save the
        record with it and the next ones of its realm (at most OWNERSHIP_BATCH) that it lacks."""
        change = changes[index]
        live = self.lives.get(change.realm)
        if live is None or not live.exists or self._owned_entry(change, live) is None:
            return
        batch = [
            entry
            for c in changes[index:]
            if c.realm == change.realm
            for entry in [self._owned_entry(c, live)]
            if entry is not None
        ][:OWNERSHIP_BATCH]
        managed = {collection: set(keys) for collection, keys in live.managed.items()}
        for collection, key in batch:
            managed.setdefault(collection, set()).add(key)
        try:
            ownership.save(self.api, change.realm, managed)
        except KcrError as exc:
            cause = _describe(exc)
            if "manage-realm" not in cause:
                cause += " (saving it needs the realm-management role manage-realm)"
            raise KcrError(
                f"could not save kcr's ownership record (the attribute {ownership.ATTRIBUTE} of realm "
                f"{change.realm!r}), which names each object before kcr creates it: {cause}"
            ) from exc
        live.managed = managed

    def _owned_entry(self, change: Change, live: LiveRealm) -> tuple[str, str] | None:
        """(collection, key) when ``change`` makes its object kcr's and the record lacks it."""
        collection = self._kind(change).collection
        if change.action is Action.DELETE or collection is None:
            return None
        if change.key in live.managed.get(collection, set()):
            return None
        return collection, change.key

    # -- running changes ---------------------------------------------------------------------------
    def _before_write(self, changes: list[Change], index: int) -> None:
        """In the main thread, before the write starts: the ownership record names its object."""
        change = changes[index]
        self._record_ahead(changes, index)
        if change.action is not Action.DELETE:
            self._written.add((change.realm, change.kind, change.key))

    def _write(self, change: Change, *, verify: bool) -> None:
        if self.lives[change.realm].exists:
            self.leases.ensure(change.realm)  # before the first write in the realm
        self._execute_with_retries(change, verify=verify)
        if self.lives[change.realm].exists:
            self.leases.ensure(change.realm)  # a realm this plan created: right after

    def _run_one(self, changes: list[Change], index: int, *, verify: bool) -> None:
        started = time.monotonic()
        try:
            if self.lives[changes[index].realm].exists:
                self.leases.ensure(changes[index].realm)  # before the record is saved ahead
            self._before_write(changes, index)
            self._write(changes[index], verify=verify)
        except KcrError as exc:
            self._record_failed(changes, index, _describe(exc), started)
            self._halt(changes, f"Apply stopped at {changes[index].address}: {_describe(exc)}")
        self._record_ok(changes, index, started)

    def _run_concurrently(self, changes: list[Change], start: int, end: int) -> None:
        """Independent writes (different objects of one kind) with at most ``concurrency`` in flight,
        recorded in plan order. After a failure nothing new starts; what is in flight finishes."""
        # The first alone: it takes the realm's apply lease (once, here), the others only check it.
        self._run_one(changes, start, verify=False)
        width = max(1, self.api.settings.concurrency)
        in_flight: deque[tuple[int, Future[None], float]] = deque()
        failure: tuple[int, str] | None = None
        following = start + 1
        with ThreadPoolExecutor(max_workers=width) as pool:
            try:
                while in_flight or (failure is None and following < end):
                    while failure is None and following < end and len(in_flight) < width:
                        started = time.monotonic()
                        try:
                            self._before_write(changes, following)
                        except KcrError as exc:
                            self._record_failed(changes, following, _describe(exc), started)
                            failure = (following, _describe(exc))
                            break
                        future = pool.submit(self._write, changes[following], verify=False)
                        in_flight.append((following, future, started))
                        following += 1
                    if not in_flight:
                        break
                    index, future, started = in_flight.popleft()
                    try:
                        future.result()
                    except KcrError as exc:
                        self._record_failed(changes, index, _describe(exc), started)
                        failure = failure or (index, _describe(exc))
                        continue
                    self._record_ok(changes, index, started)
            except KeyboardInterrupt:
                for _, pending, _ in in_flight:
                    pending.cancel()
                wait([f for _, f, _ in in_flight])
                for index, done, started in in_flight:
                    if not done.cancelled() and done.exception() is None:
                        self._record_ok(changes, index, started)
                raise
        if failure is not None:
            index, message = failure
            self._halt(changes, f"Apply stopped at {changes[index].address}: {message}")

    def _record_ok(self, changes: list[Change], index: int, started: float) -> None:
        change = changes[index]
        self._finished.add(index)
        self.report.applied.append(change.address)
        self.audit.record(change, "ok", seconds=time.monotonic() - started)
        if self.on_change:
            self.on_change(change, "ok")

    def _record_failed(self, changes: list[Change], index: int, message: str, started: float) -> None:
        change = changes[index]
        self._finished.add(index)
        self.report.failed.append((change.address, message))
        self.audit.record(change, "failed", message, time.monotonic() - started)
        if self.on_change:
            self.on_change(change, "failed")

    def _halt(self, changes: list[Change], message: str) -> NoReturn:
        self.report.not_attempted = [c.address for i, c in enumerate(changes) if i not in self._finished]
        raise ApplyError(message, self.report)

    def _execute_with_retries(self, change: Change, *, verify: bool) -> None:
        server_errors = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                if attempt > 1:
                    self._reread(change)
                self._execute(change, verify=verify)
                return
            except TRANSIENT as exc:
                if isinstance(exc, ServerError) and exc.status == 500:
                    server_errors += 1
                if attempt == MAX_ATTEMPTS or server_errors >= MAX_500_ATTEMPTS:
                    raise
                time.sleep(0.5 * attempt)

    def _reread(self, change: Change) -> None:
        """Continue from what is live: the failed attempt may have written part or all of it."""
        kind = self._kind(change)
        ctx = self._ctx(change.realm)
        try:
            fresh = kind.read_one(ctx, change.key)
        except NotFound:  # its realm or parent is gone
            fresh = None
        if fresh is None:
            ctx.live.of(kind.name).pop(change.key, None)
        else:
            ctx.live.of(kind.name)[change.key] = fresh

    def _execute(self, change: Change, *, verify: bool) -> None:
        kind = self._kind(change)
        ctx = self._ctx(change.realm)
        existed = ctx.live.exists
        live_objs = ctx.live.of(kind.name)
        if change.action is Action.DELETE:
            # A side-effect delete (deleted_by) may be done already by the change that causes it:
            # what was read at plan time says nothing, so ask Keycloak.
            cached = None if change.deleted_by else live_objs.get(change.key)
            current = cached or kind.read_one(ctx, change.key)
            if current is not None:
                try:
                    kind.delete(ctx, change.key, current)
                except NotFound as exc:
                    if exc.method != "DELETE":
                        raise
                    # Already gone (deleted by hand, or by a lost earlier attempt): what we wanted.
            live_objs.pop(change.key, None)
            if kind.is_realm:
                ctx.live.exists = False
                self.leases.forget(change.realm)  # deleted with the realm
            return
        want = self._desired_obj(kind, change.realm, change.key)
        current = live_objs.get(change.key)
        wrote = True
        if change.action is Action.CREATE and current is None:
            try:
                self._create(kind, ctx, change.key, want)
            except Conflict:
                # Already there: created by Keycloak with its realm (a built-in), by an earlier
                # interrupted run, or concurrently. Converge by updating what exists.
                current = kind.read_one(ctx, change.key)
                if current is None:
                    raise
                self._update(kind, ctx, change.key, want, current)
        else:
            if current is None:
                current = kind.read_one(ctx, change.key)
            if current is None:
                kind.create(ctx, change.key, want)
            else:
                # A create that finds its object (made by the realm's import) writes only what differs.
                wrote = self._update(kind, ctx, change.key, want, current)
        if kind.is_realm and not existed:
            # Created now (perhaps by an attempt whose answer was lost): read its built-ins.
            self._refresh_after_realm_create(change.realm)
            ctx = self._ctx(change.realm)
        if not wrote:
            # Nothing written: ``current`` (read after the import, or by the plan) already matches.
            self._unwritten.add((change.realm, change.kind, change.key))
        elif verify:
            self._verify(kind, ctx, change.key, want)

    def _create(self, kind: Kind, ctx: Context, key: str, want: Obj) -> None:
        """Create one object; a new realm with what other kinds can have Keycloak's import make
        exactly (``Kind.add_to_realm_import``), and with the ownership record naming those objects
        (so they are recorded from the moment they exist). Their later creates then find them there
        and only check them. If the import refuses the body (400, 500), the realm alone, and
        everything one by one (with each object's own error)."""
        carried: Obj = {}
        record: dict[str, set[str]] = {}
        if kind.is_realm and self.import_new_realms:
            for other in sorted(self.kinds.values(), key=lambda k: k.phase):
                since = other.import_exact_since
                if since is not None and not has(ctx.live.server, since):
                    continue  # what depends on its objects (their roles, groups, users) stays out too
                keys = other.add_to_realm_import(ctx.desired, carried)
                if keys and other.collection is not None:
                    record.setdefault(other.collection, set()).update(keys)
        if carried:
            attributes = {**(want.get("attributes") or {}), ownership.ATTRIBUTE: ownership.dumps(record)}
            try:
                kind.create(ctx, key, {**want, **carried, "attributes": attributes})
            except (BadRequest, ServerError):
                pass  # the import is one transaction: nothing was made
            else:
                ctx.live.managed = record
                return
        kind.create(ctx, key, want)

    def _update(self, kind: Kind, ctx: Context, key: str, want: Obj, current: Obj) -> bool:
        """Write what differs; False if nothing did."""
        diffs = kind.compare(key, want, current, ctx)
        if diffs:
            kind.update(ctx, key, want, current, diffs)
        return bool(diffs)

    def _verify(self, kind: Kind, ctx: Context, key: str, want: Obj) -> None:
        fresh = kind.read_one(ctx, key)
        if fresh is None:
            raise ApplyError(
                f"{kind.address(ctx.realm, key)} was written but Keycloak does not show it", self.report
            )
        ctx.live.of(kind.name)[key] = fresh
        left = kind.compare(key, want, fresh, ctx)
        if left:
            raise ApplyError(_dropped_message(kind, ctx.realm, key, left), self.report)

    def _kind(self, change: Change) -> Kind:
        try:
            return self.kinds[change.kind]
        except KeyError:
            raise PlanError(f"{change.address}: kcr knows no kind {change.kind!r}") from None

    def _verify_run(self, kind: Kind, changes: list[Change], start: int, end: int) -> None:
        """Many writes of one kind, checked by one re-read of the kind: what Keycloak did not store
        fails each object it concerns, as the read-back of a single write would."""
        realm = changes[start].realm
        applied = set(self.report.applied)  # a set: runs of 10,000 users
        written = [
            index
            for index in range(start, end)
            if changes[index].address in applied
            and (realm, kind.name, changes[index].key) not in self._unwritten
        ]
        if not written:
            return  # every object was found as declared (made by the import): nothing to re-read
        ctx = self._ctx(realm)
        fresh = kind.read(ctx)
        live_objs = ctx.live.of(kind.name)
        started = time.monotonic()
        problems: list[tuple[int, str]] = []
        for index in written:
            change = changes[index]
            want = self._desired_obj(kind, realm, change.key)
            current = fresh.get(change.key)
            if current is None:
                problems.append((index, f"{change.address} was written but Keycloak does not show it"))
                continue
            live_objs[change.key] = current
            left = kind.compare(change.key, want, current, ctx)
            if left:
                problems.append((index, _dropped_message(kind, realm, change.key, left)))
        for index, message in problems:
            self.report.applied.remove(changes[index].address)
            self._record_failed(changes, index, message, started)
        if problems:
            index, message = problems[0]
            more = f" (and {len(problems) - 1} more objects)" if len(problems) > 1 else ""
            self._halt(changes, f"Apply stopped at {changes[index].address}: {message}{more}")

    def _refresh_after_realm_create(self, realm: str) -> None:
        """A new realm comes with built-ins (clients, roles, scopes): read them so that declared
        built-ins are updated rather than created, and ids resolve without extra requests."""
        old = self.lives[realm]
        # Object by object, not through the partial export: right after an import Keycloak's caches
        # hold none of the realm's objects, and the export then costs several times the per-object
        # reads (2,000 users, 500 clients, 1,000 groups on 26.7.3: 16 s against 9 s for the whole
        # read; the export alone 8 to 24 s until a few reads have filled the caches).
        fresh = read_live(self.api, self.desired.realms[realm], list(self.kinds.values()), bulk_reads=False)
        # The record read (saved by the import, also when its answer was lost) and what kcr knows.
        for collection, keys in old.managed.items():
            fresh.managed.setdefault(collection, set()).update(keys)
        self.lives[realm] = fresh

    def _save_ownership(self, plan: Plan, realms: list[str]) -> None:
        for name in realms or plan.realms:
            live = self.lives.get(name)
            realm = self.desired.realms.get(name)
            if live is None or realm is None or not live.exists:
                continue
            managed: dict[str, set[str]] = {}
            for kind in self.kinds.values():
                if kind.collection is None:
                    continue
                present = set(live.of(kind.name)) | {
                    key for (r, k, key) in self._written if r == name and k == kind.name
                }
                keys = {k for k in live.managed.get(kind.collection, set()) if k in present}
                for key, spec in kind.declared(realm).items():
                    if spec.get("state") != "absent" and key in present:
                        keys.add(key)
                managed[kind.collection] = keys
            try:
                if ownership.save(self.api, name, managed):
                    self.report.extra.setdefault("ownership_updated", []).append(name)
                live.managed = managed
            except KcrError as exc:
                self.report.extra.setdefault(OWNERSHIP_ERRORS, []).append(f"realm {name}: {_describe(exc)}")


def _dropped_message(kind: Kind, realm: str, key: str, diffs: list[FieldDiff]) -> str:
    paths = ", ".join(d.path for d in diffs[:10])
    hint = kind.unstored_hint(diffs)
    hint = f" {hint}" if hint else ""
    return f"Keycloak accepted the write to {kind.address(realm, key)} but did not store: {paths}.{hint}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, ApiError):
        return f"HTTP {exc.status} {exc.message}".strip()
    return str(exc)


def apply_plan(
    api: AdminClient,
    plan: Plan,
    desired: DesiredState,
    lives: dict[str, LiveRealm],
    *,
    audit: AuditLog | None = None,
    verify: bool = True,
    on_change: Callable[[Change, str], None] | None = None,
    break_lease: bool = False,
    kinds: Sequence[Kind] | None = None,
    import_new_realms: bool = True,
) -> ApplyReport:
    """Execute ``plan`` (made against ``lives`` with ``kinds``, default: the registry) with the
    secrets of ``desired``. ``break_lease`` takes a realm's apply lease even from a holder that has
    not expired (one known to be killed). A new realm is created with Keycloak's import where that is
    exact, unless ``import_new_realms`` is False."""
    applier = Applier(
        api,
        desired,
        lives,
        audit=audit,
        verify=verify,
        on_change=on_change,
        break_lease=break_lease,
        kinds=kinds,
        import_new_realms=import_new_realms,
    )
    return applier.run(plan)


def format_report(report: ApplyReport) -> str:
    lines = [f"Applied: {len(report.applied)}"]
    for address, message in report.failed:
        lines.append(f"Failed: {address}: {message}")
    if report.not_attempted:
        lines.append(
            f"Not attempted ({len(report.not_attempted)}): "
            + ", ".join(report.not_attempted[:20])
            + (" ..." if len(report.not_attempted) > 20 else "")
        )
        lines.append("Run `kcr apply` again once the cause is fixed: it continues from what is live.")
    for message in report.extra.get(OWNERSHIP_ERRORS, []):
        lines.append(f"Ownership record not saved: {message}")
    return "\n".join(lines)
