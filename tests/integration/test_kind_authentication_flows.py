"""The authentication-flow and authenticator-config kinds and flow bindings against a real Keycloak:
declared as configured is no change, one field at a time is exactly that change (at the step that
changed), apply then plan is no change, steps added, removed and reordered in place, built-in flows'
requirements change but their structure is refused before any write, removal with and without prune,
an export of a realm configured by hand plans as no change, drift shows a hand edit, and flows bound by
kcr change what real logins get."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.browser import BrowserLogin
from reconciler.testing.oidc import Realm, TokenError
from tests.integration.conftest import Kcr, deny_role_flows, login_user

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
CLIENT, SECRET, CALLBACK = "app", "app-secret-for-tests", "http://127.0.0.1:9/callback"
USERNAME, PASSWORD, DENY = (
    "direct-grant-validate-username",
    "direct-grant-validate-password",
    "deny-access-authenticator",
)


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _steps(api: AdminClient, realm: str, alias: str) -> list[tuple[str, str, int]]:
    """The flow's own steps as Keycloak runs them: (authenticator or sub-flow, requirement, priority)."""
    rows = api.get(f"/{seg(realm)}/authentication/flows/{seg(alias)}/executions")
    return [
        (
            r["displayName"] if r.get("authenticationFlow") else r["providerId"],
            r["requirement"],
            r["priority"],
        )
        for r in rows
        if r["level"] == 0
    ]


def _flow(alias: str, *steps: tuple[str, str], description: str = "") -> Doc:
    flow: Doc = {"alias": alias, "providerId": "basic-flow", "topLevel": True}
    if description:
        flow["description"] = description
    flow["authenticationExecutions"] = [{"authenticator": a, "requirement": r} for a, r in steps]
    return flow


