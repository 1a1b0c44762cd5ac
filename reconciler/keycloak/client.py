"""The one place that talks HTTP to Keycloak's Admin REST API.

One ``httpx.Client`` per run (connection reuse, thread-safe), a token renewed before it expires and
once on 401, retries with jittered backoff for safe requests, explicit pagination, bounded concurrency
for fan-out reads, typed errors carrying Keycloak's own message (never our request body), and a
request counter for ``stats``.
"""

from __future__ import annotations

import email.utils
import random
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from reconciler.__about__ import __version__
from reconciler.errors import (
    AuthenticationFailed,
    Forbidden,
    KcrError,
    KeycloakUnreachable,
    SettingsError,
    api_error_for,
)
from reconciler.keycloak.settings import ConnectionSettings
from reconciler.versions import ServerInfo

T = TypeVar("T")
R = TypeVar("R")

SAFE_METHODS = frozenset({"GET", "HEAD"})
# PUT and DELETE are idempotent by HTTP's definition and in Keycloak's admin API, so sending one again
# after its answer was lost cannot do a write twice. A POST whose answer was lost is not sent again
# here: the apply re-reads the object and continues from what is live (apply.py).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
# The server (or a proxy in front of it) could not answer now; the request may or may not have acted.
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
# 429 Too Many Requests: refused before acting, so any request, a POST too, may be sent again.
TOO_MANY_REQUESTS = 429
# The longest Retry-After kcr waits for; a longer one ends the request with a message saying so.
MAX_RETRY_AFTER = 30.0
# A 500 is sent again once at most: Keycloak answers 500 to requests it cannot handle at all (a
# clientId longer than its column, say), and the same request gets the same 500 every time. A read
# is sent again here; a write is not: the apply retries it once after re-reading the object
# (apply.py). Either covers the rare transient 500 (a concurrent change, a database hiccup).


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date); None if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def redact_url(url: str) -> str:
    """``url`` without the password of its userinfo (``https://kcr:***@sso.example.com``)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo = f"{parts.username}:***" if parts.username else "***"
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{host}"))


# What ``AdminClient.requests`` counts a POST that changes nothing under (the realm's partial export),
# so that "no writes" can be checked by method.
READ_ONLY_POST = "EXPORT"


def seg(value: str) -> str:
    """Quote one path segment (role names may hold spaces or slashes). "." and ".." cannot be one: the
    HTTP client would remove them (calling another URL), and Keycloak refuses them %-encoded."""
    if value in (".", ".."):
        raise KcrError(f"{value!r} cannot be addressed in a Keycloak Admin API URL: rename the object")
    return quote(value, safe="")


def _error_message(response: httpx.Response) -> str:
    """Keycloak's own error text from a response, or a short excerpt of it."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300]
    if isinstance(body, dict):
        for key in ("errorMessage", "error_description", "error", "message"):
            if body.get(key):
                msg = str(body[key])
                params = body.get("params")
                if isinstance(params, list) and params:
                    msg += f" ({', '.join(map(str, params))})"
                return msg
    return str(body)[:300]


def permission_hint(method: str, url: str) -> str:
    """What to grant the logged-in account so that ``method url`` is allowed. Keycloak's 403 answer
    does not name the role, so we do, from the roles each kind says its endpoints need."""
    from reconciler.kinds import ACCESS  # the kinds build on this client: imported when needed

    parts = url.split("/admin/realms/", 1)
    rest = parts[1] if len(parts) == 2 else ""
    realm, _, tail = rest.partition("/")
    write = method not in SAFE_METHODS
    if not rest:
        role = "the master-realm role create-realm or admin" if write else "a role that can view realms"
        return f"the logged-in account needs {role}"
    path = "/" + tail
    access = next(a for a in ACCESS if path.startswith(a.path))
    role = access.write if write else access.read
    return (
        f"the logged-in account needs the realm-management client role {role} in realm "
        f"{realm!r} (or the master-realm admin role)"
    )


