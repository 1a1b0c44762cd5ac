"""Reading one realm's live state (GET requests and the read-only partial export), every kind in phase
order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler import ownership
from reconciler.desired.state import DesiredRealm
from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds import REGISTRY, Kind
from reconciler.kinds.base import Context, LiveRealm
from reconciler.kinds.bulk_read import start_partial_export
from reconciler.observe import NOTHING, Observer


def read_live(
    api: AdminClient,
    desired: DesiredRealm,
    kinds: Sequence[Kind] | None = None,
    *,
    read_all: bool = False,
    observer: Observer = NOTHING,
    bulk_reads: bool = True,
    started: Mapping[str, Any] | None = None,
) -> LiveRealm:
    """Read one realm's live objects of every kind (GET only, and the read-only partial export). A
    missing realm reads as empty. ``read_all`` reads everything, also what nothing in ``desired``
    declares (``kcr export``); ``bulk_reads=False`` reads object by object. ``observer`` hears of
    each kind read, with its count. ``started``: reads of this realm already running
    (``early_reads``), taken over."""
    kinds = sorted(kinds if kinds is not None else REGISTRY, key=lambda k: k.phase)
    try:
        realm_rep = api.get(f"/{seg(desired.name)}")
    except NotFound:
        return LiveRealm(name=desired.name, exists=False, server=api.server_info())
    live = LiveRealm(
        name=desired.name, exists=True, managed=ownership.parse(realm_rep), server=api.server_info()
    )
    live.ids.realm = realm_rep
    ctx = Context(
        api=api, realm=desired.name, desired=desired, live=live, read_all=read_all, bulk_reads=bulk_reads
    )
    observer.reading(desired.name, [kind.name for kind in kinds])
    ctx.shared_reads.update(started or {})
    start_background_reads(ctx, kinds)
    for kind in kinds:
        live.objects[kind.name] = kind.read(ctx)
        observer.read(desired.name, kind.name, len(live.objects[kind.name]))
    return live


def start_background_reads(ctx: Context, kinds: Sequence[Kind]) -> None:
    """Start the reads that need nothing but the realm's name (the partial export, when a kind uses
    it, and each kind's ``start_reads``); reads already started in ``ctx`` are not started again."""
    if any(kind.reads_partial_export for kind in kinds):
        start_partial_export(ctx)
    for kind in kinds:
        kind.start_reads(ctx)
