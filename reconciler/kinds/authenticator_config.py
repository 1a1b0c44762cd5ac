"""Authenticator configs: ``authenticatorConfig[]`` of the realm representation (``{alias, config}``),
named by ``alias``; a flow's step names its config by that alias.

Keycloak keeps a config on one execution: ``POST /executions/{id}/config`` makes it (there is no other
way to create one), ``PUT /config/{id}`` replaces its ``config``, ``DELETE /config/{id}`` removes it.
So the flow kind attaches a declared config when it builds or changes the step that names it; this
kind changes and deletes configs, and attaches a new config to a step that already exists. Configs are
read through the steps that use them (a config that no step uses is invisible to kcr).
"""

from __future__ import annotations

from typing import ClassVar

from reconciler.compare import FieldDiff, Rules
from reconciler.desired.representation import Resource, StringMap
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError
from reconciler.export.values import string_map
from reconciler.keycloak.client import seg
from reconciler.kinds.authentication_flow import (
    CONFIGS,
    EXECUTIONS,
    FLOWS,
    AuthenticationFlowKind,
    auth_path,
    flat_level0,
)
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Section


class AuthenticatorConfig(Resource):
    """The settings of one flow step's authenticator (``alias`` names it)."""

    required: ClassVar[str | None] = "alias"

    alias: str | None = None
    config: StringMap | None = None


class AuthenticatorConfigKind(Kind):
    name = "authenticator-config"
    phase = 17  # after the flows whose steps carry them
    model = AuthenticatorConfig
    key_field = "alias"
    sections = (Section(CONFIGS, "list", AuthenticatorConfig),)
    collection = CONFIGS
    access = (Access("/authentication", "view-realm", "manage-realm"),)
    export_files = ("authentication.yaml",)
    rules: ClassVar[Rules] = Rules(string_maps=frozenset({"config"}))

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {str(c["alias"]): dict(c) for c in realm.spec.get(CONFIGS) or []}

    def read(self, ctx: Context) -> dict[str, Obj]:
        flows = ctx.live.of(AuthenticationFlowKind.name)
        ids = sorted({i for flow in flows.values() for i in flow.get("_configIds") or []})
        reps = ctx.api.map(lambda i: ctx.api.get(f"{auth_path(ctx)}/config/{seg(i)}"), ids)
        return {str(r["alias"]): {k: r[k] for k in ("id", "alias", "config") if k in r} for r in reps}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return self._find(ctx, key)

    def _find(self, ctx: Context, alias: str) -> Obj | None:
        """The live config named ``alias``, read again (the flow kind may have just made it)."""
        for flow in _declared_users(ctx, alias):
            for row in flat_level0(ctx, flow):
                if row.get("authenticationConfig"):
                    rep = ctx.api.get(f"{auth_path(ctx)}/config/{seg(row['authenticationConfig'])}")
                    if rep.get("alias") == alias:
                        return dict(rep)
        return None

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        stored = self._find(ctx, key)
        if stored is not None:  # attached by the flow kind when it built the step
            self._put(ctx, stored, desired)
            return
        for flow in _declared_users(ctx, key):
            steps = _declared_steps(ctx, flow)
            rows = flat_level0(ctx, flow)
            for step, row in zip(steps, rows, strict=False):
                if step.get("authenticatorConfig") == key:
                    body = {"alias": key, "config": dict(desired.get("config") or {})}
                    ctx.api.post(f"{auth_path(ctx)}/executions/{seg(row['id'])}/config", body)
                    return
        raise KcrError(
            f"authenticator config {key!r}: no step of a declared flow names it; "
            "name it in a step's authenticatorConfig, or remove it"
        )

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        self._put(ctx, live, desired)

    def _put(self, ctx: Context, stored: Obj, desired: Obj) -> None:
        config = {**(stored.get("config") or {}), **(desired.get("config") or {})}
        body = {"id": stored["id"], "alias": stored["alias"], "config": config}
        ctx.api.put(f"{auth_path(ctx)}/config/{seg(stored['id'])}", body)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(f"{auth_path(ctx)}/config/{seg(live['id'])}")

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        configs = [
            {"alias": alias, "config": string_map(c.get("config"))}
            for alias, c in sorted(live.of(self.name).items())
        ]
        return {"authentication.yaml": {CONFIGS: configs}}


def _declared_users(ctx: Context, alias: str) -> list[str]:
    """Aliases of the declared flows with a step that names the config."""
    return [
        str(flow["alias"])
        for flow in ctx.desired.spec.get(FLOWS) or []
        if any(s.get("authenticatorConfig") == alias for s in flow.get(EXECUTIONS) or [])
    ]


def _declared_steps(ctx: Context, alias: str) -> list[Obj]:
    for flow in ctx.desired.spec.get(FLOWS) or []:
        if flow.get("alias") == alias:
            return [dict(s) for s in flow.get(EXECUTIONS) or []]
    return []
