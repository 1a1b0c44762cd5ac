"""The authentication-flow and authenticator-config kinds and flow bindings against a real Keycloak:
declared as configured is no change, one field at a time is exactly that change (at the step that
changed), apply then plan is no change, steps added, removed and reordered in place, built-in flows'
requirements change but their structure is refused before any write, removal with and without prune,
an export of a realm configured by hand plans as no change, drift shows a hand edit, and flows bound by
kcr change what real logins get."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from tests.integration.conftest import Kcr

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
    flows = [
        {
            "alias": "strict-browser",
            "providerId": "basic-flow",
            "topLevel": True,
            "authenticationExecutions": [
                {"authenticator": "auth-username-password-form", "requirement": "REQUIRED"},
                {"flowAlias": "strict-deny", "requirement": "CONDITIONAL"},
            ],
        },
        {
            "alias": "strict-deny",
            "providerId": "basic-flow",
            "topLevel": False,
            "authenticationExecutions": [
                {
                    "authenticator": "conditional-user-role",
                    "requirement": "REQUIRED",
                    "authenticatorConfig": "strict-role",
                },
                {"authenticator": DENY, "requirement": "REQUIRED"},
            ],
        },
    ]
    configs = [{"alias": "strict-role", "config": {"condUserRole": role, "negate": False}}]
    return flows, configs


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
