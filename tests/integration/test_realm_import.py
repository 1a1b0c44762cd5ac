"""A new realm is created by Keycloak's own import, carrying what the import makes exactly as the
one-by-one creates would (realm roles, groups mapping only those; ``Kind.add_to_realm_import``); the
rest follows one by one. Both ways give the same live state, on a realm with every kind."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler import ownership
from reconciler.apply import Applier, apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.live import read_live
from tests.integration.test_bulk_reads import every_kind

pytestmark = pytest.mark.integration

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Values that differ between any two realms: generated secrets, creation times. Lists are compared
# in any order.
_VOLATILE = ("secret", "client.secret.creation.time", "createdTimestamp")


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        items = [_without_volatile(v) for v in value]
        # the order of these lists (scope links, mappers, URIs) is the server's, not meaningful
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _spec(realm: str) -> dict[str, Any]:
    spec = every_kind(realm)
    spec["clients"].append(
        {"clientId": "linked", "defaultClientScopes": ["extra"], "optionalClientScopes": []}
    )
    return spec


def _applied(api: AdminClient, realm: str, *, import_new_realms: bool) -> dict[str, Any]:
    spec = _spec(realm)
    state = DesiredState(realms={realm: DesiredRealm(name=realm, spec=spec)})
    plan, lives = make_plan(api, state)
    before = api.request_count
    apply_plan(api, plan, state, lives, import_new_realms=import_new_realms)
    writes = api.request_count - before
    again, _ = make_plan(api, state)
    assert again.changes == []
    live = read_live(api, state.realms[realm], read_all=True)
    text = json.dumps(_without_volatile(live.objects), sort_keys=True)
    text = _UUID.sub("<id>", text).replace(realm, "<realm>")
    objects: dict[str, Any] = json.loads(text)
    objects["requests"] = writes
    return objects


@pytest.fixture
def two_realms(admin_api: AdminClient, fresh_realm: str) -> Iterator[tuple[str, str]]:
    names = (f"{fresh_realm}-a", f"{fresh_realm}-b")
    yield names
    for name in names:
        with contextlib.suppress(NotFound):
            admin_api.delete(f"/{seg(name)}")


def test_import_and_one_by_one_give_the_same_realm(
    admin_api: AdminClient, two_realms: tuple[str, str]
) -> None:
    imported = _applied(admin_api, two_realms[0], import_new_realms=True)
    one_by_one = _applied(admin_api, two_realms[1], import_new_realms=False)
    assert imported.pop("requests") < one_by_one.pop("requests")
    assert imported.keys() == one_by_one.keys()
    for kind in imported:
        assert _differences(imported[kind], one_by_one[kind]) == [], kind


def _differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b)) for d in _differences(a.get(k), b.get(k), f"{path}.{k}")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_what_the_import_made_is_in_the_ownership_record_from_the_start(
    admin_api: AdminClient, fresh_realm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An apply killed right after the realm's import (here: a plan of the realm alone, and no save
    of the record at the end, as under SIGKILL) leaves every object the import made named in the
    ownership record."""
    monkeypatch.setattr(Applier, "_save_ownership", lambda *args: None)
    state = DesiredState(realms={fresh_realm: DesiredRealm(name=fresh_realm, spec=_spec(fresh_realm))})
    plan, lives = make_plan(admin_api, state)
    realm_only = dataclasses.replace(plan, changes=[c for c in plan.changes if c.kind == "realm"])
    apply_plan(admin_api, realm_only, state, lives)
    live = read_live(admin_api, state.realms[fresh_realm])
    record = ownership.parse(admin_api.get(f"/{seg(fresh_realm)}"))
    made_roles = {key for key in live.of("role") if key in {"user", "admin", "auditor"}}
    assert made_roles == {"user", "auditor"}  # admin contains client roles: created one by one later
    assert made_roles <= record["roles"]
    made_groups = set(live.of("group"))
    assert made_groups == {"/globex", "/globex/managers"}  # /acme maps a client role
    assert made_groups <= record["groups"]
