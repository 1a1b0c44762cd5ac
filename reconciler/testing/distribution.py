"""The Keycloak server distribution in a user cache folder: fetched with Maven once, unpacked
atomically, and built once (``kc.sh build``) so every later start is ``start --optimized``.

The build options below are the ones every test server runs with: an in-memory database (each run has
its own data, nothing shared between concurrent runs) and the health endpoints (our readiness wait).
Local caches (no clustering between concurrent servers) are a start option (server.server_command).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from reconciler.testing import processes
from reconciler.testing.errors import KeycloakLaunchError
from reconciler.testing.java import JavaInstall, keycloak_java_options

BUILD_OPTIONS: tuple[str, ...] = ("--db=dev-mem", "--health-enabled=true")
# A stamp written with this too still matches: --cache is a run-time option on every 26.x (26.7 ignored
# it in a build, 26.0 refuses the build), so such a build is the same as one without it.
_IGNORED_IN_OLD_STAMPS = frozenset({"--cache=local"})
BUILD_STAMP = ".kcr-build"  # written after a finished build: the options it was built with
MVN_TIMEOUT = 1200.0
BUILD_TIMEOUT = 600.0

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/keycloak-reconciler``, else ``~/.cache/keycloak-reconciler``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "keycloak-reconciler"


def artifact(version: str) -> str:
    return f"org.keycloak:keycloak-quarkus-dist:{version}:zip"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between concurrent test runs preparing the same distribution."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def fetch_zip(
    version: str,
    cache: Path,
    *,
    which: Callable[[str], str | None] = shutil.which,
    progress: Progress = _quiet,
) -> Path:
    """The distribution zip in ``cache``, fetched with ``mvn dependency:copy`` if it is not there yet."""
    target = cache / f"keycloak-quarkus-dist-{version}.zip"
    if target.is_file() and zipfile.is_zipfile(target):
        return target
    mvn = which("mvn")
    if mvn is None:
        raise KeycloakLaunchError(
            f"`mvn` (Maven) is not installed, so the Keycloak {version} distribution cannot be fetched. "
            f"Install Maven (e.g. `apt-get install maven`), or put keycloak-quarkus-dist-{version}.zip "
            f"into {cache}, or point KEYCLOAK_URL at a running Keycloak."
        )
    progress(f"fetching {artifact(version)} with Maven into {cache} (once)")
    download = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    log = download / "mvn.log"
    try:
        command = [
            mvn,
            "-B",
            "dependency:copy",
            f"-Dartifact={artifact(version)}",
            f"-DoutputDirectory={download}",
        ]
        try:
            code = processes.run_to_end(command, env=os.environ, log_file=log, timeout=MVN_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise KeycloakLaunchError(
                f"fetching {artifact(version)} with Maven took longer than {MVN_TIMEOUT:.0f} s; "
                f"check the network or the Maven mirror in ~/.m2/settings.xml"
            ) from exc
        fetched = download / target.name
        if code != 0 or not zipfile.is_zipfile(fetched):
            raise KeycloakLaunchError(
                f"Maven could not fetch {artifact(version)} (exit code {code}). "
                f"Check that version {version} exists (KEYCLOAK_VERSION) and that Maven can reach its "
                f"repository. Maven said:\n{_tail(log.read_text(errors='replace'))}"
            )
        os.replace(fetched, target)  # atomic: a half-downloaded zip is never found under its name
    finally:
        shutil.rmtree(download, ignore_errors=True)
    return target


def unpack(zip_path: Path, version: str, cache: Path, *, progress: Progress = _quiet) -> Path:
    """The unpacked distribution ``cache/keycloak-<version>``; it appears at once or not at all."""
    home = cache / f"keycloak-{version}"
    if home.is_dir():
        return home
    progress(f"unpacking {zip_path.name}")
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache))
    try:
        with zipfile.ZipFile(zip_path) as archive:
            for member in archive.infolist():
                dest = (scratch / member.filename).resolve()
                if not dest.is_relative_to(scratch.resolve()):
                    raise KeycloakLaunchError(f"{zip_path} holds an unsafe path: {member.filename!r}")
                archive.extract(member, scratch)
                mode = member.external_attr >> 16
                if mode and not member.is_dir():
                    dest.chmod(mode & 0o777)  # zipfile drops the executable bits (bin/kc.sh)
        unpacked = scratch / f"keycloak-{version}"
        if not (unpacked / "bin" / "kc.sh").is_file():
            raise KeycloakLaunchError(f"{zip_path} is not a Keycloak distribution (no bin/kc.sh); delete it")
        os.rename(unpacked, home)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return home


def build(
    home: Path, java: JavaInstall, env: Mapping[str, str], *, version: str = "", progress: Progress = _quiet
) -> None:
    """``kc.sh build`` with BUILD_OPTIONS, unless the distribution was already built with them."""
    stamp = home / BUILD_STAMP
    wanted = " ".join(BUILD_OPTIONS)
    if stamp.is_file() and set(stamp.read_text().split()) - _IGNORED_IN_OLD_STAMPS == set(BUILD_OPTIONS):
        return
    progress(f"building Keycloak once ({wanted})")
    stamp.unlink(missing_ok=True)
    log = home / "build.log"
    log.write_text("")
    try:
        code = processes.run_to_end(
            [str(home / "bin" / "kc.sh"), "build", *BUILD_OPTIONS],
            env={
                **env,
                "JAVA_HOME": str(java.home),
                "JAVA_OPTS_APPEND": " ".join(keycloak_java_options(version, java.version)),
            },
            log_file=log,
            timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise KeycloakLaunchError(f"`kc.sh build` in {home} took longer than {BUILD_TIMEOUT:.0f} s") from exc
    if code != 0:
        raise KeycloakLaunchError(
            f"`kc.sh build` failed in {home} (exit code {code}); full log in {log}:"
            f"\n{_tail(log.read_text(errors='replace'))}"
        )
    partial = stamp.with_suffix(".tmp")
    partial.write_text(wanted + "\n")
    os.replace(partial, stamp)


def prepare_distribution(
    version: str,
    java: JavaInstall,
    env: Mapping[str, str],
    *,
    cache: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
    progress: Progress = _quiet,
) -> Path:
    """A built Keycloak ``version`` ready for ``kc.sh start --optimized``; its home directory."""
    cache = cache_root(env) if cache is None else cache
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / f".keycloak-{version}.lock"):
        for stale in [*cache.glob(".unpack-*"), *cache.glob(".download-*")]:  # left by an interrupted run
            shutil.rmtree(stale, ignore_errors=True)
        home = cache / f"keycloak-{version}"
        if not home.is_dir():
            home = unpack(
                fetch_zip(version, cache, which=which, progress=progress), version, cache, progress=progress
            )
        build(home, java, env, version=version, progress=progress)
    return home
