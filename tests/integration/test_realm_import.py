"""A new realm is created by Keycloak's own import, carrying what the import makes exactly as the
one-by-one creates would (realm roles, groups mapping only those; ``Kind.add_to_realm_import``); the
rest follows one by one. Both ways give the same live state, on a realm with every kind."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from reconciler import ownership
from reconciler.apply import Applier, apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.errors import ApplyError, NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.live import read_live
from reconciler.versions import IMPORT_MAKES_CLIENTS_AS_POST, ServerInfo, has
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


PASSWORD = "Imported-Pa55word"  # of the test's users: not a secret
LOGOUT_URI = "https://web.example.com/bye"
POST_LOGOUT = "post.logout.redirect.uris"


# The server's version (every_kind() declares group descriptions only where it has them).
SERVER = ServerInfo()


@pytest.fixture(autouse=True)
def _server_version(admin_api: AdminClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "SERVER", admin_api.server_info())


def _spec(realm: str) -> dict[str, Any]:
    spec = every_kind(realm, SERVER)
    spec["clients"].append(
        {"clientId": "linked", "defaultClientScopes": ["extra"], "optionalClientScopes": []}
    )
    return spec


def _carried_spec(realm: str) -> dict[str, Any]:
    """Every kind, with what lets clients and users go into the import: the realm's default scope
    lists and user profile left as Keycloak makes them (a user attribute needs a profile)."""
    spec = _spec(realm)
    del spec["defaultOptionalClientScopes"], spec["userProfile"]
    for user in spec["users"]:
        user.pop("attributes", None)
    spec["clients"] += [
        {
            "clientId": "mapped",
            "publicClient": True,
            "protocolMappers": [
                {
                    "name": "team",
                    "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "config": {"claim.name": "team", "claim.value": "blue", "access.token.claim": True},
                }
            ],
        },
        {
            "clientId": "logout",
            "publicClient": True,
            "redirectUris": ["https://web.example.com/*"],
            "attributes": {"post.logout.redirect.uris": LOGOUT_URI},
        },
        {
            "clientId": "listed",
            "defaultClientScopes": ["profile", "email"],
            "optionalClientScopes": ["address"],
        },
    ]
    spec["users"] += [
        {
            "username": "carl",
            "email": "Carl@Example.com",
            "firstName": "Carl",
            "lastName": "O'Neil",
            "enabled": True,
            "groups": ["/globex"],
            "realmRoles": ["auditor"],
            "clientRoles": {"api": ["read"]},
            "credentials": [{"type": "password", "value": PASSWORD}],
        },
        {
            "username": "dana",
            "enabled": True,
            "groups": [],  # declared: not the realm's default groups
            "requiredActions": ["VERIFY_EMAIL"],
            "credentials": [{"type": "password", "value": PASSWORD, "temporary": True}],
        },
        {"username": "erin", "email": "erin@example.com", "enabled": False},  # default groups: one by one
    ]
    return spec


SPECS = {"every kind": _spec, "clients and users carried": _carried_spec}


def _applied(
    api: AdminClient, realm: str, *, import_new_realms: bool, spec_of: Callable[[str], dict[str, Any]] = _spec
) -> dict[str, Any]:
    spec = spec_of(realm)
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


@pytest.mark.parametrize("spec_of", SPECS.values(), ids=SPECS.keys())
def test_import_and_one_by_one_give_the_same_realm(
    admin_api: AdminClient, two_realms: tuple[str, str], spec_of: Callable[[str], dict[str, Any]]
) -> None:
    imported = _applied(admin_api, two_realms[0], import_new_realms=True, spec_of=spec_of)
    one_by_one = _applied(admin_api, two_realms[1], import_new_realms=False, spec_of=spec_of)
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


def test_clients_and_users_go_into_the_import_and_a_kill_after_it_still_converges(
    admin_api: AdminClient, fresh_realm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import carries the clients and users that it makes as the one-by-one creates would, named
    in the record it saves; after a kill right after the import (no end-of-apply save, as under
    SIGKILL) the next plan has nothing to do for them (the import's "+" post-logout redirect is
    Keycloak's default: no change), and the apply after it converges."""
    monkeypatch.setattr(Applier, "_save_ownership", lambda *args: None)
    state = DesiredState(
        realms={fresh_realm: DesiredRealm(name=fresh_realm, spec=_carried_spec(fresh_realm))}
    )
    plan, lives = make_plan(admin_api, state)
    realm_only = dataclasses.replace(plan, changes=[c for c in plan.changes if c.kind == "realm"])
    apply_plan(admin_api, realm_only, state, lives)
    monkeypatch.undo()
    record = ownership.parse(admin_api.get(f"/{seg(fresh_realm)}"))
    again, lives = make_plan(admin_api, state)
    if not has(admin_api.server_info(), IMPORT_MAKES_CLIENTS_AS_POST):
        # Before 26.6 the import turns frontchannelLogout on: no client goes into it, nor what maps
        # their roles; they are all created one by one by the next apply.
        assert not record.get("clients")
        assert {c.key for c in again.changes if c.kind == "client"} >= {"api", "web", "mapped", "logout"}
        assert all(c.action.value == "create" for c in again.changes if c.kind == "client")
    else:
        assert record["clients"] == {"api", "web", "mapped", "logout", "listed"}  # robot, linked: later
        assert record["users"] == {"ann", "bob", "carl", "dana"}  # erin: default groups; robot: an account
        assert {"/acme", "/acme/admins", "/acme/admins/root", "/acme/staff", "/globex"} <= record["groups"]
        assert {"api/read", "web/power", "admin"} <= record["roles"]
        carried = {"api", "web", "mapped", "logout", "listed"}
        assert not [c.address for c in again.changes if c.kind == "client" and c.key in carried]
    apply_plan(admin_api, again, state, lives)
    clients = {c["clientId"]: c for c in admin_api.get(f"/{seg(fresh_realm)}/clients")}
    assert clients["logout"]["attributes"]["post.logout.redirect.uris"] == LOGOUT_URI
    assert make_plan(admin_api, state)[0].changes == []