def tls_verification(settings: ConnectionSettings) -> ssl.SSLContext | bool:
    """How httpx verifies Keycloak's certificate; a CA bundle that cannot be used is a clear error,
    not a traceback from deep inside ssl."""
    if not settings.verify_tls:
        return False
    if not settings.ca_bundle:
        return True
    path = Path(settings.ca_bundle)
    where = f"CA bundle {settings.ca_bundle} (--ca-bundle or KEYCLOAK_CA_BUNDLE)"
    if not path.exists():
        raise SettingsError(f"{where} does not exist: give the path of a PEM file of CA certificates")
    if not path.is_file():
        raise SettingsError(f"{where} is not a file: give the path of a PEM file of CA certificates")
    try:
        return ssl.create_default_context(cafile=str(path))
    except ssl.SSLError as exc:
        raise SettingsError(
            f"{where} holds no usable certificate ({exc.reason or exc}): it must be PEM text with "
            "-----BEGIN CERTIFICATE----- blocks (convert DER with `openssl x509 -inform der -in FILE`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{where} cannot be read: {exc}") from None


def forbidden_message(keycloak_says: str, method: str, url: str) -> str:
    """A 403 explained from what Keycloak said. Its answer is usually a bare "Forbidden", for a missing
    role and for a write it refuses to everyone (its realm-management client) alike: then a write's
    hint names both causes, instead of blaming a role the account may well have."""
    if keycloak_says.strip().lower() not in ("", "forbidden"):
        return keycloak_says  # Keycloak said why
    if method in SAFE_METHODS:
        return f"Forbidden; {permission_hint(method, url)}"
    return (
        f"Forbidden, and Keycloak gives no reason: either {permission_hint(method, url)}, or Keycloak "
        "refuses this change to every account (as it does for its realm-management client)"
    )


