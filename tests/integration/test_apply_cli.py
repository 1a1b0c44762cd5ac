"""``kcr plan`` and ``kcr apply`` through the CLI against a real Keycloak: what is pruned and what is
never touched, ``state: absent``, the mass-delete guard, saved plans (exact, stale, changed desired
state), the confirmation without a terminal, the audit log, and secrets in every output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from reconciler.keycloak.client import AdminClient, seg
from tests.integration.conftest import (
    Doc,
    Kcr,
    audit_lines,
    find_one,
    group_by_path,
)

pytestmark = pytest.mark.integration

CLIENT_SECRET = "Cl1-apply-cli-S3cret-6d0e"
NEW_CLIENT_SECRET = "Cl1-apply-cli-Rotated-81fa"
USER_PASSWORD = "Us3r-apply-cli-Pw-d41c"
NEW_USER_PASSWORD = "Us3r-apply-cli-Pw2-a9e7"


def client_exists(api: AdminClient, realm: str, client_id: str) -> bool:
    return find_one(api, realm, "clients", clientId=client_id) is not None


def user_exists(api: AdminClient, realm: str, username: str) -> bool:
    return find_one(api, realm, "users", username=username) is not None


def group_exists(api: AdminClient, realm: str, path: str) -> bool:
    return group_by_path(api, realm, path) is not None


def test_hand_made_objects_survive_prune(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    realm = empty_realm
    base = f"/{seg(realm)}"
    admin_api.post(f"{base}/groups", {"name": "handmade"})
    admin_api.post(f"{base}/groups", {"name": "legacy-team"})
    admin_api.post(f"{base}/clients", {"clientId": "hand-client", "publicClient": True})
    admin_api.post(f"{base}/users", {"username": "hand-user", "enabled": True})
    doc: Doc = {
        "realm": realm,
        "policy": {"prune": ["groups", "clients", "users"]},
        "groups": [{"name": "team-a"}, {"name": "team-b"}],
        "clients": [{"clientId": "app-a", "publicClient": True}, {"clientId": "app-b", "publicClient": True}],
        "users": [{"username": "u-a"}, {"username": "u-b"}],
    }
    kcr.write(doc)

    planned = kcr.run("plan", kcr.path)
    assert planned.exit_code == 0, planned.output
    assert "Plan: 6 to add, 0 to change, 0 to destroy." in planned.output
    unmanaged = next(line for line in planned.output.splitlines() if line.startswith("Unmanaged"))
    for address in ("group/handmade", "group/legacy-team", "client/hand-client", "user/hand-user"):
        assert f"{realm}/{address}" in unmanaged
        assert f"- {realm}/{address}" not in planned.output
    kcr.apply_converged()
    assert group_exists(admin_api, realm, "/handmade")
    assert client_exists(admin_api, realm, "hand-client")
    assert user_exists(admin_api, realm, "hand-user")

    # managed objects taken out of the YAML are pruned; the hand-made ones stay
    doc["groups"] = [{"name": "team-a"}]
    doc["clients"] = [{"clientId": "app-a", "publicClient": True}]
    doc["users"] = [{"username": "u-a"}]
    kcr.write(doc)
    planned = kcr.run("plan", kcr.path)
    assert "Plan: 0 to add, 0 to change, 3 to destroy." in planned.output, planned.output
    applied = kcr.apply_converged()
    for address in ("group/team-b", "client/app-b", "user/u-b"):
        assert f"- {realm}/{address}: done" in applied.output
    assert not group_exists(admin_api, realm, "/team-b")
    assert not client_exists(admin_api, realm, "app-b")
    assert not user_exists(admin_api, realm, "u-b")
    assert group_exists(admin_api, realm, "/team-a")
    assert group_exists(admin_api, realm, "/handmade")
    assert client_exists(admin_api, realm, "hand-client")
    assert user_exists(admin_api, realm, "hand-user")

    # pruneUnmanaged names hand-made objects that may go
    doc["policy"]["pruneUnmanaged"] = {"groups": ["/legacy*"]}
    kcr.write(doc)
    planned = kcr.run("plan", kcr.path)
    assert "Plan: 0 to add, 0 to change, 1 to destroy." in planned.output, planned.output
    assert f"- {realm}/group/legacy-team" in planned.output
    kcr.apply_converged()
    assert not group_exists(admin_api, realm, "/legacy-team")
    assert group_exists(admin_api, realm, "/handmade")


BUILTIN_CLIENTS = {
    "account",
    "account-console",
    "admin-cli",
    "broker",
    "realm-management",
    "security-admin-console",
}
BUILTIN_SCOPES = {
    "acr",
    "address",
    "basic",
    "email",
    "microprofile-jwt",
    "offline_access",
    "organization",
    "phone",
    "profile",
    "role_list",
    "roles",
    "saml_organization",
    "web-origins",
}


def test_builtins_are_never_pruned(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    realm = empty_realm
    base = f"/{seg(realm)}"
    # declaring a built-in makes it kcr-managed; taking it out of the YAML must still not delete it
    doc: Doc = {
        "realm": realm,
        "policy": {"prune": ["roles", "clients", "clientScopes", "groups", "users"]},
        "clients": [
            {"clientId": "app", "publicClient": True},
            {"clientId": "account", "description": "Account (managed by kcr)"},
        ],
        "clientScopes": [{"name": "mine"}, {"name": "phone", "description": "Phone (managed by kcr)"}],
        "roles": {"realm": [{"name": "mine"}, {"name": "offline_access", "description": "Offline"}]},
    }
    kcr.write(doc)
    kcr.apply_converged()
    del doc["clients"][1], doc["clientScopes"][1], doc["roles"]["realm"][1]
    kcr.write(doc)
    planned = kcr.run("plan", kcr.path, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "Unmanaged" not in planned.output  # built-ins are neither pruned nor reported
    kcr.apply_converged()

    clients = {c["clientId"] for c in admin_api.get(f"{base}/clients")}
    assert clients >= BUILTIN_CLIENTS | {"app"}
    assert names_of(admin_api.get(f"{base}/client-scopes")) >= BUILTIN_SCOPES | {"mine"}
    roles = names_of(admin_api.get(f"{base}/roles"))
    assert roles >= {"offline_access", "uma_authorization", f"default-roles-{realm}", "mine"}
    management = find_one(admin_api, realm, "clients", clientId="realm-management")
    assert management is not None
    management_roles = names_of(admin_api.get(f"{base}/clients/{management['id']}/roles"))
    assert {"realm-admin", "manage-users", "view-users", "manage-clients"} <= management_roles


def names_of(items: list[dict[str, str]]) -> set[str]:
    return {i["name"] for i in items}


def test_state_absent_deletes(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    realm = empty_realm
    doc: Doc = {
        "realm": realm,
        "groups": [{"name": "keep"}, {"name": "drop", "subGroups": [{"name": "child"}]}],
        "clients": [{"clientId": "drop-client", "publicClient": True}],
        "users": [{"username": "drop-user"}],
    }
    kcr.write(doc)
    kcr.apply_converged()
    # no prune policy: state: absent alone asks for the deletion
    doc["groups"][1]["subGroups"][0]["state"] = "absent"
    doc["clients"][0]["state"] = "absent"
    doc["users"][0]["state"] = "absent"
    kcr.write(doc)
    planned = kcr.plan()
    assert planned.exit_code == 2, planned.output
    assert "Plan: 0 to add, 0 to change, 3 to destroy." in planned.output
    kcr.apply_converged()
    assert not group_exists(admin_api, realm, "/drop/child")
    assert group_exists(admin_api, realm, "/drop")
    assert not client_exists(admin_api, realm, "drop-client")
    assert not user_exists(admin_api, realm, "drop-user")
    # an absent object that was never there is no change
    doc["groups"].append({"name": "never", "state": "absent"})
    kcr.write(doc)
    assert kcr.plan().exit_code == 0


def test_mass_delete_needs_the_flag(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    realm = empty_realm
    doc: Doc = {
        "realm": realm,
        "policy": {"prune": ["groups"], "maxDeletes": 2},
        "groups": [{"name": f"g{i}"} for i in range(5)],
    }
    kcr.write(doc)
    kcr.apply_converged()
    doc["groups"] = [{"name": "g0"}, {"name": "g1", "state": "absent"}]
    kcr.write(doc)

    refused = kcr.apply()
    assert refused.exit_code == 1
    assert "deletes 4 objects" in refused.output
    assert "policy.maxDeletes is 2" in refused.output
    assert "--allow-mass-delete" in refused.output
    assert "Traceback" not in refused.output
    assert all(group_exists(admin_api, realm, f"/g{i}") for i in range(5))

    allowed = kcr.apply("--allow-mass-delete")
    assert allowed.exit_code == 0, allowed.output
    assert "0 added, 0 changed, 4 destroyed." in allowed.output
    assert [i for i in range(5) if group_exists(admin_api, realm, f"/g{i}")] == [0]
    assert kcr.plan().exit_code == 0


def test_saved_plan_applies_exactly_and_refuses_when_stale(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    realm = empty_realm
    base = f"/{seg(realm)}"
    doc: Doc = {
        "realm": realm,
        "displayName": "Saved plans",
        "groups": [{"name": "a", "attributes": {"k": ["1"]}}, {"name": "b"}],
        "clients": [{"clientId": "app", "publicClient": True}],
    }
    kcr.write(doc)
    plan_file = tmp_path / "plan.json"
    planned = kcr.run("plan", kcr.path, "--out", str(plan_file))
    assert planned.exit_code == 0, planned.output
    saved = json.loads(plan_file.read_text())
    expected = [(c["address"], c["action"]) for c in saved["resource_changes"]]
    assert len(expected) == 4  # realm settings, 2 groups, 1 client

    audit = tmp_path / "audit.jsonl"
    applied = kcr.run("apply", "--plan", str(plan_file), "--audit-log", str(audit))
    assert applied.exit_code == 0, applied.output
    assert [(line["address"], line["action"]) for line in audit_lines(audit)] == expected
    assert all(line["result"] == "ok" for line in audit_lines(audit))
    assert kcr.plan().exit_code == 0

    # stale: an object of the plan changed by hand after planning
    doc["groups"][0]["attributes"] = {"k": ["2"]}
    doc["groups"].append({"name": "c"})
    kcr.write(doc)
    assert kcr.run("plan", kcr.path, "--out", str(plan_file)).exit_code == 0
    group_a = group_by_path(admin_api, realm, "/a")
    assert group_a is not None
    admin_api.put(f"{base}/groups/{group_a['id']}", {**group_a, "attributes": {"k": ["by hand"]}})
    audit.unlink()
    stale = kcr.run("apply", "--plan", str(plan_file), "--audit-log", str(audit))
    assert stale.exit_code == 1
    assert "Saved plan is stale" in stale.output
    assert f"{realm}/group/a" in stale.output
    assert "Traceback" not in stale.output
    assert audit_lines(audit) == []
    assert not group_exists(admin_api, realm, "/c")
    group_a = group_by_path(admin_api, realm, "/a")
    assert group_a is not None
    assert group_a["attributes"] == {"k": ["by hand"]}

    # stale: the desired state changed after planning
    assert kcr.run("plan", kcr.path, "--out", str(plan_file)).exit_code == 0
    doc["groups"].append({"name": "d"})
    kcr.write(doc)
    changed = kcr.run("apply", "--plan", str(plan_file), "--audit-log", str(audit))
    assert changed.exit_code == 1
    assert "Saved plan is stale" in changed.output
    assert "desired state" in changed.output
    assert audit_lines(audit) == []
    assert not group_exists(admin_api, realm, "/c")


def test_apply_without_terminal_needs_auto_approve(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    realm = empty_realm
    kcr.write({"realm": realm, "groups": [{"name": "wanted"}]})
    refused = kcr.run("apply", kcr.path)  # CliRunner: stdin is no terminal
    assert refused.exit_code == 1
    assert "no terminal" in refused.output
    assert "--auto-approve" in refused.output
    assert "Traceback" not in refused.output
    assert not group_exists(admin_api, realm, "/wanted")
    assert kcr.plan().exit_code == 2


def git(folder: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=kcr tests", "-c", "user.email=kcr@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def secret_doc(realm: str, client_secret: str, password: str) -> Doc:
    return {
        "realm": realm,
        "clients": [
            {
                "clientId": "confidential",
                "publicClient": False,
                "secret": client_secret,
                "serviceAccountsEnabled": True,
                "standardFlowEnabled": False,
            }
        ],
        "users": [
            {
                "username": "pat",
                "enabled": True,
                "credentials": [{"type": "password", "value": password, "temporary": False}],
            }
        ],
    }


def test_audit_log_and_outputs_hold_no_secret(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    realm = empty_realm
    secrets = (CLIENT_SECRET, NEW_CLIENT_SECRET, USER_PASSWORD, NEW_USER_PASSWORD)
    kcr.write(secret_doc(realm, CLIENT_SECRET, USER_PASSWORD))
    git(kcr.folder, "init", "-q")
    git(kcr.folder, "add", "desired")
    git(kcr.folder, "commit", "-q", "-m", "desired state")
    head = git(kcr.folder, "rev-parse", "HEAD")

    outputs: list[str] = []
    plan_file = tmp_path / "plan.json"
    for fmt in ("text", "markdown", "json"):
        planned = kcr.run("plan", kcr.path, "--format", fmt, "--out", str(plan_file))
        assert planned.exit_code == 0, planned.output
        outputs += [planned.output, plan_file.read_text()]
        shown = kcr.run("show", str(plan_file), "--format", fmt)
        assert shown.exit_code == 0, shown.output
        outputs.append(shown.output)
    assert "confidential" in outputs[0]
    assert "(sensitive value)" in outputs[0]

    audit = tmp_path / "audit.jsonl"
    applied = kcr.apply("--audit-log", str(audit))
    assert applied.exit_code == 0, applied.output
    outputs.append(applied.output)
    lines = audit_lines(audit)
    assert [line["address"] for line in lines] == [f"{realm}/client/confidential", f"{realm}/user/pat"]
    for line in lines:
        assert {"time", "address", "action", "result", "tool_version", "git_commit"} <= set(line)
        assert line["git_commit"] == head
        assert line["result"] == "ok"
        assert line["action"] == "create"

    # rotate both: the update's plan and audit line name the field, never the value
    kcr.write(secret_doc(realm, NEW_CLIENT_SECRET, NEW_USER_PASSWORD))
    for fmt in ("text", "markdown", "json"):
        planned = kcr.run("plan", kcr.path, "--format", fmt, "--out", str(plan_file))
        assert planned.exit_code == 0, planned.output
        outputs += [planned.output, plan_file.read_text()]
    assert "secret" in outputs[-2]  # the json plan names the changed field
    applied = kcr.apply("--audit-log", str(audit))
    assert applied.exit_code == 0, applied.output
    outputs.append(applied.output)
    lines = audit_lines(audit)
    assert lines[-1]["address"] == f"{realm}/client/confidential"
    assert lines[-1]["action"] == "update"
    assert lines[-1]["git_commit"] == f"{head}-dirty"  # the working tree no longer matches HEAD
    # the password is set at creation only: no update for it
    assert len(lines) == 3

    everything = "\n".join([*outputs, audit.read_text()])
    for secret in secrets:
        assert secret not in everything
    worker = find_one(admin_api, realm, "clients", clientId="confidential")
    assert worker is not None
    live_secret = admin_api.get(f"/{seg(realm)}/clients/{worker['id']}/client-secret")
    assert live_secret["value"] == NEW_CLIENT_SECRET
