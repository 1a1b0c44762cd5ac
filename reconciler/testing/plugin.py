"""pytest plugin: a real Keycloak for the whole test session, and a fresh realm per test.

Fixtures:
- ``keycloak`` (session): a ``KeycloakServer`` with url and admin credentials;
- ``admin_api`` (session): a logged-in ``AdminClient`` against it;
- ``fresh_realm`` (function): the name of a new, empty realm, deleted after the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.keycloak.settings import ConnectionSettings
from reconciler.testing.server import KeycloakServer, start_keycloak


@pytest.fixture(scope="session")
def keycloak() -> Iterator[KeycloakServer]:
    with start_keycloak() as server:
        yield server


@pytest.fixture(scope="session")
def admin_api(keycloak: KeycloakServer) -> Iterator[AdminClient]:
    with AdminClient(keycloak.settings()) as api:
        yield api


@pytest.fixture
def connection_env(keycloak: KeycloakServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """KEYCLOAK_* variables pointing at the test server, set for the test (for CLI tests)."""
    env = keycloak.env()
    for name in ("KEYCLOAK_USER", "KEYCLOAK_PASSWORD", "KEYCLOAK_CLIENT_ID", "KEYCLOAK_CLIENT_SECRET",
                 "KEYCLOAK_REALM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def fresh_realm(admin_api: AdminClient) -> Iterator[str]:
    """A realm name that does not exist yet; whatever the test creates under it is deleted after."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    try:
        admin_api.delete(f"/{seg(name)}")
    except NotFound:
        pass


@pytest.fixture
def empty_realm(admin_api: AdminClient, fresh_realm: str) -> str:
    """A new realm that exists, with Keycloak's defaults untouched."""
    admin_api.post("", {"realm": fresh_realm, "enabled": True})
    return fresh_realm


__all__ = ["ConnectionSettings", "KeycloakServer"]
