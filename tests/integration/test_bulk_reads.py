"""The bulk reads (the realm's partial export, ``kinds/bulk_read.py``) give exactly the live state
that the per-object reads give, on a realm with every kind and the shapes that could differ: role
descriptions and attributes, realm and cross-client composites, a three-level group tree with
descriptions, attributes and realm and client role mappings; also for ``kcr export``'s read_all.
An account that may not export (no manage-realm) gets the per-object reads."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.early_reads import start_early_reads
from reconciler.engine import make_plan
from reconciler.errors import Forbidden
from reconciler.keycloak.client import READ_ONLY_POST, AdminClient, seg
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import LiveRealm
from reconciler.live import read_live
from reconciler.testing.server import KeycloakServer
from reconciler.versions import GROUP_DESCRIPTION, ORGANIZATION_ADMIN_ROLES, ServerInfo, has
from tests.integration.conftest import allow_unmanaged_attributes

pytestmark = pytest.mark.integration


UPSTREAM = "http://127.0.0.1:9/realms/upstream/protocol/openid-connect"


def every_kind(realm: str, server: ServerInfo) -> dict[str, Any]:
    """A realm declaring objects of every registered kind (a test below checks that it still does);
    group descriptions only where the server has them (versions.GROUP_DESCRIPTION: from 26.4)."""
    described = has(server, GROUP_DESCRIPTION)
    return {
        "realm": realm,
        "enabled": True,
        "organizationsEnabled": True,
        "userProfile": {
            "attributes": [
                *({"name": name} for name in ("username", "email", "firstName", "lastName")),
                {"name": "dept", "permissions": {"view": ["admin"], "edit": ["admin"]}},
            ],
        },
        "requiredActions": [{"alias": "TERMS_AND_CONDITIONS", "enabled": True, "priority": 90}],
        "components": {
            "org.keycloak.keys.KeyProvider": [
                {"name": "signing", "providerId": "rsa-generated", "config": {"priority": "200"}}
            ]
        },
        "authenticationFlows": [
            {
                "alias": "checked",
                "providerId": "basic-flow",
                "authenticationExecutions": [
                    {"authenticator": "auth-username-password-form", "requirement": "REQUIRED"},
                    {"authenticator": "conditional-user-role", "authenticatorConfig": "checked-role"},
                ],
            }
        ],
        "authenticatorConfig": [{"alias": "checked-role", "config": {"condUserRole": "auditor"}}],
        "clientScopes": [{"name": "extra", "protocol": "openid-connect", "attributes": {"a": "1"}}],
        "defaultOptionalClientScopes": ["extra", "offline_access"],
        "clients": [
            {"clientId": "api", "bearerOnly": True},
            {"clientId": "web", "publicClient": True, "redirectUris": ["https://web.example.com/*"]},
            {
                "clientId": "robot",
                "publicClient": False,
                "serviceAccountsEnabled": True,
                "authorizationServicesEnabled": True,
                "authorizationSettings": {
                    "scopes": [{"name": "read"}],
                    "resources": [{"name": "reports", "uris": ["/reports/*"], "scopes": ["read"]}],
                    "policies": [
                        {"name": "users", "type": "role", "config": {"roles": ["user"]}},
                        {
                            "name": "read reports",
                            "type": "scope",
                            "config": {"scopes": ["read"], "applyPolicies": ["users"]},
                        },
                    ],
                },
            },
        ],
        "identityProviders": [
            {
                "alias": "corporate",
                "providerId": "oidc",
                "displayName": "Corporate login",
                "config": {
                    "clientId": "broker",
                    "clientAuthMethod": "client_secret_post",
                    "clientSecret": "upstream-secret-of-the-test",
                    "authorizationUrl": f"{UPSTREAM}/auth",
                    "tokenUrl": f"{UPSTREAM}/token",
                },
            }
        ],
        "identityProviderMappers": [
            {
                "name": "department",
                "identityProviderAlias": "corporate",
                "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                "config": {"claim": "dept", "user.attribute": "dept", "syncMode": "INHERIT"},
            }
        ],
        "roles": {
            "realm": [
                {"name": "user", "description": "A user", "attributes": {"level": ["1", "2"]}},
                {
                    "name": "admin",
                    "composites": {"realm": ["user"], "client": {"api": ["read"], "web": ["login"]}},
                },
                {"name": "auditor", "attributes": {"scope": "all"}},
            ],
            "client": {
                "api": [
                    {"name": "read", "description": "Reads"},
                    {"name": "write", "composites": {"client": {"api": ["read"]}}},
                ],
                "web": [
                    {"name": "login", "attributes": {"x": "y"}},
                    {"name": "power", "composites": {"realm": ["auditor"], "client": {"api": ["write"]}}},
                ],
            },
        },
        "groups": [
            {
                "name": "acme",
                **({"description": "The Acme tenant"} if described else {}),
                "attributes": {"tenant": "acme", "tags": ["a", "b"]},
                "realmRoles": ["user"],
                "clientRoles": {"api": ["read"]},
                "subGroups": [
                    {
                        "name": "admins",
                        "realmRoles": ["admin"],
                        "clientRoles": {"api": ["write"], "web": ["power"]},
                        "subGroups": [
                            {
                                "name": "root",
                                **({"description": "deepest"} if described else {}),
                                "attributes": {"d": "3"},
                            }
                        ],
                    },
                    {"name": "staff"},
                ],
            },
            {"name": "globex", "subGroups": [{"name": "managers", "realmRoles": ["auditor"]}]},
        ],
        "users": [
            {
                "username": "ann",
                "email": "ann@acme.example.com",
                "attributes": {"dept": "it"},
                "groups": ["/acme/admins"],
                "realmRoles": ["auditor"],
                "clientRoles": {"web": ["login"]},
            },
            {"username": "bob", "groups": ["/globex/managers", "/acme/staff"]},
            {"username": "service-account-robot", "serviceAccountClientId": "robot", "realmRoles": ["user"]},
        ],
        "scopeMappings": [{"client": "web", "roles": ["user"]}, {"clientScope": "extra", "roles": []}],
        "clientScopeMappings": {
            "api": [{"client": "web", "roles": ["read"]}, {"clientScope": "extra", "roles": ["write"]}]
        },
        "defaultGroups": ["/acme/staff"],
        "localizationTexts": {"de": {"loginAccountTitle": "Anmelden"}},
        "clientProfiles": {"profiles": [{"name": "pkce", "executors": [{"executor": "pkce-enforcer"}]}]},
        "clientPolicies": {
            "policies": [
                {
                    "name": "off",
                    "enabled": False,
                    "conditions": [{"condition": "any-client"}],
                    "profiles": ["pkce"],
                }
            ]
        },
        "organizations": [
            {
                "name": "Acme",
                "alias": "acme",
                "domains": ["acme.example.com"],
                "members": ["ann"],
                "identityProviders": ["corporate"],
            }
        ],
    }


def _state(spec: dict[str, Any]) -> DesiredState:
    return DesiredState(realms={spec["realm"]: DesiredRealm(name=spec["realm"], spec=spec)})


def _comparable(live: LiveRealm) -> tuple[Any, ...]:
    return live.exists, live.objects, live.managed, live.ids


@pytest.fixture
def applied(admin_api: AdminClient, empty_realm: str) -> DesiredRealm:
    allow_unmanaged_attributes(admin_api, empty_realm)
    state = _state(every_kind(empty_realm, admin_api.server_info()))
    plan, lives = make_plan(admin_api, state)
    apply_plan(admin_api, plan, state, lives)
    return state.realms[empty_realm]


@pytest.mark.parametrize("read_all", [False, True], ids=["plan", "read_all"])
def test_bulk_and_per_object_reads_give_the_same_live_state(
    admin_api: AdminClient, applied: DesiredRealm, read_all: bool
) -> None:
    before, exports = admin_api.request_count, admin_api.requests[READ_ONLY_POST]
    bulk = read_live(admin_api, applied, read_all=read_all)
    bulk_requests = admin_api.request_count - before
    assert admin_api.requests[READ_ONLY_POST] == exports + 1  # the bulk path ran, once
    per_object = read_live(admin_api, applied, read_all=read_all, bulk_reads=False)
    per_object_requests = admin_api.request_count - before - bulk_requests
    assert admin_api.requests[READ_ONLY_POST] == exports + 1

    assert _comparable(bulk) == _comparable(per_object)
    # every kind kcr knows was compared on something it manages: a new kind needs an object above
    missing = [kind.name for kind in REGISTRY if not bulk.of(kind.name)]
    assert missing == [], f"every_kind() declares nothing of {missing}: add an object of each"
    # the tricky shapes are there (so the comparison compared them)
    roles, groups = bulk.of("role"), bulk.of("group")
    assert roles["admin"]["composites"] == {"realm": ["user"], "client": {"api": ["read"], "web": ["login"]}}
    assert roles["web/power"]["composites"] == {"realm": ["auditor"], "client": {"api": ["write"]}}
    assert roles["user"]["attributes"] == {"level": ["1", "2"]}
    if has(admin_api.server_info(), GROUP_DESCRIPTION):
        assert groups["/acme/admins/root"]["description"] == "deepest"
    assert groups["/acme/admins"]["clientRoles"] == {"api": ["write"], "web": ["power"]}
    assert bulk_requests < per_object_requests


def test_plan_of_converged_realm_is_empty_with_bulk_reads(
    admin_api: AdminClient, applied: DesiredRealm
) -> None:
    plan, _ = make_plan(admin_api, DesiredState(realms={applied.name: applied}))
    assert plan.changes == []


def test_reads_started_before_loading_are_taken_over_not_repeated(
    admin_api: AdminClient, applied: DesiredRealm
) -> None:
    """``early_reads``: the partial export and the user pages, started for the realm before its desired
    state is known, give the same live state as the plan's own reads, with the same requests."""
    before = admin_api.request_count
    plain = read_live(admin_api, applied)
    plain_requests = admin_api.request_count - before
    started = start_early_reads(admin_api, [applied.name])[applied.name]
    assert set(started) == {"partial_export_started", "user_pages"}
    early = read_live(admin_api, applied, started=started)
    assert admin_api.request_count - before - plain_requests == plain_requests
    assert _comparable(early) == _comparable(plain)
    plan, _ = make_plan(
        admin_api,
        DesiredState(realms={applied.name: applied}),
        early_reads=start_early_reads(admin_api, [applied.name]),
    )
    assert plan.changes == []