def test_one_change_at_a_time_shows_the_step_that_changed(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    flow = _flow("dg", (USERNAME, "REQUIRED"), (PASSWORD, "REQUIRED"), description="custom")
    doc: Doc = {"realm": empty_realm, "authenticationFlows": [flow]}
    kcr.write(doc)
    assert _changes(kcr) == [
        (
            "authentication-flow",
            "dg",
            Action.CREATE,
            ("alias", "authenticationExecutions", "description", "providerId", "topLevel"),
        )
    ]
    kcr.apply_converged()
    assert _steps(admin_api, empty_realm, "dg") == [(USERNAME, "REQUIRED", 10), (PASSWORD, "REQUIRED", 20)]

    def step(change: Any, *paths: str) -> None:
        nonlocal doc
        doc = copy.deepcopy(doc)
        change(doc["authenticationFlows"][0])
        kcr.write(doc)
        assert _changes(kcr) == [("authentication-flow", "dg", Action.UPDATE, paths)]
        kcr.apply_converged()

    step(
        lambda f: f["authenticationExecutions"][1].update(requirement="DISABLED"),
        "authenticationExecutions[1].requirement",
    )
    step(lambda f: f.update(description="changed"), "description")
    # A step inserted in the middle: one change at its index, made in place (same flow id).
    flow_id = admin_api.get(f"/{seg(empty_realm)}/authentication/flows/dg/executions")[0]["id"]
    step(
        lambda f: f["authenticationExecutions"].insert(1, {"authenticator": DENY, "requirement": "REQUIRED"}),
        "authenticationExecutions[1]",
    )
    assert _steps(admin_api, empty_realm, "dg") == [
        (USERNAME, "REQUIRED", 10),
        (DENY, "REQUIRED", 20),
        (PASSWORD, "DISABLED", 30),
    ]
    assert admin_api.get(f"/{seg(empty_realm)}/authentication/flows/dg/executions")[0]["id"] == flow_id
    # Reordered, then removed.
    # Reordered: the matched steps stay, the others are removed (live index) and added (declared index).
    step(
        lambda f: f["authenticationExecutions"].reverse(),
        "authenticationExecutions[0]",
        "authenticationExecutions[1]",
        "authenticationExecutions[1]",
        "authenticationExecutions[2]",
    )
    assert _steps(admin_api, empty_realm, "dg") == [
        (PASSWORD, "DISABLED", 10),
        (DENY, "REQUIRED", 20),
        (USERNAME, "REQUIRED", 30),
    ]
    step(lambda f: f["authenticationExecutions"].pop(1), "authenticationExecutions[1]")
    assert _steps(admin_api, empty_realm, "dg") == [(PASSWORD, "DISABLED", 10), (USERNAME, "REQUIRED", 20)]


def _browser_strict(role: str = "blocked") -> tuple[list[Doc], list[Doc]]:
    """A browser flow: the password form, then a conditional sub-flow that denies users with ``role``."""
    return deny_role_flows("strict-browser", "strict-deny", "strict-role", role)


def test_sub_flows_and_configs(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    flows, configs = _browser_strict()
    doc: Doc = {"realm": empty_realm, "authenticationFlows": flows, "authenticatorConfig": configs}
    kcr.write(doc)
    assert [c[:3] for c in _changes(kcr)] == [
        ("authentication-flow", "strict-browser", Action.CREATE),
        ("authentication-flow", "strict-deny", Action.CREATE),
        ("authenticator-config", "strict-role", Action.CREATE),
    ]
    kcr.apply_converged()
    assert _steps(admin_api, empty_realm, "strict-browser") == [
        ("auth-username-password-form", "REQUIRED", 10),
        ("strict-deny", "CONDITIONAL", 20),
    ]
    rows = admin_api.get(f"/{seg(empty_realm)}/authentication/flows/strict-deny/executions")
    config = admin_api.get(f"/{seg(empty_realm)}/authentication/config/{rows[0]['authenticationConfig']}")
    assert (config["alias"], config["config"]) == (
        "strict-role",
        {"condUserRole": "blocked", "negate": "false"},
    )

    # A config value: one change, of the config only.
    doc["authenticatorConfig"][0]["config"]["negate"] = True
    kcr.write(doc)
    assert _changes(kcr) == [("authenticator-config", "strict-role", Action.UPDATE, ("config.negate",))]
    kcr.apply_converged()
    # A sub-flow's step: the change is on the sub-flow, at its step.
    doc["authenticationFlows"][1]["authenticationExecutions"][1]["requirement"] = "DISABLED"
    kcr.write(doc)
    assert _changes(kcr) == [
        ("authentication-flow", "strict-deny", Action.UPDATE, ("authenticationExecutions[1].requirement",))
    ]
    kcr.apply_converged()

    # The sub-flow's step removed from its parent: Keycloak deletes the sub-flow and the config with
    # it; the plan shows both as deletes of their own.
    kcr.write(
        {
            "realm": empty_realm,
            "authenticationFlows": [_flow("strict-browser", ("auth-username-password-form", "REQUIRED"))],
        }
    )
    planned = kcr.plan_only().plan.changes
    cause = f"{empty_realm}/authentication-flow/strict-browser"
    assert [(c.kind, c.key, c.action, c.deleted_by) for c in planned] == [
        ("authentication-flow", "strict-browser", Action.UPDATE, ""),
        ("authenticator-config", "strict-role", Action.DELETE, cause),
        ("authentication-flow", "strict-deny", Action.DELETE, cause),
    ]
    config_id = rows[0]["authenticationConfig"]
    kcr.apply_converged()
    assert _steps(admin_api, empty_realm, "strict-browser") == [
        ("auth-username-password-form", "REQUIRED", 10)
    ]
    with pytest.raises(NotFound):
        admin_api.get(f"/{seg(empty_realm)}/authentication/config/{config_id}")


def _live_flow_doc(api: AdminClient, realm: str, alias: str) -> Doc:
    """A built-in flow as Keycloak has it, in the export's shape (no id)."""
    flow = next(f for f in api.get(f"/{seg(realm)}/authentication/flows") if f["alias"] == alias)
    keep = ("authenticator", "flowAlias", "requirement", "priority", "authenticatorConfig")
    steps = [{k: e[k] for k in keep if k in e} for e in flow["authenticationExecutions"]]
    return {"alias": alias, "builtIn": True, "authenticationExecutions": steps}


def test_built_in_flows_change_requirements_and_refuse_structure(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    browser = _live_flow_doc(admin_api, empty_realm, "browser")
    doc: Doc = {"realm": empty_realm, "authenticationFlows": [browser]}
    kcr.write(doc)
    assert _changes(kcr) == []
    # Steps left out of a built-in flow are not compared (a newer Keycloak may add some).
    kcr.write(
        {
            **doc,
            "authenticationFlows": [
                {**browser, "authenticationExecutions": browser["authenticationExecutions"][1:3]}
            ],
        }
    )
    assert _changes(kcr) == []
    spnego = next(
        i for i, e in enumerate(browser["authenticationExecutions"]) if e["authenticator"] == "auth-spnego"
    )
    doc["authenticationFlows"][0]["authenticationExecutions"][spnego]["requirement"] = "ALTERNATIVE"
    kcr.write(doc)
    path = f"authenticationExecutions[{spnego}].requirement"
    assert _changes(kcr) == [("authentication-flow", "browser", Action.UPDATE, (path,))]
    kcr.apply_converged()
    assert ("auth-spnego", "ALTERNATIVE") in [(s[0], s[1]) for s in _steps(admin_api, empty_realm, "browser")]

    # A step added to a built-in flow: refused at plan time, naming the file and line, before any write.
    doc["authenticationFlows"][0]["authenticationExecutions"].append(
        {"authenticator": DENY, "requirement": "REQUIRED", "priority": 100}
    )
    doc["displayName"] = "not written"
    kcr.write(doc)
    planned = kcr.plan()
    assert planned.exit_code == 1, planned.output
    assert "realm.yaml:" in planned.output
    assert "flow 'browser' is built-in" in planned.output
    assert "copy the flow under a new alias" in planned.output
    assert kcr.apply().exit_code == 1
    assert admin_api.get(f"/{seg(empty_realm)}").get("displayName") != "not written"

    # Declared absent: refused offline (Keycloak cannot delete a built-in flow).
    kcr.write({"realm": empty_realm, "authenticationFlows": [{**browser, "state": "absent"}]})
    validated = kcr.run("validate", kcr.path)
    assert validated.exit_code == 1
    assert "is built-in: Keycloak cannot delete it" in validated.output


def _direct_grant_realm(realm: str) -> Doc:
    client = {
        "clientId": CLIENT,
        "publicClient": False,
        "secret": SECRET,
        "directAccessGrantsEnabled": True,
        "standardFlowEnabled": True,
        "redirectUris": [CALLBACK],
    }

    return {
        "realm": realm,
        "roles": {"realm": [{"name": "blocked"}]},
        "clients": [client],
        "users": [login_user("alice", realmRoles=[]), login_user("bob", realmRoles=["blocked"])],
    }


def test_a_direct_grant_flow_bound_by_kcr_denies_a_real_password_grant(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc = _direct_grant_realm(fresh_realm)
    kcr.write(doc)
    kcr.apply_converged()
    realm = Realm(kcr.server.url, fresh_realm)
    assert realm.password_grant(CLIENT, "alice", "Alice-password-1", SECRET)["access_token"]

    deny = _flow("dg-deny", (USERNAME, "REQUIRED"), (DENY, "REQUIRED"))
    doc = {**doc, "authenticationFlows": [deny], "directGrantFlow": "dg-deny"}
    kcr.write(doc)
    # The flow is made before the binding points at it.
    assert [c[:3] for c in _changes(kcr)] == [
        ("authentication-flow", "dg-deny", Action.CREATE),
        ("flow-binding", fresh_realm, Action.UPDATE),
    ]
    kcr.apply_converged()
    assert admin_api.get(f"/{seg(fresh_realm)}")["directGrantFlow"] == "dg-deny"
    with pytest.raises(TokenError) as denied:
        realm.password_grant(CLIENT, "alice", "Alice-password-1", SECRET)
    assert denied.value.status == 401  # the deny step's answer (an HTML page, not JSON)

    # Unbound and deleted in one apply: the binding moves first, then the flow goes.
    doc = {
        **doc,
        "authenticationFlows": [{"alias": "dg-deny", "state": "absent"}],
        "directGrantFlow": "direct grant",
    }
    kcr.write(doc)
    assert [c[:3] for c in _changes(kcr)] == [
        ("flow-binding", fresh_realm, Action.UPDATE),
        ("authentication-flow", "dg-deny", Action.DELETE),
    ]
    kcr.apply_converged()
    assert realm.password_grant(CLIENT, "alice", "Alice-password-1", SECRET)["access_token"]

    # A flow still bound cannot be deleted: refused at plan time, before any write.
    kcr.write({**doc, "authenticationFlows": [deny], "directGrantFlow": "dg-deny"})
    kcr.apply_converged()
    kcr.write(
        {
            **doc,
            "authenticationFlows": [{"alias": "dg-deny", "state": "absent"}],
            "directGrantFlow": "dg-deny",
        }
    )
    planned = kcr.plan()
    assert planned.exit_code == 1
    assert "directGrantFlow: authentication flow 'dg-deny' is declared with state: absent" in planned.output
    doc.pop("directGrantFlow")
    kcr.write({**doc, "authenticationFlows": [{"alias": "dg-deny", "state": "absent"}]})
    planned = kcr.plan()
    assert planned.exit_code == 1
    assert "directGrantFlow names flow 'dg-deny', which this plan deletes" in planned.output


def test_a_browser_flow_with_a_condition_changes_what_a_real_login_gets(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    flows, configs = _browser_strict()
    doc = {**_direct_grant_realm(fresh_realm), "authenticationFlows": flows, "authenticatorConfig": configs}
    doc["browserFlow"] = "strict-browser"
    kcr.write(doc)
    kcr.apply_converged()
    realm = Realm(kcr.server.url, fresh_realm)
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        assert browser.tokens(browser.sign_in("alice", "Alice-password-1"))["access_token"]
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        denied = browser.sign_in("bob", "Bob-password-1")
        assert (denied.status, denied.code) == (401, None)  # the deny step answers 401, no code

    # The same flow as a client's browser override, by alias (Keycloak stores the flow id).
    doc.pop("browserFlow")
    doc["clients"] = [
        {**doc["clients"][0], "authenticationFlowBindingOverrides": {"browser": "strict-browser"}}
    ]
    kcr.write(doc)
    assert [c[:4] for c in _changes(kcr)] == [
        ("client", CLIENT, Action.UPDATE, ("authenticationFlowBindingOverrides.browser",)),
    ]
    kcr.apply_converged()
    app = next(c for c in admin_api.get(f"/{seg(fresh_realm)}/clients", {"clientId": CLIENT}))
    flow_ids = {f["alias"]: f["id"] for f in admin_api.get(f"/{seg(fresh_realm)}/authentication/flows")}
    assert app["authenticationFlowBindingOverrides"] == {"browser": flow_ids["strict-browser"]}
    assert admin_api.get(f"/{seg(fresh_realm)}")["browserFlow"] == "strict-browser"  # not declared: kept
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        assert browser.sign_in("bob", "Bob-password-1").status == 401

    # Bound back and the override removed (an empty map is "no overrides"): bob gets in.
    doc["browserFlow"] = "browser"
    doc["clients"] = [{**doc["clients"][0], "authenticationFlowBindingOverrides": {}}]
    kcr.write(doc)
    kcr.apply_converged()
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        assert browser.tokens(browser.sign_in("bob", "Bob-password-1"))["access_token"]


def test_removal_with_and_without_prune(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    flows, configs = _browser_strict()
    kcr.write({"realm": empty_realm, "authenticationFlows": flows, "authenticatorConfig": configs})
    kcr.apply_converged()
    # No longer declared, without prune: left alone (reported unmanaged).
    kcr.write({"realm": empty_realm, "authenticationFlows": []})
    planned = kcr.plan_only().plan
    assert planned.changes == []
    assert {u.key for u in planned.unmanaged} >= {"strict-browser", "strict-deny", "strict-role"}
    # With prune: the flow goes, its sub-flow and config with it (each shown as a delete); built-ins stay.
    kcr.write({"realm": empty_realm, "policy": {"prune": ["authenticationFlows"]}, "authenticationFlows": []})
    assert sorted((c.kind, c.key, c.action) for c in kcr.plan_only().plan.changes) == [
        ("authentication-flow", "strict-browser", Action.DELETE),
        ("authentication-flow", "strict-deny", Action.DELETE),
        ("authenticator-config", "strict-role", Action.DELETE),
    ]
    kcr.apply_converged()
    aliases = {f["alias"] for f in admin_api.get(f"/{seg(empty_realm)}/authentication/flows")}
    assert "strict-browser" not in aliases
    assert "browser" in aliases


def test_export_of_a_realm_configured_by_hand_plans_no_change(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    auth = f"/{seg(empty_realm)}/authentication"
    admin_api.post(f"{auth}/flows", {"alias": "hand made", "providerId": "basic-flow", "topLevel": True})
    admin_api.post(
        f"{auth}/flows/hand made/executions/execution", {"provider": "auth-username-password-form"}
    )
    admin_api.post(f"{auth}/flows/hand made/executions/flow", {"alias": "hand sub", "type": "basic-flow"})
    admin_api.post(f"{auth}/flows/hand sub/executions/execution", {"provider": "conditional-user-role"})
    rows = admin_api.get(f"{auth}/flows/hand made/executions")
    admin_api.post(
        f"{auth}/executions/{rows[2]['id']}/config", {"alias": "hand cfg", "config": {"condUserRole": "x"}}
    )
    spnego = next(
        r for r in admin_api.get(f"{auth}/flows/browser/executions") if r.get("providerId") == "auth-spnego"
    )
    admin_api.put(f"{auth}/flows/browser/executions", {**spnego, "requirement": "ALTERNATIVE"})
    flow_id = next(f["id"] for f in admin_api.get(f"{auth}/flows") if f["alias"] == "hand made")
    realm_rep = admin_api.get(f"/{seg(empty_realm)}")
    admin_api.put(f"/{seg(empty_realm)}", {**realm_rep, "browserFlow": "hand made"})
    client = {"clientId": "overridden", "authenticationFlowBindingOverrides": {"direct_grant": flow_id}}
    admin_api.post(f"/{seg(empty_realm)}/clients", client)

    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / empty_realm / "authentication.yaml").read_text(encoding="utf-8")
    for expected in ("alias: hand made", "alias: hand sub", "alias: hand cfg", "browserFlow: hand made"):
        assert expected in text
    clients = (tmp_path / empty_realm / "clients.yaml").read_text(encoding="utf-8")
    assert "direct_grant: hand made" in clients  # by alias, not by id
    planned = kcr.run("plan", str(tmp_path / empty_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output
    assert "not managed by kcr" not in planned.output


def test_drift_shows_a_hand_edit_of_a_step(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    kcr.write(
        {
            "realm": empty_realm,
            "authenticationFlows": [_flow("dg", (USERNAME, "REQUIRED"), (PASSWORD, "REQUIRED"))],
        }
    )
    kcr.apply_converged()
    path = f"/{seg(empty_realm)}/authentication/flows/dg/executions"
    password = next(r for r in admin_api.get(path) if r["providerId"] == PASSWORD)
    admin_api.put(path, {**password, "requirement": "DISABLED"})  # a weakened login, by hand
    drift = kcr.run("drift", kcr.path)
    assert drift.exit_code == 2, drift.output
    assert f"{empty_realm}/authentication-flow/dg: authenticationExecutions[1].requirement" in drift.output
    kcr.apply_converged()
    assert _steps(admin_api, empty_realm, "dg")[1] == (PASSWORD, "REQUIRED", 20)
