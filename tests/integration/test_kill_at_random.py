"""``kcr apply`` killed with SIGKILL at random points of a cold apply of a few hundred objects, against
the real Keycloak. A SIGKILL runs no handler, so this is the worst stop there is: after each kill every
object that exists is already in the ownership record (it is saved ahead of the objects it names), and
one more apply converges to exactly the desired state, with a complete record.

The kill points are drawn from a seeded random generator (set KCR_KILL_SEED to replay a run): after a
random number of completed writes plus a random delay, so kills land inside writes, inside the saves
of the ownership record and between writes.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from reconciler import ownership
from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from tests.integration.conftest import Doc, Kcr, audit_lines

pytestmark = pytest.mark.integration

GROUPS = 10  # each with one subgroup
CLIENTS = 4  # each with ROLES_PER_CLIENT roles
ROLES_PER_CLIENT = 4
REALM_ROLES = 6
USERS = 200
KILLS = 7


def desired(realm: str) -> Doc:
    return {
        "realm": realm,
        "enabled": True,
        "roles": {
            "realm": [{"name": f"r{i}", "description": f"role {i}"} for i in range(REALM_ROLES)],
            "client": {
                f"app{c}": [{"name": f"c{c}-{i}"} for i in range(ROLES_PER_CLIENT)] for c in range(CLIENTS)
            },
        },
        "clients": [{"clientId": f"app{c}", "publicClient": True} for c in range(CLIENTS)],
        "groups": [
            {"name": f"g{g}", "realmRoles": [f"r{g % REALM_ROLES}"], "subGroups": [{"name": "sub"}]}
            for g in range(GROUPS)
        ],
        "users": [
            {
                "username": f"user{i:03d}",
                "email": f"user{i:03d}@example.com",
                "firstName": "U",
                "lastName": str(i),
                "enabled": True,
                "groups": [f"/g{i % GROUPS}/sub"],
                "realmRoles": [f"r{i % REALM_ROLES}"],
            }
            for i in range(USERS)
        ],
    }


def declared_keys() -> dict[str, set[str]]:
    """What the ownership record must name once everything is applied."""
    return {
        "roles": {f"r{i}" for i in range(REALM_ROLES)}
        | {f"app{c}/c{c}-{i}" for c in range(CLIENTS) for i in range(ROLES_PER_CLIENT)},
        "clients": {f"app{c}" for c in range(CLIENTS)},
        "groups": {f"/g{g}" for g in range(GROUPS)} | {f"/g{g}/sub" for g in range(GROUPS)},
        "users": {f"user{i:03d}" for i in range(USERS)},
    }


def live_keys(api: AdminClient, realm: str) -> dict[str, set[str]]:
    """The declared objects that exist, read independently of kcr's readers."""
    base = f"/{seg(realm)}"
    try:
        api.get(base)
    except NotFound:  # the realm itself was not made yet
        return {}
    want = declared_keys()
    clients = {c["clientId"]: c["id"] for c in api.get_paged(f"{base}/clients")}
    roles = {r["name"] for r in api.get_paged(f"{base}/roles")}
    for client_id, uuid in clients.items():
        if client_id in want["clients"]:
            roles |= {f"{client_id}/{r['name']}" for r in api.get_paged(f"{base}/clients/{uuid}/roles")}
    groups: set[str] = set()
    for top in api.get_paged(f"{base}/groups", {"briefRepresentation": "true"}):
        groups.add(top["path"])
        groups |= {g["path"] for g in api.get_paged(f"{base}/groups/{top['id']}/children")}
    users = {u["username"] for u in api.get_paged(f"{base}/users", {"briefRepresentation": "true"})}
    found = {"roles": roles, "clients": set(clients), "groups": groups, "users": users}
    return {k: found[k] & want[k] for k in want}


def run_until_killed(kcr: Kcr, tmp_path: Path, run: int, writes: int, delay: float) -> tuple[int, str]:
    """Start ``kcr apply``; SIGKILL it once it has made ``writes`` writes and ``delay`` more seconds
    passed. Returns the writes it made and its output (it may finish first)."""
    audit = tmp_path / f"audit-{run}.jsonl"
    output = tmp_path / f"apply-{run}.out"
    # A killed apply leaves its lease behind; the next one knows it is dead and takes it.
    process = kcr.popen(
        "apply", kcr.path, "--auto-approve", "--break-lease", "--audit-log", str(audit), output=output
    )
    try:
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            if len(audit_lines(audit)) >= writes:
                time.sleep(delay)
                break
            time.sleep(0.005)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return len(audit_lines(audit)), output.read_text(encoding="utf-8")


def test_sigkill_at_random_points_then_apply_converges_with_complete_ownership(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, tmp_path: Path
) -> None:
    realm = fresh_realm
    kcr.write(desired(realm))
    seed = int(os.environ.get("KCR_KILL_SEED") or time.time())
    rng = random.Random(seed)
    total_objects = sum(len(v) for v in declared_keys().values()) + 1
    killed_at: list[tuple[int, float]] = []
    for run in range(KILLS):
        # The first kill may land before any write (while planning); later ones after 5 to 60 more.
        writes = 0 if run == 0 else rng.randint(5, 60)
        delay = rng.uniform(0.0, 0.4)
        made, text = run_until_killed(kcr, tmp_path, run, writes, delay)
        killed_at.append((made, round(delay, 2)))
        context = f"seed {seed}, kills (writes, delay) {killed_at}:\n{text}"
        assert "Traceback" not in text, context
        # Every declared object that exists is already recorded as kcr's, wherever the kill landed.
        existing = live_keys(admin_api, realm)
        record = ownership.parse(admin_api.get(f"/{seg(realm)}")) if existing else {}
        for collection, keys in existing.items():
            missing = keys - record.get(collection, set())
            assert not missing, f"{collection} made but not recorded: {sorted(missing)[:10]}; {context}"

    finished = kcr.apply("--break-lease")
    assert finished.exit_code == 0, f"seed {seed}, kills {killed_at}:\n{finished.output}"
    planned = kcr.plan()
    assert planned.exit_code == 0, f"seed {seed}, kills {killed_at}:\n{planned.output}"
    assert "No changes." in planned.output
    assert live_keys(admin_api, realm) == declared_keys()
    assert ownership.parse(admin_api.get(f"/{seg(realm)}")) == declared_keys()
    assert total_objects == 1 + REALM_ROLES + CLIENTS * (1 + ROLES_PER_CLIENT) + 2 * GROUPS + USERS
    # Nothing half-made: memberships and role mappings of every user are there (read independently).
    base = f"/{seg(realm)}"
    for g in range(GROUPS):
        sub = admin_api.get(f"{base}/group-by-path/g{g}/sub")
        members = admin_api.get_paged(f"{base}/groups/{sub['id']}/members", {"briefRepresentation": "true"})
        assert len(members) == USERS // GROUPS, f"/g{g}/sub: seed {seed}, kills {killed_at}"
    for r in range(REALM_ROLES):
        holders = {u["username"] for u in admin_api.get_paged(f"{base}/roles/r{r}/users")}
        assert holders == {f"user{i:03d}" for i in range(USERS) if i % REALM_ROLES == r}
