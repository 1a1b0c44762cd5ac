"""The integration and end-to-end tests on several Keycloak versions, one after another.

    python scripts/test_matrix.py [VERSION ...]   default: every tested version (reconciler.versions)

Each version runs in its own pytest process with KEYCLOAK_VERSION set and no KEYCLOAK_URL, so the test
plugin starts (and stops) a server of that version from the distribution. Prints one line per version
with its result and the time it took; exits 1 when any version failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from reconciler.versions import TESTED_VERSIONS

# MATRIX_TESTS narrows the tests (CI runs a subset on older versions; see .ci/run).
TESTS = tuple(os.environ.get("MATRIX_TESTS", "tests/integration tests/e2e").split())
PYTEST_ARGS = (*TESTS, "-q", "-p", "no:cacheprovider")
FOREIGN = (
    "KEYCLOAK_URL",
    "KEYCLOAK_USER",
    "KEYCLOAK_PASSWORD",
    "KEYCLOAK_CLIENT_ID",
    "KEYCLOAK_CLIENT_SECRET",
)


def run_version(version: str) -> tuple[int, float]:
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
    env["KEYCLOAK_VERSION"] = version
    print(f"=== Keycloak {version}: pytest {' '.join(PYTEST_ARGS)}", flush=True)
    started = time.monotonic()
    code = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_ARGS], env=env, stdin=subprocess.DEVNULL, check=False
    ).returncode
    return code, time.monotonic() - started


def main(versions: list[str]) -> int:
    results = [(v, *run_version(v)) for v in versions or TESTED_VERSIONS]
    print("\n=== test matrix (integration + e2e)")
    for version, code, seconds in results:
        verdict = "passed" if code == 0 else f"FAILED (exit {code})"
        print(f"Keycloak {version:<10} {verdict:<18} {seconds / 60:5.1f} min")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
