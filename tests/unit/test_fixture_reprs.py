"""A failing test prints its fixtures' reprs: the admin client's secret must not be in them."""

from __future__ import annotations

from pathlib import Path

from reconciler.testing.server import KeycloakServer
from tests.benchmarks.test_scale_benchmark import Kcr as BenchKcr
from tests.integration.conftest import Kcr

SECRET = "s3cr3t-admin-client-secret"


def test_the_kcr_fixture_repr_hides_the_connection_secret(tmp_path: Path) -> None:
    server = KeycloakServer(url="http://127.0.0.1:1", client_id="kcr-admin", client_secret=SECRET)
    env = {"KEYCLOAK_URL": server.url, "KEYCLOAK_CLIENT_SECRET": SECRET}
    assert SECRET not in repr(Kcr(tmp_path, server, env))
    assert SECRET not in repr(BenchKcr(env, tmp_path))
