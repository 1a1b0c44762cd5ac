"""What Keycloak 26.7 does with authentication flows, executions, authenticator configs and flow
bindings through the Admin API, each fact proven here.

Kind facts (the authentication-flow kind relies on them):

- ``GET /authentication/flows`` lists the **top-level** flows only (and hides ``saml ecp``), each in
  the realm-export shape: ``{id, alias, description, providerId, topLevel, builtIn,
  authenticationExecutions: [{authenticator, authenticatorFlow, requirement, priority, flowAlias,
  authenticatorConfig (alias), userSetupAllowed, autheticatorFlow (sic)}]}``. Sub-flows are not listed:
  ``GET /flows/{alias}/executions`` gives the whole tree flattened (``level``, ``index``, execution
  ``id``, sub-flow ``flowId``, config **id** in ``authenticationConfig``), and ``GET /flows/{id}``
  reads one sub-flow in the export shape. A realm export lists every flow, sub-flows with
  ``topLevel: false``, and configs in ``authenticatorConfig[]`` (``{alias, config}``).
- A new realm has 7 listed top-level flows and 13 sub-flows, all ``builtIn``. The browser's conditional
  sub-flow is "Browser - Conditional 2FA" with a ``conditional-credential`` config from 26.4 on
  ("Browser - Conditional OTP", no config, before: ``CONDITIONAL_2FA_FLOWS``).
- ``POST /flows`` needs ``providerId`` (without it: 409 "Duplicate resource error").
- ``POST /flows/{alias}/executions/execution`` ``{provider, priority}`` adds an execution; ``priority``
  is honoured (without it the execution goes after the last). Its requirement starts ``DISABLED``
  unless ``REQUIRED`` is its only choice. An unknown provider is a 400.
- ``POST /flows/{alias}/executions/flow`` ``{alias, type, provider, description, priority}`` adds a
  sub-flow; ``type: form-flow`` with ``provider`` (e.g. ``registration-page-form``) makes an execution
  whose ``authenticator`` is that provider.
- ``PUT /flows/{alias}/executions`` with ``{id, requirement}`` or ``{..., priority}`` changes one
  execution in place; the requirement is **not** checked against ``requirementChoices``.
- ``POST /executions/{id}/config`` ``{alias, config}`` attaches a config; the export shape names it by
  alias, the flattened listing by id.
- Built-in flows: executions cannot be added or removed (400 "It is illegal to ..."), the flow cannot
  be deleted (400), but requirements and priorities can be changed.
- ``PUT /flows/{id}`` needs the whole flow (a body without ``alias`` is a 409).
- Realm bindings (``browserFlow``, ``directGrantFlow``, ...) are read and written **by alias** through
  the realm representation; an alias naming no flow is a 500 (check before writing).
- Clients' ``authenticationFlowBindingOverrides`` are stored **by flow id**; an alias there is a 500.
  A client PUT merges the map: a key left out is kept, a key sent with ``""`` is removed.
- Deleting a flow that the realm binds, or that a client overrides with, is a 500: unbind first.
- Deleting a sub-flow's execution deletes the sub-flow.
- A config's alias is unique in the realm (409); a config is deleted with its step, with the sub-flow
  its step is in, and with its flow.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.builtins import REALM_FLOW_BINDINGS
from reconciler.errors import BadRequest, Conflict, NotFound, ServerError
from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import AUTHENTICATOR_CONFIG_ALIAS_UNIQUE, CONDITIONAL_2FA_FLOWS, has

pytestmark = pytest.mark.integration

BINDINGS = REALM_FLOW_BINDINGS  # what a new realm binds; kcr relies on it (builtins.py)


def _auth(realm: str) -> str:
    return f"/{seg(realm)}/authentication"


def _flat(api: AdminClient, realm: str, alias: str) -> list[dict[str, Any]]:
    return list(api.get(f"{_auth(realm)}/flows/{seg(alias)}/executions"))


def _new_flow(api: AdminClient, realm: str, alias: str) -> str:
    body = {"alias": alias, "providerId": "basic-flow", "topLevel": True, "description": alias}
    return api.create(f"{_auth(realm)}/flows", body)


def test_built_in_flows_and_how_they_read(admin_api: AdminClient, module_realm: str) -> None:
    auth = _auth(module_realm)
    tops = admin_api.get(f"{auth}/flows")
    assert sorted(f["alias"] for f in tops) == sorted(BINDINGS.values())
    assert all(f["builtIn"] and f["topLevel"] for f in tops)
    realm = admin_api.get(f"/{seg(module_realm)}")
    assert {k: realm[k] for k in BINDINGS} == BINDINGS

    browser = next(f for f in tops if f["alias"] == "browser")
    assert [
        (e.get("authenticator"), e.get("flowAlias"), e["requirement"])
        for e in browser["authenticationExecutions"]
    ] == [
        ("auth-cookie", None, "ALTERNATIVE"),
        ("auth-spnego", None, "DISABLED"),
        ("identity-provider-redirector", None, "ALTERNATIVE"),
        (None, "Organization", "ALTERNATIVE"),
        (None, "forms", "ALTERNATIVE"),
    ]
    sub_flows = {
        e["displayName"]: e["flowId"]
        for top in tops
        for e in _flat(admin_api, module_realm, top["alias"])
        if e.get("authenticationFlow")
    }
    assert len(sub_flows) == 13
    forms = admin_api.get(f"{auth}/flows/{sub_flows['forms']}")
    assert (forms["alias"], forms["topLevel"], forms["builtIn"]) == ("forms", False, True)
    if not has(admin_api.server_info(), CONDITIONAL_2FA_FLOWS):  # 26.0 and 26.2: OTP only, no config
        assert {"Browser - Conditional OTP", "First broker login - Conditional OTP"} <= set(sub_flows)
        conditional = admin_api.get(f"{auth}/flows/{sub_flows['Browser - Conditional OTP']}")
        assert not [e for e in conditional["authenticationExecutions"] if "authenticatorConfig" in e]
        return
    assert "Browser - Conditional OTP" not in sub_flows
    conditional = admin_api.get(f"{auth}/flows/{sub_flows['Browser - Conditional 2FA']}")
    configured = [e for e in conditional["authenticationExecutions"] if "authenticatorConfig" in e]
    assert [e["authenticatorConfig"] for e in configured] == ["browser-conditional-credential"]
    flat = {e.get("providerId"): e for e in _flat(admin_api, module_realm, "browser")}
    config = admin_api.get(f"{auth}/config/{flat['conditional-credential']['authenticationConfig']}")
    assert config["alias"] == "browser-conditional-credential"


def test_built_in_flows_change_requirements_not_structure(admin_api: AdminClient, module_realm: str) -> None:
    auth = _auth(module_realm)
    flows = {f["alias"]: f for f in admin_api.get(f"{auth}/flows")}
    spnego = next(
        e for e in _flat(admin_api, module_realm, "browser") if e.get("providerId") == "auth-spnego"
    )
    admin_api.put(f"{auth}/flows/browser/executions", {"id": spnego["id"], "requirement": "ALTERNATIVE"})
    admin_api.put(
        f"{auth}/flows/browser/executions", {**spnego, "requirement": "ALTERNATIVE", "priority": 99}
    )
    changed = next(e for e in _flat(admin_api, module_realm, "browser") if e["id"] == spnego["id"])
    assert (changed["requirement"], changed["priority"]) == ("ALTERNATIVE", 99)
    with pytest.raises(BadRequest, match="illegal to add execution to a built in flow"):
        admin_api.post(
            f"{auth}/flows/browser/executions/execution", {"provider": "deny-access-authenticator"}
        )
    with pytest.raises(BadRequest, match="illegal to remove execution from a built in flow"):
        admin_api.delete(f"{auth}/executions/{spnego['id']}")
    with pytest.raises(BadRequest, match="Can't delete built in flow"):
        admin_api.delete(f"{auth}/flows/{flows['browser']['id']}")


def test_building_a_flow(admin_api: AdminClient, module_realm: str) -> None:
    auth = _auth(module_realm)
    with pytest.raises(Conflict):
        admin_api.post(f"{auth}/flows", {"alias": "no-provider", "topLevel": True})
    flow_id = _new_flow(admin_api, module_realm, "built")
    executions = f"{auth}/flows/built/executions"
    admin_api.post(f"{executions}/execution", {"provider": "direct-grant-validate-username"})
    admin_api.post(f"{executions}/execution", {"provider": "direct-grant-validate-password", "priority": 50})
    admin_api.post(f"{executions}/execution", {"provider": "deny-access-authenticator", "priority": 20})
    admin_api.post(
        f"{executions}/flow",
        {"alias": "built-form", "type": "form-flow", "provider": "registration-page-form", "priority": 60},
    )
    admin_api.post(f"{executions}/flow", {"alias": "built-sub", "type": "basic-flow", "description": "s"})
    with pytest.raises(BadRequest, match="No authentication provider found"):
        admin_api.post(f"{executions}/execution", {"provider": "no-such-authenticator"})

    flat = _flat(admin_api, module_realm, "built")
    assert [(e.get("providerId") or e["displayName"], e["priority"], e["requirement"]) for e in flat] == [
        ("direct-grant-validate-username", 0, "REQUIRED"),  # REQUIRED is its only choice
        ("deny-access-authenticator", 20, "DISABLED"),
        ("direct-grant-validate-password", 50, "DISABLED"),
        ("registration-page-form", 60, "DISABLED"),  # a form-flow: its provider is the authenticator
        ("built-sub", 61, "DISABLED"),  # no priority: after the last
    ]
    # One execution changes in place: requirement (not checked against its choices) and priority.
    username = flat[0]
    admin_api.put(executions, {"id": username["id"], "requirement": "ALTERNATIVE"})
    admin_api.put(executions, {**username, "requirement": "ALTERNATIVE", "priority": 70})
    admin_api.post(f"{auth}/executions/{username['id']}/config", {"alias": "built-cfg", "config": {"k": "v"}})

    exported = admin_api.get(f"{auth}/flows/{flow_id}")["authenticationExecutions"]
    assert exported[-1] == {
        "authenticator": "direct-grant-validate-username",
        "authenticatorConfig": "built-cfg",
        "authenticatorFlow": False,
        "autheticatorFlow": False,
        "requirement": "ALTERNATIVE",
        "priority": 70,
        "userSetupAllowed": False,
    }
    form = next(e for e in exported if e.get("flowAlias") == "built-form")
    assert (form["authenticator"], form["authenticatorFlow"]) == ("registration-page-form", True)
    by_name = {
        e["displayName"] if e.get("authenticationFlow") else e["providerId"]: e
        for e in _flat(admin_api, module_realm, "built")
    }
    assert admin_api.get(f"{auth}/flows/{by_name['built-form']['flowId']}")["providerId"] == "form-flow"

    with pytest.raises(Conflict, match="empty alias"):
        admin_api.put(f"{auth}/flows/{flow_id}", {"description": "new"})
    admin_api.put(
        f"{auth}/flows/{flow_id}",
        {"alias": "built", "providerId": "basic-flow", "topLevel": True, "description": "new"},
    )
    assert admin_api.get(f"{auth}/flows/{flow_id}")["description"] == "new"

    admin_api.delete(f"{auth}/executions/{by_name['built-sub']['id']}")
    with pytest.raises(NotFound):
        admin_api.get(f"{auth}/flows/{by_name['built-sub']['flowId']}")


def test_bindings_by_alias_and_overrides_by_id(admin_api: AdminClient, module_realm: str) -> None:
    base = f"/{seg(module_realm)}"
    flow_id = _new_flow(admin_api, module_realm, "bound")
    other_id = _new_flow(admin_api, module_realm, "other")

    admin_api.put(base, {**admin_api.get(base), "directGrantFlow": "bound"})
    assert admin_api.get(base)["directGrantFlow"] == "bound"
    with pytest.raises(ServerError):
        admin_api.put(base, {**admin_api.get(base), "browserFlow": "no such flow"})
    assert admin_api.get(base)["browserFlow"] == "browser"
    with pytest.raises(ServerError):
        admin_api.delete(f"{_auth(module_realm)}/flows/{flow_id}")
    admin_api.put(base, {**admin_api.get(base), "directGrantFlow": "direct grant"})

    client = admin_api.create(
        f"{base}/clients",
        {"clientId": "overridden", "authenticationFlowBindingOverrides": {"direct_grant": flow_id}},
    )
    path = f"{base}/clients/{client}"
    assert admin_api.get(path)["authenticationFlowBindingOverrides"] == {"direct_grant": flow_id}
    with pytest.raises(ServerError):
        admin_api.put(
            path, {**admin_api.get(path), "authenticationFlowBindingOverrides": {"browser": "other"}}
        )
    admin_api.put(path, {**admin_api.get(path), "authenticationFlowBindingOverrides": {"browser": other_id}})
    assert admin_api.get(path)["authenticationFlowBindingOverrides"] == {
        "direct_grant": flow_id,
        "browser": other_id,
    }
    with pytest.raises(ServerError):
        admin_api.delete(f"{_auth(module_realm)}/flows/{flow_id}")
    admin_api.put(path, {**admin_api.get(path), "authenticationFlowBindingOverrides": {"direct_grant": ""}})
    assert admin_api.get(path)["authenticationFlowBindingOverrides"] == {"browser": other_id}
    admin_api.delete(f"{_auth(module_realm)}/flows/{flow_id}")


def test_configs_go_with_their_steps_and_aliases_are_unique(
    admin_api: AdminClient, module_realm: str
) -> None:
    auth = _auth(module_realm)
    flow_id = _new_flow(admin_api, module_realm, "outer")
    admin_api.post(f"{auth}/flows/outer/executions/flow", {"alias": "inner", "type": "basic-flow"})
    admin_api.post(f"{auth}/flows/inner/executions/execution", {"provider": "conditional-user-role"})
    for _ in range(2):
        admin_api.post(f"{auth}/flows/outer/executions/execution", {"provider": "conditional-user-role"})
    rows = _flat(admin_api, module_realm, "outer")
    inner_step = next(r for r in rows if r["level"] == 1)
    first, second = [r for r in rows if r["level"] == 0 and not r.get("authenticationFlow")]

    def config(step: dict[str, Any], alias: str) -> str:
        return admin_api.create(f"{auth}/executions/{step['id']}/config", {"alias": alias, "config": {}})

    inner_cfg, first_cfg, second_cfg = config(inner_step, "c1"), config(first, "c2"), config(second, "c3")
    if has(admin_api.server_info(), AUTHENTICATOR_CONFIG_ALIAS_UNIQUE):
        with pytest.raises(Conflict, match="c1 already exists"):
            config(first, "c1")
    else:  # 26.0 takes a second config of the same alias (kcr refuses that offline on every version)
        admin_api.post(f"{auth}/flows/outer/executions/execution", {"provider": "conditional-user-role"})
        known = {first["id"], second["id"]}
        extra = next(
            r
            for r in _flat(admin_api, module_realm, "outer")
            if r["level"] == 0 and not r.get("authenticationFlow") and r["id"] not in known
        )
        again = config(extra, "c1")
        assert admin_api.get(f"{auth}/config/{again}")["alias"] == "c1"
        assert admin_api.get(f"{auth}/config/{inner_cfg}")["alias"] == "c1"
    # A step's config goes with the step, with its sub-flow, and with its flow.
    admin_api.delete(f"{auth}/executions/{first['id']}")
    sub = next(r for r in rows if r.get("authenticationFlow"))
    admin_api.delete(f"{auth}/executions/{sub['id']}")
    admin_api.delete(f"{auth}/flows/{flow_id}")
    for gone in (first_cfg, inner_cfg, second_cfg):
        with pytest.raises(NotFound):
            admin_api.get(f"{auth}/config/{gone}")
