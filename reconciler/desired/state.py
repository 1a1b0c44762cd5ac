"""The desired state after loading: plain data that the rest of the tool reads.

``DesiredRealm.spec`` is the realm representation exactly as declared (Keycloak's own field names,
``exclude_unset``: a key the YAML leaves out is absent here), merged from every file, with
``${env:...}``/``${file:...}`` substituted and the ``policy`` block taken out into ``policy``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from reconciler.errors import Problem, SourceLocation

DEFAULT_MAX_DELETES = 10


@dataclass(frozen=True)
class Policy:
    """What the reconciler owns in a realm and may delete.

    ``prune``: collections whose *managed* objects that are no longer declared get deleted.
    ``prune_unmanaged``: per collection, glob patterns of hand-made objects that may be deleted too.
    ``max_deletes``: a plan deleting more objects than this needs ``--allow-mass-delete``.
    """

    prune: frozenset[str] = frozenset()
    prune_unmanaged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_deletes: int = DEFAULT_MAX_DELETES

    def prunes(self, collection: str) -> bool:
        return collection in self.prune

    def prunes_unmanaged(self, collection: str, key: str) -> bool:
        return any(fnmatchcase(key, pat) for pat in self.prune_unmanaged.get(collection, ()))


@dataclass(frozen=True)
class LiveReference:
    """A reference the offline checks could not settle: it names a built-in (Keycloak makes it with a
    new realm, but it may have been deleted by hand or come with a later version), or a name that
    may exist only in Keycloak (``Reference.live_only``). The plan checks it against the live realm
    before any write."""

    kind: str  # registry name of the kind it names
    scope: str  # the object the name lives in ("" unless a client role: its clientId)
    name: str
    builtin: bool  # resolved offline as a built-in
    shown: str  # the name for messages: quoted, or "(substituted value)"
    location: SourceLocation | None
    path: str


@dataclass
class DesiredRealm:
    name: str
    spec: dict[str, Any]
    policy: Policy = field(default_factory=Policy)
    # dotted path inside the merged realm ("clients[orders-api].secret") -> where it was written
    locations: dict[str, SourceLocation] = field(default_factory=dict)
    # what the plan checks against the live realm (``live_checks.py``); None: not loaded from files,
    # the plan finds them itself
    live_references: list[LiveReference] | None = None


@dataclass
class DesiredState:
    realms: dict[str, DesiredRealm]
    sources: list[str] = field(default_factory=list)
    # accepted but not managed (export-only keys, hashed credentials, ...): one per key, never an error
    warnings: list[Problem] = field(default_factory=list)
    # what was checked without a value (unset ${env:...} under kcr validate)
    notes: list[Problem] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of everything declared (secrets included, only as part of the hash)."""
        canonical = json.dumps(
            {
                n: {
                    "spec": r.spec,
                    "policy": [
                        sorted(r.policy.prune),
                        sorted(r.policy.prune_unmanaged.items()),
                        r.policy.max_deletes,
                    ],
                }
                for n, r in sorted(self.realms.items())
            },
            sort_keys=True,
            default=str,
        )
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
