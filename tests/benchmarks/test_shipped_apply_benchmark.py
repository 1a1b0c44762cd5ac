"""Benchmark: apply the shipped desired-state/ to a Keycloak without its realms, cold and as a no-op.

Records time and request counts (for the README's performance section); asserts only what holds on
any machine: the cold apply converges and the no-op apply writes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.apply import apply_plan
from reconciler.desired import load
from reconciler.engine import make_plan
from reconciler.keycloak.client import AdminClient
from tests.benchmarks.test_plan_apply_benchmark import RESULTS
from tests.e2e.conftest import EXAMPLE_ENV, SHIPPED, delete_realms

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]


@pytest.fixture
def without_shipped_realms(admin_api: AdminClient, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    delete_realms(admin_api)
    yield
    delete_realms(admin_api)


def _writes(api: AdminClient) -> int:
    return sum(n for m, n in api.requests.items() if m not in ("GET", "EXPORT", "TOKEN"))


@pytest.mark.usefixtures("without_shipped_realms")
def test_apply_shipped_desired_state_cold_and_noop(admin_api: AdminClient) -> None:
    figures: list[dict[str, Any]] = []
    for label in ("cold apply", "no-op apply"):
        started, requests, writes = time.monotonic(), admin_api.request_count, _writes(admin_api)
        state = load([str(SHIPPED)])
        plan, lives = make_plan(admin_api, state)
        apply_plan(admin_api, plan, state, lives)
        figures.append(
            {
                "label": f"desired-state/ {label}",
                "changes": len(plan.changes),
                "requests": admin_api.request_count - requests,
                "writes": _writes(admin_api) - writes,
                "seconds": round(time.monotonic() - started, 2),
            }
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        for line in figures:
            fh.write(json.dumps(line) + "\n")
            print(json.dumps(line))  # the figure is the point of a benchmark
    cold, noop = figures
    assert cold["changes"] > 0
    assert (noop["changes"], noop["writes"]) == (0, 0)
