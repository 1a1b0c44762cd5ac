"""A local Keycloak by hand, with the test launcher (the server distribution, or Docker for ``run``).

    python -m reconciler.testing up        start one in the background (state in .keycloak/), print exports
    python -m reconciler.testing status    say whether it runs, print the exports again
    python -m reconciler.testing down      stop it (its whole process group)
    python -m reconciler.testing run CMD...  start one, run CMD with KEYCLOAK_* set, stop it; CMD's exit code

KEYCLOAK_URL is ignored here: these commands always start their own server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from reconciler.errors import KcrError
from reconciler.testing import processes
from reconciler.testing.server import RUN_MARKER, KeycloakServer, launch_distribution, start_keycloak

STATE_DIR = Path(".keycloak")
STATE_FILE = STATE_DIR / "state.json"


def _say(message: str) -> None:
    print(f"[keycloak] {message}", file=sys.stderr, flush=True)


def _launch_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "KEYCLOAK_URL"}


def export_lines(state: dict[str, Any]) -> str:
    pairs = {
        "KEYCLOAK_URL": state["url"],
        "KEYCLOAK_CLIENT_ID": state["client_id"],
        "KEYCLOAK_CLIENT_SECRET": state["client_secret"],
    }
    exports = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in pairs.items())
    return f"unset KEYCLOAK_USER KEYCLOAK_PASSWORD\nexport {exports}"


def _read_state() -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return None
    return data


def java_pids(run_id: str) -> list[int]:
    """The processes whose command line carries our run marker (the server's java)."""
    return processes.pids_with_marker(f"{RUN_MARKER}{run_id}")


def _running(state: dict[str, Any]) -> bool:
    return bool(java_pids(str(state["run_id"])))


def up() -> int:
    state = _read_state()
    if state and _running(state):
        _say(f"already running at {state['url']} (pid {state['pid']}); log: {state['log']}")
        print(export_lines(state))
        return 0
    launched = launch_distribution(
        _launch_env(), run_dir=STATE_DIR / "run", die_with_parent=False, progress=_say
    )
    server: KeycloakServer = launched.server
    login = server.console_login or ("", "")
    state = {
        "pid": server.pid,
        "run_id": server.run_id,
        "url": server.url,
        "version": server.version,
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "console_user": login[0],
        "console_password": login[1],
        "log": str(server.log_file),
    }
    STATE_DIR.mkdir(exist_ok=True)
    STATE_FILE.touch(mode=0o600)
    STATE_FILE.write_text(json.dumps(state, indent=2) + "\n")
    _say(f"{server.describe()}; admin console login in {STATE_FILE}; stop it with `make keycloak-down`")
    print(export_lines(state))
    return 0


def status() -> int:
    state = _read_state()
    if not state or not _running(state):
        _say("not running")
        return 1
    _say(f"running at {state['url']} (pid {state['pid']}); log: {state['log']}")
    print(export_lines(state))
    return 0


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def down() -> int:
    state = _read_state()
    if not state:
        _say("not running (no state file)")
        return 0
    if _running(state):
        # Only a process group that still holds our java is ours to stop (its pid may have been reused).
        pgid = int(state["pid"])
        if any(_group_of(pid) == pgid for pid in java_pids(str(state["run_id"]))):
            processes.stop_group(pgid)
        for pid in java_pids(str(state["run_id"])):  # a java that left the group: stop it alone
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    left = java_pids(str(state["run_id"]))
    if left:
        _say(f"could not stop Keycloak: pids {left} remain")
        return 1
    STATE_FILE.unlink(missing_ok=True)
    _say(f"stopped (log kept: {state['log']})")
    return 0


def run(command: list[str]) -> int:
    if not command:
        _say("run: give the command to run while Keycloak is up")
        return 2
    with start_keycloak(_launch_env(), progress=_say) as server:
        _say(server.describe())
        env = {k: v for k, v in os.environ.items() if k not in ("KEYCLOAK_USER", "KEYCLOAK_PASSWORD")}
        env.update(server.env())
        # The virtual environment's scripts (kcr) first on PATH.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        return subprocess.run(command, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reconciler.testing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["up", "down", "status", "run"])
    parser.add_argument("command", nargs=argparse.REMAINDER, help="for run: the command and its arguments")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            return up()
        if args.action == "down":
            return down()
        if args.action == "status":
            return status()
        return run(args.command[1:] if args.command[:1] == ["--"] else args.command)
    except KcrError as exc:
        _say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
