"""OIDC client and resource-server helpers for testing a desired state with real tokens.

What a real identity service and a real backend do with Keycloak: get tokens (password grant through a
test client, the authorization code flow with PKCE, client credentials), refresh and exchange them, and
verify a token against the realm's JWKS the way a backend middleware does (this part needs joserfc,
from the ``testing`` extra). Used by kcr's end-to-end tests and ``make demo``; usable in yours.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
UMA_TICKET = "urn:ietf:params:oauth:grant-type:uma-ticket"


class LoginError(Exception):
    """The browser part of a login did not end in a redirect to the client."""


class TokenError(Exception):
    """The token endpoint refused a request: ``status`` and Keycloak's ``error``/``description``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.error = str(body.get("error", ""))
        self.description = str(body.get("error_description", ""))
        super().__init__(f"HTTP {status} {self.error}: {self.description}")


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, not verified (for assertions after ``verify_access_token``)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload))
    return claims


def audiences(claims: dict[str, Any]) -> list[str]:
    """``aud`` as a list (Keycloak writes a single audience as a plain string)."""
    aud = claims.get("aud")
    if aud is None:
        return []
    return [aud] if isinstance(aud, str) else list(aud)


@dataclass
class Realm:
    """The OIDC endpoints of one realm."""

    base_url: str
    name: str

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/realms/{self.name}"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/auth"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        response = httpx.post(self.token_url, data=form, timeout=30)
        if response.status_code != 200:
            try:
                error: dict[str, Any] = response.json()
            except ValueError:  # a flow's authenticator may answer with no JSON body at all
                error = {"error": f"HTTP {response.status_code}", "error_description": response.text[:200]}
            raise TokenError(response.status_code, error)
        body: dict[str, Any] = response.json()
        return body

    def password_grant(
        self, client_id: str, username: str, password: str, client_secret: str | None = None
    ) -> dict[str, Any]:
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "username": username,
            "password": password,
            "scope": "openid",
        }
        if client_secret is not None:
            form["client_secret"] = client_secret
        return self.token(form)

    def client_credentials(self, client_id: str, client_secret: str) -> dict[str, Any]:
        return self.token(
            {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        )

    def refresh(self, client_id: str, client_secret: str, refresh_token: str) -> dict[str, Any]:
        return self.token(
            {
                "grant_type": "refresh_token",
                "client_id": client_id,
                "client_secret": client_secret,
                "refresh_token": refresh_token,
            }
        )

    def exchange(
        self,
        client_id: str,
        client_secret: str,
        subject_token: str,
        *,
        audience: str | None = None,
        scope: str | None = None,
    ) -> dict[str, Any]:
        form = {
            "grant_type": TOKEN_EXCHANGE,
            "client_id": client_id,
            "client_secret": client_secret,
            "subject_token": subject_token,
            "subject_token_type": ACCESS_TOKEN_TYPE,
        }
        if audience is not None:
            form["audience"] = audience
        if scope is not None:
            form["scope"] = scope
        return self.token(form)

    def uma_permissions(
        self, access_token: str, audience: str, permission: str | None = None
    ) -> list[dict[str, Any]]:
        """The permissions the resource server ``audience`` grants the token's user (only
        ``permission``, ``"resource#scope"``, when given): a real ``uma-ticket`` grant
        (``response_mode=permissions``). A refusal raises ``TokenError`` (403 ``access_denied`` when
        nothing asked for is granted)."""
        form = {"grant_type": UMA_TICKET, "audience": audience, "response_mode": "permissions"}
        if permission is not None:
            form["permission"] = permission
        response = httpx.post(
            self.token_url,
            data=form,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )
        body: Any = response.json()
        if response.status_code != 200:
            raise TokenError(response.status_code, body)
        return list(body)

    def authorization_code_login(
        self, client_id: str, client_secret: str, redirect_uri: str, username: str, password: str
    ) -> dict[str, Any]:
        """Drive the browser part of the code flow (with PKCE S256), then redeem the code. Raises
        ``LoginError`` when the login stops at a page instead (``browser.BrowserLogin`` shows it)."""
        from reconciler.testing.browser import BrowserLogin

        with BrowserLogin(self, client_id, redirect_uri, client_secret=client_secret) as browser:
            page = browser.sign_in(username, password)
            if page.code is None:
                raise LoginError(
                    f"login of {username} did not redirect to the client (HTTP {page.status}): {page.message}"
                )
            return browser.tokens(page)

    def key_set(self) -> KeySet:
        from joserfc.jwk import KeySet

        response = httpx.get(self.jwks_url, timeout=30)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())


def code_flow_params(client_id: str, redirect_uri: str) -> tuple[dict[str, str], str, str]:
    """The query of an authorization request with PKCE S256, its code verifier and its state."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state = secrets.token_urlsafe(16)
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    return params, verifier, state


def verify_access_token(realm: Realm, token: str, audience: str | None) -> dict[str, Any]:
    """What a backend middleware does: check the signature against the realm's JWKS, then the
    issuer, the expiry and (when given) that ``audience`` is one of the token's audiences.
    Raises a joserfc error when any check fails; returns the verified claims."""
    from joserfc import jwt

    decoded = jwt.decode(token, realm.key_set(), algorithms=["RS256"])
    options: dict[str, Any] = {"iss": {"essential": True, "value": realm.issuer}, "exp": {"essential": True}}
    if audience is not None:
        options["aud"] = {"essential": True, "value": audience}
    jwt.JWTClaimsRegistry(leeway=5, **options).validate(decoded.claims)
    return dict(decoded.claims)


def _page_message(page: str) -> str:
    """The title and feedback text of a Keycloak login page, for a readable failure."""
    found = re.findall(
        r"<title>([^<]*)</title>|kc-feedback-text\">([^<]*)<|id=\"input-error[^\"]*\"[^>]*>([^<]*)<", page
    )
    return " | ".join(" ".join(part.strip() for part in parts if part.strip()) for parts in found)[:300]
