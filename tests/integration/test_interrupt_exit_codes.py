"""Ctrl-C (SIGINT) makes every kcr command exit 130, as shells report a SIGINT death, with no traceback.

Each command is interrupted while it surely waits on something: a Keycloak request held by the
fault proxy (plan, drift, export, apply), a FIFO nobody writes (validate's ${file:...}, show's plan
file), a full stdout pipe (schema)."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reconciler.testing.faultproxy import FaultProxy
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import KCR, Kcr

pytestmark = pytest.mark.integration

EXIT_INTERRUPTED = 130
HOLD = 60.0  # seconds the proxy holds a request: far longer than any test waits


@pytest.fixture
def proxy(keycloak: KeycloakServer) -> Iterator[FaultProxy]:
    with FaultProxy(keycloak.url) as p:
        yield p


def start(kcr: Kcr, args: list[str], **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(KCR), *args],
        env={**os.environ, **kcr.env, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def interrupt_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> tuple[int, str]:
    """Send SIGINT once ``ready()``; return the exit code and stderr."""
    deadline = time.monotonic() + 120
    try:
        while not ready():
            assert process.poll() is None, process.communicate()[1].decode()
            assert time.monotonic() < deadline, "the command never reached its waiting point"
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        return process.returncode, err.decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def fifo_opened_by_reader(fifo: Path) -> Callable[[], bool]:
    """True once a reader waits on ``fifo`` (our non-blocking open for writing then succeeds; the
    reader then waits for data that never comes)."""
    held: list[int] = []

    def ready() -> bool:
        if held:
            return True
        try:
            held.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
            return False
        return True

    return ready


def assert_interrupted(code: int, err: str) -> None:
    assert code == EXIT_INTERRUPTED, err
    assert "Interrupted." in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["plan", "drift", "export"])
def test_reading_commands_exit_130(kcr: Kcr, proxy: FaultProxy, empty_realm: str, command: str) -> None:
    kcr.write({"realm": empty_realm})
    held = proxy.inject("GET", rf"^/admin/realms/{empty_realm}$", "delay", seconds=HOLD)
    args = ["export", "--realm", empty_realm] if command == "export" else [command, kcr.path]
    process = start(kcr, args, KEYCLOAK_URL=proxy.url)
    assert_interrupted(*interrupt_when(process, lambda: held.fired > 0))


def test_apply_interrupted_in_a_write_exits_130_with_its_report(
    kcr: Kcr, proxy: FaultProxy, empty_realm: str
) -> None:
    kcr.write({"realm": empty_realm, "groups": [{"name": "a"}, {"name": "b"}]})
    held = proxy.inject("POST", r"/groups$", "delay", seconds=HOLD)
    process = start(kcr, ["apply", kcr.path, "--auto-approve"], KEYCLOAK_URL=proxy.url)
    code, err = interrupt_when(process, lambda: held.fired > 0)
    assert_interrupted(code, err)
    assert f"Failed: {empty_realm}/group/a: interrupted" in err
    assert "Not attempted (1)" in err


def test_validate_exits_130(kcr: Kcr, tmp_path: Path) -> None:
    fifo = tmp_path / "desired" / "secret.txt"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    kcr.write({"realm": "waiting", "attributes": {"motd": "${file:secret.txt}"}})
    process = start(kcr, ["validate", kcr.path])
    assert_interrupted(*interrupt_when(process, fifo_opened_by_reader(fifo)))


def test_show_exits_130(kcr: Kcr, tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    process = start(kcr, ["show", str(fifo)])
    assert_interrupted(*interrupt_when(process, fifo_opened_by_reader(fifo)))


def test_schema_exits_130(kcr: Kcr) -> None:
    process = start(kcr, ["schema"])  # more than a pipe holds, and nobody reads stdout yet
    assert process.stdout is not None
    out = process.stdout.fileno()

    def pipe_full() -> bool:
        pending = fcntl.ioctl(out, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(pending, "little") >= 65536

    assert_interrupted(*interrupt_when(process, pipe_full))
