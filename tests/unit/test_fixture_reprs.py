"""A failing test prints its fixtures' reprs: the admin client's secret must not be in them."""

from __future__ import annotations

from pathlib import Path

from reconciler.testing.server import KeycloakServer, SecretEnv
from tests.benchmarks.test_scale_benchmark import Kcr as BenchKcr
from tests.integration.conftest import Kcr

SECRET = "s3cr3t-admin-client-secret"


def test_the_kcr_fixture_repr_hides_the_connection_secret(tmp_path: Path) -> None:
    server = KeycloakServer(url="http://127.0.0.1:1", client_id="kcr-admin", client_secret=SECRET)
    env = {"KEYCLOAK_URL": server.url, "KEYCLOAK_CLIENT_SECRET": SECRET}
    assert SECRET not in repr(Kcr(tmp_path, server, env))
    assert SECRET not in repr(BenchKcr(env, tmp_path))


def test_the_connection_env_repr_hides_secrets_and_keeps_the_rest() -> None:
    server = KeycloakServer(url="http://127.0.0.1:1", client_id="kcr-admin", client_secret=SECRET)
    env = server.env()
    assert env["KEYCLOAK_CLIENT_SECRET"] == SECRET  # the value itself is intact
    assert SECRET not in repr(env)
    assert "http://127.0.0.1:1" in repr(env)
    assert SECRET not in repr(SecretEnv({**env, "CONTOSO_IDP_CLIENT_SECRET": SECRET}))
