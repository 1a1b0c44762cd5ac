"""Identity brokering for tests: an upstream OIDC provider and a real brokered login, over plain HTTP.

Some Keycloak behaviour only exists after a login through an identity provider: an organization's
MANAGED members, for one, are made only by a login through an identity provider linked to the
organization (and Keycloak deletes their accounts with the organization). This module builds that on
one Keycloak, without a browser:

- ``Broker.create(api, base_url, realm)`` makes an upstream realm acting as the OIDC provider (with a
  confidential client), and an identity provider of type ``oidc`` in ``realm`` (the broker realm,
  which must exist) pointing at it, through the Admin API;
- ``broker.add_upstream_user(api, ...)`` makes an account in the upstream realm;
- ``broker.link_organization(api, org_id, domain)`` links the identity provider to an organization of
  the broker realm, for the organization's domain;
- ``broker.login(username, password)`` is a brokered login as a browser does it (the broker's login
  page with ``kc_idp_hint``, the upstream login form, the first-broker-login form if one is shown, the
  redirect with a code) and returns the broker realm's tokens; the first login makes the account in the
  broker realm (a MANAGED member when the identity provider is linked to an organization);
- ``broker.delete(api)`` removes the upstream realm (the broker realm is the caller's).

Logins use the broker realm's built-in public client ``account-console`` (PKCE), so the broker realm
gets no object beyond the identity provider.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.browser import BrowserLogin, Page
from reconciler.testing.oidc import LoginError, Realm

LOGIN_CLIENT = "account-console"


@dataclass(frozen=True)
class Broker:
    """An ``oidc`` identity provider ``alias`` in realm ``realm``, backed by realm ``upstream_realm``."""

    base_url: str
    realm: str
    alias: str
    upstream_realm: str
    upstream_client_id: str

    @classmethod
    def create(cls, api: AdminClient, base_url: str, realm: str, *, alias: str = "upstream") -> Broker:
        """The upstream realm (with a confidential client), and the identity provider in ``realm``."""
        base_url = base_url.rstrip("/")
        upstream = f"{realm}-up-{uuid.uuid4().hex[:6]}"
        client_id = "broker"
        secret = secrets.token_urlsafe(24)
        endpoint = f"{base_url}/realms/{realm}/broker/{alias}/endpoint"
        api.post(
            "",
            {
                "realm": upstream,
                "enabled": True,
                "clients": [
                    {
                        "clientId": client_id,
                        "publicClient": False,
                        "secret": secret,
                        "standardFlowEnabled": True,
                        "redirectUris": [endpoint, f"{endpoint}/*"],
                    }
                ],
            },
        )
        issuer = f"{base_url}/realms/{upstream}"
        api.post(
            f"/{seg(realm)}/identity-provider/instances",
            {
                "alias": alias,
                "providerId": "oidc",
                "enabled": True,
                "trustEmail": True,
                "config": {
                    "issuer": issuer,
                    "authorizationUrl": f"{issuer}/protocol/openid-connect/auth",
                    "tokenUrl": f"{issuer}/protocol/openid-connect/token",
                    "userInfoUrl": f"{issuer}/protocol/openid-connect/userinfo",
                    "jwksUrl": f"{issuer}/protocol/openid-connect/certs",
                    "logoutUrl": f"{issuer}/protocol/openid-connect/logout",
                    "validateSignature": "true",
                    "useJwksUrl": "true",
                    "clientId": client_id,
                    "clientSecret": secret,
                    "clientAuthMethod": "client_secret_post",
                    "defaultScope": "openid email profile",
                    "syncMode": "IMPORT",
                },
            },
        )
        return cls(base_url, realm, alias, upstream, client_id)

    def add_upstream_user(
        self, api: AdminClient, username: str, password: str, *, email: str | None = None
    ) -> None:
        """An account in the upstream realm; ``email`` (default ``<username>@example.com``) decides
        which organization domain the brokered account belongs to."""
        api.post(
            f"/{seg(self.upstream_realm)}/users",
            {
                "username": username,
                "enabled": True,
                "email": email or f"{username}@example.com",
                "emailVerified": True,
                "firstName": username.capitalize(),
                "lastName": "Upstream",
                "credentials": [{"type": "password", "value": password, "temporary": False}],
            },
        )

    def link_organization(self, api: AdminClient, org_id: str, domain: str) -> None:
        """Link the identity provider to the organization ``org_id`` for ``domain`` (one of its
        domains): logins through it then make the account a MANAGED member."""
        api.post(f"/{seg(self.realm)}/organizations/{seg(org_id)}/identity-providers", self.alias)
        path = f"/{seg(self.realm)}/identity-provider/instances/{seg(self.alias)}"
        idp = api.get(path)
        idp["config"] = {**(idp.get("config") or {}), "kc.org.domain": domain}
        api.put(path, idp)

    def login(
        self, username: str, password: str, *, hint: bool = True, pages: list[Page] | None = None
    ) -> dict[str, Any]:
        """A brokered login of an upstream account into the broker realm; the broker realm's tokens.
        ``hint=False`` starts at the broker realm's own login page, where ``username`` (an email) is
        typed first: an organization-linked provider that redirects when the email matches takes over.
        ``pages`` collects every page shown on the way."""
        realm = Realm(self.base_url, self.realm)
        redirect_uri = f"{realm.issuer}/account/"
        params = {"kc_idp_hint": self.alias} if hint else None
        with BrowserLogin(realm, LOGIN_CLIENT, redirect_uri, params=params) as browser:
            page = browser.start()
            if pages is not None:
                pages.append(page)
            fields = {"username": username, "password": password}
            password_sent = False
            # Submit forms (the email, the upstream login, first-broker-login review, required actions)
            # until Keycloak sends the browser back to the client. Bounded: a real login shows fewer
            # than eight pages.
            for _ in range(8):
                form = page.form if page.status == 200 and page.code is None else None
                if form is None:
                    break
                if "password" in form.fields:
                    if password_sent:
                        break  # the login form again: the password was refused
                    password_sent = True
                page = browser.submit(page, **{k: v for k, v in fields.items() if k in form.fields})
                if pages is not None:
                    pages.append(page)
            if page.code is None:
                raise LoginError(
                    f"brokered login of {username} through {self.alias} did not redirect to the client "
                    f"(HTTP {page.status} at {page.url}): {page.message}"
                )
            return browser.tokens(page)

    def delete(self, api: AdminClient) -> None:
        """Remove the upstream realm (the identity provider goes with the broker realm)."""
        with contextlib.suppress(NotFound):
            api.delete(f"/{seg(self.upstream_realm)}")
