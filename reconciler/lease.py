"""The apply lease: one ``kcr apply`` at a time per realm.

Two applies writing one realm at once race into Keycloak's "Database operation failed" and undo each
other's writes. Before its first write in a realm an apply takes a lease stored in that realm, renews
it while it runs and releases it at the end; a second apply finds it and stops with "another apply is
running on realm X" before writing anything.

The lease is the realm role ``kcr-apply-lease`` (a built-in for kcr: never compared, listed or pruned):
creating a role is atomic in Keycloak (a second POST of the same name answers 409), which no realm
attribute offers (a realm PUT replaces all attributes at once). Its attributes say who holds it and
until when. It expires: a killed apply cannot renew it, so after ``TTL`` seconds the next apply
deletes it by id (a second taker's delete of that id finds nothing, and its POST then gets the 409)
and takes it. A holder whose renewal fails (the lease expired and was taken, or deleted by hand)
stops before its next write. Expiry times come from the holders' clocks: clocks must agree to well
within ``TTL``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.errors import Conflict, KcrError, KeycloakUnreachable, NotFound, ServerError
from reconciler.keycloak.client import AdminClient, seg

LEASE_ROLE = "kcr-apply-lease"
HOLDER_ATTRIBUTE = "kcr.lease"
TTL = 120.0  # seconds a lease lasts without renewal
RENEW_EVERY = 30.0


class LeaseHeld(KcrError):
    """Another apply holds the realm's lease."""


class LeaseLost(KcrError):
    """Our lease could not be renewed: another apply may be writing the realm now."""


@dataclass(frozen=True)
class Holder:
    id: str
    host: str
    pid: int
    started: float
    expires: float

    def describe(self, now: float) -> str:
        since = datetime.fromtimestamp(self.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        left = self.expires - now
        return f"kcr (pid {self.pid} on {self.host}, since {since}; its lease expires in {left:.0f} s)"

    def role(self) -> dict[str, Any]:
        data = {
            "id": self.id,
            "host": self.host,
            "pid": self.pid,
            "started": self.started,
            "expires": self.expires,
        }
        return {
            "name": LEASE_ROLE,
            "description": "kcr apply in progress: kcr deletes this role when it ends (or it expires)",
            "attributes": {HOLDER_ATTRIBUTE: [json.dumps(data, separators=(",", ":"))]},
        }

    @staticmethod
    def from_role(rep: dict[str, Any]) -> Holder | None:
        raw = (rep.get("attributes") or {}).get(HOLDER_ATTRIBUTE) or []
        try:
            data = json.loads(raw[0])
            return Holder(
                str(data["id"]),
                str(data["host"]),
                int(data["pid"]),
                float(data["started"]),
                float(data["expires"]),
            )
        except (IndexError, KeyError, TypeError, ValueError):
            return None  # unreadable: treated as expired


class Lease:
    """The lease of one realm, held by this process."""

    def __init__(self, api: AdminClient, realm: str, *, ttl: float = TTL, break_held: bool = False) -> None:
        self.api = api
        self.realm = realm
        self.ttl = ttl
        self.break_held = break_held
        self.role_id: str | None = None
        self.holder: Holder | None = None
        self.lost: str | None = None  # why renewal failed

    @property
    def _roles(self) -> str:
        return f"/{seg(self.realm)}/roles"

    def acquire(self) -> None:
        """Take the lease, or raise LeaseHeld naming who holds it."""
        now = time.time()
        me = Holder(uuid.uuid4().hex, socket.gethostname(), os.getpid(), now, now + self.ttl)
        for _ in range(3):
            # A 409: held by someone; a lost answer: perhaps taken by us. What is live tells.
            with contextlib.suppress(Conflict, KeycloakUnreachable, ServerError):
                self.api.create(self._roles, me.role())
            try:
                rep = self.api.get(f"{self._roles}/{seg(LEASE_ROLE)}")
            except NotFound:
                continue  # released meanwhile: try again
            other = Holder.from_role(rep)
            if other is not None and other.id == me.id:
                self.role_id, self.holder = str(rep["id"]), me
                return
            now = time.time()
            if other is not None and other.expires > now and not self.break_held:
                raise LeaseHeld(
                    f"another apply is running on realm {self.realm!r}: {other.describe(now)}. Wait for it "
                    "to finish and run again; if it was killed, its lease expires by itself, or run "
                    "`kcr apply --break-lease` once you are sure no apply runs (the lease is the realm "
                    f"role {LEASE_ROLE})."
                )
            # Expired (a killed apply), or broken on request: delete that lease by its id, so that a
            # second taker doing the same deletes nothing more, then try to take it again.
            with contextlib.suppress(NotFound):
                self.api.delete(f"/{seg(self.realm)}/roles-by-id/{rep['id']}")
        raise LeaseHeld(
            f"could not take the apply lease of realm {self.realm!r}: other applies keep taking it"
        )

    def renew(self) -> None:
        if self.role_id is None or self.holder is None or self.lost:
            return
        renewed = Holder(**{**self.holder.__dict__, "expires": time.time() + self.ttl})
        try:
            self.api.put(f"/{seg(self.realm)}/roles-by-id/{self.role_id}", renewed.role())
            self.holder = renewed
        except NotFound:
            self.lost = "the lease was deleted (it expired and another apply took it, or someone removed it)"
        except KcrError as exc:
            if time.time() >= self.holder.expires:
                self.lost = f"it could not be renewed before it expired: {exc}"

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(
                f"Stopped: this apply lost its lease on realm {self.realm!r} ({self.lost}); another apply "
                "may be writing it now. Run `kcr apply` again once it has finished."
            )

    def release(self) -> None:
        if self.role_id is None or self.lost:
            return
        with contextlib.suppress(NotFound):
            self.api.delete(f"/{seg(self.realm)}/roles-by-id/{self.role_id}")
        self.role_id = None


class Leases:
    """The leases one apply holds, renewed by a background thread until released."""

    def __init__(
        self,
        api: AdminClient,
        *,
        ttl: float = TTL,
        renew_every: float = RENEW_EVERY,
        break_held: bool = False,
    ) -> None:
        self.api = api
        self.ttl = ttl
        self.break_held = break_held
        self.renew_every = renew_every
        self.held: dict[str, Lease] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure(self, realm: str) -> None:
        """Hold the lease of ``realm`` (taking it if not yet held); raise if it was lost."""
        lease = self.held.get(realm)
        if lease is None:
            lease = Lease(self.api, realm, ttl=self.ttl, break_held=self.break_held)
            lease.acquire()
            self.held[realm] = lease
            self._start()
        lease.check()

    def holds(self, realm: str) -> bool:
        lease = self.held.get(realm)
        return lease is not None and not lease.lost

    def forget(self, realm: str) -> None:
        """Drop the lease of a realm this apply deleted (the lease went with it)."""
        self.held.pop(realm, None)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._renew_loop, name="kcr-lease", daemon=True)
            self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            for lease in list(self.held.values()):
                lease.renew()

    def release_all(self) -> list[str]:
        """Stop renewing and release every lease; return what could not be released."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.api.settings.timeout + 5)
        problems = []
        for realm, lease in self.held.items():
            try:
                lease.release()
            except KcrError as exc:
                problems.append(f"{realm}: {exc}")
        self.held.clear()
        return problems
