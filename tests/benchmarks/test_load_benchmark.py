"""How long ``load()`` takes on a large realm: 10,000 users and 2,000 groups (200 top-level groups
with 9 subgroups each), with roles, memberships and an organization. A figure, not a timed assertion:
the result is printed and appended to ``$KCR_BENCH_OUT`` (default benchmark-results.jsonl); the
assertions check the outcome."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.desired import load, yaml_backends

pytestmark = pytest.mark.benchmark
RESULTS = Path(os.environ.get("KCR_BENCH_OUT", "benchmark-results.jsonl"))

USERS = 10_000
TOP_GROUPS = 200
SUBGROUPS = 9


def generated_realm() -> dict[str, Any]:
    groups = [
        {
            "name": f"team-{t:03d}",
            "attributes": {"cost-center": [str(t)]},
            "realmRoles": ["reader"],
            "subGroups": [
                {"name": f"squad-{s}", "clientRoles": {"orders-api": ["orders.read"]}}
                for s in range(SUBGROUPS)
            ],
        }
        for t in range(TOP_GROUPS)
    ]
    users = [
        {
            "username": f"user{i:05d}",
            "email": f"user{i:05d}@example.com",
            "firstName": "First",
            "lastName": f"Last{i}",
            "enabled": True,
            "emailVerified": True,
            "attributes": {"department": [f"dept-{i % 50}"]},
            "groups": [f"/team-{i % TOP_GROUPS:03d}", f"/team-{i % TOP_GROUPS:03d}/squad-{i % SUBGROUPS}"],
            "realmRoles": ["reader"],
            "clientRoles": {"orders-api": ["orders.read"]},
            "requiredActions": [] if i % 2 else ["UPDATE_PASSWORD"],
        }
        for i in range(USERS)
    ]
    return {
        "realm": "bench",
        "enabled": True,
        "organizationsEnabled": True,
        "roles": {"realm": [{"name": "reader"}], "client": {"orders-api": [{"name": "orders.read"}]}},
        "clients": [
            {"clientId": "orders-api", "publicClient": False, "redirectUris": ["https://o.example.com/*"]}
        ],
        "groups": groups,
        "users": users,
        "organizations": [
            {
                "name": "Acme",
                "domains": ["acme.example.com"],
                "members": [f"user{i:05d}" for i in range(0, USERS, 10)],
            }
        ],
    }


def timed_load(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    state = load([str(path)], env={})
    seconds = time.perf_counter() - start
    spec = state.realms["bench"].spec
    return seconds, len(spec["users"]) + sum(1 + len(g["subGroups"]) for g in spec["groups"])


# YAML once per parsing backend (libyaml is the default; ruamel.yaml the pure-Python fallback)
@pytest.mark.parametrize("form", ["json", "yaml-libyaml", "yaml-ruamel"])
def test_load_10k_users_2k_groups(form: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    realm = generated_realm()
    suffix, _, backend = form.partition("-")
    if backend:
        monkeypatch.setenv(yaml_backends.BACKEND_ENV, backend)
    path = tmp_path / f"realm.{suffix}"
    if form == "json":
        path.write_text(json.dumps(realm, indent=2), encoding="utf-8")
    else:
        with path.open("w", encoding="utf-8") as out:
            YAML(typ="safe", pure=True).dump(realm, out)

    seconds, objects = timed_load(path)

    assert objects == USERS + TOP_GROUPS * (1 + SUBGROUPS)
    figure = {
        "label": f"load() {form}",
        "users": USERS,
        "groups": TOP_GROUPS * (1 + SUBGROUPS),
        "megabytes": round(path.stat().st_size / 1e6, 1),
        "seconds": round(seconds, 2),
    }
    print(json.dumps(figure))
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps(figure) + "\n")
