"""Where the test Keycloak comes from, in this order:

1. ``KEYCLOAK_URL`` is set: that server, with the KEYCLOAK_* credentials; nothing is started.
2. A Docker engine answers: ``quay.io/keycloak/keycloak:<version>`` through testcontainers.
3. Otherwise the server distribution (fetched with Maven into a user cache folder, once), started on
   free ports bound to 127.0.0.1 with an in-memory database, and stopped with its whole process group.

``KEYCLOAK_LAUNCHER=distribution|container`` forces a choice; ``KEYCLOAK_VERSION`` (default
DEFAULT_VERSION) picks the version; ``KEYCLOAK_START_TIMEOUT`` (seconds, default 180) bounds the wait for
``/health/ready`` on the management port.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import httpx

from reconciler.keycloak.settings import ConnectionSettings
from reconciler.testing import processes
from reconciler.testing.distribution import Progress, cache_root, prepare_distribution
from reconciler.testing.errors import KeycloakLaunchError
from reconciler.testing.java import find_java, keycloak_java_options

DEFAULT_VERSION = "26.7.3"
IMAGE = "quay.io/keycloak/keycloak"
DEFAULT_START_TIMEOUT = 180.0
HOST = "127.0.0.1"
ADMIN_USER = "admin"
ADMIN_CLIENT_ID = "kcr-admin"
RUN_MARKER = "-Dkcr.run="  # on the java command line of every server we start: how we find ours

Source = Literal["external", "container", "distribution"]

__all__ = ["DEFAULT_VERSION", "KeycloakLaunchError", "KeycloakServer", "start_keycloak"]


class SecretEnv(dict[str, str]):
    """Environment variables whose repr hides secret values: pytest prints fixtures' reprs in a
    failing test's report, and the admin client's secret must not appear there."""

    def __repr__(self) -> str:
        shown = {k: "***" if any(w in k for w in _SECRET_WORDS) else v for k, v in self.items()}
        return repr(shown)


_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN")


@dataclass(frozen=True)
class KeycloakServer:
    url: str
    version: str = ""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = "admin-cli"
    client_secret: str | None = field(default=None, repr=False)
    started_by_us: bool = False
    source: Source = "external"
    startup_seconds: float | None = None
    log_file: Path | None = None
    pid: int | None = None  # process-group id of a server we started from the distribution
    run_id: str = ""  # the value of RUN_MARKER on its command line
    console_login: tuple[str, str] | None = field(default=None, repr=False)  # admin user, for humans

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            url=self.url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            username=self.username,
            password=self.password,
        )

    def env(self) -> dict[str, str]:
        env = SecretEnv(KEYCLOAK_URL=self.url, KEYCLOAK_CLIENT_ID=self.client_id)
        if self.username:
            env["KEYCLOAK_USER"] = self.username
            env["KEYCLOAK_PASSWORD"] = self.password or ""
        if self.client_secret:
            env["KEYCLOAK_CLIENT_SECRET"] = self.client_secret
        return env

    def describe(self) -> str:
        """One line for the test output, e.g. 'Keycloak 26.7.3 at http://127.0.0.1:40123 (distribution,
        started in 21.3 s)'."""
        how: str = self.source if self.started_by_us else "given by KEYCLOAK_URL"
        if self.startup_seconds is not None:
            how += f", started in {self.startup_seconds:.1f} s"
        return f"Keycloak {self.version or '(version unknown)'} at {self.url} ({how})"


# ---- choosing ---------------------------------------------------------------------------------------


