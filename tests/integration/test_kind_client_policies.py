"""The client-policies kind against a real Keycloak: declared as configured is no change, one field at a
time is exactly that change, apply then plan is no change, removal (left out: kept; declared empty:
removed), an export of a realm configured by hand plans as no change, drift shows a hand edit, and a
declared policy refuses a real authorization request that violates it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.oidc import Realm
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
CALLBACK = "http://127.0.0.1:9/callback"
PKCE_PROFILE = {
    "name": "pkce-required",
    "description": "PKCE for every authorization request",
    "executors": [{"executor": "pkce-enforcer", "configuration": {"auto-configure": False}}],
}
PKCE_POLICY = {
    "name": "all-clients-pkce",
    "enabled": True,
    "conditions": [{"condition": "any-client"}],
    "profiles": ["pkce-required"],
}


def _stored(api: AdminClient, realm: str) -> tuple[list[Any], list[Any]]:
    base = f"/{seg(realm)}/client-policies"
    return api.get(f"{base}/profiles")["profiles"], api.get(f"{base}/policies")["policies"]


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _authorize_without_pkce(kcr: Kcr, realm: str) -> httpx.Response:
    params = {"response_type": "code", "client_id": "app", "redirect_uri": CALLBACK, "scope": "openid"}
    return httpx.get(Realm(kcr.server.url, realm).auth_url, params={**params, "state": "s1"}, timeout=30)


def test_declared_changed_removed_and_enforced_on_a_real_request(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc: Doc = {
        "realm": fresh_realm,
        "clients": [{"clientId": "app", "publicClient": True, "redirectUris": [CALLBACK]}],
    }
    kcr.write(doc)
    kcr.apply_converged()
    assert _authorize_without_pkce(kcr, fresh_realm).status_code == 200  # the login page

    doc["clientProfiles"] = {"profiles": [PKCE_PROFILE]}
    doc["clientPolicies"] = {"policies": [PKCE_POLICY]}
    kcr.write(doc)
    assert _changes(kcr) == [
        (
            "client-policies",
            fresh_realm,
            Action.UPDATE,
            ("clientProfiles.profiles[pkce-required]", "clientPolicies.policies[all-clients-pkce]"),
        )
    ]
    kcr.apply_converged()
    # An undeclared condition configuration is sent empty (without one, Keycloak fails each request).
    stored_policy = {**PKCE_POLICY, "conditions": [{"condition": "any-client", "configuration": {}}]}
    assert _stored(admin_api, fresh_realm) == ([PKCE_PROFILE], [stored_policy])
    refused = _authorize_without_pkce(kcr, fresh_realm)
    assert refused.status_code == 302
    redirect = parse_qs(urlsplit(refused.headers["location"]).query)
    assert redirect["error"] == ["invalid_request"]
    assert "code_challenge_method" in redirect["error_description"][0]

    # One field at a time.
    steps: list[tuple[str, str, Any, str]] = [
        ("clientPolicies", "enabled", False, "clientPolicies.policies[all-clients-pkce].enabled"),
        (
            "clientPolicies",
            "description",
            "every client",
            "clientPolicies.policies[all-clients-pkce].description",
        ),
        ("clientProfiles", "description", "PKCE", "clientProfiles.profiles[pkce-required].description"),
    ]
    for section, field, value, path in steps:
        doc = copy.deepcopy(doc)
        doc[section][next(iter(doc[section]))][0][field] = value
        kcr.write(doc)
        assert _changes(kcr) == [("client-policies", fresh_realm, Action.UPDATE, (path,))], field
        kcr.apply_converged()
    assert _authorize_without_pkce(kcr, fresh_realm).status_code == 200  # the policy is disabled

    # Left out of the YAML: kept. Declared empty: removed.
    kcr.write({k: v for k, v in doc.items() if k not in ("clientProfiles", "clientPolicies")})
    assert _changes(kcr) == []
    kcr.write({**doc, "clientProfiles": {"profiles": []}, "clientPolicies": {"policies": []}})
    assert [c[:3] for c in _changes(kcr)] == [("client-policies", fresh_realm, Action.UPDATE)]
    kcr.apply_converged()
    assert _stored(admin_api, fresh_realm) == ([], [])


def test_an_unknown_executor_is_refused_with_keycloaks_message(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write(
        {
            "realm": fresh_realm,
            "clientProfiles": {"profiles": [{"name": "p", "executors": [{"executor": "no-such-executor"}]}]},
        }
    )
    result = kcr.apply()
    assert result.exit_code == 1
    assert "no-such-executor" in result.output


def test_duplicate_names_are_refused_offline(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write({"realm": fresh_realm, "clientPolicies": {"policies": [PKCE_POLICY, PKCE_POLICY]}})
    result = kcr.run("validate", kcr.path)
    assert result.exit_code == 1
    assert "client policy 'all-clients-pkce' is declared twice" in result.output


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_shows_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    base = f"/{seg(empty_realm)}/client-policies"
    admin_api.put(f"{base}/profiles", {"profiles": [PKCE_PROFILE]})
    admin_api.put(f"{base}/policies", {"policies": [{**PKCE_POLICY, "enabled": False}]})

    folder = kcr.export_plans_no_change(empty_realm, tmp_path / "export")
    text = (folder / "client-policies.yaml").read_text(encoding="utf-8")
    assert "pkce-enforcer" in text
    assert "all-clients-pkce" in text

    admin_api.put(f"{base}/policies", {"policies": [PKCE_POLICY]})
    drift = kcr.run("drift", str(folder))
    assert drift.exit_code == 2, drift.output
    assert f"{empty_realm}/client-policies" in drift.output
    assert "clientPolicies.policies[all-clients-pkce].enabled" in drift.output
