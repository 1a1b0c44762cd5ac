"""Pure tests of the test-Keycloak launcher: JDK detection, ports, source selection, the distribution
cache, process-group stopping and its error messages (fakes for Java/Maven/Keycloak; no server)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.testing import processes
from reconciler.testing.distribution import BUILD_STAMP, cache_root, fetch_zip, prepare_distribution, unpack
from reconciler.testing.errors import KeycloakLaunchError
from reconciler.testing.java import (
    BYTEBUDDY_EXPERIMENTAL,
    JavaInstall,
    find_java,
    installed_javas,
    keycloak_java_options,
    parse_java_version,
)
from reconciler.testing.server import (
    DEFAULT_START_TIMEOUT,
    RUN_MARKER,
    KeycloakServer,
    _Credentials,
    docker_available,
    ensure_port_free,
    free_port,
    free_ports,
    launch_distribution,
    select_source,
    server_command,
    server_environment,
    start_timeout,
    wait_until_ready,
)

# ---- Java -------------------------------------------------------------------------------------------

JAVA_17 = 'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian)\n'
JAVA_25 = 'openjdk version "25" 2025-09-16 LTS\nOpenJDK Runtime Environment Temurin-25+36 (build 25+36-LTS)\n'


@pytest.mark.parametrize(
    ("output", "major"),
    [
        (JAVA_17, 17),
        (JAVA_25, 25),
        ('java version "1.8.0_292"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "21-ea" 2023-09-19', 21),
        ('openjdk version "21.0.4" 2024-07-16 LTS', 21),
        ("bash: java: command not found", None),
        ("", None),
    ],
)
def test_parse_java_version(output: str, major: int | None) -> None:
    assert parse_java_version(output) == major


def _fake_probe(versions: dict[str, str | None]) -> Callable[[Path], str | None]:
    def probe(java: Path) -> str | None:
        return versions.get(str(java))

    return probe


def test_java_home_is_used_when_new_enough() -> None:
    probe = _fake_probe({"/jdk21/bin/java": 'openjdk version "21.0.4"', "/jvm/25/bin/java": JAVA_25})
    found = find_java(
        {"JAVA_HOME": "/jdk21"}, installed=[Path("/jvm/25/bin/java")], which=lambda _: None, probe=probe
    )
    assert found == JavaInstall(Path("/jdk21/bin/java"), 21)


def test_too_old_java_home_falls_back_to_the_newest_installed_jdk() -> None:
    probe = _fake_probe(
        {
            "/old/bin/java": JAVA_17,
            "/jvm/17/bin/java": JAVA_17,
            "/jvm/25/bin/java": JAVA_25,
            "/usr/bin/java": JAVA_17,
        }
    )
    found = find_java(
        {"JAVA_HOME": "/old"},
        installed=[Path("/jvm/17/bin/java"), Path("/jvm/25/bin/java")],
        which=lambda _: "/usr/bin/java",
        probe=probe,
    )
    assert found.java == Path("/jvm/25/bin/java")
    assert found.version == 25


def test_java_on_path_is_the_last_resort() -> None:
    probe = _fake_probe({"/usr/bin/java": 'openjdk version "22.0.1"'})
    found = find_java({}, installed=[], which=lambda _: "/usr/bin/java", probe=probe)
    assert found == JavaInstall(Path("/usr/bin/java"), 22)


def test_only_old_java_gives_a_clear_error() -> None:
    probe = _fake_probe({"/jvm/17/bin/java": JAVA_17, "/usr/bin/java": JAVA_17, "/broken/bin/java": None})
    with pytest.raises(KeycloakLaunchError) as caught:
        find_java(
            {"JAVA_HOME": "/broken"},
            installed=[Path("/jvm/17/bin/java")],
            which=lambda _: "/usr/bin/java",
            probe=probe,
        )
    message = str(caught.value)
    assert "needs Java 21 or newer" in message
    assert "/jvm/17/bin/java (Java 17)" in message
    assert "/broken/bin/java (does not run)" in message
    assert "JAVA_HOME" in message


def test_no_java_at_all_gives_a_clear_error() -> None:
    with pytest.raises(KeycloakLaunchError, match="no Java at all"):
        find_java({}, installed=[], which=lambda _: None, probe=lambda _: None)


def test_java_home_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "jvm" / "temurin-25" / "bin"
    real.mkdir(parents=True)
    (real / "java").write_text("")
    link = tmp_path / "usr-bin-java"
    link.symlink_to(real / "java")
    assert JavaInstall(link, 25).home == tmp_path / "jvm" / "temurin-25"


def test_installed_javas_lists_jdks_in_the_usual_layouts(tmp_path: Path) -> None:
    for java in ("jdk-a/bin/java", "jdk-b/Contents/Home/bin/java"):
        (tmp_path / java).parent.mkdir(parents=True)
        (tmp_path / java).write_text("")
    (tmp_path / "not-a-jdk").mkdir()
    assert installed_javas([tmp_path, tmp_path / "missing"]) == [
        tmp_path / "jdk-a/bin/java",
        tmp_path / "jdk-b/Contents/Home/bin/java",
    ]


# ---- ports, settings, selection ---------------------------------------------------------------------


def test_free_ports_are_distinct_and_bindable() -> None:
    ports = free_ports(2)
    assert len(set(ports)) == 2
    for port in [*ports, free_port()]:
        ensure_port_free(port)  # does not raise


def test_a_taken_port_is_named_in_the_error() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(KeycloakLaunchError, match=rf"port 127\.0\.0\.1:{port} .* already in use"):
            ensure_port_free(port)


def test_a_taken_port_fails_the_launch_before_anything_is_fetched(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        env = {"KEYCLOAK_HTTP_PORT": str(port), "XDG_CACHE_HOME": str(tmp_path), "PATH": ""}
        with pytest.raises(KeycloakLaunchError, match="already in use"):
            launch_distribution(env)
    assert not (tmp_path / "keycloak-reconciler").exists()


def test_keycloak_url_means_external_and_docker_is_not_even_asked() -> None:
    def docker_ok() -> bool:
        raise AssertionError("must not be asked")

    assert select_source({"KEYCLOAK_URL": "http://kc:8080"}, docker_ok) == "external"


@pytest.mark.parametrize(
    ("env", "docker", "expected"),
    [
        ({}, True, "container"),
        ({}, False, "distribution"),
        ({"KEYCLOAK_LAUNCHER": "distribution"}, True, "distribution"),
        ({"KEYCLOAK_LAUNCHER": "Container"}, False, "container"),
    ],
)
def test_select_source(env: dict[str, str], docker: bool, expected: str) -> None:
    assert select_source(env, lambda: docker) == expected


def test_unknown_launcher_is_an_error() -> None:
    with pytest.raises(KeycloakLaunchError, match="KEYCLOAK_LAUNCHER must be"):
        select_source({"KEYCLOAK_LAUNCHER": "podman"}, lambda: False)


def test_docker_detection_says_no_quickly_without_an_engine() -> None:
    started = time.monotonic()
    env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "PATH": os.environ["PATH"]}
    assert docker_available(env) is False
    assert time.monotonic() - started < 5


def test_start_timeout_setting() -> None:
    assert start_timeout({}) == DEFAULT_START_TIMEOUT
    assert start_timeout({"KEYCLOAK_START_TIMEOUT": "300"}) == 300
    with pytest.raises(KeycloakLaunchError, match="number of seconds"):
        start_timeout({"KEYCLOAK_START_TIMEOUT": "3m"})
    with pytest.raises(KeycloakLaunchError, match="positive"):
        start_timeout({"KEYCLOAK_START_TIMEOUT": "0"})


def test_cache_root() -> None:
    assert cache_root({"XDG_CACHE_HOME": "/c", "HOME": "/h"}) == Path("/c/keycloak-reconciler")
    assert cache_root({"HOME": "/h"}) == Path("/h/.cache/keycloak-reconciler")


def test_server_environment_keeps_our_settings_and_drops_foreign_keycloak_ones(tmp_path: Path) -> None:
    creds = _Credentials(password="pw", client_secret="cs")
    env = server_environment(
        {"PATH": "/bin", "KC_DB": "postgres", "JAVA_OPTS": "-Xmx8g", "KC_HTTP_PORT": "1"},
        java_home=Path("/jdk25"),
        run_id="abc",
        run_dir=tmp_path,
        credentials=creds,
    )
    assert not {"KC_DB", "KC_HTTP_PORT", "JAVA_OPTS"} & env.keys()
    assert (env["PATH"], env["JAVA_HOME"]) == ("/bin", "/jdk25")
    assert f"{RUN_MARKER}abc" in env["JAVA_OPTS_APPEND"].split()
    assert env["KC_BOOTSTRAP_ADMIN_CLIENT_SECRET"] == "cs"
    assert env["KC_BOOTSTRAP_ADMIN_PASSWORD"] == "pw"


@pytest.mark.parametrize(
    ("keycloak", "java", "options"),
    [
        ("26.0.8", 25, (BYTEBUDDY_EXPERIMENTAL,)),
        ("26.5.6", 25, (BYTEBUDDY_EXPERIMENTAL,)),
        ("26.0.15.redhat-00001", 25, (BYTEBUDDY_EXPERIMENTAL,)),
        ("26.6.4", 25, ()),
        ("26.7.3", 25, ()),
        ("26.0.8", 21, ()),  # the JDK these versions were made for needs nothing
        ("999.0.0-SNAPSHOT", 25, ()),
    ],
)
def test_each_keycloak_version_gets_the_java_options_it_needs(
    keycloak: str, java: int, options: tuple[str, ...]
) -> None:
    assert keycloak_java_options(keycloak, java) == options


def test_the_version_options_reach_the_server_and_caches_stay_local(tmp_path: Path) -> None:
    env = server_environment(
        {},
        java_home=Path("/jdk25"),
        run_id="abc",
        run_dir=tmp_path,
        credentials=_Credentials(password="pw", client_secret="cs"),
        java_options=keycloak_java_options("26.0.8", 25),
    )
    assert BYTEBUDDY_EXPERIMENTAL in env["JAVA_OPTS_APPEND"].split()
    assert f"{RUN_MARKER}abc" in env["JAVA_OPTS_APPEND"].split()
    # --cache is a run-time option on every 26.x (26.0 refuses it in `kc.sh build`).
    assert "--cache=local" in server_command(tmp_path, 1, 2)


def test_server_description_and_env_keep_secrets_out_of_repr() -> None:
    server = KeycloakServer(
        url="http://127.0.0.1:4000",
        version="26.7.3",
        client_id="kcr-admin",
        client_secret="s3cret",
        started_by_us=True,
        source="distribution",
        startup_seconds=21.34,
    )
    assert server.describe() == "Keycloak 26.7.3 at http://127.0.0.1:4000 (distribution, started in 21.3 s)"
    assert "s3cret" not in repr(server)
    assert server.env() == {
        "KEYCLOAK_URL": "http://127.0.0.1:4000",
        "KEYCLOAK_CLIENT_ID": "kcr-admin",
        "KEYCLOAK_CLIENT_SECRET": "s3cret",
    }
    assert "given by KEYCLOAK_URL" in KeycloakServer(url="http://kc").describe()


# ---- readiness --------------------------------------------------------------------------------------


def test_a_server_that_exits_while_starting_is_reported_with_the_reason() -> None:
    with pytest.raises(KeycloakLaunchError, match=r"exited with code 3 while starting \(see log\)"):
        wait_until_ready(
            f"http://127.0.0.1:{free_port()}/health/ready",
            30,
            exited=lambda: 3,
            describe_failure=lambda reason: f"{reason} (see log)",
        )


def test_a_server_that_never_gets_ready_times_out() -> None:
    started = time.monotonic()
    with pytest.raises(KeycloakLaunchError, match=r"did not become ready within 1 s.*KEYCLOAK_START_TIMEOUT"):
        wait_until_ready(
            f"http://127.0.0.1:{free_port()}/health/ready", 1, exited=lambda: None, describe_failure=str
        )
    assert time.monotonic() - started < 10


# ---- the distribution cache -------------------------------------------------------------------------


def _executable(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text))
    path.chmod(0o755)


def _fake_dist_zip(path: Path, version: str) -> None:
    """A zip shaped like keycloak-quarkus-dist: kc.sh (executable) counts its `build` runs."""
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo(f"keycloak-{version}/bin/kc.sh")
        info.external_attr = (stat.S_IFREG | 0o755) << 16
        archive.writestr(info, '#!/bin/sh\necho "$@" >> "$(dirname "$0")/../builds.txt"\n')
        archive.writestr(f"keycloak-{version}/version.txt", f"Keycloak - Version {version}\n")


def test_missing_maven_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeycloakLaunchError, match=r"`mvn` \(Maven\) is not installed.*KEYCLOAK_URL"):
        fetch_zip("26.7.3", tmp_path, which=lambda _: None)


def test_a_failed_download_shows_what_maven_said_and_leaves_nothing(tmp_path: Path) -> None:
    mvn = tmp_path / "mvn"
    _executable(
        mvn,
        """\
        #!/bin/sh
        echo "[ERROR] Could not find artifact org.keycloak:keycloak-quarkus-dist:zip:99.0.0"
        exit 1
    """,
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    expected = r"(?s)exit code 1.*KEYCLOAK_VERSION.*Could not find artifact"
    with pytest.raises(KeycloakLaunchError, match=expected):
        fetch_zip("99.0.0", cache, which=lambda _: str(mvn))
    assert list(cache.iterdir()) == []


def test_maven_fetches_the_zip_into_the_cache(tmp_path: Path) -> None:
    mvn = tmp_path / "mvn"
    source = tmp_path / "dist.zip"
    _fake_dist_zip(source, "1.2.3")
    # Like `mvn dependency:copy`: the artifact lands in -DoutputDirectory.
    _executable(
        mvn,
        f"""\
        #!/bin/sh
        for a in "$@"; do case "$a" in -DoutputDirectory=*) out="${{a#-DoutputDirectory=}}";; esac; done
        cp {source} "$out/keycloak-quarkus-dist-1.2.3.zip"
    """,
    )
    cache = tmp_path / "cache"
    cache.mkdir()
    zip_path = fetch_zip("1.2.3", cache, which=lambda _: str(mvn))
    assert zip_path == cache / "keycloak-quarkus-dist-1.2.3.zip"
    assert zipfile.is_zipfile(zip_path)
    assert sorted(p.name for p in cache.iterdir()) == ["keycloak-quarkus-dist-1.2.3.zip"]


def test_unpack_is_atomic_and_keeps_the_executable_bit(tmp_path: Path) -> None:
    zip_path = tmp_path / "keycloak-quarkus-dist-1.2.3.zip"
    _fake_dist_zip(zip_path, "1.2.3")
    home = unpack(zip_path, "1.2.3", tmp_path)
    assert home == tmp_path / "keycloak-1.2.3"
    assert os.access(home / "bin" / "kc.sh", os.X_OK)
    assert not list(tmp_path.glob(".unpack-*"))


def test_a_zip_that_is_not_keycloak_is_refused_and_not_unpacked(tmp_path: Path) -> None:
    zip_path = tmp_path / "keycloak-quarkus-dist-1.2.3.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("something/else.txt", "x")
    with pytest.raises(KeycloakLaunchError, match="not a Keycloak distribution"):
        unpack(zip_path, "1.2.3", tmp_path)
    assert not (tmp_path / "keycloak-1.2.3").exists()
    assert not list(tmp_path.glob(".unpack-*"))


def test_prepare_builds_once_and_cleans_up_after_an_interrupted_unpack(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    _fake_dist_zip(cache / "keycloak-quarkus-dist-1.2.3.zip", "1.2.3")
    interrupted = cache / ".unpack-old"  # what a killed unpack leaves behind: never used, removed
    (interrupted / "keycloak-1.2.3" / "bin").mkdir(parents=True)
    java = JavaInstall(Path(sys.executable), 25)

    home = prepare_distribution(
        "1.2.3", java, {"PATH": os.environ["PATH"]}, cache=cache, which=lambda _: None
    )
    again = prepare_distribution(
        "1.2.3", java, {"PATH": os.environ["PATH"]}, cache=cache, which=lambda _: None
    )

    assert home == again == cache / "keycloak-1.2.3"
    assert not interrupted.exists()
    builds = (home / "builds.txt").read_text().splitlines()
    assert builds == ["build --db=dev-mem --health-enabled=true"]
    assert (home / BUILD_STAMP).read_text().strip() == "--db=dev-mem --health-enabled=true"


def test_an_interrupted_build_is_redone(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    _fake_dist_zip(cache / "keycloak-quarkus-dist-1.2.3.zip", "1.2.3")
    java = JavaInstall(Path(sys.executable), 25)
    home = prepare_distribution("1.2.3", java, {}, cache=cache, which=lambda _: None)
    (home / BUILD_STAMP).unlink()  # as if the build had been killed before it finished
    prepare_distribution("1.2.3", java, {}, cache=cache, which=lambda _: None)
    assert len((home / "builds.txt").read_text().splitlines()) == 2


# ---- process groups ---------------------------------------------------------------------------------


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "server.log"
    path.write_text("")
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()


def _wait_for_pids(path: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = path.read_text().split() if path.exists() else []
        if len(pids) >= count:
            return [int(p) for p in pids]
        time.sleep(0.05)
    raise AssertionError(f"the fake server did not write {count} pids")


def test_stop_group_ends_the_whole_group(tmp_path: Path, log_file: Path) -> None:
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $! >> {pids}; echo $$ >> {pids}; wait"
    proc = processes.spawn(["sh", "-c", script], env=dict(os.environ), log_file=log_file)
    children = _wait_for_pids(pids, 2)
    assert os.getpgid(children[0]) == proc.pid  # its own process group, not ours
    assert proc.pid != os.getpgid(0)
    processes.stop_group(proc.pid, proc=proc, grace=5)
    assert not processes.group_alive(proc.pid)
    assert not any(_alive(pid) for pid in children)


def test_stop_group_kills_what_ignores_sigterm(tmp_path: Path, log_file: Path) -> None:
    pids = tmp_path / "pids"
    script = f"trap '' TERM; echo $$ >> {pids}; while :; do sleep 0.1; done"
    proc = processes.spawn(["sh", "-c", script], env=dict(os.environ), log_file=log_file)
    _wait_for_pids(pids, 1)
    started = time.monotonic()
    processes.stop_group(proc.pid, proc=proc, grace=0.5)
    assert not processes.group_alive(proc.pid)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 8


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_the_server_dies_with_a_killed_test_process(tmp_path: Path) -> None:
    """SIGKILL of the test process runs no handler: kc.sh gets SIGTERM from the kernel (parent-death
    signal) and, like the real kc.sh, forwards it to its java (here: a sleep)."""
    pids = tmp_path / "pids"
    fake_kc = tmp_path / "kc.sh"
    _executable(
        fake_kc,
        f"""\
        #!/bin/sh
        trap 'kill -TERM $PID; wait $PID; exit 143' TERM INT
        sleep 300 &
        PID=$!
        echo $$ $PID > {pids}
        wait $PID
    """,
    )
    log = tmp_path / "log"
    code = f"""
import os, time
from pathlib import Path
from reconciler.testing import processes
processes.spawn([{str(fake_kc)!r}], env=dict(os.environ), log_file=Path({str(log)!r}))
time.sleep(300)
"""
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        kc_sh, java = _wait_for_pids(pids, 2)
        assert _alive(kc_sh)
        assert _alive(java)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while (_alive(kc_sh) or _alive(java)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(java)
        assert not _alive(kc_sh)
    finally:
        parent.kill()
        parent.wait(10)


def test_pids_with_marker_finds_only_exact_arguments(tmp_path: Path, log_file: Path) -> None:
    marker = f"-Dkcr.test={json.dumps(time.time())}"
    proc = processes.spawn(["sh", "-c", "sleep 300", marker], env=dict(os.environ), log_file=log_file)
    try:
        assert processes.pids_with_marker(marker) == [proc.pid]
        assert processes.pids_with_marker(marker[:-1]) == []
        rss = processes.rss_kib(proc.pid)
        assert rss is not None
        assert rss > 0
    finally:
        processes.stop_group(proc.pid, proc=proc, grace=5)
    assert processes.pids_with_marker(marker) == []