def docker_available(env: Mapping[str, str] | None = None, timeout: float = 3.0) -> bool:
    """Whether a Docker engine answers. Cheap when there is none: no socket and no DOCKER_HOST means no."""
    env = os.environ if env is None else env
    sockets = [Path("/var/run/docker.sock"), Path.home() / ".docker" / "run" / "docker.sock"]
    if env.get("XDG_RUNTIME_DIR"):
        sockets.append(Path(env["XDG_RUNTIME_DIR"]) / "docker.sock")
    if not env.get("DOCKER_HOST") and not any(s.exists() for s in sockets):
        return False
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        done = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=dict(env),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def select_source(env: Mapping[str, str], docker_ok: Callable[[], bool]) -> Source:
    """Which Keycloak the tests use (see the module docstring); ``docker_ok`` is only asked if needed."""
    if env.get("KEYCLOAK_URL"):
        return "external"
    forced = env.get("KEYCLOAK_LAUNCHER", "").strip().lower()
    if forced in ("distribution", "container"):
        return "distribution" if forced == "distribution" else "container"
    if forced:
        raise KeycloakLaunchError(f"KEYCLOAK_LAUNCHER must be 'distribution' or 'container', not {forced!r}")
    return "container" if docker_ok() else "distribution"


def start_timeout(env: Mapping[str, str]) -> float:
    raw = env.get("KEYCLOAK_START_TIMEOUT", "")
    if not raw:
        return DEFAULT_START_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        raise KeycloakLaunchError(
            f"KEYCLOAK_START_TIMEOUT must be a number of seconds, not {raw!r}"
        ) from None
    if value <= 0:
        raise KeycloakLaunchError(f"KEYCLOAK_START_TIMEOUT must be positive, not {raw!r}")
    return value


