"""pytest plugin: a real Keycloak for the whole test session, and a fresh realm per test.

Fixtures:
- ``keycloak`` (session): a ``KeycloakServer`` with url and admin credentials (see
  ``reconciler.testing.server`` for where it comes from: KEYCLOAK_URL, Docker, or the distribution);
- ``admin_api`` (session): a logged-in ``AdminClient`` against it;
- ``connection_env`` (function): KEYCLOAK_* variables pointing at it, set for the test (CLI tests);
- ``fresh_realm`` (function): the name of a new realm, deleted after the test;
- ``empty_realm`` (function): that realm created with Keycloak's defaults.

The terminal summary names the server the tests ran against, e.g.
``Keycloak 26.7.3 at http://127.0.0.1:40123 (distribution, started in 21.3 s)``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest

from reconciler.errors import KcrError, NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.keycloak.settings import ConnectionSettings
from reconciler.testing import processes
from reconciler.testing.errors import KeycloakLaunchError
from reconciler.testing.server import RUN_MARKER, KeycloakServer, start_keycloak, with_version

_SERVER_LINE = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def keycloak(request: pytest.FixtureRequest) -> Iterator[KeycloakServer]:
    with contextlib.ExitStack() as stack:
        try:
            started = stack.enter_context(start_keycloak())
        except KeycloakLaunchError as exc:
            pytest.fail(f"no Keycloak for the tests: {exc}", pytrace=False)
        try:
            with AdminClient(started.settings()) as api:
                server = with_version(started, api.server_version())
        except KcrError as exc:
            pytest.fail(
                f"{started.describe()} answered, but reading its version failed: {exc}", pytrace=False
            )
        request.config.stash[_SERVER_LINE] = server.describe()
        yield server
        rss = _java_rss_kib(server)
        if rss is not None:
            request.config.stash[_SERVER_LINE] = (
                f"{server.describe()}; java RSS {rss / 1024:.0f} MiB at the end"
            )


def _java_rss_kib(server: KeycloakServer) -> int | None:
    if not server.run_id:
        return None
    pids = processes.pids_with_marker(f"{RUN_MARKER}{server.run_id}")
    return processes.rss_kib(pids[0]) if pids else None


@pytest.fixture(scope="session")
def admin_api(keycloak: KeycloakServer) -> Iterator[AdminClient]:
    with AdminClient(keycloak.settings()) as api:
        yield api


@pytest.fixture
def connection_env(keycloak: KeycloakServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """KEYCLOAK_* variables pointing at the test server, set for the test (for CLI tests)."""
    env = keycloak.env()
    for name in (
        "KEYCLOAK_USER",
        "KEYCLOAK_PASSWORD",
        "KEYCLOAK_CLIENT_ID",
        "KEYCLOAK_CLIENT_SECRET",
        "KEYCLOAK_REALM",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def fresh_realm(admin_api: AdminClient) -> Iterator[str]:
    """A realm name that does not exist yet; whatever the test creates under it is deleted after."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    with contextlib.suppress(NotFound):
        admin_api.delete(f"/{seg(name)}")


@pytest.fixture
def empty_realm(admin_api: AdminClient, fresh_realm: str) -> str:
    """A new realm that exists, with Keycloak's defaults untouched."""
    admin_api.post("", {"realm": fresh_realm, "enabled": True})
    return fresh_realm


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    line = config.stash.get(_SERVER_LINE, None)
    if line:
        terminalreporter.write_sep("-", "keycloak")
        terminalreporter.write_line(line)


__all__ = ["ConnectionSettings", "KeycloakServer"]
