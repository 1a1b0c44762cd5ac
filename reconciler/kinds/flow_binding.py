"""The realm's flow bindings (``browserFlow``, ``directGrantFlow``, ... of the realm representation),
declared by flow alias like Keycloak's realm representation carries them.

They are realm fields, but a binding must be written after the flow it names exists and before a flow
it no longer names is deleted: this kind runs after the flows (phase), and flow deletes run after every
create and update (``engine.order_changes``). An update GETs the realm, sets the bindings and PUTs it
whole; a binding that names no flow is a 500 from Keycloak, so references are checked offline and at
plan time (``live_checks.py``).
"""

from __future__ import annotations

from typing import Any

from reconciler.builtins import REALM_FLOW_BINDINGS
from reconciler.compare import FieldDiff
from reconciler.desired.representation import RealmSettings
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Reference


class FlowBindingKind(Kind):
    name = "flow-binding"
    phase = 18  # after the flows they name (16)
    model = RealmSettings  # its fields are realm settings; the realm document holds them
    access = (Access("", "view-realm", "manage-realm"),)
    export_files = ("authentication.yaml",)
    # Each binding is a realm setting naming a flow ("" : the setting's value).
    references = tuple(Reference("", "authentication-flow", section=key) for key in REALM_FLOW_BINDINGS)

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/flow-bindings"

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        bindings = {k: realm.spec[k] for k in REALM_FLOW_BINDINGS if k in realm.spec}
        return {realm.name: bindings} if bindings else {}

    def read(self, ctx: Context) -> dict[str, Obj]:
        rep = ctx.live.ids.realm
        if rep is None:
            return {}
        return {ctx.realm: {k: rep[k] for k in REALM_FLOW_BINDINGS if k in rep}}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        rep: dict[str, Any] = ctx.api.get(f"/{seg(ctx.realm)}")
        ctx.live.ids.realm = rep
        return {k: rep[k] for k in REALM_FLOW_BINDINGS if k in rep}

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        self.update(ctx, key, desired, {}, [])  # the realm was created in this apply

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        rep: dict[str, Any] = ctx.api.get(f"/{seg(ctx.realm)}")
        ctx.api.put(f"/{seg(ctx.realm)}", {**rep, **desired})
        ctx.live.ids.realm = {**rep, **desired}

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """Never planned: bindings have no collection and cannot be absent."""

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        """The bindings that differ from a new realm's."""
        rep = live.ids.realm or {}
        return {
            "authentication.yaml": {
                k: rep[k] for k, default in REALM_FLOW_BINDINGS.items() if rep.get(k) and rep[k] != default
            }
        }
