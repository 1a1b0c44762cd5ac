"""The one place that talks HTTP to Keycloak's Admin REST API.

One ``httpx.Client`` per run (connection reuse, thread-safe), a token renewed before it expires and
once on 401, retries with jittered backoff for safe requests, explicit pagination, bounded concurrency
for fan-out reads, typed errors carrying Keycloak's own message (never our request body), and a
request counter for ``stats``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote, unquote

import httpx

from reconciler.__about__ import __version__
from reconciler.errors import (
    AuthenticationFailed,
    KeycloakUnreachable,
    api_error_for,
)
from reconciler.keycloak.settings import ConnectionSettings

T = TypeVar("T")
R = TypeVar("R")

SAFE_METHODS = frozenset({"GET", "HEAD"})
# PUT and DELETE are idempotent by HTTP's definition and in Keycloak's admin API, so a retry after a
# connect error or 5xx cannot do a write twice. POST is retried only when the request never left.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})


def seg(value: str) -> str:
    """Quote one path segment (role names may hold spaces or slashes)."""
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


# Which realm-management role an Admin API path needs (keycloak-admin-api.md 4.1). Keycloak's 403
# answer does not name it, so we do: first match wins.
_PERMISSIONS: list[tuple[str, str, str]] = [
    (
        "/organizations",
        "view-realm (26.7+: view-organizations)",
        "manage-realm (26.7+: manage-organizations)",
    ),
    ("/clients", "view-clients", "manage-clients"),
    ("/client-scopes", "view-clients", "manage-clients"),
    ("/default-default-client-scopes", "view-realm", "manage-realm"),
    ("/default-optional-client-scopes", "view-realm", "manage-realm"),
    ("/users", "view-users", "manage-users"),
    ("/groups", "view-users (or query-groups)", "manage-users"),
    ("/roles", "view-realm", "manage-realm"),
    ("/partial-export", "manage-realm", "manage-realm"),
]


def permission_hint(method: str, url: str) -> str:
    """What to grant the logged-in account so that ``method url`` is allowed."""
    parts = url.split("/admin/realms/", 1)
    rest = parts[1] if len(parts) == 2 else ""
    realm, _, tail = rest.partition("/")
    write = method not in SAFE_METHODS
    if not rest:
        role = "the master-realm role create-realm or admin" if write else "a role that can view realms"
        return f"the logged-in account needs {role}"
    for prefix, read_role, write_role in _PERMISSIONS:
        if ("/" + tail).startswith(prefix):
            role = write_role if write else read_role
            break
    else:
        role = "manage-realm" if write else "view-realm"
    return (
        f"the logged-in account needs the realm-management client role {role} in realm "
        f"{realm!r} (or the master-realm admin role)"
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
        verify: bool | str = settings.ca_bundle or settings.verify_tls
        self._http = httpx.Client(
            base_url=settings.base_url,
            verify=verify,
            timeout=settings.timeout,
            transport=transport,
            headers={"User-Agent": f"keycloak-reconciler/{__version__}"},
            limits=httpx.Limits(max_connections=max(settings.concurrency, 1) * 2),
        )
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # by HTTP method, token requests under "TOKEN"
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
            msg = _error_message(response)
            who = s.username or s.client_id
            raise AuthenticationFailed(
                f"Keycloak refused to log in {who!r} to realm {s.login_realm!r} at {s.base_url}: "
                f"HTTP {response.status_code} {msg}. Check KEYCLOAK_USER/KEYCLOAK_PASSWORD or "
                "KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET and KEYCLOAK_REALM."
            )
        body = response.json()
        self._token = body["access_token"]
        # Renew 15 s (or a third of a very short lifetime) before expiry.
        lifetime = float(body.get("expires_in", 60))
        self._token_expires = time.monotonic() + lifetime - min(15.0, lifetime / 3)

    def _auth_header(self, force: bool = False) -> dict[str, str]:
        with self._token_lock:
            if force or self._token is None or time.monotonic() >= self._token_expires:
                self._login()
            return {"Authorization": f"Bearer {self._token}"}

    # -- raw sending with retries ----------------------------------------------------------------
    def _send_raw(
        self, method: str, url: str, *, count_as: str | None = None, retry: bool, **kwargs: Any
    ) -> httpx.Response:
        attempt = 0
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
                    f"Cannot reach Keycloak at {self.settings.base_url}: {type(exc).__name__}: {exc}. "
                    "Is it running, and is KEYCLOAK_URL right?"
                ) from None
            except httpx.TransportError as exc:
                if retry and attempt <= self.max_retries:
                    self._backoff(attempt)
                    continue
                raise KeycloakUnreachable(
                    f"Connection to Keycloak at {self.settings.base_url} failed during {method} "
                    f"{url}: {type(exc).__name__}: {exc}"
                ) from None
            if (
                retry
                and attempt <= self.max_retries
                and (response.status_code in RETRY_STATUSES or response.status_code >= 500)
            ):
                self._backoff(attempt, response.headers.get("Retry-After"))
                continue
            return response

    @staticmethod
    def _backoff(attempt: int, retry_after: str | None = None) -> None:
        if retry_after and retry_after.isdigit():
            time.sleep(min(float(retry_after), 10.0))
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
    ) -> httpx.Response:
        """Send one Admin API request; raise a typed ApiError on a non-2xx answer."""
        url = "/admin/realms" + path if not path.startswith("/admin/") else path
        if retry is None:
            retry = method in IDEMPOTENT_METHODS
        for renewed in (False, True):
            hdrs = {**self._auth_header(force=renewed), **(headers or {})}
            kwargs: dict[str, Any] = {"params": params, "headers": hdrs}
            if json is not None:
                kwargs["json"] = json
            elif content is not None:
                kwargs["content"] = content
            response = self._send_raw(method, url, retry=retry, **kwargs)
            if response.status_code == 401 and not renewed:
                continue  # token revoked or expired early: renew once
            break
        if response.status_code >= 400:
            message = _error_message(response)
            prefix = f"HTTP {response.status_code}"
            if message.startswith(prefix):  # Keycloak's bare {"error": "HTTP 403 Forbidden"}
                message = message[len(prefix) :].strip()
            if response.status_code == 403:
                message = f"{message or 'forbidden'}; {permission_hint(method, url)}"
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

    def iter_paged(
        self, path: str, params: dict[str, Any] | None = None, *, page_size: int = 500
    ) -> Iterator[Any]:
        first = 0
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

    def server_version(self) -> str:
        info = self.get("/admin/serverinfo")
        return str(info["systemInfo"]["version"])
