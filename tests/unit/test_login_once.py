"""``AdminClient``: a first login that fails fails every request waiting on it the same way, with one
token request (concurrent reads: the early reads of a plan and its main thread). Against a fake
token endpoint (our own logic, no Admin API behaviour assumed)."""

from __future__ import annotations

import httpx
import pytest

from reconciler.errors import AuthenticationFailed
from reconciler.keycloak.client import AdminClient
from reconciler.keycloak.settings import ConnectionSettings


def test_a_failed_first_login_is_tried_once_for_all_requests() -> None:
    tokens: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            tokens.append(request.url.path)
            return httpx.Response(500, json={"error": "unknown_error"})
        return httpx.Response(200, json=[])

    settings = ConnectionSettings(
        url="http://keycloak.invalid", client_id="c", client_secret="s", concurrency=4
    )
    with AdminClient(settings, transport=httpx.MockTransport(answer)) as api:
        outcomes = api.map(lambda _: _failure(api), range(8))
        with pytest.raises(AuthenticationFailed, match="HTTP 500"):
            api.get("/r/users")
    assert outcomes == ["HTTP 500"] * 8
    assert len(tokens) == 1


def _failure(api: AdminClient) -> str:
    try:
        api.get("/r/clients")
    except AuthenticationFailed as exc:
        return "HTTP 500" if "HTTP 500" in str(exc) else str(exc)
    return "no failure"
