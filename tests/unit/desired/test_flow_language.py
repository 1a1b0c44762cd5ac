"""Authentication flows in the language: a Keycloak export's shapes load as they are (client overrides
by flow id become aliases; execution flags and ids are dropped), bindings stay out of realm settings."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.desired import load
from reconciler.kinds.flow_binding import FlowBindingKind
from reconciler.kinds.realm import RealmKind


def test_a_keycloak_export_of_flows_loads_by_alias(tmp_path: Path) -> None:
    export = {
        "realm": "r",
        "browserFlow": "strict",
        "authenticationFlows": [
            {
                "id": "6b1c",
                "alias": "strict",
                "providerId": "basic-flow",
                "topLevel": True,
                "builtIn": False,
                "authenticationExecutions": [
                    {
                        "authenticator": "auth-username-password-form",
                        "authenticatorFlow": False,
                        "autheticatorFlow": False,
                        "requirement": "REQUIRED",
                        "priority": 10,
                        "userSetupAllowed": False,
                    }
                ],
            }
        ],
        "authenticatorConfig": [],
        "clients": [{"clientId": "app", "authenticationFlowBindingOverrides": {"browser": "6b1c"}}],
    }
    (tmp_path / "realm.json").write_text(json.dumps(export), encoding="utf-8")
    state = load([str(tmp_path)], env={})
    realm = state.realms["r"]
    assert realm.spec["clients"][0]["authenticationFlowBindingOverrides"] == {"browser": "strict"}
    step = realm.spec["authenticationFlows"][0]["authenticationExecutions"][0]
    assert "autheticatorFlow" not in step
    assert "authenticatorFlow" not in step
    assert "id" not in realm.spec["authenticationFlows"][0]
    assert state.warnings == []
    # The binding is written by the flow-binding kind (after the flows), not with the realm's settings.
    assert "browserFlow" not in RealmKind().declared(realm)["r"]
    assert FlowBindingKind().declared(realm) == {"r": {"browserFlow": "strict"}}