def test_the_imports_plus_redirects_after_logout_as_no_attribute_does(
    admin_api: AdminClient, two_realms: tuple[str, str]
) -> None:
    """Both ways compared: Keycloak answers a logout with a post_logout_redirect_uri the same for a
    client holding the import's "+" and for one without the attribute (as POST /clients makes it):
    redirect URIs allowed, others refused. So kcr reads the "+" as no attribute
    (``reconciler/kinds/client.py``: ``SAME_AS_REDIRECTS``) and leaves it where the import put it."""
    posted, plain = two_realms  # kcr's one-by-one creates, and Keycloak's own import
    state = DesiredState(realms={posted: DesiredRealm(name=posted, spec=_carried_spec(posted))})
    plan, lives = make_plan(admin_api, state)
    apply_plan(admin_api, plan, state, lives, import_new_realms=False)
    web = next(c for c in _carried_spec(plain)["clients"] if c["clientId"] == "web")
    admin_api.post("", {"realm": plain, "enabled": True, "clients": [web]})

    def logout(realm: str, client_id: str, uri: str) -> tuple[int, str | None]:
        url = f"{admin_api.settings.base_url}/realms/{seg(realm)}/protocol/openid-connect/logout"
        answer = httpx.get(url, params={"client_id": client_id, "post_logout_redirect_uri": uri})
        return answer.status_code, answer.headers.get("location")

    def attribute(realm: str, client_id: str) -> str | None:
        (client,) = admin_api.get(f"/{seg(realm)}/clients", {"clientId": client_id})
        return client["attributes"].get("post.logout.redirect.uris")  # type: ignore[no-any-return]

    assert (attribute(plain, "web"), attribute(posted, "web")) == ("+", None)
    inside, outside = "https://web.example.com/app", "https://elsewhere.example.org/"
    assert logout(plain, "web", inside) == logout(posted, "web", inside) == (302, inside)
    assert logout(plain, "web", outside) == logout(posted, "web", outside) == (400, None)
    assert logout(posted, "logout", LOGOUT_URI) == (302, LOGOUT_URI)  # declared: carried as is
    # kcr reads the two alike, and a declared "+" is met by either.
    reads = [read_live(admin_api, DesiredRealm(name=r, spec={})).of("client")["web"] for r in two_realms]
    assert [POST_LOGOUT in r["attributes"] for r in reads] == [False, False]
    plus = {**web, "attributes": {**web.get("attributes", {}), POST_LOGOUT: "+"}}
    for realm in two_realms:
        declared = DesiredState(realms={realm: DesiredRealm(name=realm, spec={"clients": [plus]})})
        assert [c.address for c in make_plan(admin_api, declared)[0].changes if c.kind == "client"] == []


def test_carried_users_log_in_as_users_made_by_post(
    admin_api: AdminClient, two_realms: tuple[str, str]
) -> None:
    """A carried password works; a temporary one asks for a new password first, as after a POST."""
    answers = []
    for realm, import_new_realms in zip(two_realms, (True, False), strict=True):
        state = DesiredState(realms={realm: DesiredRealm(name=realm, spec=_carried_spec(realm))})
        plan, lives = make_plan(admin_api, state)
        apply_plan(admin_api, plan, state, lives, import_new_realms=import_new_realms)
        url = f"{admin_api.settings.base_url}/realms/{seg(realm)}/protocol/openid-connect/token"
        answers.append(
            [
                httpx.post(
                    url,
                    data={
                        "grant_type": "password",
                        "client_id": "admin-cli",
                        "username": name,
                        "password": PASSWORD,
                    },
                ).status_code
                for name in ("carl", "dana")
            ]
        )
    assert answers == [[200, 400], [200, 400]]


def test_a_user_the_post_refuses_still_fails_naming_the_field(
    admin_api: AdminClient, fresh_realm: str
) -> None:
    """The import would take a two-character username; kcr leaves it to the POST, which refuses it."""
    spec = {"realm": fresh_realm, "enabled": True, "users": [{"username": "ok-user"}, {"username": "ab"}]}
    state = DesiredState(realms={fresh_realm: DesiredRealm(name=fresh_realm, spec=spec)})
    plan, lives = make_plan(admin_api, state)
    with pytest.raises(ApplyError) as failed:
        apply_plan(admin_api, plan, state, lives)
    assert "user/ab" in str(failed.value)
    assert "username" in str(failed.value)
    assert failed.value.report.applied == [
        f"{fresh_realm}/realm",
        f"{fresh_realm}/user/ok-user",
    ]
    assert [u["username"] for u in admin_api.get(f"/{seg(fresh_realm)}/users")] == ["ok-user"]
