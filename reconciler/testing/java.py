"""Finding a JDK that can run Keycloak (21 or newer) without the user's help.

Order: ``JAVA_HOME`` if it is new enough, then the newest JDK installed in the usual places
(``/usr/lib/jvm/*``, ``/usr/lib64/jvm/*``, macOS' ``/Library/Java/JavaVirtualMachines/*``), then ``java``
on ``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.testing.errors import KeycloakLaunchError
from reconciler.versions import KeycloakVersion

MIN_JAVA = 21
JVM_ROOTS: tuple[Path, ...] = (
    Path("/usr/lib/jvm"),
    Path("/usr/lib64/jvm"),
    Path("/Library/Java/JavaVirtualMachines"),
)

# `openjdk version "17.0.15" 2025-04-15`, `java version "1.8.0_292"`, `openjdk version "25" 2025-09-16`,
# `openjdk version "21-ea"`.
_VERSION_RE = re.compile(r'version "(\d+)(?:\.(\d+))?[^"]*"')

JavaProbe = Callable[[Path], "str | None"]

# Keycloak before 26.6 ships a Byte Buddy that refuses Java 25 class files unless told to try anyway.
BYTEBUDDY_EXPERIMENTAL = "-Dnet.bytebuddy.experimental=true"
BYTEBUDDY_KNOWS_JAVA_25 = KeycloakVersion(26, 6)


def keycloak_java_options(keycloak_version: str, java_version: int) -> tuple[str, ...]:
    """The JVM options Keycloak ``keycloak_version`` needs to run on Java ``java_version``."""
    version = KeycloakVersion.parse(keycloak_version)
    if java_version >= 25 and version is not None and version < BYTEBUDDY_KNOWS_JAVA_25:
        return (BYTEBUDDY_EXPERIMENTAL,)
    return ()


@dataclass(frozen=True)
class JavaInstall:
    java: Path  # the `java` executable
    version: int  # the feature release: 8, 17, 21, 25...

    @property
    def home(self) -> Path:
        """The JDK directory (what JAVA_HOME must be), symlinks like /usr/bin/java followed."""
        return self.java.resolve().parent.parent


def parse_java_version(text: str) -> int | None:
    """The major version from ``java -version`` output, or None when the text is not such output."""
    match = _VERSION_RE.search(text)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # the old "1.8" numbering
        major = int(match.group(2))
    return major


def probe_java(java: Path) -> str | None:
    """The ``java -version`` output of an executable, or None when it is missing or does not run."""
    if not (java.is_file() and os.access(java, os.X_OK)):
        return None
    try:
        done = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stderr + done.stdout


def installed_javas(roots: Iterable[Path] = JVM_ROOTS) -> list[Path]:
    """`java` executables of the JDKs installed in the usual directories."""
    found: list[Path] = []
    for root in roots:
        if not root.is_dir():
            continue
        for jdk in sorted(root.iterdir()):
            for java in (jdk / "bin" / "java", jdk / "Contents" / "Home" / "bin" / "java"):
                if java.is_file():
                    found.append(java)
    return found


def find_java(
    env: Mapping[str, str] | None = None,
    *,
    installed: Sequence[Path] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    probe: JavaProbe = probe_java,
    minimum: int = MIN_JAVA,
) -> JavaInstall:
    """The Java to run Keycloak with, or a KeycloakLaunchError that says what was found instead."""
    env = os.environ if env is None else env
    seen: list[str] = []

    def check(java: Path) -> JavaInstall | None:
        output = probe(java)
        version = parse_java_version(output) if output is not None else None
        if version is None:
            seen.append(f"{java} (does not run)" if output is None else f"{java} (unknown version)")
            return None
        seen.append(f"{java} (Java {version})")
        return JavaInstall(java, version)

    java_home = env.get("JAVA_HOME")
    if java_home:
        found = check(Path(java_home) / "bin" / "java")
        if found and found.version >= minimum:
            return found

    candidates = list(installed_javas() if installed is None else installed)
    on_path = which("java")
    if on_path:
        candidates.append(Path(on_path))
    best: JavaInstall | None = None
    done: set[Path] = set()
    for java in candidates:
        key = java.resolve()
        if key in done:
            continue
        done.add(key)
        found = check(java)
        if found and found.version >= minimum and (best is None or found.version > best.version):
            best = found
    if best is not None:
        return best
    what = "; ".join(seen) if seen else "no Java at all (JAVA_HOME unset, no JDK installed, no java on PATH)"
    raise KeycloakLaunchError(
        f"Keycloak needs Java {minimum} or newer, but found {what}. "
        f"Install a JDK >= {minimum} (e.g. `apt-get install openjdk-{minimum}-jdk-headless` or Temurin) "
        f"and set JAVA_HOME to it, or point KEYCLOAK_URL at a running Keycloak instead."
    )
