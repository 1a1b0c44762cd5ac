"""The realm's partial export, read once per plan: client roles, role composites and the whole group
tree in one request instead of one per client, per composite role and per group with children.

``POST /{realm}/partial-export?exportClients=true&exportGroupsAndRoles=true`` changes nothing (it is
a POST because it builds a document; ``AdminClient`` counts it as ``READ_ONLY_POST``). For these
objects it carries the same fields as the per-object reads (checked field by field in
tests/integration/test_bulk_reads.py on Keycloak 26.7):

- ``roles.realm[]`` and ``roles.client.<clientId>[]``: id, name, description, attributes, and
  ``composites`` as ``{realm: [names], client: {clientId: [names]}}`` (absent parts left out);
- ``groups[]``: the tree (``subGroups``) with id, path, description, attributes, and the direct role
  mappings ``realmRoles`` and ``clientRoles`` (by clientId).

It masks client secrets, so clients are still read with ``GET /clients``. It needs ``manage-realm``:
without it (403) the kinds read object by object, as they do when ``Context.bulk_reads`` is off.

It is the longest read of a plan (the server builds the document: seconds on a large realm), so
``read_live`` starts it in the background (``start_partial_export``) before the kinds read in phase
order: the reads of the realm, flows, scopes and clients overlap it.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from reconciler.errors import Forbidden
from reconciler.keycloak.client import READ_ONLY_POST, seg
from reconciler.kinds.base import Context

EXPORT = "partial_export"  # ctx.shared_reads key: the export, or None when it is not available
STARTED = "partial_export_started"  # ctx.shared_reads key: the export being read in the background
_PARAMS = {"exportClients": "true", "exportGroupsAndRoles": "true"}
T = TypeVar("T")


def in_background(ctx: Context, key: str, read: Callable[[], T]) -> None:
    """Start ``read`` in a thread of its own, for ``collect`` under ``key``. Not without concurrency
    (``--concurrency 1``), nor twice in one context."""
    if ctx.api.settings.concurrency <= 1 or key in ctx.shared_reads:
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=key)
    ctx.shared_reads[key] = pool.submit(read)
    pool.shutdown(wait=False)  # the thread ends with its one read


def collect(ctx: Context, key: str, read: Callable[[], T]) -> T:
    """What ``in_background`` started under ``key`` (raising what it raised), once; else ``read()``."""
    started: Future[T] | None = ctx.shared_reads.pop(key, None)
    return started.result() if started is not None else read()


def start_partial_export(ctx: Context) -> None:
    """Read the export in the background; ``partial_export`` waits for it. Not with bulk reads off."""
    if ctx.bulk_reads and EXPORT not in ctx.shared_reads:
        in_background(ctx, STARTED, lambda: _read(ctx))


def partial_export(ctx: Context) -> dict[str, Any] | None:
    """The realm's partial export (read at most once per context), or None: bulk reads off, or the
    logged-in account may not export."""
    if not ctx.bulk_reads:
        return None
    if EXPORT not in ctx.shared_reads:
        ctx.shared_reads[EXPORT] = collect(ctx, STARTED, lambda: _read(ctx))
    export: dict[str, Any] | None = ctx.shared_reads[EXPORT]
    return export


def _read(ctx: Context) -> dict[str, Any] | None:
    try:
        response = ctx.api.request(
            "POST",
            f"/{seg(ctx.realm)}/partial-export",
            params=_PARAMS,
            retry=True,  # it writes nothing: safe to send again
            count_as=READ_ONLY_POST,
        )
    except Forbidden:
        return None
    export: dict[str, Any] = response.json()
    return export
