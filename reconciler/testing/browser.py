"""A browser-form login over plain httpx that stops at every page Keycloak shows.

``Realm.authorization_code_login`` (``oidc.py``) is for logins that are expected to succeed. To test
what a login *faces* (a required action such as accepting terms, an error page of a custom flow, a
second factor) a test needs to see each page and decide what to send:

    with BrowserLogin(realm, "app", "https://app/cb", client_secret="...") as browser:
        page = browser.sign_in("alice", "password")
        assert page.required_action == "TERMS_AND_CONDITIONS"
        page = browser.submit(page, accept="")
        tokens = browser.tokens(page)

``browser.register(username=..., email=..., password=..., **{"password-confirm": ...})`` does a
self-registration through the login page's "Register" link the same way.

Each step follows Keycloak's redirects and stops at a page with content, or at the redirect back to
the client (``page.code`` is then set). The authorization code flow runs with PKCE (S256).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from reconciler.testing.oidc import LoginError, Realm, _page_message, code_flow_params

_FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
_ATTR = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_INPUT = re.compile(r"<input\b[^>]*>", re.S | re.I)
_REDIRECTS = 10  # Keycloak never needs more between two pages
_REGISTRATION_LINK = re.compile(r'href="([^"]*/login-actions/registration\?[^"]*)"')


class _LocalhostPolicy(DefaultCookiePolicy):
    def return_ok_secure(self, cookie: Cookie, request: Any) -> bool:
        return True


def localhost_cookies() -> dict[str, list[Callable[[Any], None]]]:
    """httpx event hooks that keep cookies as a browser on localhost does. Keycloak marks its login
    cookies Secure even on plain http; a browser sends them back to localhost (a secure context),
    httpx's own cookie handling does not (it copies a client's cookies into a jar with the default
    policy for every request). Path-aware, since two realms' login cookies have the same names."""
    cookies = httpx.Cookies(CookieJar(policy=_LocalhostPolicy()))

    def send(request: httpx.Request) -> None:
        cookies.set_cookie_header(request)

    def keep(response: httpx.Response) -> None:
        cookies.extract_cookies(response)

    return {"request": [send], "response": [keep]}


@dataclass(frozen=True)
class Form:
    """The first POST form of a page: where it goes and its fields with their preset values."""

    action: str
    fields: dict[str, str]


@dataclass(frozen=True)
class Page:
    """Where one step of a login stopped: a page Keycloak shows, or the redirect to the client."""

    status: int
    url: str
    text: str
    location: str = ""

    @property
    def form(self) -> Form | None:
        return first_post_form(self.text, self.url)

    @property
    def is_login_form(self) -> bool:
        return 'id="kc-form-login"' in self.text

    @property
    def required_action(self) -> str | None:
        """The required action this page asks for (``TERMS_AND_CONDITIONS``, ``UPDATE_PASSWORD``...)."""
        parts = urlsplit(self.url)
        if self.location or not parts.path.endswith("/login-actions/required-action"):
            return None
        found = parse_qs(parts.query).get("execution")
        return found[0] if found else None

    @property
    def code(self) -> str | None:
        """The authorization code, when this step ended in the redirect to the client."""
        if not self.location:
            return None
        found = parse_qs(urlsplit(self.location).query).get("code")
        return found[0] if found else None

    @property
    def registration_link(self) -> str | None:
        """The login page's "Register" link (absolute), when the realm allows self-registration."""
        found = _REGISTRATION_LINK.search(self.text)
        return urljoin(self.url, html.unescape(found.group(1))) if found else None

    @property
    def message(self) -> str:
        """The page's title and feedback text (what a person would read)."""
        return _page_message(self.text)


def first_post_form(page: str, base_url: str) -> Form | None:
    """The action (absolute) and the fields (with their preset values) of the first POST form."""
    for match in _FORM.finditer(page):
        opening = match.group(0).split(">", 1)[0]
        attrs = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(opening)}
        if attrs.get("method", "").lower() != "post" or not attrs.get("action"):
            continue
        fields: dict[str, str] = {}
        for tag in _INPUT.findall(match.group(0)):
            field = {k.lower(): html.unescape(v) for k, v in _ATTR.findall(tag)}
            if field.get("name") and field.get("type", "text").lower() not in ("submit", "button"):
                fields[field["name"]] = field.get("value", "")
        return Form(urljoin(base_url, attrs["action"]), fields)
    return None


class BrowserLogin:
    """One browser (one cookie jar) running the authorization code flow of ``client_id``."""

    def __init__(
        self,
        realm: Realm,
        client_id: str,
        redirect_uri: str,
        *,
        client_secret: str | None = None,
        params: dict[str, str] | None = None,
    ) -> None:
        self.realm = realm
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.client_secret = client_secret
        self.params = dict(params or {})
        self._query, self._verifier, self._state = code_flow_params(client_id, redirect_uri)
        self._http = httpx.Client(timeout=30, follow_redirects=False, event_hooks=localhost_cookies())

    def __enter__(self) -> BrowserLogin:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.close()

    def start(self) -> Page:
        """Open the realm's authorization endpoint: the first page (usually the login form)."""
        query = {**self._query, **self.params}
        return self._follow(self._http.get(self.realm.auth_url, params=query))

    def submit(self, page: Page, **fields: str) -> Page:
        """Post the page's form: its preset fields, overridden by ``fields``."""
        form = page.form
        if form is None:
            raise LoginError(f"no form to submit at {page.url} (HTTP {page.status}): {page.message}")
        return self._follow(self._http.post(form.action, data={**form.fields, **fields}))

    def sign_in(self, username: str, password: str) -> Page:
        """Start, then fill in the login form(s) (identity-first login asks on two pages) until Keycloak
        shows something else: the client redirect, a required action, an error page."""
        page = self.start()
        for _ in range(3):
            if not page.is_login_form:
                break
            page = self.submit(page, username=username, password=password, credentialId="")
        return page

    def register(self, **fields: str) -> Page:
        """Self-registration as a person does it: open the login page, follow its "Register" link, and
        post the registration form with ``fields`` (``username``, ``email``, ``firstName``, ``lastName``,
        ``password``, ``password-confirm``). Ends at the redirect to the client (``page.code``), or at
        the page Keycloak shows instead (a refused field, a required action)."""
        page = self.start()
        link = page.registration_link
        if link is None:
            raise LoginError(f"no registration link at {page.url} (HTTP {page.status}): {page.message}")
        return self.submit(self._follow(self._http.get(link)), **fields)

    def tokens(self, page: Page) -> dict[str, Any]:
        """Redeem the code of a step that ended in the redirect to the client."""
        if page.code is None:
            raise LoginError(
                f"the login did not redirect to the client (HTTP {page.status} at {page.url}): {page.message}"
            )
        if parse_qs(urlsplit(page.location).query).get("state") != [self._state]:
            raise LoginError("the redirect carries another state than the one sent")
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": page.code,
            "redirect_uri": self.redirect_uri,
            "code_verifier": self._verifier,
        }
        if self.client_secret is not None:
            form["client_secret"] = self.client_secret
        return self.realm.token(form)

    def _follow(self, response: httpx.Response) -> Page:
        for _ in range(_REDIRECTS):
            location = response.headers.get("location", "")
            if not response.is_redirect:
                break
            if location.startswith(self.redirect_uri):
                return Page(response.status_code, str(response.url), response.text, location)
            response = self._http.get(urljoin(str(response.url), location))
        return Page(response.status_code, str(response.url), response.text)
