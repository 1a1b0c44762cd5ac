"""Plan-time checks of authentication flows against the live realm, before any write:

- a built-in flow's steps are what the live server has (Keycloak refuses to add, remove or reorder
  them; which steps a built-in flow has differs between Keycloak versions, so only the live server
  can say);
- every flow a binding names (realm bindings, client overrides, identity providers' login flows)
  exists after the plan: declared, or in Keycloak and not about to be deleted. Keycloak answers 500 to
  a binding that names no flow and to deleting a flow something is bound to.
"""

from __future__ import annotations

from typing import Any

from reconciler.builtins import REALM_FLOW_BINDINGS
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.kinds.base import STATE_KEY, LiveRealm
from reconciler.kinds.flow_steps import built_in_match, identity

KIND = "authentication-flow"
FLOWS = "authenticationFlows"
EXECUTIONS = "authenticationExecutions"

IDP_FLOW_FIELDS = ("firstBrokerLoginFlowAlias", "postBrokerLoginFlowAlias")
OVERRIDES = "authenticationFlowBindingOverrides"


def _deleted(desired: DesiredRealm, live_flows: dict[str, Any]) -> set[str]:
    """Live flows this plan deletes: declared absent, or managed, pruned and no longer declared."""
    declared = {f.get("alias"): f for f in desired.spec.get(FLOWS) or []}
    managed = set()
    if desired.policy.prunes(FLOWS):
        managed = {a for a in live_flows if a not in declared and not live_flows[a].get("builtIn")}
    absent = {a for a, f in declared.items() if f.get(STATE_KEY) == "absent"}
    return {str(a) for a in (absent & set(live_flows)) | managed}


def check_flows_live(desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
    if KIND not in live.objects or not live.exists:
        return []
    live_flows = live.of(KIND)
    if not live_flows:  # not read: nothing declares flows (bindings are checked offline)
        return []
    problems: list[Problem] = []
    for flow in desired.spec.get(FLOWS) or []:
        alias = str(flow.get("alias"))
        current = live_flows.get(alias)
        if current is None or not current.get("builtIn") or EXECUTIONS not in flow:
            continue
        have = [identity(e) for e in current.get(EXECUTIONS) or []]
        if built_in_match(list(flow.get(EXECUTIONS) or []), have) is None:
            problems.append(
                Problem(
                    f"flow {alias!r} is built-in: Keycloak lets kcr change its steps' requirements and "
                    "priorities, not add or reorder steps; declare some of its steps, in its order "
                    f"(Keycloak has: {', '.join(have)})",
                    desired.locations.get(f"{FLOWS}[{alias}]"),
                    f"{FLOWS}[{alias}].{EXECUTIONS}",
                    "copy the flow under a new alias (the admin console's Duplicate, or kcr export), "
                    "change the copy and bind it",
                )
            )
    deleted = _deleted(desired, live_flows)
    declared = {str(f.get("alias")) for f in desired.spec.get(FLOWS) or [] if f.get(STATE_KEY) != "absent"}
    exists = (set(live_flows) - deleted) | declared

    def check(alias: Any, address: str, what: str, declared_here: bool) -> None:
        if not isinstance(alias, str) or not alias or alias in exists:
            return
        if alias in deleted:
            message = f"{what} names flow {alias!r}, which this plan deletes"
            hint = "bind another flow first (declare the binding), or keep the flow"
        else:
            message = f"{what} names flow {alias!r}, which neither the desired state nor Keycloak has"
            hint = "declare the flow, or fix the alias"
        if declared_here or alias in deleted:
            problems.append(Problem(message, desired.locations.get(address), address, hint))

    realm_rep = live.ids.realm or {}
    for key in REALM_FLOW_BINDINGS:
        declared_here = key in desired.spec
        check(desired.spec.get(key) if declared_here else realm_rep.get(key), key, key, declared_here)
    clients = {str(c.get("clientId")): c for c in desired.spec.get("clients") or []}
    for client_id, current in live.of("client").items():
        if client_id not in clients:
            for name, alias in (current.get(OVERRIDES) or {}).items():
                check(alias, f"clients[{client_id}]", f"client {client_id!r} override {name!r}", False)
    for client_id, client in clients.items():
        for name, alias in (client.get(OVERRIDES) or {}).items():
            check(alias, f"clients[{client_id}]", f"override {name!r}", True)
    providers = {str(p.get("alias")): p for p in desired.spec.get("identityProviders") or []}
    for alias, provider in {**live.of("identity-provider"), **providers}.items():
        for key in IDP_FLOW_FIELDS:
            check(
                provider.get(key),
                f"identityProviders[{alias}]",
                f"identity provider {alias!r} {key}",
                alias in providers,
            )
    return problems
