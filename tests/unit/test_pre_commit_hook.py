"""The ``kcr-validate`` pre-commit hook (.pre-commit-hooks.yaml), run by pre-commit itself
(``pre-commit try-repo``, which installs this repository's working tree into the hook's own virtual
environment) on a sample repository in a temporary folder: no Keycloak, no secrets set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]

VALID = """\
realm: shop
clients:
  - clientId: storefront
    publicClient: false
    secret: ${env:STOREFRONT_SECRET}
groups:
  - name: staff
users:
  - username: ada
    groups: [/staff]
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=60,
    )


def try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STOREFRONT_SECRET"}
    env |= {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "kcr-validate", "--all-files"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_hook_is_declared_offline() -> None:
    [hook] = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "kcr-validate"
    assert hook["entry"] == "kcr validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert "--allow-unset-env" in hook["args"]


def test_pre_commit_runs_the_hook_on_a_sample_repository(tmp_path: Path) -> None:
    repo = tmp_path / "sample"
    (repo / "desired-state").mkdir(parents=True)
    realm = repo / "desired-state" / "shop.yaml"
    realm.write_text(VALID, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "desired state")
    home = tmp_path / "pre-commit-home"

    passed = try_repo(repo, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "kcr validate" in passed.stdout
    assert "Passed" in passed.stdout

    # A typo: the hook fails, naming file, line and column, and the key meant.
    realm.write_text(VALID.replace("publicClient", "publicClinet"))
    git(repo, "add", ".")
    failed = try_repo(repo, home)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "desired-state/shop.yaml:4:5" in failed.stdout
    assert "publicClient" in failed.stdout  # the did-you-mean
    assert "1 error in the desired state." in failed.stdout


@pytest.mark.parametrize("allow", [False, True])
def test_an_unset_variable_is_a_note_with_or_without_the_flag(
    allow: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate needs no secret (plan and apply do); --allow-unset-env is kept for older hooks."""
    from click.testing import CliRunner

    from reconciler.cli import main

    monkeypatch.delenv("STOREFRONT_SECRET", raising=False)
    (tmp_path / "shop.yaml").write_text(VALID, encoding="utf-8")
    args = ["validate", str(tmp_path), *(["--allow-unset-env"] if allow else [])]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Valid: 1 file(s), 1 realm(s)" in result.output
    assert "note: " in result.output
    assert "environment variable STOREFRONT_SECRET is not set: checked without its value" in result.output
