"""Benchmark: plan and apply a generated realm of N users in G groups against the real Keycloak.

Not a timed test: it records figures (requests, seconds) and checks only what must hold whatever the
machine: a no-op plan's request count grows with groups, roles and pages of users, not with users,
and a second apply writes nothing. Run with ``make bench``; the figures go to the README.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import apply_plan
from reconciler.desired.state import DesiredRealm, DesiredState
from reconciler.engine import make_plan
from reconciler.keycloak.client import AdminClient

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]
RESULTS = Path(os.environ.get("KCR_BENCH_OUT", "benchmark-results.jsonl"))


def generated_realm(name: str, users: int, groups: int) -> DesiredState:
    spec = {
        "realm": name,
        "enabled": True,
        "roles": {"realm": [{"name": f"role-{i}"} for i in range(10)]},
        "groups": [
            {
                "name": f"team-{g}",
                "realmRoles": [f"role-{g % 10}"],
                "attributes": {"cost-centre": [str(1000 + g)]},
            }
            for g in range(groups)
        ],
        "users": [
            {
                "username": f"user-{u:05d}",
                "email": f"user-{u:05d}@example.com",
                "firstName": "User",
                "lastName": str(u),
                "enabled": True,
                "groups": [f"/team-{u % groups}"],
            }
            for u in range(users)
        ],
    }
    return DesiredState(realms={name: DesiredRealm(name=name, spec=spec)})


def _writes(api: AdminClient) -> int:
    return sum(n for m, n in api.requests.items() if m not in ("GET", "EXPORT", "TOKEN"))


def _measure(api: AdminClient, state: DesiredState, label: str, users: int) -> dict[str, Any]:
    started, requests, writes = time.monotonic(), api.request_count, _writes(api)
    plan, lives = make_plan(api, state)
    plan_seconds, plan_requests = time.monotonic() - started, api.request_count - requests
    apply_plan(api, plan, state, lives)
    figures = {
        "label": label,
        "users": users,
        "changes": len(plan.changes),
        "plan_requests": plan_requests,
        "plan_seconds": round(plan_seconds, 2),
        "total_requests": api.request_count - requests,
        "writes": _writes(api) - writes,
        "total_seconds": round(time.monotonic() - started, 2),
    }
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(figures) + "\n")
    print(json.dumps(figures))  # the figure is the point of a benchmark
    return figures


@pytest.mark.parametrize("users", [200, 2000])
def test_generated_realm_cold_and_noop(admin_api: AdminClient, fresh_realm: str, users: int) -> None:
    groups = 100
    state = generated_realm(fresh_realm, users, groups)
    cold = _measure(admin_api, state, "cold apply", users)
    assert cold["changes"] == 1 + 10 + groups + users
    noop = _measure(admin_api, state, "no-op plan+apply", users)
    assert noop["changes"] == 0
    assert noop["writes"] == 0
    # Reads: realm + roles + group tree + per-group members/role mappings + per-role users + pages.
    pages = users // 500 + 1
    assert noop["plan_requests"] <= 4 * (groups + 10) + pages + 20
