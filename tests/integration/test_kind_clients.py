"""Client scopes, realm default scopes and clients against a real Keycloak: plan, apply, idempotence,
and the Admin API facts the kinds rely on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.errors import Conflict, DesiredStateError
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.base import Kind
from reconciler.kinds.client import ClientKind
from reconciler.kinds.client_scope import ClientScopeKind, DefaultClientScopesKind
from reconciler.kinds.realm import RealmKind
from reconciler.plan import Action, Plan
from reconciler.versions import SERVICE_ACCOUNT_SCOPE, has, lacking_builtins

pytestmark = pytest.mark.integration

KINDS: list[Kind] = [ClientScopeKind(), DefaultClientScopesKind(), ClientKind()]
SECRET = "orders-api-secret-4f1c9b"
NEW_SECRET = "rotated-secret-93ab1e"
# Keycloak 26.7's realm defaults for new clients (older versions lack some: realm_default).
REALM_DEFAULT = [
    "AuthnContextClassRef",
    "acr",
    "basic",
    "email",
    "profile",
    "role_list",
    "roles",
    "saml_organization",
    "web-origins",
]
REALM_OPTIONAL = ["address", "microprofile-jwt", "offline_access", "organization", "phone"]

Spec = dict[str, Any]


def scope_spec() -> Spec:
    return {
        "name": "orders",
        "description": "Access to orders",
        "protocol": "openid-connect",
        "attributes": {"include.in.token.scope": True, "display.on.consent.screen": "false"},
        "protocolMappers": [
            {
                "name": "tenant",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {
                    "claim.name": "tenant",
                    "claim.value": "acme",
                    "access.token.claim": "true",
                    "jsonType.label": "String",
                },
            }
        ],
    }


def client_spec() -> Spec:
    return {
        "clientId": "orders-api",
        "description": "Orders API",
        "publicClient": False,
        "secret": SECRET,
        "serviceAccountsEnabled": True,
        "standardFlowEnabled": True,
        "redirectUris": ["https://orders.example.com/cb", "https://orders.example.com/alt"],
        "webOrigins": ["https://orders.example.com"],
        "attributes": {"standard.token.exchange.enabled": True, "pkce.code.challenge.method": "S256"},
        "protocolMappers": [
            {
                "name": "audience",
                "protocol": "openid-connect",
                "protocolMapper": "oidc-audience-mapper",
                "config": {"included.custom.audience": "orders", "access.token.claim": True},
            }
        ],
        "defaultClientScopes": ["profile", "email", "orders"],
        "optionalClientScopes": ["phone"],
    }


def realm_default(api: AdminClient) -> list[str]:
    """The realm defaults for new clients on this server's version."""
    lacking = lacking_builtins(api.server_info())
    return [name for name in REALM_DEFAULT if name not in lacking]


def with_service_account_link(api: AdminClient, links: list[str]) -> list[str]:
    """``links`` and, from 26.2 on, the service_account scope Keycloak links a service-account client to."""
    return sorted([*links, "service_account"] if has(api.server_info(), SERVICE_ACCOUNT_SCOPE) else links)


def full_spec(api: AdminClient) -> Spec:
    return {
        "clientScopes": [scope_spec()],
        "clients": [client_spec()],
        "defaultDefaultClientScopes": realm_default(api),
        "defaultOptionalClientScopes": list(REALM_OPTIONAL),
    }


def state(realm: str, spec: Spec) -> DesiredState:
    return DesiredState(realms={realm: DesiredRealm(name=realm, spec=spec)})


def plan_for(api: AdminClient, realm: str, spec: Spec, kinds: list[Kind] = KINDS) -> Plan:
    return make_plan(api, state(realm, spec), kinds=kinds)[0]


def apply(api: AdminClient, realm: str, spec: Spec, kinds: list[Kind] = KINDS) -> Plan:
    desired = state(realm, spec)
    plan, lives = make_plan(api, desired, kinds=kinds)
    apply_plan(api, plan, desired, lives)
    return plan


