"""Offline checks of authentication flows and what names them: realm bindings, client overrides and
identity providers' login flows name a declared or built-in flow; a step's sub-flow and config are
declared; a built-in flow is never declared absent; priorities keep the declared order.

A built-in flow's own steps may name sub-flows and configs that the file does not declare (Keycloak
made them with the realm); the plan compares those with the live server.
"""

from __future__ import annotations

from typing import Any

from reconciler.builtins import BUILTIN_FLOWS, CLIENT_FLOW_OVERRIDES, REALM_FLOW_BINDINGS
from reconciler.desired.merge import MergedRealm, Origin, at, path_of, shown
from reconciler.errors import Problem

FLOWS = "authenticationFlows"
EXECUTIONS = "authenticationExecutions"
CONFIGS = "authenticatorConfig"
ABSENT = "absent"
IDP_FLOW_FIELDS = ("firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias")


class _FlowChecker:
    def __init__(self, realm: MergedRealm) -> None:
        self.realm = realm
        self.problems: list[Problem] = []
        flows = list(zip(realm.spec.get(FLOWS) or [], realm.items.get(FLOWS, []), strict=True))
        self.flows: list[tuple[dict[str, Any], Origin]] = flows
        present = [f for f, _ in flows if f.get("state") != ABSENT]
        self.declared = {f.get("alias") for f in present}
        self.absent = {f.get("alias") for f, _ in flows if f.get("state") == ABSENT}
        self.top_level = {f.get("alias") for f in present if f.get("topLevel") is not False}
        self.configs = {c.get("alias") for c in realm.spec.get(CONFIGS) or [] if c.get("state") != ABSENT}

    def error(self, origin: Origin, sub: tuple[str | int, ...], message: str, hint: str) -> None:
        self.problems.append(Problem(message, at(origin, *sub), path_of(origin, *sub), hint))

    def flow_ref(self, origin: Origin, sub: tuple[str | int, ...], alias: Any, what: str) -> None:
        """A binding names a top-level flow that is declared, or one of Keycloak's built-ins."""
        if not isinstance(alias, str) or not alias:
            return
        if alias in self.absent:
            self.error(
                origin,
                sub,
                f"{what} names flow {shown(origin, alias, *sub)}, declared state: absent",
                "bind another flow, or keep the flow",
            )
        elif alias in self.declared and alias not in self.top_level:
            self.error(
                origin,
                sub,
                f"{what} names {shown(origin, alias, *sub)}, a sub-flow (topLevel: false)",
                "bind a top-level flow",
            )
        elif alias not in self.top_level and alias not in BUILTIN_FLOWS:
            self.error(
                origin,
                sub,
                f"{what} names flow {shown(origin, alias, *sub)}, which is not declared",
                "declare it under authenticationFlows, or name a built-in flow",
            )

    def check(self) -> list[Problem]:
        for key in REALM_FLOW_BINDINGS:
            origin = self.realm.settings.get(key)
            if origin is not None:
                self.flow_ref(origin, (), self.realm.spec.get(key), key)
        for client, origin in zip(
            self.realm.spec.get("clients") or [], self.realm.items.get("clients", []), strict=True
        ):
            for name, alias in (client.get("authenticationFlowBindingOverrides") or {}).items():
                sub = ("authenticationFlowBindingOverrides", name)
                if name not in CLIENT_FLOW_OVERRIDES:
                    self.error(
                        origin,
                        sub,
                        f"unknown flow override {name!r}",
                        f"use {' or '.join(sorted(CLIENT_FLOW_OVERRIDES))}",
                    )
                else:
                    self.flow_ref(origin, sub, alias, f"override {name!r}")
        providers = zip(
            self.realm.spec.get("identityProviders") or [],
            self.realm.items.get("identityProviders", []),
            strict=True,
        )
        for provider, origin in providers:
            for key in IDP_FLOW_FIELDS:
                self.flow_ref(origin, (key,), provider.get(key), key)
        used_configs: set[str] = set()
        runs: dict[str, int] = {}
        for flow, origin in self.flows:
            self.check_flow(flow, origin, used_configs, runs)
        for flow, origin in self.flows:
            alias = str(flow.get("alias"))
            made_by_keycloak = flow.get("builtIn") is True
            if (
                flow.get("topLevel") is False
                and flow.get("state") != ABSENT
                and not runs.get(alias)
                and not made_by_keycloak
            ):
                self.error(
                    origin,
                    ("alias",),
                    f"sub-flow {shown(origin, alias, 'alias')} is run by no declared flow",
                    f"add a step with flowAlias: {alias} to the flow that runs it, or remove it",
                )
        configs = zip(self.realm.spec.get(CONFIGS) or [], self.realm.items.get(CONFIGS, []), strict=True)
        for config, origin in configs:
            alias = config.get("alias")
            if config.get("state") != ABSENT and alias not in used_configs:
                self.error(
                    origin,
                    ("alias",),
                    f"authenticator config {shown(origin, alias, 'alias')} is used by no step",
                    "name it in a step's authenticatorConfig, or remove it: a config lives on its step",
                )
        return self.problems

    def check_flow(
        self, flow: dict[str, Any], origin: Origin, used_configs: set[str], runs: dict[str, int]
    ) -> None:
        built_in = flow.get("builtIn") is True
        if built_in and flow.get("state") == ABSENT:
            self.error(
                origin,
                ("state",),
                f"flow {shown(origin, flow.get('alias'), 'alias')} is built-in: Keycloak cannot delete it",
                "remove state: absent; to stop using it, bind another flow",
            )
        steps = flow.get(EXECUTIONS) or []
        priorities = [s.get("priority") for s in steps]
        if any(p is None for p in priorities) and any(p is not None for p in priorities):
            self.error(
                origin,
                (EXECUTIONS,),
                "declare priority on every step of the flow, or on none",
                "without priorities the steps get 10, 20, 30... in the order listed",
            )
        elif all(p is not None for p in priorities) and priorities != sorted(priorities):
            self.error(
                origin,
                (EXECUTIONS,),
                "priorities must increase in the order the steps are listed",
                "Keycloak runs the steps by priority: list them in that order",
            )
        for i, step in enumerate(steps):
            sub_flow, config = step.get("flowAlias"), step.get("authenticatorConfig")
            if sub_flow is None and not step.get("authenticator"):
                self.error(
                    origin,
                    (EXECUTIONS, i),
                    "a step needs authenticator or flowAlias",
                    "name the authenticator, or the sub-flow it runs",
                )
            if isinstance(sub_flow, str):
                runs[sub_flow] = runs.get(sub_flow, 0) + 1
                if sub_flow not in self.declared and not built_in:
                    self.error(
                        origin,
                        (EXECUTIONS, i, "flowAlias"),
                        f"sub-flow {shown(origin, sub_flow, EXECUTIONS, i, 'flowAlias')} is not declared",
                        "declare it under authenticationFlows with topLevel: false",
                    )
            if isinstance(config, str):
                sub = (EXECUTIONS, i, "authenticatorConfig")
                used_configs.add(config)
                if config not in self.configs and not built_in:
                    self.error(
                        origin,
                        sub,
                        f"config {shown(origin, config, *sub)} is not declared",
                        "declare it under authenticatorConfig",
                    )


def check_flows(realm: MergedRealm) -> list[Problem]:
    return _FlowChecker(realm).check()
