"""Fixtures for the end-to-end tests: the shipped ``desired-state/`` applied to the real Keycloak.

The shipped realms have fixed names (``enterprise``, ``enterprise-dev``), so each e2e module owns them:
they are deleted before the module applies them and after it ends. E2e modules must therefore not run
in parallel with each other (they carry an ``xdist_group``, honoured by ``pytest -n N --dist loadgroup``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import main
from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.oidc import Realm
from reconciler.testing.server import KeycloakServer, SecretEnv
from reconciler.versions import STANDARD_TOKEN_EXCHANGE, has

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "desired-state"
SHIPPED_REALMS = ("enterprise", "enterprise-dev")
REALM = "enterprise"
# A stand-in for the corporate identity provider of tenant Contoso (scripts/corporate-idp/).
CORPORATE_IDP = REPO / "scripts" / "corporate-idp"
CORPORATE_REALM = "contoso-corporate"

# Values for the ${env:...} variables of desired-state/ (see desired-state/.env.example). Test-only
# values; the passwords satisfy the realm's password policy.
EXAMPLE_ENV = {
    "ENTERPRISE_CLIENT_SECRET": "e2e-enterprise-client-secret",
    "ONBOARDING_CLIENT_SECRET": "e2e-onboarding-service-secret",
    "ENTERPRISE_DEV_CLIENT_SECRET": "e2e-enterprise-dev-secret",
    "ACME_ADMIN_PASSWORD": "Acme-admin-e2e-1",
    "GLOBEX_MANAGER_PASSWORD": "Globex-manager-e2e-1",
    "DEMO_USER_PASSWORD": "Demo-user-e2e-1",
    # Where Contoso's IdP is: e2e_env points it at the stand-in realm on the test server; this value
    # (a local address, never called) is for users of EXAMPLE_ENV that make no login through it.
    "CONTOSO_IDP_ISSUER": "http://127.0.0.1/realms/contoso-corporate",
    "CONTOSO_IDP_CLIENT_SECRET": "e2e-contoso-broker-secret",
    "CONTOSO_EMPLOYEE_PASSWORD": "Contoso-employee-e2e-1",
}
FRONTEND_REDIRECT = "http://localhost:3000/auth/callback"
# A TEST-ONLY public client with the password grant, standing in for a logged-in user's token that
# is meant for the identity service (it puts enterprise-client into `aud`). Not in the example.
LOGIN_CLIENT = "e2e-password-login"
# A TEST-ONLY confidential client WITHOUT standard.token.exchange.enabled.
NO_EXCHANGE_CLIENT = "e2e-no-exchange"
NO_EXCHANGE_SECRET = "e2e-no-exchange-secret"

CONNECTION_VARS = (
    "KEYCLOAK_URL",
    "KEYCLOAK_USER",
    "KEYCLOAK_PASSWORD",
    "KEYCLOAK_CLIENT_ID",
    "KEYCLOAK_CLIENT_SECRET",
    "KEYCLOAK_REALM",
)


def kcr(*args: str) -> Result:
    """Run the ``kcr`` command line in-process (the environment comes from ``e2e_env``)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def delete_realms(api: AdminClient, names: tuple[str, ...] = SHIPPED_REALMS) -> None:
    for name in names:
        with contextlib.suppress(NotFound):
            api.delete(f"/{seg(name)}")


@pytest.fixture(scope="module")
def e2e_env(keycloak: KeycloakServer) -> Iterator[dict[str, str]]:
    """KEYCLOAK_* connection variables and the example's secrets, set for the whole module."""
    # Contoso's corporate IdP is the stand-in realm on the same server.
    issuer = f"{keycloak.url.rstrip('/')}/realms/{CORPORATE_REALM}"
    env = SecretEnv({**keycloak.env(), **EXAMPLE_ENV, "CONTOSO_IDP_ISSUER": issuer})
    with pytest.MonkeyPatch.context() as mp:
        for name in CONNECTION_VARS:
            mp.delenv(name, raising=False)
        for name, value in env.items():
            mp.setenv(name, value)
        yield env


