"""The authorization kind (``clients[].authorizationSettings``) against a real Keycloak: declared as
configured is no change, one field at a time is exactly that change (a renamed role reference is a
change of the policy's ``config.roles``), apply then plan is no change, removal from a declared list,
an undeclared ``authorizationSettings`` left alone even with prune, an export of a realm configured by
hand plans as no change, drift shows a hand edit, and a real ``uma-ticket`` request gets exactly the
permissions the declared policies grant."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.oidc import Realm, TokenError
from tests.integration.conftest import Kcr, find_one, login_user

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
API, API_SECRET = "reports-api", "reports-api-secret-1"
APP, APP_SECRET = "app", "app-secret-for-tests"


def _user(name: str, roles: list[str]) -> Doc:
    return login_user(name, realmRoles=roles)


def _settings() -> Doc:
    return {
        "policyEnforcementMode": "ENFORCING",
        "decisionStrategy": "UNANIMOUS",
        "scopes": [{"name": "view"}, {"name": "export"}],
        "resources": [
            {
                "name": "reports",
                "type": "urn:reports",
                "uris": ["/reports/*"],
                "scopes": [{"name": "view"}, {"name": "export"}],
            }
        ],
        "policies": [
            # Keycloak's export shape: references as JSON text ...
            {
                "name": "Only managers",
                "type": "role",
                "logic": "POSITIVE",
                "config": {"roles": '[{"id":"manager","required":false}]'},
            },
            # ... or as YAML lists
            {"name": "Staff", "type": "role", "config": {"roles": ["staff", "manager"]}},
            {
                "name": "export reports",
                "type": "scope",
                "decisionStrategy": "UNANIMOUS",
                "config": {
                    "resources": '["reports"]',
                    "scopes": '["export"]',
                    "applyPolicies": '["Only managers"]',
                },
            },
            {
                "name": "view reports",
                "type": "scope",
                "config": {"scopes": ["view"], "applyPolicies": ["Staff"]},
            },
        ],
    }


def _doc(realm: str, settings: Doc | None = None) -> Doc:
    api: Doc = {
        "clientId": API,
        "publicClient": False,
        "secret": API_SECRET,
        "serviceAccountsEnabled": True,
        "authorizationServicesEnabled": True,
    }
    if settings is not None:
        api["authorizationSettings"] = settings
    return {
        "realm": realm,
        "roles": {"realm": [{"name": "manager"}, {"name": "staff"}, {"name": "auditor"}]},
        "clients": [
            api,
            {"clientId": APP, "publicClient": False, "secret": APP_SECRET, "directAccessGrantsEnabled": True},
        ],
        "users": [_user("alice", ["manager"]), _user("bob", ["staff"]), _user("carol", [])],
    }


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _server(api: AdminClient, realm: str) -> str:
    client = find_one(api, realm, "clients", clientId=API)
    assert client is not None
    return f"/{seg(realm)}/clients/{seg(client['id'])}/authz/resource-server"


def _permissions(realm: str, base_url: str, user: str) -> dict[str, list[str]]:
    oidc = Realm(base_url, realm)
    token = oidc.password_grant(APP, user, f"{user.capitalize()}-password-1", APP_SECRET)["access_token"]
    granted = oidc.uma_permissions(token, API)
    return {str(p["rsname"]): sorted(p.get("scopes") or []) for p in granted}


def test_converge_one_field_at_a_time_and_uma_decisions(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc = _doc(fresh_realm, _settings())
    kcr.write(doc)
    planned = _changes(kcr)
    assert ("authorization", API, Action.CREATE) in [c[:3] for c in planned]
    kcr.apply_converged()
    assert _changes(kcr) == []

    # Behaviour: exactly what the declared policies grant, by a real uma-ticket grant.
    url = kcr.server.url
    assert _permissions(fresh_realm, url, "alice") == {"reports": ["export", "view"]}
    assert _permissions(fresh_realm, url, "bob") == {"reports": ["view"]}
    with pytest.raises(TokenError) as denied:
        _permissions(fresh_realm, url, "carol")
    assert (denied.value.status, denied.value.error) == (403, "access_denied")

    # One field at a time: exactly that change, then converged.
    steps: list[tuple[str, Any, str]] = [
        ("policyEnforcementMode", "PERMISSIVE", "policyEnforcementMode"),
        ("resources.0.uris", ["/reports/*", "/exports/*"], "resources[reports].uris"),
        (
            "policies.0.config",
            {"roles": [{"id": "auditor", "required": False}]},
            "policies[Only managers].config.roles",
        ),
        ("policies.1.logic", "NEGATIVE", "policies[Staff].logic"),
        ("policies.2.decisionStrategy", "AFFIRMATIVE", "policies[export reports].decisionStrategy"),
    ]
    for where, value, path in steps:
        doc = copy.deepcopy(doc)
        target: Any = doc["clients"][0]["authorizationSettings"]
        *parents, last = where.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value
        kcr.write(doc)
        assert _changes(kcr) == [("authorization", API, Action.UPDATE, (path,))], where
        kcr.apply_converged()
    stored = admin_api.get(f"{_server(admin_api, fresh_realm)}/settings")
    assert stored["policyEnforcementMode"] == "PERMISSIVE"
    managers = next(p for p in stored["policies"] if p["name"] == "Only managers")
    assert json.loads(managers["config"]["roles"]) == [{"id": "auditor", "required": False}]

    # The renamed role decides: alice (manager) may no longer export.
    doc = copy.deepcopy(doc)
    settings = doc["clients"][0]["authorizationSettings"]
    settings["policyEnforcementMode"] = "ENFORCING"
    settings["policies"][1]["logic"] = "POSITIVE"
    kcr.write(doc)
    kcr.apply_converged()
    assert _permissions(fresh_realm, url, "alice") == {"reports": ["view"]}


def test_removal_from_a_declared_list_and_undeclared_settings(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    settings = _settings()
    kcr.write(_doc(fresh_realm, settings))
    kcr.apply_converged()

    # Not declared, even with prune of clients: the resource server is left alone.
    undeclared = {**_doc(fresh_realm), "policy": {"prune": ["clients"]}}
    kcr.write(undeclared)
    assert _changes(kcr) == []

    # Left out of a declared list: deleted (the permission first, then its policy).
    fewer = copy.deepcopy(settings)
    fewer["policies"] = [p for p in fewer["policies"] if p["name"] not in ("Staff", "view reports")]
    kcr.write(_doc(fresh_realm, fewer))
    assert _changes(kcr) == [
        ("authorization", API, Action.UPDATE, ("policies[Staff]", "policies[view reports]"))
    ]
    kcr.apply_converged()
    names = {p["name"] for p in admin_api.get(f"{_server(admin_api, fresh_realm)}/settings")["policies"]}
    assert names == {"Only managers", "export reports"}

    # A scope and a resource left out go too (after the permission naming them).
    fewer["policies"] = [p for p in fewer["policies"] if p["name"] != "export reports"]
    fewer["resources"] = []
    fewer["scopes"] = [{"name": "view"}]
    kcr.write(_doc(fresh_realm, fewer))
    kcr.apply_converged()
    stored = admin_api.get(f"{_server(admin_api, fresh_realm)}/settings")
    assert (stored["resources"], [s["name"] for s in stored["scopes"]]) == ([], ["view"])
    assert [p["name"] for p in stored["policies"]] == ["Only managers"]


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    kcr.write(_doc(fresh_realm))
    kcr.apply_converged()
    server = _server(admin_api, fresh_realm)
    admin_api.post(f"{server}/scope", {"name": "export"})
    admin_api.post(
        f"{server}/resource", {"name": "reports", "uris": ["/r/*"], "scopes": [{"name": "export"}]}
    )
    admin_api.post(f"{server}/policy/role", {"name": "Only managers", "roles": [{"id": "manager"}]})
    admin_api.post(f"{server}/policy/user", {"name": "Bob", "users": ["bob"]})
    admin_api.post(f"{server}/policy/aggregate", {"name": "Either", "policies": ["Only managers", "Bob"]})
    admin_api.post(f"{server}/policy/time", {"name": "Office hours", "hour": "8", "hourEnd": "18"})
    admin_api.post(
        f"{server}/permission/resource", {"name": "reports", "resources": ["reports"], "policies": ["Either"]}
    )

    exported = kcr.run("export", "--realm", fresh_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / fresh_realm / "clients.yaml").read_text(encoding="utf-8")
    assert "authorizationSettings" in text
    assert "Office hours" in text
    planned = kcr.run("plan", str(tmp_path / fresh_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output

    # A hand edit of a policy is drift, named down to the reference.
    policy = admin_api.get(f"{server}/policy", {"name": "Bob", "exact": "true"})[0]
    admin_api.put(f"{server}/policy/{policy['id']}", {**policy, "config": {"users": '["alice"]'}})
    drift = kcr.run("drift", str(tmp_path / fresh_realm))
    assert drift.exit_code == 2, drift.output
    assert "policies[Bob].config.users" in drift.output
