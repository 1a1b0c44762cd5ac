"""``kcr plan`` when things are not right, against a real Keycloak: a clear message and exit 1, never
a traceback. And ``kcr plan`` only reads: GET requests and the token request, nothing else."""

from __future__ import annotations

import pytest

from reconciler.keycloak.client import AdminClient, seg
from tests.integration.conftest import Doc, Kcr, allow_unmanaged_attributes, find_one

pytestmark = pytest.mark.integration

LIMITED_SECRET = "L1mited-Acc0unt-Secret"


def every_kind(realm: str) -> Doc:
    """A desired state with every kind and the fields that make the planner read more."""
    return {
        "realm": realm,
        "displayName": "Every kind",
        "attributes": {"team": "platform"},
        "eventsEnabled": True,
        "enabledEventTypes": ["LOGIN"],
        "bruteForceProtected": True,
        "passwordPolicy": "length(8)",
        "organizationsEnabled": True,
        "clientScopes": [
            {
                "name": "team-claim",
                "protocolMappers": [
                    {
                        "name": "team",
                        "protocol": "openid-connect",
                        "protocolMapper": "oidc-hardcoded-claim-mapper",
                        "config": {
                            "claim.name": "team",
                            "claim.value": "platform",
                            "access.token.claim": "true",
                        },
                    }
                ],
            }
        ],
        "defaultDefaultClientScopes": [
            "basic",
            "acr",
            "profile",
            "email",
            "roles",
            "web-origins",
            "team-claim",
        ],
        "defaultOptionalClientScopes": ["offline_access", "address", "phone", "microprofile-jwt"],
        "clients": [
            {
                "clientId": "web",
                "publicClient": True,
                "redirectUris": ["https://web.example.com/*"],
                "webOrigins": ["+"],
                "attributes": {"pkce.code.challenge.method": "S256"},
                "defaultClientScopes": ["basic", "profile", "team-claim"],
                "optionalClientScopes": ["email"],
            },
            {"clientId": "api", "bearerOnly": True},
            {
                "clientId": "worker",
                "publicClient": False,
                "secret": "W0rker-Secret-value",
                "serviceAccountsEnabled": True,
                "standardFlowEnabled": False,
            },
        ],
        "roles": {
            "realm": [
                {"name": "viewer", "attributes": {"level": ["1"]}},
                {
                    "name": "editor",
                    "composite": True,
                    "composites": {"realm": ["viewer"], "client": {"api": ["read"]}},
                },
            ],
            "client": {"api": [{"name": "read"}, {"name": "write"}]},
        },
        "groups": [
            {
                "name": "acme",
                "attributes": {"tier": ["gold"]},
                "realmRoles": ["viewer"],
                "clientRoles": {"api": ["read"]},
                "subGroups": [{"name": "admins", "realmRoles": ["editor"]}],
            }
        ],
        "users": [
            {
                "username": "alice",
                "email": "alice@acme.example.com",
                "firstName": "A",
                "lastName": "L",
                "enabled": True,
                "emailVerified": True,
                "attributes": {"dept": ["eng"]},
                "groups": ["/acme/admins"],
                "realmRoles": ["viewer"],
                "clientRoles": {"api": ["write"]},
                "requiredActions": ["CONFIGURE_TOTP"],
                "credentials": [{"type": "password", "value": "Al1ce-Password", "temporary": True}],
            },
            {
                "username": "service-account-worker",
                "serviceAccountClientId": "worker",
                "clientRoles": {"realm-management": ["view-users"]},
            },
        ],
        "organizations": [
            {
                "name": "Acme",
                "alias": "acme",
                "domains": [{"name": "acme.example.com"}],
                "attributes": {"region": ["eu"]},
                "members": ["alice"],
            }
        ],
    }


def assert_clean_error(output: str, *needles: str) -> None:
    assert "Traceback" not in output
    assert "Error: " in output
    for needle in needles:
        assert needle in output, output


