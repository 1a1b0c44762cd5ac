"""Where the test Keycloak comes from. For now: KEYCLOAK_URL only (the launcher comes next)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from reconciler.keycloak.settings import ConnectionSettings


@dataclass(frozen=True)
class KeycloakServer:
    url: str
    version: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "admin-cli"
    client_secret: str | None = field(default=None, repr=False)
    started_by_us: bool = False

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(url=self.url, client_id=self.client_id, client_secret=self.client_secret,
                                  username=self.username, password=self.password)

    def env(self) -> dict[str, str]:
        env = {"KEYCLOAK_URL": self.url, "KEYCLOAK_CLIENT_ID": self.client_id}
        if self.username:
            env["KEYCLOAK_USER"] = self.username
            env["KEYCLOAK_PASSWORD"] = self.password or ""
        if self.client_secret:
            env["KEYCLOAK_CLIENT_SECRET"] = self.client_secret
        return env


@contextmanager
def start_keycloak() -> Iterator[KeycloakServer]:
    s = ConnectionSettings.from_env()
    if not s.url:
        raise RuntimeError("set KEYCLOAK_URL")
    yield KeycloakServer(url=s.url, username=s.username, password=s.password, client_id=s.client_id,
                         client_secret=s.client_secret)
