"""Offline checks of authentication flows that are not plain references (those are the kinds'
``Reference``s: client overrides, identity providers' login flows): the realm's flow bindings name a
declared top-level or built-in flow; nothing binds a sub-flow; a step runs an authenticator or a
declared sub-flow and names a declared config; every declared config and sub-flow is used; a built-in
flow is never declared absent; priorities are declared on every step or none, increasing.

A built-in flow's steps may name sub-flows and configs the files do not declare (Keycloak made them
with the realm): the plan compares those with the live server.
"""

from __future__ import annotations

from typing import Any

from reconciler.builtins import REALM_FLOW_BINDINGS
from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, say, shown

FLOWS = "authenticationFlows"
EXECUTIONS = "authenticationExecutions"
CONFIGS = "authenticatorConfig"
OVERRIDES = "authenticationFlowBindingOverrides"
ABSENT = "absent"
IDP_FLOW_FIELDS = ("firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias")
NOUN = "authentication flow"


def check_flows(realm: MergedRealm, flows: Names, found: Findings) -> None:
    listed = realm.listed(FLOWS)
    sub_flows = {f.get("alias") for f, _ in listed if f.get("topLevel") is False and f.get("state") != ABSENT}
    configs = {c.get("alias") for c, _ in realm.listed(CONFIGS) if c.get("state") != ABSENT}

    def bound(origin: Origin, sub: tuple[str | int, ...], alias: Any) -> None:
        if isinstance(alias, str) and alias in sub_flows:
            text = shown(origin, alias, *sub)
            found.error(
                origin, sub, f"{say(NOUN, text)} is a sub-flow (topLevel: false)", "bind a top-level flow"
            )

    for key in REALM_FLOW_BINDINGS:  # that each names a declared or built-in flow is a Reference
        origin = realm.settings.get(key)
        if origin is not None:
            bound(origin, (), realm.spec.get(key))
    for client, origin in realm.listed("clients"):
        for name, alias in (client.get(OVERRIDES) or {}).items():
            bound(origin, (OVERRIDES, name), alias)
    for provider, origin in realm.listed("identityProviders"):
        for key in IDP_FLOW_FIELDS:
            bound(origin, (key,), provider.get(key))
    used_configs: set[str] = set()
    runs: set[str] = set()
    for flow, origin in listed:
        _check_flow(flow, origin, flows, configs, found, used_configs, runs)
    for flow, origin in listed:
        alias = flow.get("alias")
        if alias in sub_flows and alias not in runs and flow.get("builtIn") is not True:
            found.error(
                origin,
                ("alias",),
                f"sub-flow {shown(origin, alias, 'alias')} is run by no declared flow",
                f"add a step with flowAlias: {alias} to the flow that runs it, or remove it",
            )
    for config, origin in realm.listed(CONFIGS):
        alias = config.get("alias")
        if config.get("state") != ABSENT and isinstance(alias, str) and alias not in used_configs:
            found.error(
                origin,
                ("alias",),
                f"authenticator config {shown(origin, alias, 'alias')} is used by no step",
                "name it in a step's authenticatorConfig, or remove it: a config lives on its step",
            )


def _check_flow(
    flow: dict[str, Any],
    origin: Origin,
    flows: Names,
    configs: set[Any],
    found: Findings,
    used_configs: set[str],
    runs: set[str],
) -> None:
    built_in = flow.get("builtIn") is True
    if built_in and flow.get("state") == ABSENT:
        found.error(
            origin,
            ("state",),
            f"flow {shown(origin, flow.get('alias'), 'alias')} is built-in: Keycloak cannot delete it",
            "remove state: absent; to stop using it, bind another flow",
        )
    steps = [s for s in flow.get(EXECUTIONS) or [] if isinstance(s, dict)]
    priorities = [s.get("priority") for s in steps]
    if any(p is None for p in priorities) and any(p is not None for p in priorities):
        found.error(
            origin,
            (EXECUTIONS,),
            "declare priority on every step of the flow, or on none",
            "without priorities the steps get 10, 20, 30... in the order listed",
        )
    elif all(isinstance(p, int) for p in priorities) and priorities != sorted(
        int(p or 0) for p in priorities
    ):
        found.error(
            origin,
            (EXECUTIONS,),
            "priorities must increase in the order the steps are listed",
            "Keycloak runs the steps by priority: list them in that order",
        )
    for i, step in enumerate(steps):
        sub_flow, config = step.get("flowAlias"), step.get("authenticatorConfig")
        if sub_flow is None and not step.get("authenticator"):
            found.error(
                origin,
                (EXECUTIONS, i),
                "a step needs authenticator or flowAlias",
                "name the authenticator, or the sub-flow it runs",
            )
        if isinstance(sub_flow, str):
            runs.add(sub_flow)
            if ("", sub_flow) not in flows.present and not built_in:
                sub = (EXECUTIONS, i, "flowAlias")
                found.error(
                    origin,
                    sub,
                    f"sub-flow {shown(origin, sub_flow, *sub)} is not declared",
                    "declare it under authenticationFlows with topLevel: false",
                )
        if isinstance(config, str):
            used_configs.add(config)
            if config not in configs and not built_in:
                sub = (EXECUTIONS, i, "authenticatorConfig")
                found.error(
                    origin,
                    sub,
                    f"authenticator config {shown(origin, config, *sub)} is not declared",
                    "declare it under authenticatorConfig",
                )


def flow_overrides_by_alias(spec: dict[str, Any], data: dict[str, Any]) -> None:
    """A Keycloak export names a client's override flows by id (the flow's ``id`` in the same
    document): the language names them by alias."""
    flows = data.get("authenticationFlows")
    if not isinstance(flows, list):
        return
    aliases = {f["id"]: f.get("alias") for f in flows if isinstance(f, dict) and isinstance(f.get("id"), str)}
    for client in spec.get("clients") or []:
        overrides = client.get("authenticationFlowBindingOverrides")
        if isinstance(overrides, dict):
            client["authenticationFlowBindingOverrides"] = {
                k: aliases.get(v, v) for k, v in overrides.items()
            }
