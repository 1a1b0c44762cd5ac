"""Run one ``kcr`` command in this process and record what it cost: seconds, Admin API requests (in
total and by endpoint), and the process's peak RSS. Used by the scale benchmark as a subprocess, so
that the RSS is kcr's own:

    python -m tests.benchmarks.kcr_run FIGURES.json plan DIR ...

writes ``{"exit": ..., "seconds": ..., "requests": ..., "endpoints": {...}, "rss_mb": ...}``.
"""

from __future__ import annotations

import json
import re
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.cli import main
from reconciler.keycloak.client import AdminClient

_UUID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NAMED = re.compile(r"/(roles|users|group-by-path)/(?!count\b)[^/?]+")
_REALM = re.compile(r"^/admin/realms/[^/?]+")


def endpoint(method: str, url: str) -> str:
    """``GET /admin/realms/x/groups/<uuid>/members`` -> ``GET /groups/{id}/members``."""
    path = url.split("?", 1)[0]
    path = _REALM.sub("", path) or "/"
    path = _UUID.sub("/{id}", path)
    path = _NAMED.sub(lambda m: f"/{m.group(1)}/{{name}}", path)
    return f"{method} {path}"


def run(figures: Path, args: list[str]) -> int:
    counts: Counter[str] = Counter()
    send = AdminClient._send_raw

    def counting(self: AdminClient, method: str, url: str, **kwargs: Any) -> Any:
        if kwargs.get("count_as") != "TOKEN":
            counts[endpoint(method, url)] += 1
        return send(self, method, url, **kwargs)

    AdminClient._send_raw = counting  # type: ignore[method-assign]
    started = time.monotonic()
    try:
        main.main(args, prog_name="kcr", standalone_mode=False)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    except Exception as exc:  # reported through the exit code: the benchmark fails on it
        print(f"kcr failed: {exc}", file=sys.stderr)
        code = 1
    seconds = time.monotonic() - started
    result = {
        "exit": code,
        "seconds": round(seconds, 2),
        "requests": sum(counts.values()),
        "endpoints": dict(counts.most_common(8)),
        "rss_mb": _peak_rss_mb(),
    }
    figures.write_text(json.dumps(result), encoding="utf-8")
    return code


def _peak_rss_mb() -> int:
    """This process's own peak RSS. ``getrusage``'s ``ru_maxrss`` is not: Linux carries it over an
    exec, so a child started by a large parent (the benchmark's pytest) reports the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), sys.argv[2:]))
