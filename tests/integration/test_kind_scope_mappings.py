"""The scope-mapping kind against a real Keycloak: declared as configured is no change, one container at
a time is exactly that change, apply then plan is no change, removal (taking an entry out changes
nothing, with or without prune; ``roles: []`` removes), an export of a realm configured by hand plans
as no change, drift shows a hand edit, and a client with ``fullScopeAllowed: false`` gets exactly the
mapped roles in a real token."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.oidc import Realm, unverified_claims
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
SECRET = "web-secret-for-tests"


def _base(realm: str) -> Doc:
    return {
        "realm": realm,
        "roles": {
            "realm": [{"name": "reader"}, {"name": "writer"}],
            "client": {"api": [{"name": "read"}, {"name": "write"}]},
        },
        "clients": [
            {"clientId": "api", "bearerOnly": True},
            {
                "clientId": "web",
                "publicClient": False,
                "secret": SECRET,
                "directAccessGrantsEnabled": True,
                "fullScopeAllowed": False,
            },
        ],
        "clientScopes": [{"name": "writing", "protocol": "openid-connect"}],
    }


def _mappings(api: AdminClient, realm: str, holder: str, name: str) -> tuple[set[str], dict[str, set[str]]]:
    """(realm role names, roleClientId -> role names) mapped to a client or client scope."""
    if holder == "client":
        uuid = api.get(f"/{seg(realm)}/clients", {"clientId": name})[0]["id"]
        rep = api.get(f"/{seg(realm)}/clients/{uuid}/scope-mappings")
    else:
        scope = next(s for s in api.get(f"/{seg(realm)}/client-scopes") if s["name"] == name)
        rep = api.get(f"/{seg(realm)}/client-scopes/{scope['id']}/scope-mappings")
    realm_roles = {r["name"] for r in rep.get("realmMappings") or []}
    clients = {
        m["client"]: {r["name"] for r in m["mappings"]} for m in (rep.get("clientMappings") or {}).values()
    }
    return realm_roles, clients


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_declared_as_configured_then_one_container_at_a_time(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc = _base(fresh_realm)
    doc["scopeMappings"] = [{"client": "web", "roles": ["reader"]}, {"clientScope": "writing", "roles": []}]
    doc["clientScopeMappings"] = {"api": [{"client": "web", "roles": ["read"]}]}
    kcr.write(doc)
    planned = _changes(kcr)
    # Made with their holders in one apply: a create per holder, after the clients and roles.
    assert [c[:3] for c in planned if c[0] == "scope-mapping"] == [
        ("scope-mapping", "client:web", Action.CREATE),
        ("scope-mapping", "clientScope:writing", Action.CREATE),
    ]
    kcr.apply_converged()
    assert _mappings(admin_api, fresh_realm, "client", "web") == ({"reader"}, {"api": {"read"}})
    assert _changes(kcr) == []

    steps: list[tuple[str, Any, str, str]] = [
        ("scopeMappings", [{"client": "web", "roles": ["reader", "writer"]}], "client:web", "realmRoles"),
        ("scopeMappings", [{"client": "web", "roles": ["writer"]}], "client:web", "realmRoles"),
        (
            "clientScopeMappings",
            {"api": [{"client": "web", "roles": ["write"]}]},
            "client:web",
            "clientRoles.api",
        ),
        (
            "scopeMappings",
            [{"client": "web", "roles": ["writer"]}, {"clientScope": "writing", "roles": ["writer"]}],
            "clientScope:writing",
            "realmRoles",
        ),
    ]
    for section, value, key, path in steps:
        doc = copy.deepcopy(doc)
        doc[section] = value
        kcr.write(doc)
        assert _changes(kcr) == [("scope-mapping", key, Action.UPDATE, (path,))], (section, value)
        kcr.apply_converged()

    assert _mappings(admin_api, fresh_realm, "client", "web") == ({"writer"}, {"api": {"write"}})
    assert _mappings(admin_api, fresh_realm, "clientScope", "writing") == ({"writer"}, {})
    # Nothing undeclared changed: the mappings Keycloak makes with a realm are as they were.
    assert _mappings(admin_api, fresh_realm, "clientScope", "offline_access") == ({"offline_access"}, {})
    assert _mappings(admin_api, fresh_realm, "client", "account-console") == (
        set(),
        {"account": {"manage-account", "view-groups"}},
    )


def test_removal_with_and_without_prune(kcr: Kcr, admin_api: AdminClient, fresh_realm: str) -> None:
    doc = _base(fresh_realm)
    doc["scopeMappings"] = [{"client": "web", "roles": ["reader"]}]
    doc["clientScopeMappings"] = {"api": [{"client": "web", "roles": ["read"]}]}
    kcr.write(doc)
    kcr.apply_converged()

    # Taken out of the YAML: Keycloak keeps them, even with every collection pruned.
    undeclared = {k: v for k, v in doc.items() if k not in ("scopeMappings", "clientScopeMappings")}
    prune_all = ["requiredActions", "clientScopes", "clients", "roles", "groups", "users"]
    for policy in ({}, {"policy": {"prune": prune_all}}):
        kcr.write({**undeclared, **policy})
        assert _changes(kcr) == []
    assert _mappings(admin_api, fresh_realm, "client", "web") == ({"reader"}, {"api": {"read"}})

    # roles: [] removes, one container at a time.
    kcr.write({**doc, "scopeMappings": [{"client": "web", "roles": []}]})
    assert _changes(kcr) == [("scope-mapping", "client:web", Action.UPDATE, ("realmRoles",))]
    kcr.apply_converged()
    assert _mappings(admin_api, fresh_realm, "client", "web") == (set(), {"api": {"read"}})
    kcr.write({**doc, "scopeMappings": [], "clientScopeMappings": {"api": [{"client": "web", "roles": []}]}})
    assert _changes(kcr) == [("scope-mapping", "client:web", Action.UPDATE, ("clientRoles.api",))]
    kcr.apply_converged()
    assert _mappings(admin_api, fresh_realm, "client", "web") == (set(), {})


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_shows_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    kcr.write(_base(fresh_realm))
    kcr.apply_converged()
    base = f"/{seg(fresh_realm)}"
    web = admin_api.get(f"{base}/clients", {"clientId": "web"})[0]["id"]
    api = admin_api.get(f"{base}/clients", {"clientId": "api"})[0]["id"]
    scopes = {s["name"]: s["id"] for s in admin_api.get(f"{base}/client-scopes")}
    reader = admin_api.get(f"{base}/roles/reader")
    offline = admin_api.get(f"{base}/roles/offline_access")
    read = admin_api.get(f"{base}/clients/{api}/roles/read")
    admin_api.post(f"{base}/clients/{web}/scope-mappings/realm", [reader])
    admin_api.post(f"{base}/clients/{web}/scope-mappings/clients/{api}", [read])
    admin_api.post(f"{base}/client-scopes/{scopes['writing']}/scope-mappings/clients/{api}", [read])
    # A built-in mapping taken away by hand is exported too (as an empty list).
    admin_api.delete(f"{base}/client-scopes/{scopes['offline_access']}/scope-mappings/realm", [offline])

    folder = kcr.export_plans_no_change(fresh_realm, tmp_path / "export")
    text = (folder / "scope-mappings.yaml").read_text(encoding="utf-8")
    assert "account-console" not in text  # as Keycloak made it: not exported
    assert "offline_access" in text

    # A hand edit of an exported holder is drift.
    writer = admin_api.get(f"{base}/roles/writer")
    admin_api.post(f"{base}/clients/{web}/scope-mappings/realm", [writer])
    drift = kcr.run("drift", str(folder))
    assert drift.exit_code == 2, drift.output
    assert "scope-mapping/client:web" in drift.output
    assert "writer" in drift.output
    assert SECRET not in drift.output


def test_a_client_without_full_scope_gets_exactly_the_mapped_roles_in_its_tokens(
    kcr: Kcr, fresh_realm: str
) -> None:
    doc = _base(fresh_realm)
    doc["users"] = [
        {
            "username": "alice",
            "enabled": True,
            "email": "alice@example.com",
            "firstName": "Alice",
            "lastName": "Example",
            "realmRoles": ["reader", "writer"],
            "clientRoles": {"api": ["read", "write"]},
            "credentials": [{"type": "password", "value": "Alice-password-1", "temporary": False}],
        }
    ]
    doc["scopeMappings"] = [{"client": "web", "roles": ["reader"]}]
    doc["clientScopeMappings"] = {"api": [{"client": "web", "roles": ["read"]}]}
    kcr.write(doc)
    applied = kcr.apply_converged()
    assert SECRET not in applied.output
    realm = Realm(kcr.server.url, fresh_realm)

    def roles() -> tuple[set[str], set[str]]:
        claims = unverified_claims(
            realm.password_grant("web", "alice", "Alice-password-1", SECRET)["access_token"]
        )
        realm_roles = set((claims.get("realm_access") or {}).get("roles") or [])
        api_roles = set(((claims.get("resource_access") or {}).get("api") or {}).get("roles") or [])
        return realm_roles, api_roles

    assert roles() == ({"reader"}, {"read"})

    # A mapping removed by kcr is gone from the next token; one given to a linked scope appears.
    doc["scopeMappings"] = [{"client": "web", "roles": []}, {"clientScope": "writing", "roles": ["writer"]}]
    doc["clients"][1]["defaultClientScopes"] = ["roles", "writing"]
    kcr.write(doc)
    kcr.apply_converged()
    assert roles() == ({"writer"}, {"read"})

    # fullScopeAllowed: true ignores the mappings: every role of the user.
    doc["clients"][1]["fullScopeAllowed"] = True
    kcr.write(doc)
    kcr.apply_converged()
    realm_roles, api_roles = roles()
    assert {"reader", "writer"} <= realm_roles
    assert api_roles == {"read", "write"}
