"""Onboarding a tenant through git: one new file in desired-state/, reviewed as a plan, then applied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.oidc import Realm, verify_access_token
from tests.e2e.conftest import EXAMPLE_ENV, LOGIN_CLIENT, REALM, kcr

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.xdist_group("e2e-shipped-realms"),
    pytest.mark.usefixtures("shipped", "test_clients"),
]

LEAD_PASSWORD = EXAMPLE_ENV["DEMO_USER_PASSWORD"]
INITECH = """\
# Tenant Initech, onboarded by pull request.
realm: enterprise
groups:
  - name: initech
    realmRoles: [user]
    clientRoles:
      reports-api: ["reports:read"]
    subGroups:
      - name: managers
        realmRoles: [manager]
users:
  - username: initech-lead
    email: lead@initech.example.com
    firstName: Lumbergh
    lastName: Lead
    enabled: true
    groups: [/initech/managers]
    attributes:
      tenant: initech
    requiredActions: []   # the test logs in by script: no terms of use to accept (required-actions.yaml)
    credentials:
      - type: password
        value: "${env:DEMO_USER_PASSWORD}"
        temporary: false
  - username: initech-staff
    email: staff@initech.example.com
    firstName: Milton
    lastName: Staff
    enabled: true
    groups: [/initech]
organizations:
  - name: Initech
    alias: initech
    domains:
      - name: initech.example.com
    members: [%s]
"""


def plan_json(path: Path) -> dict[str, Any]:
    result = kcr("plan", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def changes(plan: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["action"], c["address"]) for c in plan["resource_changes"]}


def test_a_new_tenant_file_plans_applies_and_logs_in(
    workdir: Path, realm: Realm, admin_api: AdminClient
) -> None:
    tenant_file = workdir / "enterprise" / "tenants" / "initech.yaml"
    tenant_file.parent.mkdir()
    tenant_file.write_text(INITECH % "initech-lead, initech-staff", encoding="utf-8")

    plan = plan_json(workdir)
    assert changes(plan) == {
        ("create", "enterprise/group/initech"),
        ("create", "enterprise/group/initech/managers"),
        ("create", "enterprise/user/initech-lead"),
        ("create", "enterprise/user/initech-staff"),
        ("create", "enterprise/organization/initech"),
    }
    applied = kcr("apply", str(workdir), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply complete: 5 added, 0 changed, 0 destroyed." in applied.output

    token = realm.password_grant(LOGIN_CLIENT, "initech-lead", LEAD_PASSWORD)["access_token"]
    claims = verify_access_token(realm, token, "enterprise-client")
    assert sorted(claims["role"]) == sorted(["manager", "user", "default-roles-enterprise"])
    assert claims["resource_access"]["reports-api"] == {"roles": ["reports:read"]}

    # Offboarding one member from the organization is one update; the account stays.
    tenant_file.write_text(INITECH % "initech-lead", encoding="utf-8")
    plan = plan_json(workdir)
    assert changes(plan) == {("update", "enterprise/organization/initech")}
    assert plan["resource_changes"][0]["changed_paths"] == ["members"]
    assert plan["summary"] == {"add": 0, "change": 1, "destroy": 0}
    applied = kcr("apply", str(workdir), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    orgs = admin_api.get(f"/{seg(REALM)}/organizations", {"search": "initech"})
    org = next(o for o in orgs if o["alias"] == "initech")
    members = admin_api.get(f"/{seg(REALM)}/organizations/{org['id']}/members")
    assert [m["username"] for m in members] == ["initech-lead"]
    assert admin_api.get(f"/{seg(REALM)}/users", {"username": "initech-staff", "exact": "true"})
    settled = kcr("plan", str(workdir), "--detailed-exitcode")
    assert settled.exit_code == 0, settled.output