class AdminClient:
    """A logged-in Admin API client. Paths are relative to ``{url}/admin/realms``."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        max_retries: int = 4,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.url:
            raise KeycloakUnreachable(
                "No Keycloak URL: set KEYCLOAK_URL or pass --url (for example http://localhost:8080)"
            )
        self.settings = settings
        self.max_retries = max_retries
        verify = tls_verification(settings)
        self._http = httpx.Client(
            # Keycloak takes bearer tokens only: a user:password@ in the URL would make httpx send
            # basic auth instead of the token, so it is left out (and never shown).
            base_url=without_userinfo(settings.base_url),
            verify=verify,
            timeout=settings.timeout,
            transport=transport,
            headers={"User-Agent": f"keycloak-reconciler/{__version__}"},
            limits=httpx.Limits(max_connections=max(settings.concurrency, 1) * 2),
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        # Why the first login failed: every request waiting on it (concurrent reads) fails the same
        # way, with one token request, not one each.
        self._first_login_error: KcrError | None = None
        self._count_lock = threading.Lock()
        self._info_lock = threading.Lock()
        self._server_info: ServerInfo | None = None
        # by HTTP method; token requests under "TOKEN", POSTs that only read under READ_ONLY_POST
        self.requests: Counter[str] = Counter()
        self.started = time.monotonic()

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def request_count(self) -> int:
        """Admin API requests made (token requests not included)."""
        return sum(n for m, n in self.requests.items() if m != "TOKEN")

    def _count(self, method: str) -> None:
        with self._count_lock:
            self.requests[method] += 1

    # -- authentication --------------------------------------------------------------------------
    def _login(self) -> None:
        s = self.settings
        if s.username:
            form = {
                "grant_type": "password",
                "client_id": s.client_id,
                "username": s.username,
                "password": s.password or "",
            }
            if s.client_secret:
                form["client_secret"] = s.client_secret
        elif s.client_secret:
            form = {
                "grant_type": "client_credentials",
                "client_id": s.client_id,
                "client_secret": s.client_secret,
            }
        else:
            raise AuthenticationFailed(
                "No credentials: set KEYCLOAK_USER and KEYCLOAK_PASSWORD, or KEYCLOAK_CLIENT_ID and "
                "KEYCLOAK_CLIENT_SECRET (a service account with realm-management roles)"
            )
        path = f"/realms/{seg(s.login_realm)}/protocol/openid-connect/token"
        response = self._send_raw("POST", path, data=form, count_as="TOKEN", retry=True)
        if response.status_code >= 400:
            raise AuthenticationFailed(self._login_failure(response))
        body = response.json()
        self._token = body["access_token"]
        # Renew 15 s (or a third of a very short lifetime) before expiry.
        lifetime = float(body.get("expires_in", 60))
        self._token_expires = time.monotonic() + lifetime - min(15.0, lifetime / 3)

    def _login_failure(self, response: httpx.Response) -> str:
        """Why the token request failed, blaming the credentials only when Keycloak did."""
        s = self.settings
        who = s.username or s.client_id
        status = response.status_code
        msg = _error_message(response)
        where = f"realm {s.login_realm!r} at {self.display_url}"
        if status >= 500 or status == TOO_MANY_REQUESTS:
            return (
                f"Keycloak's token endpoint failed to answer the login of {who!r} to {where}: HTTP "
                f"{status} {msg}. This is a server-side problem, not a credentials problem: see "
                "Keycloak's log (or the proxy in front of it), then try again."
            )
        if status == 404:
            return (
                f"Keycloak has no login realm {s.login_realm!r} at {self.display_url} (HTTP 404 {msg}). "
                "Check KEYCLOAK_REALM (default master) and KEYCLOAK_URL (no /auth on Keycloak 26)."
            )
        return (
            f"Keycloak refused to log in {who!r} to {where}: HTTP {status} {msg}. Check "
            "KEYCLOAK_USER/KEYCLOAK_PASSWORD or KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET and KEYCLOAK_REALM."
        )

    @property
    def display_url(self) -> str:
        """The base URL as messages may show it: without a password."""
        return redact_url(self.settings.base_url)

    def _redact(self, text: str) -> str:
        netloc = urlsplit(self.settings.base_url).netloc
        text = text.replace(self.settings.base_url, self.display_url)
        return text.replace(netloc, urlsplit(self.display_url).netloc) if "@" in netloc else text

    def _auth_header(self, force: bool = False) -> dict[str, str]:
        with self._token_lock:
            if self._token is None and self._first_login_error is not None:
                raise self._first_login_error
            if force or self._token is None or time.monotonic() >= self._token_expires:
                try:
                    self._login()
                except KcrError as exc:
                    if self._token is None:
                        self._first_login_error = exc
                    raise
            return {"Authorization": f"Bearer {self._token}"}

    # -- raw sending with retries ----------------------------------------------------------------
    def _send_raw(
        self, method: str, url: str, *, count_as: str | None = None, retry: bool, **kwargs: Any
    ) -> httpx.Response:
        """Send, retrying what is safe to send again: a request that never left (connect error), a 429
        (refused before acting), and, when ``retry`` (idempotent requests), a lost answer or a
        502/503/504. A DELETE sent again after a lost answer that finds nothing (404) is done."""
        attempt = 0
        answer_lost = False  # an earlier attempt may have acted without us seeing its answer
        read_500 = False
        while True:
            attempt += 1
            self._count(count_as or method)
            try:
                response = self._http.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # The request never reached the server, so even a POST is safe to send again.
                if attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                raise KeycloakUnreachable(
                    self._redact(
                        f"Cannot reach Keycloak at {self.display_url}: {type(exc).__name__}: {exc}. "
                        "Is it running, and is KEYCLOAK_URL right?"
                    )
                ) from None
            except httpx.TransportError as exc:
                if retry and attempt <= self.max_retries:
                    answer_lost = True
                    self._backoff(attempt)
                    continue
                raise KeycloakUnreachable(
                    self._redact(
                        f"Connection to Keycloak at {self.display_url} failed during {method} {url}: "
                        f"{type(exc).__name__}: {exc}"
                        + ("" if retry else "; the request may or may not have been carried out")
                    )
                ) from None
            status = response.status_code
            if method == "DELETE" and answer_lost and status == 404:
                # The lost attempt deleted it: what we asked for is done.
                return httpx.Response(204, request=response.request)
            if attempt > self.max_retries:
                return response
            if status == TOO_MANY_REQUESTS or (retry and status in UNAVAILABLE_STATUSES):
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > MAX_RETRY_AFTER:
                    return response  # not worth waiting for: the caller reports the status
                answer_lost = answer_lost or status != TOO_MANY_REQUESTS
                self._backoff(attempt, wait)
                continue
            if status == 500 and method in SAFE_METHODS and not read_500:
                read_500 = True
                self._backoff(attempt)
                continue
            return response

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None = None) -> None:
        if retry_after is not None:
            time.sleep(retry_after)
            return
        time.sleep(min(0.2 * 2 ** (attempt - 1), 4.0) * (0.5 + random.random()))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        retry: bool | None = None,
        count_as: str | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one Admin API request; raise a typed ApiError on a non-2xx answer. ``count_as``
        counts it under another name than its method (``READ_ONLY_POST``); ``timeout`` (seconds)
        replaces the client's for a request known to take long (a realm import)."""
        url = "/admin/realms" + path if not path.startswith("/admin/") else path
        if retry is None:
            retry = method in IDEMPOTENT_METHODS
        for renewed in (False, True):
            hdrs = {**self._auth_header(force=renewed), **(headers or {})}
            kwargs: dict[str, Any] = {"params": params, "headers": hdrs}
            if timeout is not None:
                kwargs["timeout"] = timeout
            if json is not None:
                kwargs["json"] = json
            elif content is not None:
                kwargs["content"] = content
            response = self._send_raw(method, url, count_as=count_as, retry=retry, **kwargs)
            if response.status_code == 401 and not renewed:
                continue  # token revoked or expired early: renew once
            break
        if response.status_code >= 400:
            message = _error_message(response)
            prefix = f"HTTP {response.status_code}"
            if message.startswith(prefix):  # Keycloak's bare {"error": "HTTP 403 Forbidden"}
                message = message[len(prefix) :].strip()
            if response.status_code == 403:
                message = forbidden_message(message, method, url)
            elif response.status_code == TOO_MANY_REQUESTS:
                wait = response.headers.get("Retry-After")
                message = (
                    "Too Many Requests: Keycloak (or a proxy in front of it) limits the request rate"
                    + (f" and asks to wait {wait} s" if wait else "")
                    + f"; kcr waits at most {MAX_RETRY_AFTER:.0f} s and retries {self.max_retries} times"
                )
            raise api_error_for(response.status_code, method, url, message)
        return response

    # -- conveniences ----------------------------------------------------------------------------
    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = self.request("GET", path, params=params)
        if not response.content:
            return None
        return response.json()

    def get_paged(
        self, path: str, params: dict[str, Any] | None = None, *, page_size: int = 500
    ) -> list[Any]:
        """All items of a paginated listing: explicit first/max, until a short page."""
        return list(self.iter_paged(path, params, page_size=page_size))

    def get_pages(
        self, path: str, params: dict[str, Any] | None = None, *, total: int, page_size: int = 500
    ) -> list[Any]:
        """All items of a paginated listing of about ``total`` items: its pages up to ``total`` + 1
        items requested concurrently (bounded by ``concurrency``), then on one by one while the last
        is full (the listing grew since it was counted)."""
        firsts = list(range(0, total + 1, page_size))
        pages = self.map(
            lambda first: self.get(path, {**(params or {}), "first": first, "max": page_size}) or [], firsts
        )
        items = [item for page in pages for item in page]
        if len(pages[-1]) == page_size:
            items += self.iter_paged(path, params, page_size=page_size, first=firsts[-1] + page_size)
        return items

    def iter_paged(
        self, path: str, params: dict[str, Any] | None = None, *, page_size: int = 500, first: int = 0
    ) -> Iterator[Any]:
        while True:
            page = self.get(path, {**(params or {}), "first": first, "max": page_size}) or []
            yield from page
            if len(page) < page_size:
                return
            first += page_size

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        content: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.request("POST", path, json=json, content=content, headers=headers)

    def put(self, path: str, json: Any = None) -> httpx.Response:
        return self.request("PUT", path, json=json)

    def delete(self, path: str, json: Any = None) -> httpx.Response:
        return self.request("DELETE", path, json=json)

    def create(self, path: str, json: Any) -> str:
        """POST a representation; return the new object's id (last segment of Location)."""
        response = self.post(path, json)
        location = str(response.headers.get("Location", ""))
        if location:
            # Role creation answers with the URL-encoded role *name*, the others with an id.
            return unquote(location.rstrip("/").rsplit("/", 1)[-1])
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("id", "")) if isinstance(body, dict) else ""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """Run ``fn`` over ``items`` with at most ``settings.concurrency`` requests in flight."""
        materialised = list(items)
        if len(materialised) <= 1 or self.settings.concurrency <= 1:
            return [fn(i) for i in materialised]
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            return list(pool.map(fn, materialised))

    def server_info(self) -> ServerInfo:
        """The server's version and feature flags, read once per client (see reconciler.versions for
        what an account without realm-admin gets: no version)."""
        with self._info_lock:
            if self._server_info is None:
                try:
                    info = self.get("/admin/serverinfo")
                except Forbidden:
                    info = None
                self._server_info = ServerInfo.from_serverinfo(info)
            return self._server_info

    def server_version(self) -> str:
        """The server's version, "" when it did not tell this account."""
        return self.server_info().version_text