def test_unreachable_keycloak(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g"}]})
    result = kcr.run("plan", kcr.path, env={"KEYCLOAK_URL": "http://127.0.0.1:1"})
    assert result.exit_code == 1
    assert_clean_error(result.output, "Cannot reach Keycloak at http://127.0.0.1:1", "KEYCLOAK_URL")


def test_wrong_credentials(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g"}]})
    result = kcr.run(
        "plan",
        kcr.path,
        env={"KEYCLOAK_CLIENT_SECRET": "not-the-secret", "KEYCLOAK_USER": "", "KEYCLOAK_PASSWORD": ""},
    )
    assert result.exit_code == 1
    assert_clean_error(result.output, "Keycloak refused to log in", "HTTP 401")
    assert "not-the-secret" not in result.output


def grant_management_roles(api: AdminClient, realm: str, user_id: str, roles: list[str]) -> None:
    management = find_one(api, realm, "clients", clientId="realm-management")
    assert management is not None
    base = f"/{seg(realm)}/clients/{management['id']}/roles"
    refs = [{"id": api.get(f"{base}/{seg(r)}")["id"], "name": r} for r in roles]
    api.post(f"/{seg(realm)}/users/{user_id}/role-mappings/clients/{management['id']}", refs)


def test_missing_permissions_name_the_role(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    realm = empty_realm
    # a service account of the target realm itself, allowed to view the realm settings only
    client_uuid = admin_api.create(
        f"/{seg(realm)}/clients",
        {
            "clientId": "limited",
            "publicClient": False,
            "secret": LIMITED_SECRET,
            "serviceAccountsEnabled": True,
            "standardFlowEnabled": False,
        },
    )
    account = admin_api.get(f"/{seg(realm)}/clients/{client_uuid}/service-account-user")
    grant_management_roles(admin_api, realm, account["id"], ["view-realm"])
    env = {
        "KEYCLOAK_REALM": realm,
        "KEYCLOAK_CLIENT_ID": "limited",
        "KEYCLOAK_CLIENT_SECRET": LIMITED_SECRET,
        "KEYCLOAK_USER": "",
        "KEYCLOAK_PASSWORD": "",
    }
    kcr.write(every_kind(realm))

    result = kcr.run("plan", kcr.path, env=env)
    assert result.exit_code == 1
    assert_clean_error(result.output, "HTTP 403", "view-clients", f"realm {realm!r}")

    grant_management_roles(admin_api, realm, account["id"], ["view-clients"])
    result = kcr.run("plan", kcr.path, env=env)
    assert result.exit_code == 1
    assert_clean_error(result.output, "HTTP 403", "view-users")

    # with what reading every kind takes, the same account plans (and writes nothing)
    grant_management_roles(admin_api, realm, account["id"], ["view-users"])
    result = kcr.run("plan", kcr.path, "--detailed-exitcode", env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_realm_that_does_not_exist_yet(kcr: Kcr, admin_api: AdminClient, fresh_realm: str) -> None:
    realm = fresh_realm
    kcr.write(every_kind(realm))
    result = kcr.run("plan", kcr.path)
    assert result.exit_code == 0, result.output
    assert f"+ {realm}/realm\n" in result.output
    assert f"+ {realm}/organization/acme" in result.output
    detailed = kcr.plan()
    assert detailed.exit_code == 2, detailed.output
    assert realm not in {r["realm"] for r in admin_api.get("")}


def test_plan_sends_only_get_requests(kcr: Kcr, admin_api: AdminClient, fresh_realm: str) -> None:
    realm = fresh_realm
    kcr.write(every_kind(realm))
    missing = kcr.plan_only()  # the realm does not exist yet
    assert missing.plan.changes
    assert set(missing.requests) <= {"GET", "EXPORT", "TOKEN"}, missing.requests

    # half of it applied, then changed by hand: planning reads every kind, and still only reads
    admin_api.post("", {"realm": realm, "enabled": True, "organizationsEnabled": True})
    allow_unmanaged_attributes(admin_api, realm)
    kcr.apply_converged()
    alice = find_one(admin_api, realm, "users", username="alice")
    assert alice is not None
    admin_api.put(f"/{seg(realm)}/users/{alice['id']}", {**alice, "firstName": "Changed by hand"})
    doc = every_kind(realm)
    doc["groups"].append({"name": "new"})
    kcr.write(doc)
    drifted = kcr.plan_only()
    assert {c.address for c in drifted.plan.changes} == {f"{realm}/user/alice", f"{realm}/group/new"}
    assert set(drifted.requests) <= {"GET", "EXPORT", "TOKEN"}, drifted.requests
    assert drifted.requests["GET"] > 10
    assert drifted.requests["EXPORT"] <= 1  # the realm's partial export, which changes nothing
