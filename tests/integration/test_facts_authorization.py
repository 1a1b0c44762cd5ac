"""What Keycloak 26.7 does with a client's authorization services through the Admin API, each fact
proven here (the authorization kind relies on them):

- Enabling ``authorizationServicesEnabled`` on a client (with its service account) makes an EMPTY
  resource server: no default resource, policy or permission (before 26.5, versions.AUTHORIZATION_EMPTY:
  Default Resource, Default Policy, a JavaScript policy, and Default Permission naming both, which the
  fixture below deletes so that every version's tests start alike); settings ``ENFORCING``, ``UNANIMOUS``,
  remote resource management allowed. It also makes the client role ``uma_protection`` and gives it to
  the client's service account.
- ``GET .../authz/resource-server/settings`` answers the export's shape, references by name in JSON
  text: realm roles by name, client roles as ``clientId/role``, groups by path, users by username,
  clients by clientId, and policies, resources and scopes by name.
- ``POST .../import`` creates what is new (resolving those names), sets the three settings, and
  deletes nothing. What it does to an existing resource is not dependable (in one realm it replaced the
  ``uris``, in another it left them as they were), so kcr imports only new items and updates existing
  ones by ``PUT .../{resource|scope|policy}/{id}``, where a policy's ``config`` and a resource's
  ``scopes`` may name things by name too.
- ``GET .../{policy|resource|scope}?first=0&max=-1`` lists every item with its id (``_id`` for
  resources); ``/policy`` lists permissions too.
- Deleting a resource deletes the permissions that named only it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import AUTHORIZATION_EMPTY, has
from tests.integration.conftest import find_one

pytestmark = pytest.mark.integration

ALL = {"first": 0, "max": -1}
# What enabling made, per resource server (before the fixture removed Keycloak's defaults).
MADE: dict[str, dict[str, Any]] = {}
DEFAULTS = {"policy": ("Default Permission", "Default Policy"), "resource": ("Default Resource",)}


@pytest.fixture
def server(admin_api: AdminClient, empty_realm: str) -> str:
    base = f"/{seg(empty_realm)}"
    admin_api.post(f"{base}/roles", {"name": "manager"})
    admin_api.post(f"{base}/groups", {"name": "acme"})
    admin_api.post(f"{base}/users", {"username": "alice", "enabled": True})
    admin_api.post(
        f"{base}/clients",
        {
            "clientId": "api",
            "publicClient": False,
            "serviceAccountsEnabled": True,
            "authorizationServicesEnabled": True,
        },
    )
    client = find_one(admin_api, empty_realm, "clients", clientId="api")
    assert client is not None
    admin_api.post(f"{base}/clients/{seg(client['id'])}/roles", {"name": "auditor"})
    path = f"{base}/clients/{seg(client['id'])}/authz/resource-server"
    MADE[path] = admin_api.get(f"{path}/settings")
    if not has(admin_api.server_info(), AUTHORIZATION_EMPTY):
        for what, names in DEFAULTS.items():
            for name in names:
                admin_api.delete(f"{path}/{what}/{_names(admin_api, path, what)[name]}")
    return path


def _names(api: AdminClient, server: str, what: str) -> dict[str, Any]:
    key = "_id" if what == "resource" else "id"
    return {i["name"]: i[key] for i in api.get(f"{server}/{what}", ALL)}


def test_enabling_makes_an_empty_resource_server_and_a_uma_protection_role(
    admin_api: AdminClient, empty_realm: str, server: str
) -> None:
    made = MADE[server]
    settings = ("allowRemoteResourceManagement", "policyEnforcementMode", "decisionStrategy")
    assert [made[k] for k in settings] == [True, "ENFORCING", "UNANIMOUS"]
    if has(admin_api.server_info(), AUTHORIZATION_EMPTY):
        assert (made["resources"], made["policies"], made["scopes"]) == ([], [], [])
    else:
        assert [r["name"] for r in made["resources"]] == ["Default Resource"]
        policies = {p["name"]: p for p in made["policies"]}
        assert {n: p["type"] for n, p in policies.items()} == {
            "Default Policy": "js",
            "Default Permission": "resource",
        }
        assert "$evaluation.grant()" in policies["Default Policy"]["config"]["code"]
        assert json.loads(policies["Default Permission"]["config"]["applyPolicies"]) == ["Default Policy"]
        assert made["scopes"] == []
    client = find_one(admin_api, empty_realm, "clients", clientId="api")
    assert client is not None
    roles = {r["name"] for r in admin_api.get(f"/{seg(empty_realm)}/clients/{seg(client['id'])}/roles")}
    assert roles == {"uma_protection", "auditor"}
    account = admin_api.get(f"/{seg(empty_realm)}/clients/{seg(client['id'])}/service-account-user")
    mapped = admin_api.get(
        f"/{seg(empty_realm)}/users/{seg(account['id'])}/role-mappings/clients/{seg(client['id'])}"
    )
    assert [r["name"] for r in mapped] == ["uma_protection"]


def test_settings_name_every_reference(admin_api: AdminClient, server: str) -> None:
    admin_api.post(f"{server}/scope", {"name": "export"})
    admin_api.post(
        f"{server}/resource", {"name": "reports", "uris": ["/r/*"], "scopes": [{"name": "export"}]}
    )
    admin_api.post(
        f"{server}/policy/role",
        {"name": "roles", "roles": [{"id": "manager", "required": True}, {"id": "api/auditor"}]},
    )
    admin_api.post(f"{server}/policy/group", {"name": "groups", "groups": [{"path": "/acme"}]})
    admin_api.post(f"{server}/policy/user", {"name": "users", "users": ["alice"]})
    admin_api.post(f"{server}/policy/client", {"name": "clients", "clients": ["api"]})
    admin_api.post(f"{server}/policy/aggregate", {"name": "either", "policies": ["roles", "users"]})
    admin_api.post(
        f"{server}/permission/scope",
        {"name": "export", "resources": ["reports"], "scopes": ["export"], "policies": ["either"]},
    )
    settings = admin_api.get(f"{server}/settings")
    # (in no particular order: Keycloak keeps them as sets)
    config = {
        p["name"]: {k: sorted(json.loads(v), key=json.dumps) for k, v in p["config"].items()}
        for p in settings["policies"]
    }
    assert config == {
        "roles": {"roles": [{"id": "api/auditor", "required": False}, {"id": "manager", "required": True}]},
        "groups": {"groups": [{"path": "/acme", "extendChildren": False}]},
        "users": {"users": ["alice"]},
        "clients": {"clients": ["api"]},
        "either": {"applyPolicies": ["roles", "users"]},
        "export": {"resources": ["reports"], "scopes": ["export"], "applyPolicies": ["either"]},
    }
    assert settings["resources"][0]["scopes"] == [{"name": "export"}]


def test_import_creates_and_deletes_nothing_and_put_updates_by_name(
    admin_api: AdminClient, server: str
) -> None:
    admin_api.post(f"{server}/scope", {"name": "export"})
    admin_api.post(f"{server}/resource", {"name": "reports", "uris": ["/r/*"]})
    admin_api.post(f"{server}/policy/role", {"name": "managers", "roles": [{"id": "manager"}]})
    admin_api.post(
        f"{server}/import",
        {
            "policyEnforcementMode": "PERMISSIVE",
            "decisionStrategy": "AFFIRMATIVE",
            "allowRemoteResourceManagement": False,
            "scopes": [{"name": "view"}],
            "resources": [{"name": "docs", "uris": ["/docs"], "scopes": [{"name": "view"}]}],
            "policies": [
                {
                    "name": "docs",
                    "type": "resource",
                    "config": {"resources": '["docs"]', "applyPolicies": '["managers"]'},
                },
            ],
        },
    )
    settings = admin_api.get(f"{server}/settings")
    assert (settings["policyEnforcementMode"], settings["decisionStrategy"]) == ("PERMISSIVE", "AFFIRMATIVE")
    assert settings["allowRemoteResourceManagement"] is False
    resources = {r["name"]: r for r in settings["resources"]}
    assert resources["docs"]["scopes"] == [{"name": "view"}]
    assert set(resources) == {"reports", "docs"}
    policies = {p["name"]: p["config"] for p in settings["policies"]}
    assert json.loads(policies["docs"]["applyPolicies"]) == ["managers"]
    assert {s["name"] for s in settings["scopes"]} == {"export", "view"}  # nothing deleted

    # Existing items: PUT by id, names allowed inside.
    resource_id = _names(admin_api, server, "resource")["reports"]
    admin_api.put(
        f"{server}/resource/{resource_id}",
        {"_id": resource_id, "name": "reports", "uris": ["/changed/*"], "scopes": [{"name": "export"}]},
    )
    policy_id = _names(admin_api, server, "policy")["managers"]
    admin_api.put(
        f"{server}/policy/{policy_id}",
        {
            "id": policy_id,
            "name": "managers",
            "type": "role",
            "logic": "NEGATIVE",
            "config": {"roles": '[{"id":"api/auditor"}]'},
        },
    )
    settings = admin_api.get(f"{server}/settings")
    reports = next(r for r in settings["resources"] if r["name"] == "reports")
    assert (reports["uris"], reports["scopes"]) == (["/changed/*"], [{"name": "export"}])
    managers = next(p for p in settings["policies"] if p["name"] == "managers")
    assert managers["logic"] == "NEGATIVE"
    assert json.loads(managers["config"]["roles"]) == [{"id": "api/auditor", "required": False}]


def test_deleting_a_resource_deletes_the_permissions_that_named_only_it(
    admin_api: AdminClient, server: str
) -> None:
    admin_api.post(f"{server}/resource", {"name": "a"})
    admin_api.post(f"{server}/resource", {"name": "b"})
    admin_api.post(f"{server}/policy/role", {"name": "managers", "roles": [{"id": "manager"}]})
    admin_api.post(
        f"{server}/permission/resource", {"name": "only a", "resources": ["a"], "policies": ["managers"]}
    )
    admin_api.post(
        f"{server}/permission/resource",
        {"name": "a and b", "resources": ["a", "b"], "policies": ["managers"]},
    )
    assert set(_names(admin_api, server, "policy")) == {"managers", "only a", "a and b"}
    admin_api.delete(f"{server}/resource/{_names(admin_api, server, 'resource')['a']}")
    assert set(_names(admin_api, server, "policy")) == {"managers", "a and b"}
