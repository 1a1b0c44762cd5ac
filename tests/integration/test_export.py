"""``kcr export`` against a real Keycloak: a realm configured by hand through the Admin API is exported,
and the export validates, plans as ``No changes.``, is byte-stable, holds no secret, and, applied to an
empty realm and exported again, gives the same files."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler.cli import main
from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import STANDARD_TOKEN_EXCHANGE, has

pytestmark = pytest.mark.integration

CLIENT_SECRET = "Exp0rt-orders-S3cret-2b7f"
ALICE_PASSWORD = "Exp0rt-alice-Pw-91c3"
SMTP_PASSWORD = "Exp0rt-smtp-Pw-44d0"


def load_yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def kcr(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def client_uuid(api: AdminClient, realm: str, client_id: str) -> str:
    found = api.get(f"/{seg(realm)}/clients", {"clientId": client_id})
    return str(found[0]["id"])


def role_ref(api: AdminClient, realm: str, name: str, client_id: str | None = None) -> dict[str, Any]:
    if client_id is None:
        rep = api.get(f"/{seg(realm)}/roles/{seg(name)}")
    else:
        rep = api.get(f"/{seg(realm)}/clients/{client_uuid(api, realm, client_id)}/roles/{seg(name)}")
    return {"id": rep["id"], "name": rep["name"]}


def configure_by_hand(api: AdminClient, realm: str) -> None:
    """A realm as an administrator would click it together, through the Admin API only."""
    api.post(
        "",
        {
            "realm": realm,
            "enabled": True,
            "displayName": "Export test",
            "accessTokenLifespan": 600,
            "bruteForceProtected": True,
            "organizationsEnabled": True,
            "eventsListeners": ["jboss-logging"],
            "smtpServer": {
                "host": "smtp.example.com",
                "from": "noreply@example.com",
                "auth": "true",
                "user": "mailer",
                "password": SMTP_PASSWORD,
            },
        },
    )
    base = f"/{seg(realm)}"
    scope_id = api.create(
        f"{base}/client-scopes",
        {
            "name": "orders-audience",
            "protocol": "openid-connect",
            "description": "Audience orders-api",
            "attributes": {"include.in.token.scope": "false"},
            "protocolMappers": [
                {
                    "name": "orders audience",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.client.audience": "orders-api", "access.token.claim": "true"},
                }
            ],
        },
    )
    orders = api.create(
        f"{base}/clients",
        {
            "clientId": "orders-api",
            "name": "Orders API",
            "secret": CLIENT_SECRET,
            "serviceAccountsEnabled": True,
            "standardFlowEnabled": False,
            "redirectUris": ["https://orders.example.com/cb", "https://orders.example.com/alt"],
        },
    )
    api.put(f"{base}/clients/{orders}/optional-client-scopes/{scope_id}")
    api.create(
        f"{base}/clients",
        {
            "clientId": "web-app",
            "publicClient": True,
            "frontchannelLogout": True,
            "redirectUris": ["https://app.example.com/*"],
            "webOrigins": ["https://app.example.com"],
            "attributes": {"pkce.code.challenge.method": "S256"},
            "protocolMappers": [
                {
                    "name": "tenant",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "config": {"claim.name": "tenant", "claim.value": "acme", "access.token.claim": "true"},
                }
            ],
        },
    )
    api.create(f"{base}/clients", {"clientId": "reports-api", "bearerOnly": True})
    for name in ("read", "write"):
        api.post(f"{base}/clients/{orders}/roles", {"name": name, "description": f"{name} orders"})
    api.post(f"{base}/roles", {"name": "user"})
    api.post(f"{base}/roles", {"name": "manager", "description": "Team lead", "attributes": {"level": ["2"]}})
    api.post(f"{base}/roles", {"name": "admin"})
    api.post(
        f"{base}/roles-by-id/{role_ref(api, realm, 'manager')['id']}/composites",
        [role_ref(api, realm, "user"), role_ref(api, realm, "read", "orders-api")],
    )
    api.post(
        f"{base}/roles-by-id/{role_ref(api, realm, 'admin')['id']}/composites",
        [role_ref(api, realm, "manager")],
    )
    acme = api.create(f"{base}/groups", {"name": "acme", "attributes": {"tier": ["gold", "eu"]}})
    admins = api.create(f"{base}/groups/{acme}/children", {"name": "admins"})
    api.create(f"{base}/groups", {"name": "globex"})
    api.post(f"{base}/groups/{acme}/role-mappings/realm", [role_ref(api, realm, "user")])
    api.post(
        f"{base}/groups/{acme}/role-mappings/clients/{orders}", [role_ref(api, realm, "read", "orders-api")]
    )
    api.post(f"{base}/groups/{admins}/role-mappings/realm", [role_ref(api, realm, "admin")])
    alice = api.create(
        f"{base}/users",
        {
            "username": "alice",
            "email": "alice@acme.example.com",
            "firstName": "Alice",
            "lastName": "Doe",
            "enabled": True,
            "emailVerified": True,
            "credentials": [{"type": "password", "value": ALICE_PASSWORD, "temporary": False}],
        },
    )
    bob = api.create(
        f"{base}/users", {"username": "bob", "enabled": True, "requiredActions": ["VERIFY_EMAIL"]}
    )
    api.put(f"{base}/users/{alice}/groups/{admins}")
    api.put(f"{base}/users/{bob}/groups/{acme}")
    api.post(f"{base}/users/{alice}/role-mappings/realm", [role_ref(api, realm, "manager")])
    api.post(
        f"{base}/users/{bob}/role-mappings/clients/{orders}", [role_ref(api, realm, "write", "orders-api")]
    )
    account = api.get(f"{base}/clients/{orders}/service-account-user")
    management = client_uuid(api, realm, "realm-management")
    api.post(
        f"{base}/users/{account['id']}/role-mappings/clients/{management}",
        [role_ref(api, realm, "view-users", "realm-management")],
    )
    # Every user gets the default role; this realm takes uma_authorization out of it.
    default_role = api.get(base)["defaultRole"]["id"]
    api.delete(f"{base}/roles-by-id/{default_role}/composites", [role_ref(api, realm, "uma_authorization")])
    org = api.create(
        f"{base}/organizations",
        {
            "name": "Acme",
            "alias": "acme",
            "description": "Acme Corp",
            "domains": [{"name": "acme.example.com"}],
            "attributes": {"region": ["eu"]},
        },
    )
    api.post(f"{base}/organizations/{org}/members", alice)
    api.post(f"{base}/organizations/{org}/members", bob)


def export_to(realm: str, out: Path) -> dict[str, str]:
    result = kcr("export", "--realm", realm, "--include-users", "--out", str(out))
    assert result.exit_code == 0, result.output
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((out / realm).iterdir())}


@pytest.fixture
def second_realm(admin_api: AdminClient) -> Any:
    import contextlib
    import uuid

    from reconciler.errors import NotFound

    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(NotFound):
        admin_api.delete(f"/{seg(name)}")


def test_export_round_trip(
    admin_api: AdminClient,
    fresh_realm: str,
    second_realm: str,
    connection_env: dict[str, str],
    tmp_path: Path,
) -> None:
    realm = fresh_realm
    configure_by_hand(admin_api, realm)
    files = export_to(realm, tmp_path / "first")
    folder = tmp_path / "first" / realm
    assert sorted(files) == sorted(
        [
            "realm.yaml",
            "authentication.yaml",  # the built-in flows, always (their requirements are security)
            "client-scopes.yaml",
            "clients.yaml",
            "roles.yaml",
            "groups.yaml",
            "service-accounts.yaml",
            "users.yaml",
            "organizations.yaml",
        ]
    )

    # What a reviewer sees: the hand-made objects, no ids, no built-ins, secrets as comments.
    clients_yaml = files["clients.yaml"]
    assert "    # secret: ${env:ORDERS_API_CLIENT_SECRET}\n" in clients_yaml
    assert "clientId: web-app" in clients_yaml
    assert "clientId: reports-api" in clients_yaml
    assert "realm-management" not in clients_yaml
    assert "containerId" not in "".join(files.values())
    assert "  # password: ${env:SMTP_PASSWORD}\n" in files["realm.yaml"]
    assert "# credentials: [{type: password" in files["users.yaml"]
    assert "kcr.managed" not in "".join(files.values())
    assert "\n    subGroups:\n      - name: admins\n" in files["groups.yaml"]
    # The default role: its changed composites in roles.yaml, never in anyone's role mappings.
    assert [name for name, text in files.items() if "default-roles-" in text] == ["roles.yaml"]
    assert "composites:\n        realm:\n          - offline_access\n        client:\n" in files["roles.yaml"]
    assert "view-users" in files["service-accounts.yaml"]
    # Memberships and role mappings are read in full (the kinds read them only when declared).
    assert load_yaml(files["users.yaml"])["users"] == [
        {
            "username": "alice",
            "email": "alice@acme.example.com",
            "emailVerified": True,
            "enabled": True,
            "firstName": "Alice",
            "groups": ["/acme/admins"],
            "lastName": "Doe",
            "realmRoles": ["manager"],
        },
        {
            "username": "bob",
            "clientRoles": {"orders-api": ["write"]},
            "enabled": True,
            "groups": ["/acme"],
            "requiredActions": ["VERIFY_EMAIL"],
        },
    ]
    assert load_yaml(files["service-accounts.yaml"])["users"] == [
        {"serviceAccountClientId": "orders-api", "clientRoles": {"realm-management": ["view-users"]}}
    ]
    assert "members:\n      - alice\n      - bob\n" in files["organizations.yaml"]

    # No secret value anywhere, including the generated secret of the confidential client.
    live_secret = admin_api.get(f"/{seg(realm)}/clients/{client_uuid(admin_api, realm, 'orders-api')}")[
        "secret"
    ]
    everything = "".join(files.values())
    for secret in (CLIENT_SECRET, live_secret, ALICE_PASSWORD, SMTP_PASSWORD, "**********"):
        assert secret not in everything

    validated = kcr("validate", str(folder))
    assert validated.exit_code == 0, validated.output
    assert "1 realm(s)" in validated.output
    planned = kcr("plan", str(folder), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output

    # A second export gives the same bytes; stdout carries the same documents as one stream.
    assert export_to(realm, tmp_path / "second") == files
    streamed = kcr("export", "--realm", realm, "--include-users")
    assert streamed.exit_code == 0, streamed.output
    assert streamed.output.count("\n---\n") + 1 == len(files)
    assert "clientId: orders-api" in streamed.output

    # The export builds the same realm from nothing: applied to an empty realm, exported again.
    copy = tmp_path / "copy" / second_realm
    copy.mkdir(parents=True)
    for name, text in files.items():
        (copy / name).write_text(text.replace(realm, second_realm), encoding="utf-8")
    applied = kcr("apply", str(copy), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = export_to(second_realm, tmp_path / "again")
    expected = {name: text.replace(realm, second_realm) for name, text in files.items()}
    # The copy has no SMTP password (it stayed unmanaged), so there is nothing to hint at there.
    expected["realm.yaml"] = expected["realm.yaml"].replace("  # password: ${env:SMTP_PASSWORD}\n", "")
    assert again == expected


def test_export_without_users_keeps_people_out(
    admin_api: AdminClient, fresh_realm: str, connection_env: dict[str, str], tmp_path: Path
) -> None:
    configure_by_hand(admin_api, fresh_realm)
    result = kcr("export", "--realm", fresh_realm, "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    folder = tmp_path / fresh_realm
    names = sorted(p.name for p in folder.iterdir())
    assert "users.yaml" not in names
    assert "service-accounts.yaml" in names
    assert "members" not in (folder / "organizations.yaml").read_text(encoding="utf-8")
    planned = kcr("plan", str(folder), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output


def test_export_of_a_missing_realm_is_an_error(connection_env: dict[str, str]) -> None:
    result = kcr("export", "--realm", "no-such-realm-kcr-export")
    assert result.exit_code == 1
    assert "does not exist" in result.output


SHIPPED = Path(__file__).resolve().parents[2] / "desired-state" / "enterprise"


def test_export_of_the_shipped_example_plans_as_no_changes(
    admin_api: AdminClient,
    fresh_realm: str,
    connection_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The realistic example (desired-state/enterprise), applied under a realm name of this test's own
    (the e2e tests own the name ``enterprise``), reads back through the export as the same realm. Before
    26.2 there is no Standard Token Exchange V2: the copy leaves its one attribute out (kcr would refuse
    it, test_shipped_versions.py), so the rest of the example is still checked there."""
    realm = fresh_realm
    exchange = '      standard.token.exchange.enabled: "true"\n'
    without_exchange = not has(admin_api.server_info(), STANDARD_TOKEN_EXCHANGE)
    copy = tmp_path / "shipped" / realm
    copy.mkdir(parents=True)
    for source in sorted(SHIPPED.glob("*.yaml")):
        text = source.read_text(encoding="utf-8")
        text = text.replace("realm: enterprise\n", f"realm: {realm}\n")
        text = text.replace("default-roles-enterprise", f"default-roles-{realm}")
        if without_exchange and source.name == "clients.yaml":
            assert exchange in text
            text = text.replace(exchange, "")
        (copy / source.name).write_text(text, encoding="utf-8")
        for name in re.findall(r"\$\{env:([A-Z0-9_]+)\}", text):
            value = f"Export-{name.lower()}-Test-1"  # meets the password policy
            if name.endswith("_ISSUER"):
                value = "http://127.0.0.1/realms/upstream"  # an identity provider's address (never called)
            monkeypatch.setenv(name, value)
    applied = kcr("apply", str(copy), "--auto-approve")
    assert applied.exit_code == 0, applied.output

    files = export_to(realm, tmp_path / "export")
    validated = kcr("validate", str(tmp_path / "export" / realm))
    assert validated.exit_code == 0, validated.output
    # The identity provider, its mappers, the user profile and the required action are managed kinds.
    assert "not managed by kcr" not in validated.output
    assert "contoso-corporate" in files["identity-providers.yaml"]
    assert "name: department" in files["user-profile.yaml"]
    planned = kcr("plan", str(tmp_path / "export" / realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output
    everything = "".join(files.values())
    for name, value in os.environ.items():
        if value.startswith("Export-") and value.endswith("-Test-1"):
            assert value not in everything, name
    # What the example changed on the default role is adopted too.
    assert f"name: default-roles-{realm}" in files["roles.yaml"]
