"""An apply stopped halfway, against a real Keycloak: interrupted by SIGINT, or stopped by a write
that Keycloak refuses. The report says what was applied, what failed and what was not attempted, and
the next apply continues from what is live and converges."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from reconciler import ownership
from reconciler.apply import BULK_FROM
from reconciler.keycloak.client import AdminClient, seg
from tests.integration.conftest import Doc, Kcr, audit_lines, find_one, group_by_path

pytestmark = pytest.mark.integration

GROUPS = 30
USERS = 100
INTERRUPT_AFTER = 40  # audit lines: the 30 groups, then some users
GOOD_PASSWORD = "G00d-Enough-Passw0rd"


def big_realm(realm: str) -> Doc:
    return {
        "realm": realm,
        "enabled": True,
        "groups": [{"name": f"g{i:02d}", "attributes": {"n": [str(i)]}} for i in range(GROUPS)],
        "users": [
            {
                "username": f"user{i:03d}",
                "email": f"user{i:03d}@example.com",
                "firstName": "U",
                "lastName": f"{i}",
                "enabled": True,
                "groups": [f"/g{i % GROUPS:02d}"],
            }
            for i in range(USERS)
        ],
    }


def wait_for_lines(audit: Path, count: int, process: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = len(audit_lines(audit)) if audit.exists() else 0
        if lines >= count or process.poll() is not None:
            return lines
        time.sleep(0.01)
    return len(audit_lines(audit))


def test_sigint_halfway_then_next_apply_converges(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    # The realm exists: a new one would be made with all of it by Keycloak's import, in one write.
    realm = empty_realm
    kcr.write(big_realm(realm))
    audit = tmp_path / "audit.jsonl"
    output = tmp_path / "apply.out"
    process = kcr.popen("apply", kcr.path, "--auto-approve", "--audit-log", str(audit), output=output)
    try:
        seen = wait_for_lines(audit, INTERRUPT_AFTER, process, timeout=120)
        assert process.poll() is None, (
            f"apply ended before the interrupt ({seen} writes):\n{output.read_text()}"
        )
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.read_text()
    # 1: the write in progress was stopped and the report printed; 130: the signal came between writes
    assert code in (1, 130), text
    assert "Traceback" not in text
    lines = audit_lines(audit)
    done = [line for line in lines if line["result"] == "ok"]
    assert INTERRUPT_AFTER <= len(done) < GROUPS + USERS, text
    assert ": interrupted" in text or "Interrupted." in text, text

    # the ownership record was saved on the way out: what was applied is kcr-managed
    managed = ownership.parse(admin_api.get(f"/{seg(realm)}"))
    applied_groups = {line["address"].rsplit("/", 1)[1] for line in done if line["kind"] == "group"}
    assert {f"/{g}" for g in applied_groups} <= managed.get("groups", set())

    again = kcr.apply("--audit-log", str(audit))
    assert again.exit_code == 0, again.output
    later = audit_lines(audit)[len(lines) :]
    assert later, again.output
    assert all(line["result"] == "ok" for line in later)
    # nothing applied before the interrupt is applied again: the second run starts from what is live
    first_done = {line["address"] for line in done}
    assert not first_done & {line["address"] for line in later if line["action"] == "create"}
    planned = kcr.plan()
    assert planned.exit_code == 0, planned.output
    users = admin_api.get(f"/{seg(realm)}/users/count")
    assert users == USERS
    last = group_by_path(admin_api, realm, f"/g{GROUPS - 1:02d}")
    assert last is not None
    assert len(admin_api.get(f"/{seg(realm)}/groups/{last['id']}/members")) == USERS // GROUPS


def test_refused_write_midway_is_reported_then_converges(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    realm = fresh_realm
    users: list[Doc] = [
        {
            "username": f"pw{i}",
            "email": f"pw{i}@example.com",
            "firstName": "P",
            "lastName": f"{i}",
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": GOOD_PASSWORD, "temporary": False}],
        }
        for i in range(6)
    ]
    users[3]["credentials"][0]["value"] = "short1"  # violates length(12)
    doc: Doc = {
        "realm": realm,
        "enabled": True,
        "passwordPolicy": "length(12) and digits(1)",
        "groups": [{"name": "team"}],
        "users": users,
    }
    kcr.write(doc)
    audit = tmp_path / "audit.jsonl"
    failed = kcr.apply("--audit-log", str(audit))
    assert failed.exit_code == 1
    text = failed.output
    assert "Traceback" not in text
    assert "short1" not in text
    assert "Applied: 5" in text  # the realm, the group, users pw0-pw2
    assert f"Failed: {realm}/user/pw3: HTTP 400" in text
    assert "Invalid password: minimum length 12" in text  # Keycloak's own message
    assert f"Not attempted (2): {realm}/user/pw4, {realm}/user/pw5" in text
    lines = audit_lines(audit)
    assert [line["result"] for line in lines] == ["ok"] * 5 + ["failed"]
    assert "short1" not in json.dumps(lines)
    assert lines[-1]["address"] == f"{realm}/user/pw3"
    assert find_one(admin_api, realm, "users", username="pw3") is None  # the refused POST made no user
    assert find_one(admin_api, realm, "users", username="pw4") is None

    users[3]["credentials"][0]["value"] = GOOD_PASSWORD + "3"
    kcr.write(doc)
    fixed = kcr.apply_converged("--audit-log", str(audit))
    assert "Apply complete: 3 added, 0 changed, 0 destroyed." in fixed.output
    token = httpx.post(
        f"{admin_api.settings.base_url}/realms/{seg(realm)}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "admin-cli",
            "username": "pw3",
            "password": GOOD_PASSWORD + "3",
        },
    )
    assert token.status_code == 200, token.text


def test_silently_dropped_attribute_fails_then_converges(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    """Keycloak accepts a user attribute that the user profile does not declare, and drops it."""
    realm = empty_realm
    users: list[Doc] = [{"username": f"dd{i}", "enabled": True} for i in range(4)]
    users[1]["attributes"] = {"costCenter": ["42"]}
    kcr.write({"realm": realm, "users": users})
    failed = kcr.apply()
    assert failed.exit_code == 1
    assert "Traceback" not in failed.output
    assert f"Failed: {realm}/user/dd1: Keycloak accepted the write" in failed.output
    assert "attributes.costCenter" in failed.output
    assert "unmanagedAttributePolicy" in failed.output
    assert f"Not attempted (2): {realm}/user/dd2, {realm}/user/dd3" in failed.output

    # the fix is on the server: let the user profile keep unmanaged attributes
    profile = admin_api.get(f"/{seg(realm)}/users/profile")
    profile["unmanagedAttributePolicy"] = "ENABLED"
    admin_api.put(f"/{seg(realm)}/users/profile", profile)
    fixed = kcr.apply_converged()
    assert "Apply complete: 2 added, 1 changed, 0 destroyed." in fixed.output
    dd1 = find_one(admin_api, realm, "users", username="dd1")
    assert dd1 is not None
    assert dd1["attributes"]["costCenter"] == ["42"]


def test_dropped_attribute_in_a_bulk_run_fails_loudly_after_the_run(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    """Many users are written concurrently and checked by one re-read: the user whose attribute
    Keycloak dropped fails, naming the attribute; the others are applied."""
    realm = empty_realm
    count = BULK_FROM + 5
    users: list[Doc] = [
        {"username": f"bulk{i:02d}", "enabled": True, "groups": ["/team"]} for i in range(count)
    ]
    users[7]["attributes"] = {"costCenter": ["42"]}
    kcr.write({"realm": realm, "groups": [{"name": "team"}], "users": users})
    failed = kcr.apply()
    assert failed.exit_code == 1
    text = failed.output
    assert "Traceback" not in text
    assert f"Failed: {realm}/user/bulk07: Keycloak accepted the write" in text
    assert "attributes.costCenter" in text
    assert "unmanagedAttributePolicy" in text
    assert f"Applied: {1 + count - 1}" in text  # the group and every other user
    team = group_by_path(admin_api, realm, "/team")
    assert team is not None
    members = admin_api.get(f"/{seg(realm)}/groups/{team['id']}/members", {"max": 100})
    assert len(members) == count  # the memberships were written (bulk07 too: only its attribute is missing)

    profile = admin_api.get(f"/{seg(realm)}/users/profile")
    profile["unmanagedAttributePolicy"] = "ENABLED"
    admin_api.put(f"/{seg(realm)}/users/profile", profile)
    fixed = kcr.apply_converged()
    assert "Apply complete: 0 added, 1 changed, 0 destroyed." in fixed.output
