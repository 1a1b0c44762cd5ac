"""Defects found by feeding kcr real-world realm files (issue 13, items 9-17): what Keycloak 26.7
really does with each, confirmed here first, then that kcr converges or refuses offline with a clear
message."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.builtins import (
    BUILTIN_CLIENT_SCOPES,
    MASTER_BUILTIN_REALM_ROLES,
    REALM_MANAGEMENT,
    REALM_MANAGEMENT_AS_CREATED,
    SAML_BUILTIN_CLIENT_SCOPES,
    builtin_scope_protocol,
)
from reconciler.desired.limits import LIMITED, MAX_LENGTH
from reconciler.errors import BadRequest, Forbidden, ServerError
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.server import KeycloakServer
from reconciler.versions import (
    DOT_SEGMENTS_REFUSED,
    GROUP_DESCRIPTION,
    REALM_DISPLAY_NAME_LIMITED,
    REALM_MANAGEMENT_LOCKED,
    has,
    lacking_builtins,
)
from tests.integration.conftest import Doc, Kcr, allow_unmanaged_attributes, find_one

pytestmark = pytest.mark.integration

MASK = "**********"

CLIENT_BOOLEANS = (
    "surrogateAuthRequired",
    "enabled",
    "alwaysDisplayInConsole",
    "bearerOnly",
    "consentRequired",
    "standardFlowEnabled",
    "implicitFlowEnabled",
    "directAccessGrantsEnabled",
    "serviceAccountsEnabled",
    "authorizationServicesEnabled",
    "publicClient",
    "frontchannelLogout",
    "fullScopeAllowed",
)


def realm_doc(realm: str, **spec: Any) -> Doc:
    return {"realm": realm, "enabled": True, **spec}


# -- item 9: booleans Keycloak omits when false ------------------------------------------------------
def test_keycloak_omits_only_authorization_services_enabled_when_false(
    admin_api: AdminClient, empty_realm: str
) -> None:
    admin_api.create(
        f"/{seg(empty_realm)}/clients", {"clientId": "all-false", **dict.fromkeys(CLIENT_BOOLEANS, False)}
    )
    rep = find_one(admin_api, empty_realm, "clients", clientId="all-false")
    assert rep is not None
    assert [b for b in CLIENT_BOOLEANS if b not in rep] == ["authorizationServicesEnabled"]
    # the other kinds' booleans are answered when false
    realm_rep = admin_api.get(f"/{seg(empty_realm)}")
    assert all(
        realm_rep[k] is False for k in ("registrationAllowed", "eventsEnabled", "organizationsEnabled")
    )
    user_id = admin_api.create(
        f"/{seg(empty_realm)}/users", {"username": "off", "enabled": False, "emailVerified": False}
    )
    user = admin_api.get(f"/{seg(empty_realm)}/users/{user_id}")
    assert (user["enabled"], user["emailVerified"]) == (False, False)
    admin_api.post(f"/{seg(empty_realm)}/roles", {"name": "plain"})
    assert admin_api.get(f"/{seg(empty_realm)}/roles/plain")["composite"] is False


def test_authorization_services_disabled_converges(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write(
        realm_doc(
            fresh_realm,
            clients=[
                {"clientId": "app", "publicClient": False, **dict.fromkeys(CLIENT_BOOLEANS[:10], False)}
            ],
        )
    )
    kcr.apply_converged()


# -- item 13: empty user attribute values --------------------------------------------------------------
def test_keycloak_drops_empty_user_attribute_values(admin_api: AdminClient, empty_realm: str) -> None:
    allow_unmanaged_attributes(admin_api, empty_realm, "ENABLED")
    user_id = admin_api.create(
        f"/{seg(empty_realm)}/users", {"username": "user1", "attributes": {"a": [""], "b": ["x", ""]}}
    )
    assert admin_api.get(f"/{seg(empty_realm)}/users/{user_id}")["attributes"] == {"b": ["x"]}


def test_empty_user_attribute_values_converge(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    allow_unmanaged_attributes(admin_api, empty_realm, "ENABLED")
    kcr.write(
        realm_doc(
            empty_realm, users=[{"username": "user1", "attributes": {"a": [""], "b": ["x", ""], "c": ""}}]
        )
    )
    kcr.apply_converged()


# -- item 14: the master realm's own roles ------------------------------------------------------------
def test_master_realm_documents_may_name_masters_builtin_roles(admin_api: AdminClient, kcr: Kcr) -> None:
    live = {r["name"] for r in admin_api.get("/master/roles")}
    assert live >= MASTER_BUILTIN_REALM_ROLES
    kcr.write(
        {
            "realm": "master",
            "groups": [{"name": "platform-admins", "realmRoles": sorted(MASTER_BUILTIN_REALM_ROLES)}],
            "roles": {"realm": [{"name": "ops", "composite": True, "composites": {"realm": ["admin"]}}]},
        }
    )
    validated = kcr.run("validate", kcr.path)
    assert validated.exit_code == 0, validated.output


# -- item 11: secrets of public clients and masked secrets ---------------------------------------------
def test_keycloak_drops_a_public_clients_secret_and_stores_a_masked_one_literally(
    admin_api: AdminClient, empty_realm: str
) -> None:
    realm = f"/{seg(empty_realm)}"
    public = admin_api.create(f"{realm}/clients", {"clientId": "pub", "publicClient": True, "secret": "x-1"})
    assert admin_api.get(f"{realm}/clients/{public}").get("secret") is None
    masked = admin_api.create(f"{realm}/clients", {"clientId": "conf", "publicClient": False, "secret": MASK})
    assert admin_api.get(f"{realm}/clients/{masked}/client-secret")["value"] == MASK


def test_an_exported_client_with_a_masked_secret_converges_without_storing_the_mask(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    kcr.write(
        realm_doc(
            fresh_realm,
            clients=[
                {"clientId": "conf", "publicClient": False, "secret": MASK},
                {"clientId": "pub", "publicClient": True, "secret": MASK},
            ],
        )
    )
    kcr.apply_converged()
    conf = find_one(admin_api, fresh_realm, "clients", clientId="conf")
    assert conf is not None
    secret = admin_api.get(f"/{seg(fresh_realm)}/clients/{conf['id']}/client-secret")["value"]
    assert secret
    assert secret != MASK


# -- item 10: Keycloak's realm-management client -------------------------------------------------------
def test_keycloak_refuses_any_change_to_realm_management_even_to_an_admin(
    admin_api: AdminClient, empty_realm: str
) -> None:
    realm = f"/{seg(empty_realm)}"
    account = find_one(admin_api, empty_realm, "clients", clientId="account")
    assert account is not None
    admin_api.put(f"{realm}/clients/{account['id']}", {**account, "description": "changed"})  # allowed
    live = find_one(admin_api, empty_realm, "clients", clientId=REALM_MANAGEMENT)
    assert live is not None
    if not has(admin_api.server_info(), REALM_MANAGEMENT_LOCKED):  # before 26.7 it takes changes
        admin_api.put(f"{realm}/clients/{live['id']}", {**live, "description": "changed"})
        admin_api.post(f"{realm}/clients/{live['id']}/roles", {"name": "custom"})
        changed = find_one(admin_api, empty_realm, "clients", clientId=REALM_MANAGEMENT)
        assert changed is not None
        assert changed["description"] == "changed"
        return  # kcr refuses such changes offline on every version (the next tests)
    with pytest.raises(Forbidden) as refused:
        admin_api.put(f"{realm}/clients/{live['id']}", live)  # even unchanged
    assert "Keycloak gives no reason" in refused.value.message
    assert "refuses this change to every account" in refused.value.message
    with pytest.raises(Forbidden):
        admin_api.post(f"{realm}/clients/{live['id']}/roles", {"name": "custom"})


def test_realm_management_as_created_matches_keycloak(admin_api: AdminClient, empty_realm: str) -> None:
    rep = admin_api.request(
        "POST", f"/{seg(empty_realm)}/partial-export", params={"exportClients": "true"}
    ).json()
    exported = next(c for c in rep["clients"] if c["clientId"] == REALM_MANAGEMENT)
    for key, value in REALM_MANAGEMENT_AS_CREATED.items():
        if isinstance(value, list):
            assert sorted(exported[key]) == sorted(value), key
        else:
            assert exported[key] == value, key


def test_a_change_to_realm_management_is_refused_offline_and_an_unchanged_one_plans_nothing(
    kcr: Kcr, empty_realm: str
) -> None:
    unchanged = {"clientId": REALM_MANAGEMENT, **REALM_MANAGEMENT_AS_CREATED}
    kcr.write(realm_doc(empty_realm, clients=[{**unchanged, "description": "ours"}]))
    refused = kcr.run("validate", kcr.path)
    assert refused.exit_code == 1
    assert "Keycloak refuses every change to its realm-management client" in refused.output
    assert "description cannot change" in refused.output
    kcr.write(realm_doc(empty_realm, clients=[unchanged]))
    planned = kcr.plan()
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


# -- item 12: a scope of another protocol ---------------------------------------------------------------
def test_keycloak_silently_ignores_a_saml_scope_on_an_oidc_client(
    admin_api: AdminClient, empty_realm: str
) -> None:
    realm = f"/{seg(empty_realm)}"
    protocols = {s["name"]: s["protocol"] for s in admin_api.get(f"{realm}/client-scopes")}
    lacking = lacking_builtins(admin_api.server_info())  # scopes that came with a later version
    assert {n for n, p in protocols.items() if p == "saml"} == SAML_BUILTIN_CLIENT_SCOPES - lacking
    assert {n for n, p in protocols.items() if p != "saml"} == {
        n for n in BUILTIN_CLIENT_SCOPES - lacking if builtin_scope_protocol(n) == "openid-connect"
    }
    client = admin_api.create(
        f"{realm}/clients",
        {"clientId": "web", "defaultClientScopes": ["profile"], "optionalClientScopes": []},
    )
    role_list = next(s["id"] for s in admin_api.get(f"{realm}/client-scopes") if s["name"] == "role_list")
    assert admin_api.put(f"{realm}/clients/{client}/default-client-scopes/{role_list}").status_code == 204
    linked = [s["name"] for s in admin_api.get(f"{realm}/clients/{client}/default-client-scopes")]
    assert linked == ["profile"]


def test_a_saml_scope_on_an_oidc_client_is_refused_offline(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write(
        realm_doc(fresh_realm, clients=[{"clientId": "web", "defaultClientScopes": ["profile", "role_list"]}])
    )
    refused = kcr.run("validate", kcr.path)
    assert refused.exit_code == 1
    expected = "client scope 'role_list' has protocol saml, and this client has protocol openid-connect"
    assert expected in refused.output


# -- item 15: lengths Keycloak fails on with a bare HTTP 500 ---------------------------------------------
ENDPOINTS = {
    "clients": ("clients", "clientId", {}),
    "clientScopes": ("client-scopes", "name", {"protocol": "openid-connect"}),
    "roles": ("roles", "name", {}),
    "groups": ("groups", "name", {}),
    "organizations": ("organizations", "name", {}),
}


def text_of(length: int, field: str, fill: str) -> str:
    prefix = (
        "https://"
        if field.startswith(("rootUrl", "adminUrl", "baseUrl", "redirectUris", "webOrigins"))
        else ""
    )
    return prefix + fill * (length - len(prefix))


def bodies(collection: str, field: str, value: str, n: int) -> list[dict[str, Any]]:
    """Request bodies that put ``value`` where ``field`` (a limits.LIMITED entry) says."""
    if field.endswith("{}"):
        parts: list[dict[str, Any]] = [{field[:-2]: {value: ["v"]}}, {field[:-2]: {"k": [value]}}]
    elif field.endswith("[]"):
        parts = [{field[:-2]: [value]}]
    elif "[]." in field:
        outer, inner = field.split("[].", 1)
        mapper = {"protocol": "openid-connect", "protocolMapper": "oidc-hardcoded-claim-mapper", "config": {}}
        parts = [{outer: [{**mapper, inner: value}]}]
    else:
        parts = [{field: value}]
    _, key, base = ENDPOINTS[collection]
    out = []
    for i, part in enumerate(parts):
        name = f"limit-{n}-{i}"
        body: dict[str, Any] = {**base, key: name}
        if collection == "organizations":
            body.update(alias=name, domains=[{"name": f"{name}.example.com"}])
        out.append({**body, **part})
    return out


def test_keycloak_fails_with_a_bare_500_beyond_255_characters_where_kcr_refuses_offline(
    keycloak: KeycloakServer, fresh_realm: str
) -> None:
    with AdminClient(keycloak.settings(), max_retries=0) as api:
        has_description = has(api.server_info(), GROUP_DESCRIPTION)
        api.post("", {"realm": fresh_realm, "enabled": True, "organizationsEnabled": True})
        realm = f"/{seg(fresh_realm)}"
        n = 0
        for collection, fields in LIMITED.items():
            endpoint = ENDPOINTS[collection][0]
            for field in fields:
                for fill, length in (("a", MAX_LENGTH), ("b", MAX_LENGTH + 1)):
                    for body in bodies(collection, field, text_of(length, field, fill), n := n + 1):
                        if (collection, field) == ("groups", "description") and not has_description:
                            with pytest.raises(BadRequest, match='Unrecognized field "description"'):
                                api.create(f"{realm}/{endpoint}", body)  # kcr refuses it offline there
                            continue
                        if length <= MAX_LENGTH:
                            api.create(f"{realm}/{endpoint}", body)
                            continue
                        with pytest.raises(ServerError) as failed:
                            api.create(f"{realm}/{endpoint}", body)
                        assert failed.value.status == 500, (collection, field)
        if not has(api.server_info(), REALM_DISPLAY_NAME_LIMITED):  # before 26.7: stored whole
            api.put(realm, {"displayName": "d" * (MAX_LENGTH + 1)})
            assert len(api.get(realm)["displayName"]) == MAX_LENGTH + 1
            return
        with pytest.raises(ServerError):
            api.put(realm, {"displayName": "d" * (MAX_LENGTH + 1)})


# -- item 16: names that are URL dot segments -----------------------------------------------------------
def test_no_url_can_address_a_role_named_dot(admin_api: AdminClient, empty_realm: str) -> None:
    realm = f"/{seg(empty_realm)}"
    admin_api.post(f"{realm}/roles", {"name": "."})  # Keycloak makes it...
    assert "." in {r["name"] for r in admin_api.get(f"{realm}/roles")}
    plain = admin_api.get(f"{realm}/roles/.")  # ...but "/roles/." is normalised to "/roles": the list
    assert isinstance(plain, list)
    if not has(admin_api.server_info(), DOT_SEGMENTS_REFUSED):  # before 26.4: normalised the same way
        assert isinstance(admin_api.get(f"{realm}/roles/%2E"), list)
        return
    with pytest.raises(BadRequest) as refused:  # and Keycloak refuses the encoded form
        admin_api.get(f"{realm}/roles/%2E")
    assert "not normalized" in refused.value.message


def test_dot_segment_names_are_refused_offline(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write(realm_doc(fresh_realm, roles={"realm": [{"name": ".."}]}, groups=[{"name": "."}]))
    refused = kcr.run("validate", kcr.path)
    assert refused.exit_code == 1
    assert "name '..' cannot be used: Keycloak's Admin API addresses roles by name" in refused.output
    assert "name '.' cannot be used: Keycloak's Admin API addresses groups by name" in refused.output


# -- item 17: references checked against the live realm at plan time ----------------------------------
def test_a_scope_missing_from_keycloak_fails_the_plan_before_any_write(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    realm = f"/{seg(empty_realm)}"
    jwt = next(s for s in admin_api.get(f"{realm}/client-scopes") if s["name"] == "microprofile-jwt")
    admin_api.delete(f"{realm}/client-scopes/{jwt['id']}")  # a built-in, deleted by hand
    kcr.write(
        realm_doc(
            empty_realm,
            groups=[{"name": "first-write"}],
            clients=[
                {
                    "clientId": "web",
                    "defaultClientScopes": ["profile"],
                    "optionalClientScopes": ["microprofile-jwt"],
                }
            ],
        )
    )
    assert kcr.run("validate", kcr.path).exit_code == 0  # a built-in name: fine offline
    planned = kcr.plan()
    assert planned.exit_code == 1
    assert (
        "realm.yaml:6:5: clients[0].optionalClientScopes[0]: "
        "client scope 'microprofile-jwt' is not declared, "
        f"and realm {empty_realm!r} in Keycloak has no such scope" in planned.output
    )
    applied = kcr.apply()
    assert applied.exit_code == 1
    assert "client scope 'microprofile-jwt' is not declared" in applied.output
    assert admin_api.get(f"{realm}/groups") == []  # nothing written
    assert find_one(admin_api, empty_realm, "clients", clientId="web") is None


def test_any_builtin_missing_from_keycloak_fails_the_plan_before_any_write(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    """The plan-time check follows every kind's references: a built-in realm role deleted by hand."""
    realm = f"/{seg(empty_realm)}"
    admin_api.delete(f"{realm}/roles/uma_authorization")
    kcr.write(
        realm_doc(
            empty_realm,
            groups=[{"name": "first-write", "realmRoles": ["offline_access"]}],
            users=[{"username": "alice", "realmRoles": ["uma_authorization"]}],
        )
    )
    assert kcr.run("validate", kcr.path).exit_code == 0  # a built-in name: fine offline
    planned = kcr.plan()
    assert planned.exit_code == 1
    assert (
        "users[0].realmRoles[0]: realm role 'uma_authorization' is not declared, "
        f"and realm {empty_realm!r} in Keycloak has no such role" in planned.output
    )
    assert "offline_access" not in planned.output  # still there: fine
    assert kcr.apply().exit_code == 1
    assert admin_api.get(f"{realm}/groups") == []  # nothing written
