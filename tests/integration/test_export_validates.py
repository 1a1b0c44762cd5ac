"""A realm as Keycloak exports it is valid input: configure a realm through the Admin API, take its
partial export (plus users and organizations as the API lists them), write it as YAML and as JSON,
and load it without errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.builtins import (
    BUILTIN_CLIENT_ROLES,
    BUILTIN_CLIENT_SCOPES,
    BUILTIN_CLIENTS,
    builtin_realm_roles,
)
from reconciler.desired import load
from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import lacking_builtins

pytestmark = pytest.mark.integration


def configure(api: AdminClient, realm: str) -> None:
    r = f"/{seg(realm)}"
    api.put(
        r,
        {
            "realm": realm,
            "organizationsEnabled": True,
            "eventsEnabled": True,
            "attributes": {"frontendUrl": ""},
        },
    )
    api.post(
        f"{r}/client-scopes",
        {
            "name": "tenant",
            "protocol": "openid-connect",
            "attributes": {"include.in.token.scope": "true"},
            "protocolMappers": [
                {
                    "name": "tenant-attr",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-usermodel-attribute-mapper",
                    "config": {
                        "user.attribute": "tenant",
                        "claim.name": "tenant",
                        "jsonType.label": "String",
                        "access.token.claim": "true",
                    },
                }
            ],
        },
    )
    orders = api.create(
        f"{r}/clients",
        {
            "clientId": "orders-api",
            "publicClient": False,
            "secret": "s3cret",
            "serviceAccountsEnabled": True,
            "redirectUris": ["https://orders.example.com/*"],
            "attributes": {"standard.token.exchange.enabled": "true"},
        },
    )
    api.create(
        f"{r}/clients",
        {"clientId": "web", "publicClient": True, "redirectUris": ["/callback", "+"], "webOrigins": ["+"]},
    )
    api.post(f"{r}/clients/{orders}/roles", {"name": "orders.read", "attributes": {"x": ["1"]}})
    api.post(f"{r}/roles", {"name": "reader", "description": "reads", "attributes": {"tier": ["a", "b"]}})
    api.post(
        f"{r}/roles",
        {
            "name": "admin",
            "composite": True,
            "composites": {"realm": ["reader"], "client": {"orders-api": ["orders.read"]}},
        },
    )
    acme = api.create(f"{r}/groups", {"name": "acme", "attributes": {"k": ["v"]}})
    managers = api.create(f"{r}/groups/{acme}/children", {"name": "managers"})
    api.create(f"{r}/groups/{managers}/children", {"name": "leads"})
    reader = api.get(f"{r}/roles/reader")
    api.post(f"{r}/groups/{managers}/role-mappings/realm", [reader])
    alice = api.create(
        f"{r}/users",
        {
            "username": "alice",
            "email": "alice@acme.example.com",
            "firstName": "A",
            "lastName": "L",
            "enabled": True,
            "groups": ["/acme/managers"],
            "credentials": [{"type": "password", "value": "pw", "temporary": False}],
        },
    )
    api.post(f"{r}/users/{alice}/role-mappings/realm", [reader])
    org = api.create(
        f"{r}/organizations",
        {"name": "Acme", "alias": "acme", "description": "d", "domains": [{"name": "acme.example.com"}]},
    )
    api.post(
        f"{r}/organizations/{org}/members",
        content=json.dumps(alice),
        headers={"Content-Type": "application/json"},
    )


def export(api: AdminClient, realm: str) -> dict[str, Any]:
    r = f"/{seg(realm)}"
    rep: dict[str, Any] = api.request(
        "POST", f"{r}/partial-export", params={"exportClients": "true", "exportGroupsAndRoles": "true"}
    ).json()
    # the partial export holds only service-account users; add the others as GET /users lists them,
    # with their groups, and the organizations with their members (the export writes member objects)
    users = api.get(f"{r}/users", {"briefRepresentation": "false"})
    for user in users:
        user["groups"] = [g["path"] for g in api.get(f"{r}/users/{user['id']}/groups")]
    rep["users"] = [*rep.get("users", []), *users]
    orgs = api.get(f"{r}/organizations", {"briefRepresentation": "false"})
    for org in orgs:
        org["members"] = api.get(f"{r}/organizations/{org['id']}/members")
    rep["organizations"] = orgs
    return rep


def test_a_keycloak_export_loads_without_errors(
    admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    configure(admin_api, empty_realm)
    rep = export(admin_api, empty_realm)
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "realm.json").write_text(json.dumps(rep, indent=2), encoding="utf-8")
    (tmp_path / "yaml").mkdir()
    with (tmp_path / "yaml" / "realm.yaml").open("w", encoding="utf-8") as out:
        YAML().dump(rep, out)

    for form in ("json", "yaml"):
        state = load([str(tmp_path / form)], env={})
        spec = state.realms[empty_realm].spec
        clients = {c["clientId"]: c for c in spec["clients"]}
        assert "secret" not in clients["orders-api"]  # the export masks it: dropped, with a warning
        assert clients["orders-api"]["attributes"]["standard.token.exchange.enabled"] == "true"
        assert "id" not in clients["orders-api"]
        scope = next(s for s in spec["clientScopes"] if s["name"] == "tenant")
        assert scope["protocolMappers"][0]["config"]["claim.name"] == "tenant"
        admin = next(r for r in spec["roles"]["realm"] if r["name"] == "admin")
        assert admin["composites"] == {"realm": ["reader"], "client": {"orders-api": ["orders.read"]}}
        assert spec["groups"][0]["subGroups"][0]["subGroups"][0]["name"] == "leads"
        assert "path" not in spec["groups"][0]
        users = {u.get("username"): u for u in spec["users"]}
        assert users["alice"]["groups"] == ["/acme/managers"]
        assert users["service-account-orders-api"]["serviceAccountClientId"] == "orders-api"
        assert "createdTimestamp" not in users["alice"]
        assert spec["organizations"][0]["members"] == ["alice"]
        assert spec["organizations"][0]["domains"] == [{"name": "acme.example.com", "verified": False}]
        warned = {w.path for w in state.warnings}
        assert "keycloakVersion" in warned
        assert "authenticationFlows" not in warned  # managed: a kind of its own
        registration = "components.org.keycloak.services.clientregistration.policy.ClientRegistrationPolicy"
        assert registration in warned  # a provider type kcr does not manage
        keys = {k["name"] for k in spec["components"]["org.keycloak.keys.KeyProvider"]}
        assert {"rsa-generated", "aes-generated"} <= keys
        assert any(p.startswith("clients[") and p.endswith("].secret") for p in warned)


def test_builtins_match_a_new_realm(admin_api: AdminClient, empty_realm: str) -> None:
    """The built-in names kcr resolves without a declaration are exactly what Keycloak creates (less
    what this server's version does not have yet)."""
    lacking = lacking_builtins(admin_api.server_info())
    rep = admin_api.request(
        "POST",
        f"/{seg(empty_realm)}/partial-export",
        params={"exportClients": "true", "exportGroupsAndRoles": "true"},
    ).json()
    assert {c["clientId"] for c in rep["clients"]} == BUILTIN_CLIENTS
    assert {r["name"] for r in rep["roles"]["realm"]} == builtin_realm_roles(empty_realm)
    client_roles = {cid: {r["name"] for r in roles} for cid, roles in rep["roles"]["client"].items() if roles}
    assert client_roles == {cid: names - lacking for cid, names in BUILTIN_CLIENT_ROLES.items()}
    assert {s["name"] for s in rep["clientScopes"]} == BUILTIN_CLIENT_SCOPES - lacking