def test_without_manage_realm_the_kinds_read_object_by_object(
    keycloak: KeycloakServer, admin_api: AdminClient, applied: DesiredRealm
) -> None:
    # A read-only account of the realm itself: a service account with the view-* roles only.
    r = f"/{seg(applied.name)}"
    admin_api.post(
        f"{r}/clients", {"clientId": "reader", "publicClient": False, "serviceAccountsEnabled": True}
    )
    reader = admin_api.get(f"{r}/clients", {"clientId": "reader"})[0]
    secret = admin_api.get(f"{r}/clients/{reader['id']}/client-secret")["value"]
    account = admin_api.get(f"{r}/clients/{reader['id']}/service-account-user")
    management = admin_api.get(f"{r}/clients", {"clientId": "realm-management"})[0]
    # view-organizations: 26.7+; view-authorization: 26.0.8 refuses the resource server's view endpoints
    # to view-clients alone (HTTP 403)
    read_roles = {
        "view-realm",
        "view-clients",
        "view-users",
        "view-identity-providers",
        "view-organizations",
        "view-authorization",
    }
    grants = [
        role for role in admin_api.get(f"{r}/clients/{management['id']}/roles") if role["name"] in read_roles
    ]
    admin_api.post(f"{r}/users/{account['id']}/role-mappings/clients/{management['id']}", grants)
    settings = dataclasses.replace(
        keycloak.settings(),
        login_realm=applied.name,
        client_id="reader",
        client_secret=secret,
        username=None,
        password=None,
    )
    # Before 26.7 (versions.ORGANIZATION_ADMIN_ROLES) reading organizations needs manage-realm: such an
    # account cannot read them at all (Keycloak answers 403, kcr stops), and the other kinds are compared.
    orgs_readable = has(admin_api.server_info(), ORGANIZATION_ADMIN_ROLES)
    kinds = [kind for kind in REGISTRY if orgs_readable or kind.name != "organization"]
    if not orgs_readable:
        with AdminClient(settings) as read_only, pytest.raises(Forbidden) as refused:
            read_live(read_only, applied, [k for k in REGISTRY if k.name == "organization"])
        assert "/organizations" in str(refused.value)
    with AdminClient(settings) as read_only:
        fallback = read_live(read_only, applied, kinds)
        assert read_only.requests[READ_ONLY_POST] == 1  # the refused export
        assert set(read_only.requests) <= {"GET", READ_ONLY_POST, "TOKEN"}
    per_object = read_live(admin_api, applied, kinds, bulk_reads=False)
    assert fallback.objects == per_object.objects
