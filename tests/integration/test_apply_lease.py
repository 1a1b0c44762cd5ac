"""One apply at a time per realm, against a real Keycloak: a second apply while one runs stops with
"another apply is running on realm X" before writing; a killed apply's lease expires; the lease is
released at the end and never shows in a plan."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.lease import LEASE_ROLE, Lease, LeaseLost
from reconciler.testing.faultproxy import FaultProxy
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import KCR, Kcr, group_by_path

pytestmark = pytest.mark.integration

GROUPS = r"/admin/realms/[^/]+/groups$"


@pytest.fixture
def proxy(keycloak: KeycloakServer) -> Iterator[FaultProxy]:
    with FaultProxy(keycloak.url) as p:
        yield p


def lease_role(api: AdminClient, realm: str) -> dict[str, object] | None:
    try:
        return dict(api.get(f"/{seg(realm)}/roles/{seg(LEASE_ROLE)}"))
    except NotFound:
        return None


def test_second_apply_while_one_runs_says_so_and_writes_nothing(
    kcr: Kcr, proxy: FaultProxy, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    realm = empty_realm
    kcr.write({"realm": realm, "groups": [{"name": "first"}, {"name": "second"}]})
    # The first apply stalls in its first write (the proxy holds the POST), holding the lease.
    hold = proxy.inject("POST", GROUPS, "delay", seconds=8)
    output = tmp_path / "first.out"
    with output.open("wb") as sink:
        first = subprocess.Popen(
            [str(KCR), "apply", kcr.path, "--auto-approve"],
            env={**os.environ, **kcr.env, "KEYCLOAK_URL": proxy.url},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while hold.fired == 0 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hold.fired == 1, output.read_text()
        assert lease_role(admin_api, realm) is not None

        second = kcr.apply()
        assert second.exit_code == 1, second.output
        assert f"another apply is running on realm {realm!r}" in second.output, second.output
        assert "Traceback" not in second.output
        # nothing written by the second (the first's POST is still held by the proxy)
        assert admin_api.get(f"/{seg(realm)}/groups") == []

        # a plan made meanwhile does not show the lease
        planned = kcr.plan()
        assert LEASE_ROLE not in planned.output, planned.output
        assert first.wait(timeout=120) == 0, output.read_text()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert group_by_path(admin_api, realm, "/first") is not None
    assert group_by_path(admin_api, realm, "/second") is not None
    assert lease_role(admin_api, realm) is None  # released at the end
    planned = kcr.plan()
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def test_held_lease_names_its_holder_and_the_way_out(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "g"}]})
    other = Lease(admin_api, empty_realm)
    other.acquire()
    try:
        result = kcr.apply()
        assert result.exit_code == 1, result.output
        assert f"pid {os.getpid()}" in result.output
        assert "expires in" in result.output
        assert "--break-lease" in result.output
        assert LEASE_ROLE in result.output
        assert group_by_path(admin_api, empty_realm, "/g") is None
    finally:
        other.release()
    kcr.apply_converged()
    assert lease_role(admin_api, empty_realm) is None


def test_lease_of_a_killed_apply_expires(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "g"}]})
    killed = Lease(admin_api, empty_realm, ttl=0.0)  # never renewed: already expired
    killed.acquire()
    kcr.apply_converged()
    assert group_by_path(admin_api, empty_realm, "/g") is not None
    assert lease_role(admin_api, empty_realm) is None


def test_break_lease_takes_a_lease_that_has_not_expired(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "g"}]})
    killed = Lease(admin_api, empty_realm)  # a SIGKILLed apply's lease: not expired, never renewed
    killed.acquire()
    result = kcr.apply("--break-lease")
    assert result.exit_code == 0, result.output
    assert group_by_path(admin_api, empty_realm, "/g") is not None
    assert lease_role(admin_api, empty_realm) is None


def test_a_lease_deleted_under_its_holder_is_lost(admin_api: AdminClient, empty_realm: str) -> None:
    lease = Lease(admin_api, empty_realm)
    lease.acquire()
    lease.check()
    role = lease_role(admin_api, empty_realm)
    assert role is not None
    admin_api.delete(f"/{seg(empty_realm)}/roles-by-id/{role['id']}")
    lease.renew()
    with pytest.raises(LeaseLost, match="another apply may be writing it now"):
        lease.check()


def test_apply_that_creates_its_realm_takes_and_releases_the_lease(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    kcr.write({"realm": fresh_realm, "groups": [{"name": "g"}]})
    kcr.apply_converged()
    assert lease_role(admin_api, fresh_realm) is None
