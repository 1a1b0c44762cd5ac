"""No name may change which URL is called: a name put into a request path addresses exactly that name,
whatever characters it holds; the dot segments ``.`` and ``..``, which no URL can hold (the HTTP
client normalises them away, Keycloak refuses them %-encoded), are refused instead."""

from __future__ import annotations

from urllib.parse import unquote

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.errors import KcrError
from reconciler.keycloak.client import seg

BASE = "https://keycloak.example.com/auth"  # behind a path prefix, as AdminClient's base_url may be
PREFIX = ["", "auth", "admin", "realms", "acme", "roles"]


def sent_path(name: str) -> list[str]:
    """The path segments httpx really sends for the role ``name`` (as AdminClient builds paths)."""
    with httpx.Client(base_url=BASE) as http:
        request = http.build_request("GET", "/admin/realms/acme/roles/" + seg(name) + "/composites")
    assert request.url.query == b""
    return request.url.raw_path.decode("ascii").split("/")


@settings(deadline=None)
@given(st.text(min_size=1).filter(lambda n: n not in (".", "..")))
@example("...")
@example("./x")
@example("../realms")
@example("a/b")
@example("%2E%2E")
@example("?x=1#frag")
@example("ünïcødé rôle")
@example("a\\..\\b")
def test_the_url_of_a_name_addresses_exactly_that_name(name: str) -> None:
    segments = sent_path(name)
    assert segments[: len(PREFIX)] == PREFIX
    assert len(segments) == len(PREFIX) + 2
    assert unquote(segments[len(PREFIX)]) == name
    assert segments[-1] == "composites"


@pytest.mark.parametrize("name", [".", ".."])
def test_a_dot_segment_name_is_refused_rather_than_sent(name: str) -> None:
    with pytest.raises(KcrError, match="cannot be addressed"):
        seg(name)
