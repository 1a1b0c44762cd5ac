"""How to reach and log in to Keycloak: from flags or the environment variables that the Terraform
provider's users already have."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ConnectionSettings:
    url: str
    login_realm: str = "master"
    client_id: str = "admin-cli"
    client_secret: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify_tls: bool = True
    ca_bundle: str | None = None
    timeout: float = 30.0
    concurrency: int = 6

    @property
    def base_url(self) -> str:
        return self.url.rstrip("/")

    @property
    def uses_client_credentials(self) -> bool:
        return bool(self.client_secret) and not self.username

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> ConnectionSettings:
        """Settings from KEYCLOAK_* variables; ``overrides`` (flags) win when not None."""
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "url": e.get("KEYCLOAK_URL", ""),
            "login_realm": e.get("KEYCLOAK_REALM", "master"),
            "client_id": e.get("KEYCLOAK_CLIENT_ID", "admin-cli"),
            "client_secret": e.get("KEYCLOAK_CLIENT_SECRET") or None,
            "username": e.get("KEYCLOAK_USER") or None,
            "password": e.get("KEYCLOAK_PASSWORD") or None,
            "ca_bundle": e.get("KEYCLOAK_CA_BUNDLE") or None,
            "verify_tls": e.get("KEYCLOAK_TLS_INSECURE", "").lower() not in ("1", "true", "yes"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
