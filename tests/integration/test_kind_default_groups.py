"""The realm's default groups against a real Keycloak: declared as configured is no change, a change is
exactly that change, apply then plan is no change, removal, an export of a realm configured by hand
plans as no change, drift shows a hand edit, and a user created afterwards joins the groups: one an
administrator creates, and one who registers through the login page's registration form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.browser import BrowserLogin
from reconciler.testing.oidc import Realm, unverified_claims
from tests.integration.conftest import Kcr, group_by_path

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
GROUPS = [{"name": "staff", "subGroups": [{"name": "new"}]}, {"name": "readers"}]


def _defaults(api: AdminClient, realm: str) -> set[str]:
    return {g["path"] for g in api.get(f"/{seg(realm)}/default-groups")}


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_declared_changed_removed_and_a_new_user_joins_them(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc: Doc = {"realm": fresh_realm, "groups": GROUPS, "defaultGroups": ["/staff/new"]}
    kcr.write(doc)
    assert ("default-groups", fresh_realm, Action.CREATE, ("defaultGroups",)) in _changes(kcr)
    kcr.apply_converged()
    assert _defaults(admin_api, fresh_realm) == {"/staff/new"}

    # An administrator creates a user: they join the default group, and only it.
    admin_api.post(f"/{seg(fresh_realm)}/users", {"username": "carol", "enabled": True})
    carol = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": "carol", "exact": "true"})[0]
    assert [g["path"] for g in admin_api.get(f"/{seg(fresh_realm)}/users/{carol['id']}/groups")] == [
        "/staff/new"
    ]

    # Users made by kcr: one that declares its groups gets exactly those (Keycloak's POST also joins
    # the default groups: kcr takes them away again); one that declares none joins the defaults.
    users = [{"username": "erin", "groups": ["/readers"]}, {"username": "frank"}]
    kcr.write({**doc, "users": users})
    kcr.apply_converged()
    for username, groups in (("erin", ["/readers"]), ("frank", ["/staff/new"])):
        user = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": username, "exact": "true"})[0]
        assert [g["path"] for g in admin_api.get(f"/{seg(fresh_realm)}/users/{user['id']}/groups")] == groups

    doc["defaultGroups"] = ["/readers", "/staff/new"]
    kcr.write(doc)
    assert _changes(kcr) == [("default-groups", fresh_realm, Action.UPDATE, ("defaultGroups",))]
    kcr.apply_converged()
    assert _defaults(admin_api, fresh_realm) == {"/readers", "/staff/new"}

    # Not declared: left alone, even with groups pruned.
    kcr.write({"realm": fresh_realm, "groups": GROUPS, "policy": {"prune": ["groups"]}})
    assert _changes(kcr) == []
    # Declared empty: removed.
    kcr.write({**doc, "defaultGroups": []})
    assert _changes(kcr) == [("default-groups", fresh_realm, Action.UPDATE, ("defaultGroups",))]
    kcr.apply_converged()
    assert _defaults(admin_api, fresh_realm) == set()
    admin_api.post(f"/{seg(fresh_realm)}/users", {"username": "dave", "enabled": True})
    dave = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": "dave", "exact": "true"})[0]
    assert admin_api.get(f"/{seg(fresh_realm)}/users/{dave['id']}/groups") == []


def test_a_group_that_does_not_exist_is_refused_offline(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write({"realm": fresh_realm, "groups": GROUPS, "defaultGroups": ["/staff/old", "readers"]})
    result = kcr.run("validate", kcr.path)
    assert result.exit_code == 1
    assert "group '/staff/old' is not declared" in result.output
    assert "group path 'readers' must start with /" in result.output


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_shows_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    kcr.write({"realm": fresh_realm, "groups": GROUPS})
    kcr.apply_converged()
    new = group_by_path(admin_api, fresh_realm, "/staff/new")
    assert new is not None
    admin_api.put(f"/{seg(fresh_realm)}/default-groups/{new['id']}")

    folder = kcr.export_plans_no_change(fresh_realm, tmp_path / "export")
    assert "/staff/new" in (folder / "groups.yaml").read_text(encoding="utf-8")

    readers = group_by_path(admin_api, fresh_realm, "/readers")
    assert readers is not None
    admin_api.put(f"/{seg(fresh_realm)}/default-groups/{readers['id']}")
    drift = kcr.run("drift", str(folder))
    assert drift.exit_code == 2, drift.output
    assert f"{fresh_realm}/default-groups" in drift.output
    assert "/readers" in drift.output


def test_a_person_who_registers_on_the_login_page_joins_exactly_the_default_groups(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    callback = "http://127.0.0.1/callback"
    kcr.write(
        {
            "realm": fresh_realm,
            "registrationAllowed": True,
            "groups": [*GROUPS, {"name": "admins"}],
            "defaultGroups": ["/staff/new", "/readers"],
            "clients": [{"clientId": "app", "publicClient": True, "redirectUris": [callback]}],
        }
    )
    kcr.apply_converged()

    # A real self-registration: the login page's "Register" link, then its form, as a browser posts it.
    password = "Newcomer-passw0rd-1"
    with BrowserLogin(Realm(kcr.server.url, fresh_realm), "app", callback) as browser:
        page = browser.register(
            username="newcomer",
            email="newcomer@example.com",
            firstName="New",
            lastName="Comer",
            password=password,
            **{"password-confirm": password},
        )
        assert page.code is not None, page.message  # registered and signed in: back at the client
        claims = unverified_claims(browser.tokens(page)["access_token"])
    assert claims["preferred_username"] == "newcomer"

    (user,) = admin_api.get(f"/{seg(fresh_realm)}/users", {"username": "newcomer", "exact": "true"})
    groups = admin_api.get(f"/{seg(fresh_realm)}/users/{seg(user['id'])}/groups")
    assert sorted(g["path"] for g in groups) == ["/readers", "/staff/new"]