# ---- ports ------------------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, host: str = HOST) -> list[int]:
    """``count`` distinct free ports (held open together so the OS cannot hand out one twice)."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(sock)
            sock.bind((host, 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def ensure_port_free(port: int, host: str = HOST, what: str = "HTTP") -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise KeycloakLaunchError(
                f"the {what} port {host}:{port} for Keycloak is already in use ({exc.strerror}); stop what "
                f"listens there (`ss -ltnp 'sport = :{port}'`) or choose other ports"
            ) from None


def _port_setting(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise KeycloakLaunchError(f"{name} must be a TCP port number, not {raw!r}")
    return int(raw)


# ---- readiness --------------------------------------------------------------------------------------


def log_tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.is_file():
        return "(no log)"
    text = path.read_text(errors="replace").strip().splitlines()
    return "\n".join(text[-lines:]) or "(empty log)"


def wait_until_ready(
    health_url: str,
    timeout: float,
    *,
    exited: Callable[[], int | None],
    describe_failure: Callable[[str], str],
) -> float:
    """Poll ``health_url`` until it answers 200; the seconds it took. ``exited`` gives the exit code
    of a server that died (then we stop waiting); ``describe_failure`` turns a reason into the message."""
    started = time.monotonic()
    deadline = started + timeout
    with httpx.Client(timeout=2.0) as http:
        while True:
            code = exited()
            if code is not None:
                raise KeycloakLaunchError(
                    describe_failure(f"Keycloak exited with code {code} while starting")
                )
            with contextlib.suppress(httpx.HTTPError):
                if http.get(health_url).status_code == 200:
                    return time.monotonic() - started
            if time.monotonic() > deadline:
                raise KeycloakLaunchError(
                    describe_failure(
                        f"Keycloak did not become ready within {timeout:.0f} s (raise KEYCLOAK_START_TIMEOUT "
                        f"on a slow machine)"
                    )
                )
            time.sleep(0.25)


# ---- starting ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Credentials:
    password: str
    client_secret: str

    @classmethod
    def random(cls) -> _Credentials:
        return cls(password=secrets.token_urlsafe(16), client_secret=secrets.token_urlsafe(24))

    def bootstrap_env(self) -> dict[str, str]:
        return {
            "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
            "KC_BOOTSTRAP_ADMIN_PASSWORD": self.password,
            "KC_BOOTSTRAP_ADMIN_CLIENT_ID": ADMIN_CLIENT_ID,
            "KC_BOOTSTRAP_ADMIN_CLIENT_SECRET": self.client_secret,
        }


def external_server(env: Mapping[str, str]) -> KeycloakServer:
    s = ConnectionSettings.from_env(env)
    if not (s.client_secret or (s.username and s.password)):
        raise KeycloakLaunchError(
            "KEYCLOAK_URL is set but no credentials: set KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET "
            "(an admin service account) or KEYCLOAK_USER/KEYCLOAK_PASSWORD"
        )
    return KeycloakServer(
        url=s.base_url,
        username=s.username,
        password=s.password,
        client_id=s.client_id,
        client_secret=s.client_secret,
    )


def server_command(home: Path, http_port: int, management_port: int) -> list[str]:
    return [
        str(home / "bin" / "kc.sh"),
        "start",
        "--optimized",
        "--cache=local",
        "--http-enabled=true",
        "--hostname-strict=false",
        f"--http-host={HOST}",
        f"--http-port={http_port}",
        f"--http-management-port={management_port}",
    ]


def server_environment(
    base: Mapping[str, str],
    *,
    java_home: Path,
    run_id: str,
    run_dir: Path,
    credentials: _Credentials,
    java_options: tuple[str, ...] = (),
) -> dict[str, str]:
    """The environment of kc.sh: ours, minus any KC_*/JAVA_OPTS that would reconfigure Keycloak."""
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith("KC_") and k not in ("JAVA_OPTS", "JAVA_OPTS_APPEND", "JAVA_OPTS_KC_HEAP")
    }
    env["JAVA_HOME"] = str(java_home)
    # Our marker, the transaction log in the run's own folder (not in the shared distribution), and
    # what this Keycloak version needs on this Java.
    env["JAVA_OPTS_APPEND"] = " ".join(
        [
            f"{RUN_MARKER}{run_id}",
            f"-Dquarkus.transaction-manager.object-store.directory={run_dir / 'tx'}",
            *java_options,
        ]
    )
    env.update(credentials.bootstrap_env())
    return env


@dataclass
class LaunchedKeycloak:
    """A server started from the distribution; ``stop()`` ends its whole process group."""

    server: KeycloakServer
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        processes.stop_group(self.process.pid, proc=self.process)


def launch_distribution(
    env: Mapping[str, str] | None = None,
    *,
    run_dir: Path | None = None,
    die_with_parent: bool = True,
    progress: Progress | None = None,
) -> LaunchedKeycloak:
    """Start Keycloak from the distribution and wait until it is ready. With ``die_with_parent=False``
    (``make keycloak-up``) it outlives us and is not stopped at our exit."""
    env = dict(os.environ) if env is None else dict(env)
    report = progress or (lambda _: None)
    version = env.get("KEYCLOAK_VERSION") or DEFAULT_VERSION
    timeout = start_timeout(env)
    # Cheap checks first: a port given in the environment that is taken fails before any download.
    http_port = _port_setting(env, "KEYCLOAK_HTTP_PORT")
    management_port = _port_setting(env, "KEYCLOAK_MANAGEMENT_PORT")
    if http_port is not None:
        ensure_port_free(http_port)
    if management_port is not None:
        ensure_port_free(management_port, what="management")
    java = find_java(env)
    home = prepare_distribution(version, java, env, progress=report)

    run_id = uuid.uuid4().hex[:12]
    if run_dir is None:
        run_dir = cache_root(env) / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{run_id}"
        _prune_runs(run_dir.parent)
    run_dir.mkdir(parents=True, exist_ok=True)
    log_file = run_dir / "keycloak.log"
    log_file.write_text("")

    picked = free_ports(2)
    http_port = http_port or picked[0]
    management_port = management_port or (picked[1] if picked[1] != http_port else picked[0])

    credentials = _Credentials.random()
    report(f"starting Keycloak {version} with Java {java.version} on {HOST}:{http_port}; log: {log_file}")
    started = time.monotonic()
    proc = processes.spawn(
        server_command(home, http_port, management_port),
        env=server_environment(
            env,
            java_home=java.home,
            run_id=run_id,
            run_dir=run_dir,
            credentials=credentials,
            java_options=keycloak_java_options(version, java.version),
        ),
        log_file=log_file,
        cwd=run_dir,
        die_with_parent=die_with_parent,
    )
    if not die_with_parent:
        processes.remember(proc.pid, proc)  # stopped by us only if starting it fails
    try:

        def failure(reason: str) -> str:
            tail = log_tail(log_file)
            if "Address already in use" in tail or "Port already bound" in tail:
                reason += f" (a port is taken: {HOST}:{http_port} or {HOST}:{management_port})"
            return f"{reason}. Full log: {log_file}\n--- last lines of the log ---\n{tail}"

        wait_until_ready(
            f"http://{HOST}:{management_port}/health/ready",
            timeout,
            exited=proc.poll,
            describe_failure=failure,
        )
    except BaseException:
        processes.stop_group(proc.pid, proc=proc)
        raise
    if not die_with_parent:
        processes.forget(proc.pid)
    server = KeycloakServer(
        url=f"http://{HOST}:{http_port}",
        version=version,
        client_id=ADMIN_CLIENT_ID,
        client_secret=credentials.client_secret,
        started_by_us=True,
        source="distribution",
        startup_seconds=time.monotonic() - started,
        log_file=log_file,
        pid=proc.pid,
        run_id=run_id,
        console_login=(ADMIN_USER, credentials.password),
    )
    return LaunchedKeycloak(server=server, process=proc)


def _prune_runs(runs: Path, keep: int = 20) -> None:
    """Keep the logs of the last ``keep`` runs."""
    if not runs.is_dir():
        return
    for old in sorted(runs.iterdir())[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _distribution_keycloak(env: Mapping[str, str], progress: Progress | None) -> Iterator[KeycloakServer]:
    launched = launch_distribution(env, progress=progress)
    try:
        yield launched.server
    finally:
        launched.stop()


@contextlib.contextmanager
def _container_keycloak(env: Mapping[str, str]) -> Iterator[KeycloakServer]:
    from testcontainers.core.container import DockerContainer

    version = env.get("KEYCLOAK_VERSION") or DEFAULT_VERSION
    credentials = _Credentials.random()
    container = (
        DockerContainer(f"{IMAGE}:{version}")
        .with_command("start-dev --health-enabled=true")
        .with_exposed_ports(8080, 9000)
    )
    for name, value in credentials.bootstrap_env().items():
        container = container.with_env(name, value)
    started = time.monotonic()
    container.start()
    try:
        host = container.get_container_host_ip()
        http_port = int(container.get_exposed_port(8080))
        management_port = int(container.get_exposed_port(9000))

        def exited() -> int | None:
            container.get_wrapped_container().reload()
            status = container.get_wrapped_container().status
            return 1 if status in ("exited", "dead") else None

        def failure(reason: str) -> str:
            logs = b"".join(container.get_logs()).decode(errors="replace").strip().splitlines()
            return f"{reason}\n--- last lines of the container log ---\n" + "\n".join(logs[-40:])

        wait_until_ready(
            f"http://{host}:{management_port}/health/ready",
            start_timeout(env),
            exited=exited,
            describe_failure=failure,
        )
        yield KeycloakServer(
            url=f"http://{host}:{http_port}",
            version=version,
            client_id=ADMIN_CLIENT_ID,
            client_secret=credentials.client_secret,
            started_by_us=True,
            source="container",
            startup_seconds=time.monotonic() - started,
            console_login=(ADMIN_USER, credentials.password),
        )
    finally:
        container.stop()


@contextlib.contextmanager
def start_keycloak(
    env: Mapping[str, str] | None = None, *, progress: Progress | None = None
) -> Iterator[KeycloakServer]:
    """A Keycloak for the duration of the block (see the module docstring for where it comes from)."""
    env = dict(os.environ) if env is None else dict(env)
    source = select_source(env, lambda: docker_available(env))
    if source == "external":
        yield external_server(env)
    elif source == "container":
        with _container_keycloak(env) as server:
            yield server
    else:
        with _distribution_keycloak(env, progress) as server:
            yield server


def with_version(server: KeycloakServer, version: str) -> KeycloakServer:
    return replace(server, version=version)
