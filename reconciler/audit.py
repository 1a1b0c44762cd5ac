"""The audit log: one JSON line per write, secrets never included.

A line records time, realm, address, action, result, the changed field paths (names only, never
values), the tool version and the git commit of the desired state when it lives in a git repository.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import IO, Any

from reconciler.__about__ import __version__
from reconciler.plan import Change


def git_commit(paths: list[str]) -> str | None:
    """HEAD of the git repository holding the desired state, with ``-dirty`` if it has changes."""
    for p in paths:
        folder = Path(p) if Path(p).is_dir() else Path(p).parent
        try:
            head = subprocess.run(
                ["git", "-C", str(folder), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            if head.returncode != 0:
                continue
            dirty = subprocess.run(
                ["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
        except (OSError, subprocess.SubprocessError):
            return None
    return None


class AuditLog:
    def __init__(self, path: str | None, *, commit: str | None = None) -> None:
        self.path = path
        self.commit = commit
        self._fh: IO[str] | None = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self.results: Counter[str] = Counter()

    def record(
        self, change: Change, result: str, error: str | None = None, seconds: float | None = None
    ) -> None:
        self.results[result] += 1
        if self._fh is None:
            return
        line: dict[str, Any] = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "realm": change.realm,
            "address": change.address,
            "kind": change.kind,
            "action": change.action.value,
            "result": result,
            "changed_paths": list(change.changed_paths),
            "tool_version": __version__,
            "git_commit": self.commit,
        }
        if seconds is not None:
            line["seconds"] = round(seconds, 3)
        if error:
            line["error"] = error
        self._fh.write(json.dumps(line, sort_keys=False) + "\n")
        self._fh.flush()

    def summary(self) -> str:
        parts = [f"{n} {r}" for r, n in sorted(self.results.items())]
        where = f" (audit log: {self.path})" if self.path else ""
        return f"Audit: {', '.join(parts) or 'no writes'}{where}"

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
