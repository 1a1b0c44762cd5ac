"""The apply workflow that ``kcr apply`` runs, as a library function (as octoDNS's ``Manager.sync``):
plan fresh (or check that a saved plan is still fresh), show it, refuse mass deletes, ask for
approval, apply with an audit log, and report. The CLI only parses options and prints.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from reconciler.apply import apply_plan, check_fresh, check_mass_delete
from reconciler.audit import AuditLog
from reconciler.desired.state import DesiredState
from reconciler.engine import make_plan
from reconciler.errors import ApplyReport, KcrError
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import Kind
from reconciler.observe import NOTHING, Observer
from reconciler.plan import Change, Plan


@dataclass(frozen=True)
class ApplyOutcome:
    plan: Plan  # the plan that was applied (the saved one, or the fresh one)
    report: ApplyReport
    audit_summary: str
    requests: int
    seconds: float

    @property
    def summary(self) -> str:
        """What was done, in Terraform's words."""
        if not self.plan.has_changes:
            return "Nothing to apply."
        counts = self.plan.summary
        return (
            f"Apply complete: {counts['add']} added, {counts['change']} changed, "
            f"{counts['destroy']} destroyed."
        )


def apply_desired(
    api: AdminClient,
    state: DesiredState,
    *,
    saved: Plan | None = None,
    realms: list[str] | None = None,
    allow_mass_delete: bool = False,
    show: Callable[[Plan], None] | None = None,
    approve: Callable[[Plan], bool] | None = None,
    audit_path: str | None = None,
    commit: str | None = None,
    on_change: Callable[[Change, str], None] | None = None,
    break_lease: bool = False,
    kinds: Sequence[Kind] | None = None,
    observer: Observer = NOTHING,
) -> ApplyOutcome:
    """Apply ``state`` to Keycloak, or exactly the ``saved`` plan if it is still fresh.

    A fresh plan is handed to ``show`` and, when it has changes, to ``approve`` (no ``approve``:
    approved; a saved plan was reviewed already). ``audit_path`` gets one JSON line per write, tagged
    with the git ``commit``. ``break_lease`` takes a realm's apply lease from an apply known to be
    killed. SIGTERM (a cancelled CI job) stops the apply like Ctrl-C: with the
    report and the ownership record. ``observer`` hears of the reading and of each change applied.
    """
    started = time.monotonic()
    fresh, lives = make_plan(
        api, state, realms=saved.realms if saved is not None else realms, kinds=kinds, observer=observer
    )
    if saved is not None:
        check_fresh(saved, fresh, state)
        plan = saved
    else:
        plan = fresh
        if show is not None:
            show(plan)
    check_mass_delete(plan, state, allow_mass_delete)
    if plan.has_changes and saved is None and approve is not None and not approve(plan):
        raise KcrError("Apply cancelled: nothing was changed.")
    audit = AuditLog(audit_path, commit=commit)

    def changed(change: Change, result: str) -> None:
        if on_change is not None:
            on_change(change, result)
        observer.applied(change, result)

    observer.applying(len(plan.changes))
    try:
        with _sigterm_interrupts():
            report = apply_plan(
                api,
                plan,
                state,
                lives,
                audit=audit,
                on_change=changed,
                break_lease=break_lease,
                kinds=kinds,
            )
    finally:
        audit.close()
    return ApplyOutcome(
        plan=plan,
        report=report,
        audit_summary=audit.summary(),
        requests=api.request_count,
        seconds=time.monotonic() - started,
    )


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt meanwhile (signal handlers belong to the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
