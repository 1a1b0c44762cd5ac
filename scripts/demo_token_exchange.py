#!/usr/bin/env python3
"""Demo of the token flows the shipped desired-state enables (run by `make demo`).

1. The identity service (`enterprise-client`) logs the demo user `acme-demo` in with the authorization
   code flow and PKCE, driving Keycloak's login pages the way a browser would.
2. It exchanges the user's token for one meant for `orders-api` only (Standard Token Exchange V2).
3. Both tokens are verified against the realm's JWKS, as a backend would, and their claims printed.
   Tokens and secrets are never printed.

Environment: KEYCLOAK_URL (default http://127.0.0.1:8080), ENTERPRISE_CLIENT_SECRET, DEMO_USER_PASSWORD,
and optionally DEMO_REALM (enterprise), DEMO_USERNAME (acme-demo),
DEMO_REDIRECT_URI (http://localhost:3000/auth/callback).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from reconciler.testing.oidc import LoginError, Realm, TokenError, verify_access_token

SHOWN = (
    "iss",
    "sub",
    "preferred_username",
    "azp",
    "aud",
    "role",
    "resource_access",
    "organization",
    "scope",
    "iat",
    "exp",
)


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        sys.exit(f"demo: set {name} (see desired-state/.env.example)")
    return value


def show(title: str, claims: dict[str, Any]) -> None:
    print(f"\n== {title}")
    print(json.dumps({k: claims[k] for k in SHOWN if k in claims}, indent=2))


def main() -> None:
    realm = Realm(env("KEYCLOAK_URL", "http://127.0.0.1:8080").rstrip("/"), env("DEMO_REALM", "enterprise"))
    client_id, secret = "enterprise-client", env("ENTERPRISE_CLIENT_SECRET")
    username = env("DEMO_USERNAME", "acme-demo")
    try:
        tokens = realm.authorization_code_login(
            client_id,
            secret,
            env("DEMO_REDIRECT_URI", "http://localhost:3000/auth/callback"),
            username,
            env("DEMO_USER_PASSWORD"),
        )
        show(
            f"{username} logged in through {client_id} (authorization code + PKCE): its own token, "
            "no backend audience",
            verify_access_token(realm, tokens["access_token"], audience=None),
        )
        exchanged = realm.exchange(
            client_id,
            secret,
            tokens["access_token"],
            audience="orders-api",
            scope="orders-api-audience organization",
        )
    except (LoginError, TokenError) as exc:
        sys.exit(f"demo: {exc} (is desired-state/ applied?)")
    show(
        "exchanged for orders-api (scope=orders-api-audience organization, audience=orders-api); "
        "verified against the JWKS with aud=orders-api",
        verify_access_token(realm, exchanged["access_token"], audience="orders-api"),
    )


if __name__ == "__main__":
    main()
