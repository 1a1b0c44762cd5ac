"""Packaging: ``python -m build`` makes a wheel and an sdist; each installs into a fresh virtual
environment without any test dependency, and ``kcr`` runs from it; the metadata is complete.

pip is used as configured where the suite runs (its environment variables and config files: the public
index on a normal machine, a local mirror or PIP_FIND_LINKS elsewhere); nothing here adds an index."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest

from reconciler.__about__ import __version__

ROOT = Path(__file__).resolve().parents[2]
TEST_ONLY = {"pytest", "testcontainers", "hypothesis", "joserfc", "ruff", "mypy", "pre-commit", "build"}


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    done = subprocess.run(
        list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and the sdist that ``python -m build`` makes of the repository."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT))
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def fresh_venv(folder: Path, package: Path) -> Path:
    """A new virtual environment with ``package`` pip-installed; its bin folder."""
    run(sys.executable, "-m", "venv", str(folder))
    bin_dir = folder / "bin"
    run(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(package))
    return bin_dir


def metadata(wheel: Path) -> Message:
    with zipfile.ZipFile(wheel) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(zf.read(name))


def test_the_wheel_metadata_is_complete(dist: dict[str, Path]) -> None:
    meta = metadata(dist["wheel"])
    assert meta["Name"] == "keycloak-reconciler"
    assert meta["Version"] == __version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.11"
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    assert all(u.startswith("https://") for u in urls.values())
    classifiers = meta.get_all("Classifier") or []
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)
    assert meta["Description-Content-Type"] == "text/markdown"
    # Test tools are extras only, never runtime requirements.
    runtime = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert not [r for r in runtime if r.split(">")[0].split("=")[0].strip() in TEST_ONLY]
    with zipfile.ZipFile(dist["wheel"]) as zf:
        names = zf.namelist()
    assert "reconciler/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "reconciler/render/plan_schema.json" in names
    assert not [n for n in names if n.startswith("tests/")]


def test_the_sdist_holds_the_sources(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "reconciler/__init__.py",
        "reconciler/py.typed",
    } <= names
    assert not [n for n in names if n.startswith((".venv/", ".git/")) or "__pycache__" in n]


def test_the_wheel_installs_and_runs_in_a_fresh_venv(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = fresh_venv(tmp_path / "venv", dist["wheel"])
    version = run(str(bin_dir / "kcr"), "--version")
    assert version.stdout.strip() == f"kcr, version {__version__}"
    installed = run(str(bin_dir / "python"), "-m", "pip", "list", "--format=freeze").stdout.lower()
    names = {line.split("==")[0].replace("_", "-") for line in installed.splitlines()}
    assert "keycloak-reconciler" in names
    assert names.isdisjoint(TEST_ONLY), names & TEST_ONLY
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "realm.yaml").write_text(
        "realm: demo\ngroups: [{name: team}]\n", encoding="utf-8"
    )
    valid = run(str(bin_dir / "kcr"), "validate", str(tmp_path / "desired"))
    assert valid.stdout.startswith("Valid: 1 file(s), 1 realm(s)")


def test_the_sdist_installs_and_runs_in_a_fresh_venv(dist: dict[str, Path], tmp_path: Path) -> None:
    bin_dir = fresh_venv(tmp_path / "venv", dist["sdist"])
    assert run(str(bin_dir / "kcr"), "--version").stdout.strip() == f"kcr, version {__version__}"
