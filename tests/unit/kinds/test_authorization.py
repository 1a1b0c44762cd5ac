"""The authorization kind's comparison: references in a policy's config compare as references (a
renamed role is a change of exactly that policy's config key; key order, spacing, defaults and list
order are not), and go back to Keycloak as the JSON text it stores."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from reconciler.compare import diff_declared
from reconciler.desired.authorization_refs import BadReference, parse_refs
from reconciler.kinds.authorization import AuthorizationKind, export_settings, view

LIVE = {
    "policyEnforcementMode": "ENFORCING",
    "decisionStrategy": "UNANIMOUS",
    "allowRemoteResourceManagement": True,
    "scopes": [{"name": "export"}],
    "resources": [
        {"name": "reports", "uris": ["/a", "/b"], "scopes": [{"name": "export"}], "attributes": {}}
    ],
    "policies": [
        {
            "name": "Only managers",
            "type": "role",
            "logic": "POSITIVE",
            "config": {"roles": '[{"id":"web/manager","required":false},{"id":"admin","required":true}]'},
        },
        {
            "name": "p",
            "type": "scope",
            "config": {"scopes": '["export"]', "applyPolicies": '["Only managers"]'},
        },
    ],
}


def _diffs(declared: Mapping[str, Any]) -> list[tuple[str, object, object]]:
    kind = AuthorizationKind()
    return [(d.path, d.before, d.after) for d in diff_declared(view(declared), view(LIVE), kind.rules)]


def test_the_same_references_written_otherwise_are_no_change() -> None:
    declared = {
        "resources": [{"name": "reports", "uris": ["/b", "/a"], "scopes": ["export"]}],
        "scopes": [{"name": "export"}],
        "policies": [
            {
                "name": "Only managers",
                "config": {"roles": [{"id": "admin", "required": "true"}, "web/manager"]},
            },
            {"name": "p", "config": {"applyPolicies": '[ "Only managers" ]', "scopes": ["export"]}},
        ],
    }
    assert _diffs(declared) == []


def test_a_renamed_role_is_a_change_of_that_policy_only() -> None:
    declared = {
        "policies": [
            {
                "name": "Only managers",
                "config": {"roles": '[{"id":"web/boss"},{"id":"admin","required":true}]'},
            },
            {"name": "p"},
        ]
    }
    [(path, before, after)] = _diffs(declared)
    assert path == "policies[Only managers].config.roles"
    assert {"id": "web/boss", "required": False} in after  # type: ignore[operator]
    assert {"id": "web/manager", "required": False} in before  # type: ignore[operator]


def test_a_policy_left_out_of_a_declared_list_is_a_removal() -> None:
    assert [d[0] for d in _diffs({"policies": [LIVE["policies"][0]]})] == ["policies[p]"]  # type: ignore[index]


def test_export_writes_keycloaks_json_text() -> None:
    exported = export_settings(view(LIVE))
    assert exported is not None
    roles = json.loads(exported["policies"][0]["config"]["roles"])
    assert roles == [{"id": "admin", "required": True}, {"id": "web/manager", "required": False}]  # sorted
    assert exported["resources"][0]["scopes"] == [{"name": "export"}]
    assert _diffs(exported) == []


@pytest.mark.parametrize("value", ['[{"id":', "{}", "[1]", '[{"required": true}]'])
def test_malformed_references_are_refused(value: str) -> None:
    with pytest.raises(BadReference):
        parse_refs("roles", value)
