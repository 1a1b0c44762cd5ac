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
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import Forbidden
from reconciler.keycloak.client import READ_ONLY_POST, seg
from reconciler.kinds.base import Context

EXPORT = "partial_export"  # ctx.shared_reads key: the export, or None when it is not available
_PARAMS = {"exportClients": "true", "exportGroupsAndRoles": "true"}


def partial_export(ctx: Context) -> dict[str, Any] | None:
    """The realm's partial export (read at most once per context), or None: bulk reads off, or the
    logged-in account may not export."""
    if not ctx.bulk_reads:
        return None
    if EXPORT not in ctx.shared_reads:
        try:
            response = ctx.api.request(
                "POST",
                f"/{seg(ctx.realm)}/partial-export",
                params=_PARAMS,
                retry=True,  # it writes nothing: safe to send again
                count_as=READ_ONLY_POST,
            )
            ctx.shared_reads[EXPORT] = response.json()
        except Forbidden:
            ctx.shared_reads[EXPORT] = None
    export: dict[str, Any] | None = ctx.shared_reads[EXPORT]
    return export
