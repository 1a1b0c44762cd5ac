"""Progress on a terminal: ``kcr`` as a real process whose stderr is a pseudo-terminal (pty) shows
reading per kind with counts and applying with done/total, rate and time left; with stderr a pipe, with
``CI`` set, or with ``--format json``, nothing but the usual output appears. Against the test Keycloak."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios
from pathlib import Path

import pytest

from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import KCR, dump_yaml

pytestmark = pytest.mark.integration


def kcr(args: list[str], env: dict[str, str], *, terminal: bool) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``kcr ARGS``; stderr is a pty when ``terminal``."""
    if not terminal:
        done = subprocess.run(
            [str(KCR), *args], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # rows, columns
    with subprocess.Popen(
        [str(KCR), *args], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    ) as process:
        os.close(slave)
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the process closed its end of the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        code = process.wait(timeout=300)
    os.close(master)
    return code, stdout, seen.decode(errors="replace")


@pytest.fixture
def setup(tmp_path: Path, keycloak: KeycloakServer, fresh_realm: str) -> tuple[list[str], dict[str, str]]:
    desired = tmp_path / "desired"
    desired.mkdir()
    doc = {
        "realm": fresh_realm,
        "groups": [{"name": f"g{i}"} for i in range(5)],
        "roles": {"realm": [{"name": "viewer"}]},
    }
    (desired / "realm.yaml").write_text(dump_yaml(doc), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCLOAK_") and k not in {"CI", "TERM"}}
    env |= keycloak.env() | {"TERM": "xterm"}
    return [str(desired)], env


def test_progress_on_a_terminal_and_nowhere_else(
    setup: tuple[list[str], dict[str, str]], fresh_realm: str
) -> None:
    paths, env = setup

    code, stdout, terminal = kcr(["plan", *paths], env, terminal=True)
    assert code == 0, terminal
    assert "Plan: 7 to add, 0 to change, 0 to destroy." in stdout  # (a missing realm: nothing to read)
    assert "\r" not in stdout

    code, stdout, terminal = kcr(["apply", *paths, "--auto-approve"], env, terminal=True)
    assert code == 0, terminal
    assert re.search(r"Applying: 100%.*\| 7/7 \[[\d:]+<[\d:]+, +[\d.]+(change/s|s/change)\]", terminal), (
        terminal
    )
    assert f"+ {fresh_realm}/group/g4: done" in stdout
    assert "Apply complete: 7 added, 0 changed, 0 destroyed." in stdout

    # Read again: every kind with its count (5 groups, the declared role among Keycloak's own).
    code, stdout, terminal = kcr(["plan", *paths], env, terminal=True)
    assert code == 0, terminal
    final = re.findall(rf"Reading {fresh_realm}: (\d+)/(\d+) kinds, (\d+) objects", terminal)
    assert final, terminal
    done, total, objects = final[-1]
    assert done == total
    assert int(objects) >= 7
    assert "group: 5" in terminal
    assert "No changes." in stdout

    for args, extra in [
        (["plan", *paths, "--format", "json"], {}),  # JSON output: never
        (["plan", *paths], {"CI": "true"}),  # a CI log: never
    ]:
        code, stdout, terminal = kcr(args, env | extra, terminal=True)
        assert code == 0, terminal
        assert "Reading" not in terminal
        assert "\r" not in terminal

    # Without a terminal: the same output, no progress.
    code, stdout, stderr = kcr(["apply", *paths, "--auto-approve"], env, terminal=False)
    assert code == 0, stderr
    assert "Nothing to apply." in stdout
    assert "Reading" not in stderr
    assert "Applying" not in stderr