@dataclass(frozen=True)
class Refused:
    """``kcr apply`` of the shipped example on a server that lacks what it uses (before 26.2)."""

    result: Result
    version_text: str


def assert_refused(refused: Refused) -> None:
    """kcr's clear refusal: exit code 1, at the line of clients.yaml, naming the version needed."""
    output = refused.result.output
    assert refused.result.exit_code == 1, output
    assert "enterprise/clients.yaml:" in output
    assert (
        "clients[enterprise-client].attributes.standard.token.exchange.enabled: Standard Token Exchange V2 "
        "(client attribute standard.token.exchange.enabled) needs Keycloak "
        f"{STANDARD_TOKEN_EXCHANGE.since.line} or newer; the server runs {refused.version_text}"
    ) in output


@pytest.fixture(scope="module")
def shipped(admin_api: AdminClient, e2e_env: dict[str, str]) -> Iterator[Result | Refused]:
    """The shipped desired-state applied by ``kcr apply --auto-approve``; the realms are removed after.
    It uses Standard Token Exchange V2: on a server without it (before 26.2) kcr refuses it before any
    write, and every test of the applied example asserts that refusal instead (pytest_pyfunc_call)."""
    server = admin_api.server_info()
    delete_realms(admin_api)
    result = kcr("apply", str(SHIPPED), "--auto-approve")
    if not has(server, STANDARD_TOKEN_EXCHANGE):
        refused = Refused(result, server.version_text)
        assert_refused(refused)
        for name in SHIPPED_REALMS:
            with pytest.raises(NotFound):
                admin_api.get(f"/{seg(name)}")
        yield refused
        return
    assert result.exit_code == 0, result.output
    yield result
    delete_realms(admin_api)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test of the applied shipped example, on a server where kcr refused to apply it (``shipped``
    gave Refused), asserts that refusal instead of its body: there is no applied example to check."""
    refused = pyfuncitem.funcargs.get("shipped")
    if isinstance(refused, Refused):
        assert_refused(refused)
        return True
    return None


@pytest.fixture(scope="module")
def corporate_idp(admin_api: AdminClient, e2e_env: dict[str, str]) -> Iterator[Result]:
    """The stand-in for Contoso's corporate identity provider, applied by kcr; removed after."""
    delete_realms(admin_api, (CORPORATE_REALM,))
    result = kcr("apply", str(CORPORATE_IDP), "--auto-approve")
    assert result.exit_code == 0, result.output
    yield result
    delete_realms(admin_api, (CORPORATE_REALM,))


@pytest.fixture(scope="module")
def realm(keycloak: KeycloakServer) -> Realm:
    return Realm(keycloak.url.rstrip("/"), REALM)


@pytest.fixture(scope="module")
def test_clients(admin_api: AdminClient, shipped: Result | Refused) -> Iterator[None]:
    """The test-only clients, made through the Admin API after the example is applied (none where kcr
    refused it)."""
    if isinstance(shipped, Refused):
        yield
        return
    path = f"/{seg(REALM)}/clients"
    admin_api.post(
        path,
        {
            "clientId": LOGIN_CLIENT,
            "publicClient": True,
            "standardFlowEnabled": False,
            "directAccessGrantsEnabled": True,
            "protocolMappers": [
                {
                    "name": "audience enterprise-client",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-audience-mapper",
                    "config": {"included.client.audience": "enterprise-client", "access.token.claim": "true"},
                }
            ],
        },
    )
    admin_api.post(
        path,
        {
            "clientId": NO_EXCHANGE_CLIENT,
            "publicClient": False,
            "secret": NO_EXCHANGE_SECRET,
            "standardFlowEnabled": False,
            "directAccessGrantsEnabled": False,
        },
    )
    yield
    for client_id in (LOGIN_CLIENT, NO_EXCHANGE_CLIENT):
        for row in admin_api.get(path, {"clientId": client_id}) or []:
            admin_api.delete(f"{path}/{row['id']}")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the shipped desired-state that a test may edit."""
    target = tmp_path / "desired-state"
    shutil.copytree(SHIPPED, target)
    return target
