"""``AdminClient.get_pages``: pages read concurrently from a count, then on one by one while the
last page is full. Against a fake listing (our own paging logic, no Admin API behaviour assumed)."""

from __future__ import annotations

import json

import httpx
import pytest

from reconciler.keycloak.client import AdminClient
from reconciler.keycloak.settings import ConnectionSettings


def client_for(items: list[int], seen: list[int]) -> AdminClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        first, size = int(request.url.params["first"]), int(request.url.params["max"])
        seen.append(first)
        return httpx.Response(200, content=json.dumps(items[first : first + size]))

    settings = ConnectionSettings(
        url="http://keycloak.invalid", client_id="c", client_secret="s", concurrency=3
    )
    return AdminClient(settings, transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(
    ("size", "counted"),
    [(0, 0), (7, 7), (10, 10), (23, 23), (23, 10), (23, 0)],
    ids=["empty", "one-page", "exact-pages", "several", "grew-since-count", "count-zero"],
)
def test_every_item_once_in_order(size: int, counted: int) -> None:
    items, seen = list(range(size)), list[int]()
    with client_for(items, seen) as api:
        assert api.get_pages("/r/users", total=counted, page_size=5) == items
    assert len(seen) == len(set(seen))  # no page read twice