def writes(api: AdminClient) -> int:
    return sum(n for m, n in api.requests.items() if m not in ("GET", "HEAD", "EXPORT", "TOKEN"))


def get_client(api: AdminClient, realm: str, client_id: str) -> dict[str, Any]:
    reps = api.get(f"/{seg(realm)}/clients", {"clientId": client_id})
    assert len(reps) == 1
    rep: dict[str, Any] = reps[0]
    return rep


def get_scope(api: AdminClient, realm: str, name: str) -> dict[str, Any]:
    return next(s for s in api.get(f"/{seg(realm)}/client-scopes") if s["name"] == name)


def names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(i["name"] for i in items)


@pytest.fixture
def configured(admin_api: AdminClient, empty_realm: str) -> str:
    """A realm where the scope and the client of ``full_spec`` were made by hand, through the Admin API."""
    r = seg(empty_realm)
    admin_api.post(
        f"/{r}/client-scopes",
        {
            **scope_spec(),
            "attributes": {
                "include.in.token.scope": "true",
                "display.on.consent.screen": "false",
                "gui.order": "5",
            },
        },
    )
    body = client_spec()
    body["attributes"] = {
        "standard.token.exchange.enabled": "true",
        "pkce.code.challenge.method": "S256",
        "by-hand": "kept",
    }
    mapper = body["protocolMappers"][0]
    mapper["config"] = {**mapper["config"], "access.token.claim": "true", "id.token.claim": "false"}
    admin_api.post(f"/{r}/clients", body)
    return empty_realm


# -- 1. hand-made configuration, declared the same: no changes -----------------------------------
def test_hand_made_configuration_declared_the_same_has_no_changes(
    admin_api: AdminClient, configured: str
) -> None:
    plan = plan_for(admin_api, configured, full_spec(admin_api))
    assert plan.changes == []
    # Built-ins are neither changes nor unmanaged objects.
    assert plan.unmanaged == []


# -- 2 and 3. one declared field changed: exactly that change, applied idempotently ---------------
def _client(spec: Spec) -> Spec:
    result: Spec = spec["clients"][0]
    return result


def _scope(spec: Spec) -> Spec:
    result: Spec = spec["clientScopes"][0]
    return result


