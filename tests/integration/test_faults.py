"""Writes under faults, against a real Keycloak behind a fault-injecting proxy of our own
(``reconciler.testing.faultproxy``): 429s, lost answers (a reset or a 503 after Keycloak acted),
deterministic 500s, and a failing token endpoint. Each apply must either converge without doing a
write twice, or stop after a bounded number of attempts with Keycloak's (or the proxy's) answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.faultproxy import FaultProxy
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import Doc, Kcr, find_one

pytestmark = pytest.mark.integration

MEMBERS = r"/organizations/[^/]+/members$"
MAPPERS = r"/client-scopes/[^/]+/protocol-mappers/models$"
GROUPS = r"/admin/realms/[^/]+/groups$"
ONE_GROUP = r"/admin/realms/[^/]+/groups/[^/]+$"
ONE_CLIENT = r"/admin/realms/[^/]+/clients/[^/]+$"
TOKEN = r"/protocol/openid-connect/token$"


@pytest.fixture
def proxy(keycloak: KeycloakServer) -> Iterator[FaultProxy]:
    with FaultProxy(keycloak.url) as p:
        yield p


def apply_through(kcr: Kcr, proxy: FaultProxy) -> Any:
    return kcr.run("apply", kcr.path, "--auto-approve", env={"KEYCLOAK_URL": proxy.url})


def lose_answer(proxy: FaultProxy, method: str, path: str, fault: str) -> None:
    """Keycloak acts on the next matching request; its answer is lost (a reset) or replaced (503)."""
    if fault == "reset":
        proxy.inject(method, path, "reset", after_upstream=True)
    else:
        proxy.inject(method, path, "status", status=503, after_upstream=True)


def converged(kcr: Kcr) -> None:
    planned = kcr.plan()
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def org_realm(realm: str, members: list[str] | None) -> Doc:
    org: Doc = {"name": "Acme", "alias": "acme", "domains": ["acme.example.com"]}
    if members is not None:
        org["members"] = members
    return {
        "realm": realm,
        "organizationsEnabled": True,
        "users": [{"username": "alice", "email": "alice@acme.example.com", "enabled": True}],
        "organizations": [org],
    }


# -- item 6: a 429 is retried for every method, honouring Retry-After --------------------------------
def test_429_on_a_post_is_retried_after_retry_after(kcr: Kcr, proxy: FaultProxy, empty_realm: str) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "limited"}]})
    fault = proxy.inject("POST", GROUPS, "status", status=429, headers={"Retry-After": "1"})
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert fault.fired == 1
    posts = proxy.requests("POST", GROUPS, upstream_only=False)
    assert [p.outcome for p in posts] == [429, 201]
    converged(kcr)


def test_429_asking_for_a_long_wait_stops_with_a_clear_message(
    kcr: Kcr, proxy: FaultProxy, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "limited"}]})
    proxy.inject("POST", GROUPS, "status", status=429, headers={"Retry-After": "3600"}, times=None)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 1, result.output
    assert "HTTP 429" in result.output
    assert "asks to wait 3600 s" in result.output, result.output
    assert len(proxy.requests("POST", GROUPS, upstream_only=False)) == 1  # not waited for, not retried


# -- item 7: a write whose answer was lost continues from what is live ----------------------------------
@pytest.mark.parametrize("fault", ["reset", "503"])
def test_lost_answer_to_an_organization_member_post_is_not_posted_again(
    kcr: Kcr, proxy: FaultProxy, admin_api: AdminClient, fresh_realm: str, fault: str
) -> None:
    kcr.write(org_realm(fresh_realm, None))
    kcr.apply_converged()
    kcr.write(org_realm(fresh_realm, ["alice"]))
    lose_answer(proxy, "POST", MEMBERS, fault)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert len(proxy.requests("POST", MEMBERS)) == 1  # Keycloak got it once: no blind re-POST (409)
    orgs = admin_api.get(f"/{seg(fresh_realm)}/organizations", {"briefRepresentation": "false"})
    members = admin_api.get(f"/{seg(fresh_realm)}/organizations/{orgs[0]['id']}/members")
    assert [m["username"] for m in members] == ["alice"]
    converged(kcr)


def test_lost_answer_to_a_mapper_post_is_not_posted_again(
    kcr: Kcr, proxy: FaultProxy, fresh_realm: str
) -> None:
    scope: Doc = {"name": "audience", "protocol": "openid-connect"}
    kcr.write({"realm": fresh_realm, "clientScopes": [scope]})
    kcr.apply_converged()
    mapper = {
        "name": "aud",
        "protocol": "openid-connect",
        "protocolMapper": "oidc-audience-mapper",
        "config": {"included.custom.audience": "orders-api", "access.token.claim": "true"},
    }
    kcr.write({"realm": fresh_realm, "clientScopes": [{**scope, "protocolMappers": [mapper]}]})
    proxy.inject("POST", MAPPERS, "reset", after_upstream=True)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert len(proxy.requests("POST", MAPPERS)) == 1
    converged(kcr)


@pytest.mark.parametrize("fault", ["reset", "503"])
def test_lost_answer_to_a_delete_means_done(
    kcr: Kcr, proxy: FaultProxy, admin_api: AdminClient, fresh_realm: str, fault: str
) -> None:
    kcr.write({"realm": fresh_realm, "clients": [{"clientId": "doomed"}, {"clientId": "kept"}]})
    kcr.apply_converged()
    doomed = {"clientId": "doomed", "state": "absent"}
    kcr.write({"realm": fresh_realm, "clients": [doomed, {"clientId": "kept"}]})
    lose_answer(proxy, "DELETE", ONE_CLIENT, fault)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert len(proxy.requests("DELETE", ONE_CLIENT)) == 2  # the lost one, then a 404: done
    assert find_one(admin_api, fresh_realm, "clients", clientId="doomed") is None
    assert find_one(admin_api, fresh_realm, "clients", clientId="kept") is not None
    converged(kcr)


def test_lost_answer_to_a_create_converges(
    kcr: Kcr, proxy: FaultProxy, admin_api: AdminClient, fresh_realm: str
) -> None:
    # The realm exists, so that the group is posted on its own (a new realm's import would carry it).
    admin_api.post("", {"realm": fresh_realm, "enabled": True})
    kcr.write({"realm": fresh_realm, "groups": [{"name": "made", "attributes": {"a": ["1"]}}]})
    proxy.inject("POST", GROUPS, "reset", after_upstream=True)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert len(proxy.requests("POST", GROUPS)) == 1  # re-read, found, not created twice
    converged(kcr)


def test_lost_answer_to_a_realm_create_converges(kcr: Kcr, proxy: FaultProxy, fresh_realm: str) -> None:
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g"}]})
    proxy.inject("POST", r"^/admin/realms$", "reset", after_upstream=True)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 0, result.output
    assert len(proxy.requests("POST", r"^/admin/realms$")) == 1
    converged(kcr)


# -- item 15: a deterministic 500 is not retried over and over ------------------------------------------
def test_a_500_that_repeats_stops_the_apply_after_one_retry(
    kcr: Kcr, proxy: FaultProxy, fresh_realm: str
) -> None:
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g", "attributes": {"a": ["1"]}}]})
    kcr.apply_converged()
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g", "attributes": {"a": ["2"]}}]})
    proxy.inject("PUT", ONE_GROUP, "status", status=500, times=None)
    result = apply_through(kcr, proxy)
    assert result.exit_code == 1, result.output
    assert "HTTP 500" in result.output
    # once, then once more after re-reading the group; never the 3 x 5 attempts of blind retries
    assert len(proxy.requests("PUT", ONE_GROUP, upstream_only=False)) == 2


def test_a_500_on_a_read_is_sent_again_once(kcr: Kcr, proxy: FaultProxy, empty_realm: str) -> None:
    kcr.write({"realm": empty_realm})
    realm = rf"^/admin/realms/{empty_realm}$"
    proxy.inject("GET", realm, "status", status=500)
    assert kcr.run("plan", kcr.path, env={"KEYCLOAK_URL": proxy.url}).exit_code == 0
    proxy.inject("GET", realm, "status", status=500, times=None)
    result = kcr.run("plan", kcr.path, env={"KEYCLOAK_URL": proxy.url})
    assert result.exit_code == 1, result.output
    assert "HTTP 500" in result.output
    assert [s.outcome for s in proxy.requests("GET", realm, upstream_only=False)] == [500, 200, 500, 500]


# -- item 22: a failing token endpoint is not "wrong credentials" ----------------------------------------
def test_a_500_from_the_token_endpoint_is_not_reported_as_wrong_credentials(
    kcr: Kcr, proxy: FaultProxy, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm})
    proxy.inject("POST", TOKEN, "status", status=500, times=None)
    result = kcr.run("plan", kcr.path, env={"KEYCLOAK_URL": proxy.url})
    assert result.exit_code == 1, result.output
    assert "HTTP 500" in result.output
    assert "not a credentials problem" in result.output, result.output
    assert "Check KEYCLOAK_USER" not in result.output
    assert len(proxy.requests("POST", TOKEN, upstream_only=False)) == 1


def test_refused_credentials_are_still_reported_as_such(
    kcr: Kcr, proxy: FaultProxy, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm})
    env = {
        "KEYCLOAK_URL": proxy.url,
        "KEYCLOAK_CLIENT_SECRET": "wrong",
        "KEYCLOAK_USER": "",
        "KEYCLOAK_PASSWORD": "",
    }
    result = kcr.run("plan", kcr.path, env=env)
    assert result.exit_code == 1, result.output
    assert "Keycloak refused to log in" in result.output
    assert "KEYCLOAK_CLIENT_SECRET" in result.output
