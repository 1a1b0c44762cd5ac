"""The required-action kind against a real Keycloak: declared as configured is no change, one field at a
time is exactly that change, apply then plan is no change, removal with and without prune, an export of
a realm configured by hand plans as no change, and a required action enabled by kcr is what a real
login then faces."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.browser import BrowserLogin
from reconciler.testing.oidc import Realm, TokenError
from tests.integration.conftest import Kcr, login_user

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
CLIENT, SECRET, CALLBACK = "app", "app-secret-for-tests", "http://127.0.0.1:9/callback"


def _actions(api: AdminClient, realm: str) -> dict[str, dict[str, Any]]:
    listed = api.get(f"/{seg(realm)}/authentication/required-actions")
    return {a["alias"]: a for a in listed}


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_declared_as_configured_then_one_field_at_a_time(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    live = _actions(admin_api, empty_realm)
    declared = {
        "alias": "UPDATE_PASSWORD",
        **{k: live["UPDATE_PASSWORD"][k] for k in ("name", "enabled", "defaultAction", "priority", "config")},
    }
    doc: Doc = {"realm": empty_realm, "requiredActions": [declared, {"alias": "TERMS_AND_CONDITIONS"}]}
    kcr.write(doc)
    assert _changes(kcr) == []

    steps: list[tuple[str, Any]] = [
        ("enabled", False),
        ("defaultAction", True),
        ("priority", 5),
        ("name", "Choose a new password"),
        ("config", {"max_auth_age": 600}),
    ]
    for field, value in steps:
        doc = copy.deepcopy(doc)
        doc["requiredActions"][0][field] = value
        kcr.write(doc)
        path = "config.max_auth_age" if field == "config" else field
        assert _changes(kcr) == [("required-action", "UPDATE_PASSWORD", Action.UPDATE, (path,))], field
        kcr.apply_converged()

    stored = _actions(admin_api, empty_realm)["UPDATE_PASSWORD"]
    assert stored == {
        "alias": "UPDATE_PASSWORD",
        "providerId": "UPDATE_PASSWORD",
        "name": "Choose a new password",
        "enabled": False,
        "defaultAction": True,
        "priority": 5,
        "config": {"max_auth_age": "600"},
    }
    # Nothing undeclared changed: the other actions are as Keycloak made them.
    assert {k: v for k, v in _actions(admin_api, empty_realm).items() if k != "UPDATE_PASSWORD"} == {
        k: v for k, v in live.items() if k != "UPDATE_PASSWORD"
    }


def test_removal_and_registration_again(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    # Not declared, even with prune: built-in actions stay.
    kcr.write({"realm": empty_realm, "policy": {"prune": ["requiredActions"]}, "requiredActions": []})
    assert _changes(kcr) == []

    # Declared absent: unregistered.
    kcr.write({"realm": empty_realm, "requiredActions": [{"alias": "delete_account", "state": "absent"}]})
    assert _changes(kcr) == [("required-action", "delete_account", Action.DELETE, ())]
    kcr.apply_converged()
    assert "delete_account" not in _actions(admin_api, empty_realm)

    # Declared again: registered again, with the declared fields.
    kcr.write({"realm": empty_realm, "requiredActions": [{"alias": "delete_account", "enabled": False}]})
    assert [c[:3] for c in _changes(kcr)] == [("required-action", "delete_account", Action.CREATE)]
    kcr.apply_converged()
    registered = _actions(admin_api, empty_realm)["delete_account"]
    assert (registered["enabled"], registered["name"]) == (False, "Delete Account")

    # A provider the server does not have is refused with a message naming it.
    kcr.write({"realm": empty_realm, "requiredActions": [{"alias": "no-such-action"}]})
    result = kcr.apply()
    assert result.exit_code == 1
    assert "no unregistered provider 'no-such-action'" in result.output


def test_export_of_a_realm_configured_by_hand_plans_no_change(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    base = f"/{seg(empty_realm)}/authentication/required-actions"
    terms = admin_api.get(f"{base}/TERMS_AND_CONDITIONS")
    admin_api.put(f"{base}/TERMS_AND_CONDITIONS", {**terms, "enabled": True, "defaultAction": True})
    password = admin_api.get(f"{base}/UPDATE_PASSWORD")
    admin_api.put(f"{base}/UPDATE_PASSWORD", {**password, "priority": 7, "config": {"max_auth_age": "900"}})
    admin_api.delete(f"{base}/delete_account")

    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / empty_realm / "authentication.yaml").read_text(encoding="utf-8")
    assert "UPDATE_PASSWORD" in text
    assert "TERMS_AND_CONDITIONS" in text
    assert "VERIFY_EMAIL" not in text  # as Keycloak made it: not exported
    planned = kcr.run("plan", str(tmp_path / empty_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def test_an_action_enabled_by_kcr_is_what_a_login_faces(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    client = {
        "clientId": CLIENT,
        "publicClient": False,
        "secret": SECRET,
        "directAccessGrantsEnabled": True,
        "redirectUris": [CALLBACK],
    }
    doc: Doc = {"realm": fresh_realm, "clients": [client], "users": [login_user("alice")]}
    kcr.write(doc)
    kcr.apply_converged()
    realm = Realm(kcr.server.url, fresh_realm)
    assert realm.password_grant(CLIENT, "alice", "Alice-password-1", SECRET)["access_token"]

    # kcr enables the terms as a default action: a user made afterwards must accept them at login.
    terms = {"alias": "TERMS_AND_CONDITIONS", "enabled": True, "defaultAction": True}
    # carol declares no pending action: Keycloak adds the default one at creation, kcr takes it away.
    carol = {**login_user("carol"), "requiredActions": []}
    kcr.write({**doc, "requiredActions": [terms], "users": [login_user("alice"), login_user("bob"), carol]})
    kcr.apply_converged()
    assert realm.password_grant(CLIENT, "carol", "Carol-password-1", SECRET)["access_token"]
    with pytest.raises(TokenError, match="Account is not fully set up"):
        realm.password_grant(CLIENT, "bob", "Bob-password-1", SECRET)
    with BrowserLogin(realm, CLIENT, CALLBACK, client_secret=SECRET) as browser:
        page = browser.sign_in("bob", "Bob-password-1")
        assert page.required_action == "TERMS_AND_CONDITIONS"
        assert browser.tokens(browser.submit(page, accept=""))["access_token"]
    # Accepted once: bob's next login goes through; alice (made before) never had to.
    assert realm.password_grant(CLIENT, "bob", "Bob-password-1", SECRET)["access_token"]
    assert realm.password_grant(CLIENT, "alice", "Alice-password-1", SECRET)["access_token"]
