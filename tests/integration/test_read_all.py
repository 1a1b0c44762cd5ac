"""``read_live(read_all=True)`` (what `kcr export` uses) reads memberships, role mappings, service
accounts and organization members even when nothing is declared; a plain read skips them."""

from __future__ import annotations

import pytest

from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import AdminClient, seg
from reconciler.live import read_live

pytestmark = pytest.mark.integration


def test_read_all_reads_what_nothing_declares(admin_api: AdminClient, empty_realm: str) -> None:
    r = f"/{seg(empty_realm)}"
    admin_api.put(r, {**admin_api.get(r), "organizationsEnabled": True})
    admin_api.post(f"{r}/roles", {"name": "auditor"})
    group_id = admin_api.create(f"{r}/groups", {"name": "team"})
    user_id = admin_api.create(f"{r}/users", {"username": "ann", "enabled": True})
    admin_api.put(f"{r}/users/{user_id}/groups/{group_id}")
    auditor = admin_api.get(f"{r}/roles/auditor")
    admin_api.post(f"{r}/users/{user_id}/role-mappings/realm", [auditor])
    admin_api.post(
        f"{r}/clients", {"clientId": "robot", "serviceAccountsEnabled": True, "publicClient": False}
    )
    org_id = admin_api.create(
        f"{r}/organizations", {"name": "acme", "alias": "acme", "domains": [{"name": "acme.example.com"}]}
    )
    admin_api.post(
        f"{r}/organizations/{org_id}/members",
        content=f'"{user_id}"',
        headers={"Content-Type": "application/json"},
    )

    nothing_declared = DesiredRealm(name=empty_realm, spec={"realm": empty_realm})
    everything = read_live(admin_api, nothing_declared, read_all=True)
    ann = everything.of("user")["ann"]
    assert set(ann["groups"]) == {"/team"}
    assert "auditor" in ann["realmRoles"]
    assert "service-account-robot" in everything.of("user")
    assert set(everything.of("organization")["acme"]["members"]) == {"ann"}

    plain = read_live(admin_api, nothing_declared)
    assert "service-account-robot" not in plain.of("user")
    assert not plain.of("user")["ann"].get("groups")
