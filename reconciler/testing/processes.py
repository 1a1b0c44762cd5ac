"""Keycloak's process group: started in its own session, always stopped as a whole.

Every server we start is remembered here until it is stopped. Whatever way the test process ends -
normally, by an exception, by Ctrl-C (KeyboardInterrupt), at interpreter exit (atexit) or by SIGTERM /
SIGHUP - the whole process group (``kc.sh`` and its ``java``) gets SIGTERM and, after a grace period,
SIGKILL. For the one end no handler sees (SIGKILL of the test process), the server's ``kc.sh`` is started
with a parent-death signal (Linux), so it forwards SIGTERM to its ``java`` when we die.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType

GRACE_SECONDS = 20.0

_live: dict[int, subprocess.Popen[bytes] | None] = {}  # process-group id -> its leader, if our child
_lock = threading.Lock()
_handlers_installed = False


def _die_with(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        """Runs in the child before exec: SIGTERM it when the thread that started it dies (Linux)."""
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def spawn(
    command: Sequence[str],
    *,
    env: Mapping[str, str],
    log_file: Path,
    cwd: Path | None = None,
    die_with_parent: bool = True,
) -> subprocess.Popen[bytes]:
    """Start ``command`` in a new session (its own process group), output to ``log_file``."""
    preexec: Callable[[], None] | None = (
        _die_with(os.getpid()) if die_with_parent and sys.platform.startswith("linux") else None
    )
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=preexec,
        )
    if die_with_parent:
        remember(proc.pid, proc)
    return proc


def run_to_end(command: Sequence[str], *, env: Mapping[str, str], log_file: Path, timeout: float) -> int:
    """Run ``command`` (e.g. ``kc.sh build``, ``mvn``: shell scripts that start a java) in its own group
    and wait for it; its exit code. On a timeout (TimeoutExpired), an exception or Ctrl-C, the whole group
    is stopped: no java of it outlives the call."""
    proc = spawn(command, env=env, log_file=log_file)
    try:
        code = proc.wait(timeout=timeout)
    finally:
        stop_group(proc.pid, proc=proc, grace=5)  # also collects what the script left running
    return code


def remember(pgid: int, leader: subprocess.Popen[bytes] | None = None) -> None:
    """Stop this group at our exit. ``leader``: our child that leads it, to be reaped (a zombie leader
    would keep the group "alive")."""
    with _lock:
        _live[pgid] = leader
    install_handlers()


def forget(pgid: int) -> None:
    with _lock:
        _live.pop(pgid, None)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(
    pgid: int, *, grace: float = GRACE_SECONDS, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """SIGTERM to the whole group, SIGKILL after ``grace`` seconds; returns when the group is gone."""
    try:
        _signal_group(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while group_alive(pgid) and time.monotonic() < deadline:
            _reap(proc)
            time.sleep(0.1)
        if group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while group_alive(pgid) and time.monotonic() < deadline:
                _reap(proc)
                time.sleep(0.05)
        _reap(proc)
    finally:
        forget(pgid)


def _reap(proc: subprocess.Popen[bytes] | None) -> None:
    """Collect our own child (kc.sh) so it does not linger as a zombie member of the group."""
    if proc is not None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc.wait(timeout=0)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def pids_with_marker(marker: str) -> list[int]:
    """Processes with ``marker`` as one whole argument of their command line (Linux /proc)."""
    wanted = marker.encode()
    found: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "cmdline").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def rss_kib(pid: int) -> int | None:
    """Resident memory of a process in KiB (VmRSS), or None when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def stop_all(grace: float = GRACE_SECONDS) -> None:
    with _lock:
        groups = list(_live.items())
    for pgid, leader in groups:
        stop_group(pgid, grace=grace, proc=leader)


def install_handlers() -> None:
    """atexit always; SIGTERM/SIGHUP only from the main thread, chaining to the previous handler."""
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(stop_all)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(sig)
        signal.signal(sig, _make_handler(sig, previous))


_Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None


def _make_handler(sig: signal.Signals, previous: _Handler) -> Callable[[int, FrameType | None], None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stop_all()
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            # Die the way the signal would have killed us (exit status 128 + signum).
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)

    return handler
