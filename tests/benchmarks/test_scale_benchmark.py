"""Benchmark at scale: kcr side by side with the floor, for each user count of ``KCR_BENCH_USERS``.

For each size, on the realm of ``scale_realm`` (1,000 groups, 500 clients, 200 realm roles by
default): Keycloak's own realm import (``POST /admin/realms``), partialImport into an empty realm,
kcr's cold apply (the realm does not exist; ``KCR_BENCH_COLD_REPEAT`` times, each right after an
import, medians), kcr's no-op plan next to the minimal-read script (interleaved, ``KCR_BENCH_REPEAT``
times, medians, after one untimed pass of the minimal reads that fills Keycloak's caches with the new
realm), and a one-change apply. kcr runs as a subprocess
(``kcr_run``) so that its peak RSS is its own, and so does the minimal-read script (a new process
that logs in, as kcr does). The table is printed (``make bench``), written to
``benchmark-scale.md`` and appended as JSON lines to ``$KCR_BENCH_OUT``.

Not a timed test: figures depend on the machine and its load (compare ratios within one run). It
asserts only outcomes: the cold apply converges (the no-op plan finds no change), the one-change apply
succeeds, the realm import and the minimal reads work. ``KCR_BENCH_PARTIAL_IMPORT=N`` runs
partialImport only up to N users (0: never; it is slow, minutes at 2,000 users on 2 cores).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.errors import NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.testing.server import KeycloakServer
from tests.benchmarks import floor, scale_realm
from tests.benchmarks.test_plan_apply_benchmark import RESULTS

pytestmark = [pytest.mark.benchmark, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
TABLE = Path(os.environ.get("KCR_BENCH_TABLE", "benchmark-scale.md"))
LONG_TIMEOUT = 1800.0  # seconds: a realm import or delete of 10,000 users takes minutes under load


@pytest.fixture(scope="module")
def long_api(keycloak: KeycloakServer) -> Iterator[AdminClient]:
    with AdminClient(dataclasses.replace(keycloak.settings(), timeout=LONG_TIMEOUT)) as api:
        yield api


def _drop(api: AdminClient, realm: str) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"/{seg(realm)}")


@dataclasses.dataclass
class Kcr:
    """``kcr`` (or the minimal-read script) as a subprocess against the test server, with figures from
    ``kcr_run`` (or ``floor``)."""

    env: dict[str, str] = dataclasses.field(repr=False)  # holds the admin client's secret
    work: Path

    def __call__(self, *args: str, module: str = "tests.benchmarks.kcr_run") -> dict[str, Any]:
        figures = self.work / "figures.json"
        figures.unlink(missing_ok=True)
        with (self.work / "kcr.log").open("a", encoding="utf-8") as log:
            subprocess.run(
                [sys.executable, "-m", module, str(figures), *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=LONG_TIMEOUT,
            )
        result: dict[str, Any] = json.loads(figures.read_text(encoding="utf-8"))
        return result


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return round(float(statistics.median(r[key] for r in runs)), 2)


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The last run's figures with the median of the seconds, and each run's seconds."""
    return {**runs[-1], "seconds": _median(runs, "seconds"), "runs": [r["seconds"] for r in runs]}


