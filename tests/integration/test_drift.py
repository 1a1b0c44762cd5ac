"""``kcr drift`` against a real Keycloak: a desired state is applied, then four changes are made by hand
through the Admin API. Drift reports exactly those (three as drift of managed objects, the hand-made
group apart, as unmanaged), ``kcr apply`` restores the declared state, and drift is quiet again.

A small desired state in a fresh realm of its own, so this module runs beside every other test (the
shipped example's realms have fixed names that the e2e tests own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.keycloak.client import AdminClient, seg
from reconciler.render.drift import DRIFT_MARKER

pytestmark = pytest.mark.integration

GITHUB_ISSUE_LIMIT = 65_536


def kcr(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def desired(realm: str) -> dict[str, Any]:
    return {
        "realm": realm,
        "clients": [
            {
                "clientId": "web-app",
                "publicClient": True,
                "redirectUris": ["https://app.example.com/callback"],
            }
        ],
        "roles": {"realm": [{"name": "viewer"}, {"name": "editor", "description": "Edits things"}]},
        "groups": [{"name": "team", "realmRoles": ["viewer"], "subGroups": [{"name": "leads"}]}],
        "users": [{"username": "carol", "enabled": True, "groups": ["/team"]}],
    }


def write_desired(folder: Path, realm: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    yaml = YAML(typ="safe", pure=True)
    with (folder / "realm.yaml").open("w", encoding="utf-8") as f:
        yaml.dump(desired(realm), f)
    return str(folder)


def change_by_hand(api: AdminClient, realm: str) -> None:
    base = f"/{seg(realm)}"
    # (1) a client's redirect URIs
    client = api.get(f"{base}/clients", {"clientId": "web-app"})[0]
    client["redirectUris"] = ["https://evil.example.com/*"]
    client.pop("secret", None)
    api.put(f"{base}/clients/{client['id']}", client)
    # (2) a declared user into a group
    carol = api.get(f"{base}/users", {"username": "carol", "exact": "true"})[0]
    leads = api.get(f"{base}/group-by-path/team/leads")
    api.put(f"{base}/users/{carol['id']}/groups/{leads['id']}")
    # (3) a declared role deleted
    api.delete(f"{base}/roles/editor")
    # (4) a group nobody declared
    api.post(f"{base}/groups", {"name": "handmade"})


def test_drift_reports_hand_changes_and_apply_restores(
    admin_api: AdminClient, fresh_realm: str, connection_env: dict[str, str], tmp_path: Path
) -> None:
    realm = fresh_realm
    path = write_desired(tmp_path / "desired", realm)
    applied = kcr("apply", path, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    in_sync = kcr("drift", path)
    assert in_sync.exit_code == 0, in_sync.output

    change_by_hand(admin_api, realm)

    text = kcr("drift", path)
    assert text.exit_code == 2, text.output
    assert f"{realm}/client/web-app: redirectUris: git" in text.output
    assert "https://evil.example.com/*" in text.output
    assert f"{realm}/user/carol: groups: git" in text.output
    assert "/team/leads" in text.output
    assert f"+ {realm}/role/editor" in text.output
    drift_part, unmanaged_part = text.output.split("Not declared in git (unmanaged):")
    assert "handmade" not in drift_part
    assert unmanaged_part.strip() == f"{realm}/group/handmade"
    assert "(3 objects)" in text.output

    as_json = kcr("drift", path, "--format", "json")
    assert as_json.exit_code == 2, as_json.output
    report = json.loads(as_json.output)
    assert report["drifted"] is True
    found = sorted((c["address"], c["action"], tuple(c["changed_paths"])) for c in report["drift"])
    assert found == [
        (f"{realm}/client/web-app", "update", ("redirectUris",)),
        (f"{realm}/role/editor", "create", ("description", "name")),
        (f"{realm}/user/carol", "update", ("groups",)),
    ]
    assert [u["address"] for u in report["unmanaged"]] == [f"{realm}/group/handmade"]

    markdown = kcr("drift", path, "--format", "markdown")
    assert markdown.exit_code == 2, markdown.output
    assert markdown.output.startswith(DRIFT_MARKER)
    assert len(markdown.output) < GITHUB_ISSUE_LIMIT
    for address in ("client/web-app", "user/carol", "role/editor", "group/handmade"):
        assert f"{realm}/{address}" in markdown.output

    # --fail-on-unmanaged only changes the exit code: the drift is already there
    assert kcr("drift", path, "--fail-on-unmanaged").exit_code == 2

    restored = kcr("apply", path, "--auto-approve")
    assert restored.exit_code == 0, restored.output
    assert "Apply complete: 1 added, 2 changed, 0 destroyed." in restored.output
    client = admin_api.get(f"/{seg(realm)}/clients", {"clientId": "web-app"})[0]
    assert client["redirectUris"] == ["https://app.example.com/callback"]

    quiet = kcr("drift", path)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output.startswith("No drift")
    assert len(quiet.output.strip().splitlines()) <= 3
    after = json.loads(kcr("drift", path, "--format", "json").output)
    assert after["drifted"] is False
    assert after["drift"] == []
    assert [u["address"] for u in after["unmanaged"]] == [f"{realm}/group/handmade"]
    # the hand-made group is left alone by apply; --fail-on-unmanaged still flags it
    assert admin_api.get(f"/{seg(realm)}/group-by-path/handmade")["name"] == "handmade"
    assert kcr("drift", path, "--fail-on-unmanaged").exit_code == 2