def _set(getter: Callable[[Spec], Spec], field: str, value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        getter(spec)[field] = value

    return mutate


def _mapper_config(getter: Callable[[Spec], Spec], key: str, value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        getter(spec)["protocolMappers"][0]["config"][key] = value

    return mutate


def _attribute(getter: Callable[[Spec], Spec], key: str, value: Any) -> Callable[[Spec], None]:
    def mutate(spec: Spec) -> None:
        getter(spec)["attributes"][key] = value

    return mutate


def _move_phone_to_default(spec: Spec) -> None:
    _client(spec)["defaultClientScopes"].append("phone")
    _client(spec)["optionalClientScopes"] = []


def _realm_address_to_default(spec: Spec) -> None:
    spec["defaultDefaultClientScopes"].append("address")
    spec["defaultOptionalClientScopes"].remove("address")


def _realm_orders_optional(spec: Spec) -> None:
    spec["defaultOptionalClientScopes"].append("orders")


CASES: dict[str, tuple[Callable[[Spec], None], str, tuple[str, ...]]] = {
    "redirect-uri": (
        _set(_client, "redirectUris", ["https://orders.example.com/cb"]),
        "client",
        ("redirectUris",),
    ),
    "web-origin": (_set(_client, "webOrigins", ["+"]), "client", ("webOrigins",)),
    "client-attribute": (
        _attribute(_client, "standard.token.exchange.enabled", False),
        "client",
        ("attributes.standard.token.exchange.enabled",),
    ),
    "client-mapper-config": (
        _mapper_config(_client, "included.custom.audience", "billing"),
        "client",
        ("protocolMappers[audience].config.included.custom.audience",),
    ),
    "client-mapper-removed": (_set(_client, "protocolMappers", []), "client", ("protocolMappers[audience]",)),
    "secret": (_set(_client, "secret", NEW_SECRET), "client", ("secret",)),
    "client-description": (_set(_client, "description", "Orders, v2"), "client", ("description",)),
    "default-scope-link-dropped": (
        _set(_client, "defaultClientScopes", ["profile", "orders"]),
        "client",
        ("defaultClientScopes",),
    ),
    "scope-link-moved": (_move_phone_to_default, "client", ("defaultClientScopes", "optionalClientScopes")),
    "scope-description": (
        _set(_scope, "description", "Orders, all of them"),
        "client-scope",
        ("description",),
    ),
    "scope-attribute": (
        _attribute(_scope, "display.on.consent.screen", True),
        "client-scope",
        ("attributes.display.on.consent.screen",),
    ),
    "scope-mapper-config": (
        _mapper_config(_scope, "claim.value", "globex"),
        "client-scope",
        ("protocolMappers[tenant].config.claim.value",),
    ),
    "realm-default-moved": (
        _realm_address_to_default,
        "default-client-scopes",
        ("defaultDefaultClientScopes", "defaultOptionalClientScopes"),
    ),
    "realm-optional-added": (
        _realm_orders_optional,
        "default-client-scopes",
        ("defaultOptionalClientScopes",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_changed_field_is_exactly_one_change_and_applies_idempotently(
    admin_api: AdminClient, configured: str, case: str
) -> None:
    mutate, kind, changed = CASES[case]
    spec = full_spec(admin_api)
    mutate(spec)
    desired = state(configured, spec)
    plan, lives = make_plan(admin_api, desired, kinds=KINDS)
    assert [(c.kind, c.action, c.changed_paths) for c in plan.changes] == [(kind, Action.UPDATE, changed)]
    dumped = plan.dumps()
    assert SECRET not in dumped
    assert NEW_SECRET not in dumped
    if case == "secret":
        assert plan.changes[0].before == {"secret": "(sensitive value)"}
        assert plan.changes[0].after == {"secret": "(sensitive value)"}

    apply_plan(admin_api, plan, desired, lives)
    before = writes(admin_api)
    again = plan_for(admin_api, configured, spec)
    assert again.changes == []
    assert writes(admin_api) == before

    # Nothing undeclared was touched.
    client = get_client(admin_api, configured, "orders-api")
    assert client["attributes"]["by-hand"] == "kept"
    assert client["serviceAccountsEnabled"] is True
    if _client(spec)["protocolMappers"]:
        # by name: before 26.2 the client also has Keycloak's three service-account mappers
        declared = _client(spec)["protocolMappers"][0]["name"]
        mapper = next(m for m in client["protocolMappers"] if m["name"] == declared)
        assert mapper["config"]["id.token.claim"] == "false"
    scope = get_scope(admin_api, configured, "orders")
    assert scope["attributes"]["gui.order"] == "5"
    assert scope["protocolMappers"][0]["config"]["jsonType.label"] == "String"
    if case == "secret":
        assert client["secret"] == NEW_SECRET


def test_a_mapper_renamed_on_a_scope_replaces_the_old_one(admin_api: AdminClient, configured: str) -> None:
    spec = full_spec(admin_api)
    _scope(spec)["protocolMappers"][0]["name"] = "tenant-claim"
    plan = apply(admin_api, configured, spec)
    assert [c.changed_paths for c in plan.changes] == [
        ("protocolMappers[tenant-claim]", "protocolMappers[tenant]")
    ]
    assert names(get_scope(admin_api, configured, "orders")["protocolMappers"]) == ["tenant-claim"]
    assert plan_for(admin_api, configured, spec).changes == []


# -- 3. creates from scratch ---------------------------------------------------------------------
def test_everything_created_from_scratch_then_no_changes(admin_api: AdminClient, empty_realm: str) -> None:
    spec = full_spec(admin_api)
    spec["defaultOptionalClientScopes"].append("orders")
    only_defaults = {"clientId": "only-defaults", "publicClient": True, "defaultClientScopes": ["profile"]}
    spec["clients"].append(only_defaults)
    plan = apply(admin_api, empty_realm, spec)
    assert sorted((c.kind, c.action.value) for c in plan.changes) == [
        ("client", "create"),
        ("client", "create"),
        ("client-scope", "create"),
        ("default-client-scopes", "update"),
    ]
    assert SECRET not in plan.dumps()
    assert plan_for(admin_api, empty_realm, spec).changes == []

    client = get_client(admin_api, empty_realm, "orders-api")
    assert client["secret"] == SECRET
    links = with_service_account_link(admin_api, ["email", "orders", "profile"])
    assert sorted(client["defaultClientScopes"]) == links
    assert client["optionalClientScopes"] == ["phone"]
    sa_user = admin_api.get(f"/{seg(empty_realm)}/clients/{seg(client['id'])}/service-account-user")
    assert sa_user["username"] == "service-account-orders-api"
    # Only the default list was declared: the optional links stay the realm's (OIDC) defaults.
    other = get_client(admin_api, empty_realm, "only-defaults")
    assert other["defaultClientScopes"] == ["profile"]
    assert sorted(other["optionalClientScopes"]) == sorted([*REALM_OPTIONAL, "orders"])


def test_new_realm_with_scopes_and_clients_in_one_apply(admin_api: AdminClient, fresh_realm: str) -> None:
    spec = {"realm": fresh_realm, **full_spec(admin_api)}
    spec["defaultDefaultClientScopes"].append("orders")
    kinds: list[Kind] = [RealmKind(), *KINDS]
    plan = apply(admin_api, fresh_realm, spec, kinds)
    assert [c.kind for c in plan.changes] == ["realm", "client-scope", "default-client-scopes", "client"]
    assert plan_for(admin_api, fresh_realm, spec, kinds).changes == []
    assert "orders" in names(admin_api.get(f"/{seg(fresh_realm)}/default-default-client-scopes"))


def test_client_created_then_deleted_when_declared_absent(admin_api: AdminClient, empty_realm: str) -> None:
    spec: Spec = {
        "clients": [{"clientId": "temp", "publicClient": True}],
        "clientScopes": [{"name": "temp-scope"}],
    }
    apply(admin_api, empty_realm, spec)
    assert get_client(admin_api, empty_realm, "temp")["publicClient"] is True
    assert get_scope(admin_api, empty_realm, "temp-scope")["protocol"] == "openid-connect"
    spec = {
        "clients": [{"clientId": "temp", "state": "absent"}],
        "clientScopes": [{"name": "temp-scope", "state": "absent"}],
    }
    plan = apply(admin_api, empty_realm, spec)
    assert [(c.kind, c.action) for c in plan.changes] == [
        ("client", Action.DELETE),
        ("client-scope", Action.DELETE),
    ]
    assert admin_api.get(f"/{seg(empty_realm)}/clients", {"clientId": "temp"}) == []
    assert plan_for(admin_api, empty_realm, spec).changes == []


def test_unknown_scope_name_fails_before_any_write(admin_api: AdminClient, empty_realm: str) -> None:
    spec: Spec = {"clients": [{"clientId": "x", "defaultClientScopes": ["nope"], "optionalClientScopes": []}]}
    with pytest.raises(DesiredStateError, match="client scope 'nope' is not declared"):
        apply(admin_api, empty_realm, spec)  # refused by the plan, before the apply begins
    assert admin_api.get(f"/{seg(empty_realm)}/clients", {"clientId": "x"}) == []


# -- 4. Keycloak's defaults and built-ins ------------------------------------------------------------
def builtin_spec(api: AdminClient, realm: str) -> Spec:
    return {
        "clients": [
            {"clientId": "account", "publicClient": True, "redirectUris": [f"/realms/{realm}/account/*"]},
            {"clientId": "admin-cli", "publicClient": True, "enabled": True},
            {"clientId": "realm-management", "bearerOnly": True},
        ],
        "clientScopes": [
            {"name": "profile", "protocol": "openid-connect", "attributes": {"include.in.token.scope": True}},
            {"name": "email", "attributes": {"display.on.consent.screen": True}},
        ],
        "defaultDefaultClientScopes": realm_default(api),
        "defaultOptionalClientScopes": list(REALM_OPTIONAL),
    }


def test_untouched_realm_with_a_few_builtin_fields_declared_has_no_changes(
    admin_api: AdminClient, empty_realm: str
) -> None:
    plan = plan_for(admin_api, empty_realm, builtin_spec(admin_api, empty_realm))
    assert plan.changes == []
    assert plan.unmanaged == []


def test_declared_builtins_are_updated_not_created(admin_api: AdminClient, empty_realm: str) -> None:
    spec = builtin_spec(admin_api, empty_realm)
    spec["clients"][0]["redirectUris"].append("https://portal.example.com/*")
    spec["clientScopes"][0]["description"] = "Profile, as we like it"
    plan = apply(admin_api, empty_realm, spec)
    assert [(c.key, c.action, c.changed_paths) for c in plan.changes] == [
        ("profile", Action.UPDATE, ("description",)),
        ("account", Action.UPDATE, ("redirectUris",)),
    ]
    assert plan_for(admin_api, empty_realm, spec).changes == []
    profile = get_scope(admin_api, empty_realm, "profile")
    assert len(profile["protocolMappers"]) == 14  # mappers not declared: untouched


# -- the Admin API facts the kinds rely on ---------------------------------------------------------
class TestAdminApiFacts:
    def test_client_get_returns_the_secret_and_post_defaults(
        self, admin_api: AdminClient, empty_realm: str
    ) -> None:
        admin_api.post(f"/{seg(empty_realm)}/clients", {"clientId": "bare"})
        bare = get_client(admin_api, empty_realm, "bare")
        # Neither publicClient nor bearerOnly: confidential, with a generated secret in clear text.
        assert (bare["publicClient"], bare["bearerOnly"], bare["directAccessGrantsEnabled"]) == (
            False,
            False,
            False,
        )
        assert len(bare["secret"]) > 20
        assert sorted(bare["defaultClientScopes"]) == [
            "acr",
            "basic",
            "email",
            "profile",
            "roles",
            "web-origins",
        ]
        admin_api.post(
            f"/{seg(empty_realm)}/clients", {"clientId": "one-list", "defaultClientScopes": ["email"]}
        )
        one = get_client(admin_api, empty_realm, "one-list")
        # One list declared on create replaces the realm defaults and empties the other list.
        assert (one["defaultClientScopes"], one["optionalClientScopes"]) == (["email"], [])
        admin_api.post(f"/{seg(empty_realm)}/clients", {"clientId": "typo", "defaultClientScopes": ["nope"]})
        assert get_client(admin_api, empty_realm, "typo")["defaultClientScopes"] == []

    def test_client_put_replaces_mappers_merges_attributes_ignores_links(
        self, admin_api: AdminClient, configured: str
    ) -> None:
        rep = get_client(admin_api, configured, "orders-api")
        path = f"/{seg(configured)}/clients/{seg(rep['id'])}"
        audience = next(m for m in rep["protocolMappers"] if m["name"] == "audience")
        old_mapper_id = audience["id"]
        admin_api.put(
            path,
            {
                "clientId": "orders-api",
                "protocolMappers": [
                    {**audience, "config": {"included.custom.audience": "z"}},
                    {
                        "name": "extra",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-audience-mapper",
                        "config": {"included.custom.audience": "y"},
                    },
                ],
                "attributes": {"new": "1", "pkce.code.challenge.method": None},
                "defaultClientScopes": ["profile"],
            },
        )
        after = get_client(admin_api, configured, "orders-api")
        by_name = {m["name"]: m for m in after["protocolMappers"]}
        assert by_name["audience"]["id"] == old_mapper_id
        assert by_name["audience"]["config"] == {"included.custom.audience": "z"}  # config replaced
        assert set(by_name) == {"audience", "extra"}
        assert after["attributes"]["by-hand"] == "kept"
        assert after["attributes"]["new"] == "1"
        assert "pkce.code.challenge.method" not in after["attributes"]
        links = with_service_account_link(admin_api, ["email", "orders", "profile"])
        assert sorted(after["defaultClientScopes"]) == links
        assert after["serviceAccountsEnabled"] is True  # omitted on PUT: kept
        admin_api.put(path, {"clientId": "orders-api", "protocolMappers": []})
        assert "protocolMappers" not in get_client(admin_api, configured, "orders-api")

    def test_scope_put_merges_attributes_and_leaves_mappers(
        self, admin_api: AdminClient, configured: str
    ) -> None:
        scope = get_scope(admin_api, configured, "orders")
        path = f"/{seg(configured)}/client-scopes/{seg(scope['id'])}"
        admin_api.put(
            path, {"name": "orders", "attributes": {"gui.order": None, "x": "1"}, "protocolMappers": []}
        )
        after = get_scope(admin_api, configured, "orders")
        assert after["attributes"] == {
            "include.in.token.scope": "true",
            "display.on.consent.screen": "false",
            "x": "1",
        }
        assert names(after["protocolMappers"]) == ["tenant"]

    def test_realm_default_scope_lists(self, admin_api: AdminClient, empty_realm: str) -> None:
        r = seg(empty_realm)
        assert names(admin_api.get(f"/{r}/default-default-client-scopes")) == sorted(realm_default(admin_api))
        assert names(admin_api.get(f"/{r}/default-optional-client-scopes")) == sorted(REALM_OPTIONAL)
        email = get_scope(admin_api, empty_realm, "email")["id"]
        phone = get_scope(admin_api, empty_realm, "phone")["id"]
        # A scope in one list cannot be added to the other...
        with pytest.raises(Conflict):
            admin_api.put(f"/{r}/default-default-client-scopes/{phone}")
        # ...and DELETE on either list removes it from whichever list holds it.
        admin_api.delete(f"/{r}/default-optional-client-scopes/{email}")
        admin_api.delete(f"/{r}/default-default-client-scopes/{phone}")
        assert "email" not in names(admin_api.get(f"/{r}/default-default-client-scopes"))
        assert "phone" not in names(admin_api.get(f"/{r}/default-optional-client-scopes"))

    def test_client_links_move_needs_delete_first(self, admin_api: AdminClient, configured: str) -> None:
        client = get_client(admin_api, configured, "orders-api")
        base = f"/{seg(configured)}/clients/{seg(client['id'])}"
        phone = get_scope(admin_api, configured, "phone")["id"]
        admin_api.put(f"{base}/default-client-scopes/{phone}")  # 204, but nothing happens
        after = get_client(admin_api, configured, "orders-api")
        assert "phone" not in after["defaultClientScopes"]
        assert after["optionalClientScopes"] == ["phone"]
        admin_api.delete(f"{base}/default-client-scopes/{phone}")  # removes the optional link
        assert get_client(admin_api, configured, "orders-api")["optionalClientScopes"] == []


def test_update_without_declared_secret_keeps_secret_and_authorization(
    admin_api: AdminClient, empty_realm: str
) -> None:
    admin_api.post(
        f"/{seg(empty_realm)}/clients",
        {
            "clientId": "authz",
            "publicClient": False,
            "secret": SECRET,
            "serviceAccountsEnabled": True,
            "authorizationServicesEnabled": True,
        },
    )
    spec: Spec = {"clients": [{"clientId": "authz", "description": "now described"}]}
    plan = apply(admin_api, empty_realm, spec)
    assert [c.changed_paths for c in plan.changes] == [("description",)]
    assert SECRET not in plan.dumps()
    after = get_client(admin_api, empty_realm, "authz")
    assert after["description"] == "now described"
    assert after["secret"] == SECRET
    assert after["authorizationServicesEnabled"] is True
    assert after["serviceAccountsEnabled"] is True
    assert plan_for(admin_api, empty_realm, spec).changes == []
