"""The shipped example realm (with its identity provider, required actions and user profile), applied
and extended with a custom authentication flow (a sub-flow and an authenticator config, bound to a
client): ``kcr export`` writes all of it, and neither a plan of that export
nor a plan of Keycloak's own partial export of the realm warns "not managed by kcr" about any of
these kinds; the export plans as no change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from reconciler.desired import load
from reconciler.keycloak.client import AdminClient, seg
from tests.e2e.conftest import REALM, SHIPPED, kcr
from tests.integration.conftest import deny_role_flows, dump_yaml

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.integration,
    pytest.mark.xdist_group("e2e-shipped-realms"),
    pytest.mark.usefixtures("shipped"),
]

# Keys of the kinds this test is about; a warning naming any of them fails it.
KEYS = (
    "authenticationFlows",
    "authenticatorConfig",
    "browserFlow",
    "directGrantFlow",
    "firstBrokerLoginFlow",
    "authenticationFlowBindingOverrides",
    "requiredActions",
    "identityProviders",
    "identityProviderMappers",
    "userProfile",
)


def _extension() -> dict[str, Any]:
    flows, configs = deny_role_flows(
        "e2e strict login", "e2e deny blocked", "e2e blocked role", role="e2e-blocked"
    )
    flows[0]["description"] = "password, then deny the blocked"
    doc: dict[str, Any] = {
        "realm": REALM,
        "authenticationFlows": flows,
        "authenticatorConfig": configs,
        "clients": [
            {
                "clientId": "e2e-flow-override",
                "publicClient": True,
                "redirectUris": ["http://localhost:3000/e2e"],
                "authenticationFlowBindingOverrides": {"browser": "e2e strict login"},
            }
        ],
    }
    return doc


def _flagged(result: Result) -> list[str]:
    return [
        line
        for line in result.output.splitlines()
        if "not managed by kcr" in line and any(k in line for k in KEYS)
    ]


def test_export_of_the_extended_example_warns_about_none_of_these_kinds(
    admin_api: AdminClient, e2e_env: dict[str, str], tmp_path: Path
) -> None:
    example = load([str(SHIPPED)], env=e2e_env).realms[REALM].spec
    extension = tmp_path / "extension"
    extension.mkdir()
    (extension / "authentication.yaml").write_text(dump_yaml(_extension()), encoding="utf-8")
    # The example brings its identity provider, required actions and user profile.
    assert example.get("identityProviders")
    assert example.get("requiredActions")
    assert example.get("userProfile")
    applied = kcr("apply", str(SHIPPED), str(extension), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    exported = kcr("export", "--realm", REALM, "--out", str(tmp_path / "export"))
    assert exported.exit_code == 0, exported.output
    folder = tmp_path / "export" / REALM
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yaml")))
    providers = [f"alias: {p['alias']}" for p in example["identityProviders"]]
    actions = [str(a["alias"]) for a in example["requiredActions"]]
    for expected in (
        "alias: e2e strict login",
        "alias: e2e deny blocked",
        "alias: e2e blocked role",
        "browser: e2e strict login",
        "userProfile:",
        *providers,
        *actions,
    ):
        assert expected in text, expected
    planned = kcr("plan", str(folder), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output
    assert _flagged(planned) == []
    assert "not managed by kcr" not in planned.output

    # Keycloak's own export of the same realm: these kinds are read, not warned about.
    rep = admin_api.request(
        "POST",
        f"/{seg(REALM)}/partial-export",
        params={"exportClients": "true", "exportGroupsAndRoles": "true"},
    ).json()
    (tmp_path / "keycloak-export").mkdir()
    (tmp_path / "keycloak-export" / "realm.json").write_text(json.dumps(rep), encoding="utf-8")
    validated = kcr("validate", str(tmp_path / "keycloak-export"))
    assert validated.exit_code == 0, validated.output
    assert _flagged(validated) == []
