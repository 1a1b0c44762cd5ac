"""The test harness against a real Keycloak: the server answers, an admin token works, the Admin API
reads the server version and the master realm; KEYCLOAK_URL mode starts nothing; and an interrupted
test run (Ctrl-C) leaves no Java process of ours behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from reconciler.keycloak.client import AdminClient
from reconciler.testing import processes
from reconciler.testing.server import DEFAULT_VERSION, RUN_MARKER, KeycloakServer, start_keycloak

pytestmark = pytest.mark.integration


def _token(server: KeycloakServer) -> str:
    form = {"grant_type": "client_credentials", "client_id": server.client_id}
    if server.username:
        form = {
            "grant_type": "password",
            "client_id": server.client_id,
            "username": server.username,
            "password": server.password or "",
        }
    if server.client_secret:
        form["client_secret"] = server.client_secret
    answer = httpx.post(f"{server.url}/realms/master/protocol/openid-connect/token", data=form, timeout=30)
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    assert isinstance(token, str)
    return token


def test_admin_token_reads_the_server_version(keycloak: KeycloakServer) -> None:
    info = httpx.get(
        f"{keycloak.url}/admin/serverinfo",
        timeout=30,
        headers={"Authorization": f"Bearer {_token(keycloak)}"},
    )
    assert info.status_code == 200
    version = info.json()["systemInfo"]["version"]
    assert version == keycloak.version  # what the session fixture printed
    assert version.split(".")[0].isdigit()
    if keycloak.started_by_us:
        assert version == (os.environ.get("KEYCLOAK_VERSION") or DEFAULT_VERSION)


def test_a_request_without_token_is_refused(keycloak: KeycloakServer) -> None:
    assert httpx.get(f"{keycloak.url}/admin/serverinfo", timeout=30).status_code == 401


def test_admin_api_reads_the_master_realm(admin_api: AdminClient) -> None:
    master = admin_api.get("/master")
    assert master["realm"] == "master"
    assert master["enabled"] is True
    assert "master" in [realm["realm"] for realm in admin_api.get("")]


def test_a_server_is_ours_only_when_we_started_it(keycloak: KeycloakServer) -> None:
    """Ours: bound to 127.0.0.1, found by its own run marker (never by a broad name), in the process group
    we stop, its log kept. Given by KEYCLOAK_URL: no process, no marker."""
    if keycloak.source != "distribution":
        assert keycloak.pid is None
        assert keycloak.run_id == ""
        return
    assert keycloak.started_by_us
    assert keycloak.url.startswith("http://127.0.0.1:")
    java = processes.pids_with_marker(f"{RUN_MARKER}{keycloak.run_id}")
    assert len(java) == 1
    assert keycloak.pid is not None
    assert os.getpgid(java[0]) == keycloak.pid
    assert keycloak.log_file is not None
    assert "Keycloak" in keycloak.log_file.read_text()


def test_keycloak_url_mode_starts_nothing(keycloak: KeycloakServer) -> None:
    before = set(processes.pids_with_marker("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"))
    env = {"KEYCLOAK_URL": keycloak.url, **keycloak.env(), "PATH": os.environ.get("PATH", "")}
    with start_keycloak(env) as server:
        assert server.started_by_us is False
        assert server.pid is None
        assert server.url == keycloak.url
        with AdminClient(server.settings()) as api:
            assert api.get("/master")["realm"] == "master"
        after = set(processes.pids_with_marker("-Djava.util.logging.manager=org.jboss.logmanager.LogManager"))
        assert after <= before  # no new Keycloak process


INNER_TEST = textwrap.dedent("""
    import json, os, time
    from pathlib import Path

    def test_waits_to_be_interrupted(keycloak):
        info = {"run_id": keycloak.run_id, "pgid": keycloak.pid, "url": keycloak.url}
        Path(os.environ["KCR_HANDSHAKE"]).write_text(json.dumps(info))
        time.sleep(600)
""")


def test_ctrl_c_during_a_test_run_leaves_no_java_behind(tmp_path: Path) -> None:
    """A pytest run that launched its own Keycloak gets SIGINT while a test runs; afterwards no Java
    process of that run remains (checked with `pgrep -f` on its own run marker)."""
    (tmp_path / "test_inner.py").write_text(INNER_TEST)
    handshake = tmp_path / "handshake.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYCLOAK_")}
    env.update(KCR_HANDSHAKE=str(handshake), KEYCLOAK_LAUNCHER="distribution")
    inner = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 400
        while not handshake.exists():
            assert inner.poll() is None, inner.communicate()[0].decode()
            assert time.monotonic() < deadline, "the inner run did not start Keycloak in time"
            time.sleep(0.2)
        time.sleep(0.2)  # the handshake file is written in one go; let it be flushed
        info = json.loads(handshake.read_text())
        marker = f"kcr.run={info['run_id']}"
        assert _pgrep(marker), "the inner Keycloak should be running now"
        assert httpx.get(f"{info['url']}/realms/master", timeout=10).status_code == 200

        inner.send_signal(signal.SIGINT)  # Ctrl-C
        output = inner.communicate(timeout=120)[0].decode()
    finally:
        if inner.poll() is None:  # pragma: no cover - only when the check above failed
            inner.kill()
            inner.wait()
    assert "KeyboardInterrupt" in output
    assert inner.returncode == 2  # pytest's "interrupted"
    assert _pgrep(marker) == []
    assert not processes.group_alive(int(info["pgid"]))


def _pgrep(pattern: str) -> list[int]:
    done = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    return [int(pid) for pid in done.stdout.split()]