def measure(
    users: int, sizes: scale_realm.Sizes, api: AdminClient, kcr: Kcr, repeat: int, cold_repeat: int
) -> dict[str, Any]:
    out: dict[str, Any] = {"users": users}
    if users <= int(os.environ.get("KCR_BENCH_PARTIAL_IMPORT", str(sys.maxsize))):
        partial = f"bench-{users}-partial"
        _drop(api, partial)
        out["partial_import"] = floor.partial_import(api, scale_realm.realm(partial, users, sizes)).as_dict()
        _drop(api, partial)

    imported, name = f"bench-{users}-import", f"bench-{users}-kcr"
    desired = kcr.work / f"desired-{users}"
    desired.mkdir(exist_ok=True)
    spec = scale_realm.realm(name, users, sizes)
    realm_file = desired / "realm.yaml"
    realm_file.write_text(yaml.dump(spec, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    imports, colds = [], []
    try:
        for _ in range(cold_repeat):  # interleaved pairs: a single import varies by a quarter or more
            _drop(api, imported)
            imports.append(floor.realm_import(api, scale_realm.realm(imported, users, sizes)).as_dict())
            _drop(api, imported)
            _drop(api, name)
            colds.append(kcr("apply", str(desired), "--auto-approve"))
            assert colds[-1]["exit"] == 0, f"cold apply failed: see {kcr.work / 'kcr.log'}"
        out["realm_import"], out["cold_apply"] = _summary(imports), _summary(colds)
        out["realm_import"]["error"] = next((i["error"] for i in imports if i["error"]), None)
        # One untimed pass of the minimal reads first: right after the realm was created, Keycloak's
        # caches hold none of it, and whichever side ran first would pay for filling them.
        warm_up = kcr(name, module="tests.benchmarks.floor")
        plans, reads = [], []
        for _ in range(repeat):  # interleaved, so that load changes hit both alike
            plans.append(kcr("plan", str(desired), "--detailed-exitcode"))
            assert plans[-1]["exit"] == 0, "the no-op plan found changes after the cold apply"
            reads.append(kcr(name, module="tests.benchmarks.floor"))
        out["noop_plan"] = _summary(plans)
        out["minimal_reads"] = {**_summary(reads), "warm_up": warm_up["seconds"]}
        spec["users"][0] = scale_realm.user(0, sizes, last_name="Changed")
        realm_file.write_text(yaml.dump(spec, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
        out["one_change_apply"] = kcr("apply", str(desired), "--auto-approve")
        assert out["one_change_apply"]["exit"] == 0
    finally:
        _drop(api, name)
    return out


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "-"


def request_target(users: int, sizes: scale_realm.Sizes) -> int:
    """The issue's bound for a no-op plan: groups + roles + clients/10 + users/100 + 50."""
    return sizes.groups + sizes.roles + sizes.clients // 10 + users // 100 + 50


def render(results: list[dict[str, Any]], sizes: scale_realm.Sizes, machine: str) -> str:
    lines = [
        f"Scale benchmark on {machine}; realm: {sizes.groups} groups, {sizes.clients} clients "
        f"({len(scale_realm.CLIENT_ROLES)} roles each), {sizes.roles} realm roles, N users in one "
        "group each. Ratio: seconds of the work over seconds of what it is compared with.",
        "",
        "| users | work | s | requests | kcr peak RSS | compared with | s | requests | ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        n, imp = r["users"], r["realm_import"]
        plan, reads = r["noop_plan"], r["minimal_reads"]
        cold, one = r["cold_apply"], r["one_change_apply"]
        rows = [
            ("no-op plan", plan, "minimal reads", reads),
            ("cold apply", cold, "realm import", imp),
            ("one-change apply", one, "no-op plan", plan),
        ]
        for work, mine, other_name, other in rows:
            lines.append(
                f"| {n:,} | {work} | {mine['seconds']} | {mine['requests']:,} | {mine['rss_mb']} MB | "
                f"{other_name} | {other['seconds']} | {other['requests']:,} | "
                f"{_ratio(mine['seconds'], other['seconds'])} |"
            )
        if "partial_import" in r:
            pi = r["partial_import"]
            failed = f" (failed: {pi['error']})" if pi["error"] else ""
            lines.append(
                f"| {n:,} | partialImport{failed} | {pi['seconds']} | {pi['requests']} | - | realm import | "
                f"{imp['seconds']} | {imp['requests']} | {_ratio(pi['seconds'], imp['seconds'])} |"
            )
    lines += [
        "",
        "No-op plan requests against the target (groups + roles + clients/10 + users/100 + 50):",
        "",
    ]
    for r in results:
        plan, reads = r["noop_plan"], r["minimal_reads"]
        top = ", ".join(f"{k} {v}" for k, v in plan["endpoints"].items())
        lines.append(
            f"- {r['users']:,} users: {plan['requests']:,} requests, target "
            f"{request_target(r['users'], sizes):,}; runs {plan['runs']} s (minimal reads "
            f"{reads['runs']} s, after an untimed {reads['warm_up']} s); cold apply runs "
            f"{r['cold_apply']['runs']} s (realm import {r['realm_import']['runs']} s); by endpoint: {top}"
        )
    return "\n".join(lines) + "\n"


def machine() -> str:
    mem_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, {mem_kib / 1024 / 1024:.0f} GiB, load average {load} at the start"


@pytest.mark.timeout(0)  # 10,000 users take an hour or more on 2 loaded cores
def test_scale_side_by_side(keycloak: KeycloakServer, long_api: AdminClient, tmp_path: Path) -> None:
    sizes, user_counts = scale_realm.sizes_from_env()
    repeat = int(os.environ.get("KCR_BENCH_REPEAT", "1"))
    cold_repeat = int(os.environ.get("KCR_BENCH_COLD_REPEAT", "1"))
    env = {**os.environ, **keycloak.env(), "PYTHONPATH": str(ROOT)}
    if "KEYCLOAK_CLIENT_SECRET" in keycloak.env():
        env.pop("KEYCLOAK_USER", None)
        env.pop("KEYCLOAK_PASSWORD", None)
    kcr = Kcr(env=env, work=tmp_path)
    about = f"Keycloak {keycloak.version or '?'}, {machine()}"
    results = [measure(n, sizes, long_api, kcr, repeat, cold_repeat) for n in user_counts]
    table = render(results, sizes, about)
    TABLE.write_text(table, encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in results:
            fh.write(json.dumps({"label": "scale", **r}) + "\n")
    print("\n" + table)  # the figures are the point of a benchmark
    for r in results:
        assert r["realm_import"]["error"] is None, r["realm_import"]["error"]
