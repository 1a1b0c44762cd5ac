#!/usr/bin/env python3
"""Demo of the token flows the shipped desired-state enables (stdlib + httpx only).

1. The identity service (`enterprise-client`) logs the demo user `acme-demo` in with the authorization
   code flow and PKCE, driving Keycloak's login pages the way a browser would.
2. It exchanges the user's token for one meant for `orders-api` only (Standard Token Exchange V2).
3. It prints the claims of both tokens. Tokens and secrets are never printed.

Environment: KEYCLOAK_URL (default http://127.0.0.1:8080), ENTERPRISE_CLIENT_SECRET, DEMO_USER_PASSWORD,
and optionally DEMO_REALM (enterprise), DEMO_USERNAME (acme-demo),
DEMO_REDIRECT_URI (http://localhost:3000/auth/callback).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import secrets
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

FORM_ACTION = re.compile(r'<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"', re.S)
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


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return {k: data[k] for k in SHOWN if k in data}


def token_request(url: str, form: dict[str, str]) -> dict[str, Any]:
    response = httpx.post(url, data=form, timeout=30)
    body: dict[str, Any] = response.json()
    if response.status_code != 200:
        sys.exit(
            f"demo: token endpoint refused {form['grant_type']}: HTTP {response.status_code} "
            f"{body.get('error')}: {body.get('error_description')}"
        )
    return body


def code_flow_login(
    issuer: str, client_id: str, secret: str, redirect_uri: str, username: str, password: str
) -> dict[str, Any]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    with httpx.Client(timeout=30, follow_redirects=False) as browser:
        page = browser.get(
            f"{issuer}/protocol/openid-connect/auth",
            params={
                "client_id": client_id,
                "response_type": "code",
                "redirect_uri": redirect_uri,
                "scope": "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        # Keycloak's login cookies are marked Secure; over plain http they must be sent by hand.
        cookies = "; ".join(f"{c.name}={c.value}" for c in page.cookies.jar)
        answer = page
        for _ in range(3):  # organizations on: one page for the username, one for the password
            match = FORM_ACTION.search(answer.text)
            if answer.status_code != 200 or match is None:
                break
            answer = browser.post(
                html.unescape(match.group(1)),
                headers={"Cookie": cookies},
                data={"username": username, "password": password, "credentialId": ""},
            )
    location = answer.headers.get("location", "")
    if answer.status_code != 302 or not location.startswith(redirect_uri):
        sys.exit(f"demo: login of {username} failed (HTTP {answer.status_code}); is the example applied?")
    query = parse_qs(urlsplit(location).query)
    if query.get("state") != [state]:
        sys.exit("demo: state mismatch in the redirect")
    return token_request(
        f"{issuer}/protocol/openid-connect/token",
        {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": secret,
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )


def show(title: str, token_claims: dict[str, Any]) -> None:
    print(f"\n== {title}")
    print(json.dumps(token_claims, indent=2, sort_keys=False))


def main() -> None:
    base = env("KEYCLOAK_URL", "http://127.0.0.1:8080").rstrip("/")
    realm = env("DEMO_REALM", "enterprise")
    issuer = f"{base}/realms/{realm}"
    client_id = "enterprise-client"
    secret = env("ENTERPRISE_CLIENT_SECRET")
    username = env("DEMO_USERNAME", "acme-demo")

    tokens = code_flow_login(
        issuer,
        client_id,
        secret,
        env("DEMO_REDIRECT_URI", "http://localhost:3000/auth/callback"),
        username,
        env("DEMO_USER_PASSWORD"),
    )
    show(
        f"{username} logged in through {client_id} (authorization code + PKCE): its own token, "
        "no backend audience",
        claims(tokens["access_token"]),
    )

    exchanged = token_request(
        f"{issuer}/protocol/openid-connect/token",
        {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "client_id": client_id,
            "client_secret": secret,
            "subject_token": tokens["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "scope": "orders-api-audience organization",
            "audience": "orders-api",
        },
    )
    show(
        "exchanged for orders-api (scope=orders-api-audience organization, audience=orders-api)",
        claims(exchanged["access_token"]),
    )
    print(f"\nVerify signatures against {issuer}/protocol/openid-connect/certs (JWKS).")


if __name__ == "__main__":
    main()
