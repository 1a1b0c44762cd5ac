"""The GitHub Action's script steps (.github/actions/kcr/kcr_action.py) run here the way the runner runs
them: a subprocess with the inputs as KCR_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and
``kcr`` on PATH, against the test Keycloak. The connection is given only through the action's inputs.

plan (changes) -> apply -> plan (none) -> a change by hand -> drift, then a wrong URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.render.drift import DRIFT_MARKER
from reconciler.render.markdown import PLAN_MARKER
from reconciler.testing.server import KeycloakServer
from tests.integration.conftest import audit_lines, dump_yaml

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[2] / ".github" / "actions" / "kcr" / "kcr_action.py"
SECRET = "s3cret-of-the-web-client"


class Step:
    """One run of the action's ``run`` step, with the files the runner would give it."""

    def __init__(self, tmp: Path, keycloak: KeycloakServer) -> None:
        self.tmp = tmp
        self.server_env = keycloak.env()

    def run(self, **inputs: str) -> tuple[int, dict[str, str], str, str]:
        """(exit status, outputs, step summary, log) of the step with these inputs."""
        output, summary = self.tmp / "github_output", self.tmp / "step_summary"
        output.write_text("", encoding="utf-8")
        summary.write_text("", encoding="utf-8")
        connection = {
            "KCR_URL": self.server_env["KEYCLOAK_URL"],
            "KCR_CLIENT_ID": self.server_env.get("KEYCLOAK_CLIENT_ID", ""),
            "KCR_CLIENT_SECRET": self.server_env.get("KEYCLOAK_CLIENT_SECRET", ""),
            "KCR_USER": self.server_env.get("KEYCLOAK_USER", ""),
            "KCR_PASSWORD": self.server_env.get("KEYCLOAK_PASSWORD", ""),
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KEYCLOAK_", "KCR_"))}
        env |= {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(self.tmp / "runner-temp"),
            "WEB_SECRET": SECRET,
            **connection,
            **{f"KCR_{k.upper()}": v for k, v in inputs.items()},
        }
        done = subprocess.run(
            [sys.executable, str(SCRIPT), "run"],
            env=env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
        return done.returncode, outputs, summary.read_text(encoding="utf-8"), done.stdout + done.stderr


def test_the_action_plans_applies_and_reports_drift(
    tmp_path: Path, keycloak: KeycloakServer, admin_api: AdminClient, fresh_realm: str
) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "realm.yaml").write_text(
        dump_yaml(
            {
                "realm": fresh_realm,
                "clients": [
                    {"clientId": "web", "publicClient": False, "secret": "${env:WEB_SECRET}"},
                    {"clientId": "api", "bearerOnly": True},
                ],
                "groups": [{"name": "team"}],
            }
        ),
        encoding="utf-8",
    )
    step = Step(tmp_path, keycloak)

    # plan: changes are exit code 2 (an output), and the step passes
    status, out, summary, log = step.run(command="plan", path=str(desired))
    assert status == 0, log
    assert out["exit-code"] == "2"
    assert (out["add"], out["change"], out["destroy"]) == ("4", "0", "0")
    assert out["summary"] == "4 to add, 0 to change, 0 to destroy"
    assert out["has-changes"] == "true"
    assert json.loads(Path(out["plan"]).read_text(encoding="utf-8"))["summary"]["add"] == 4
    assert Path(out["report"]).name == "plan.md"
    assert summary.startswith(PLAN_MARKER)
    assert Path(out["comment"]).read_text(encoding="utf-8").startswith(PLAN_MARKER)
    assert out["audit-log"] == ""

    # apply: the plan, then exactly that plan applied; the audit log is an output
    status, out, summary, log = step.run(command="apply", path=str(desired), format="text")
    assert status == 0, log
    assert out["exit-code"] == "0"
    assert out["summary"] == "4 to add, 0 to change, 0 to destroy"
    assert "Plan: 4 to add, 0 to change, 0 to destroy." in summary
    assert summary.startswith("```text\n")
    lines = audit_lines(Path(out["audit-log"]))
    assert {line["address"] for line in lines} == {
        f"{fresh_realm}/realm",
        f"{fresh_realm}/client/web",
        f"{fresh_realm}/client/api",
        f"{fresh_realm}/group/team",
    }
    assert admin_api.get(f"/{seg(fresh_realm)}/clients", {"clientId": "api"})

    # plan again: nothing left
    status, out, _, log = step.run(command="plan", path=str(desired), realm=fresh_realm)
    assert status == 0, log
    assert (out["exit-code"], out["summary"], out["has-changes"]) == (
        "0",
        "0 to add, 0 to change, 0 to destroy",
        "false",
    )

    # drift after a change by hand: exit code 2; with fail-on-changes the step fails
    api = admin_api.get(f"/{seg(fresh_realm)}/clients", {"clientId": "api"})[0]
    admin_api.put(f"/{seg(fresh_realm)}/clients/{api['id']}", {**api, "bearerOnly": False})
    status, out, summary, log = step.run(command="drift", path=str(desired))
    assert status == 0, log
    assert (out["exit-code"], out["change"]) == ("2", "1")
    assert summary.startswith(DRIFT_MARKER)
    assert f"{fresh_realm}/client/api" in summary
    assert out["comment"] == ""  # only plans are commented
    status, out, _, log = step.run(command="drift", path=str(desired), fail_on_changes="true")
    assert status == 2
    assert "::error title=kcr drift::changes present" in log

    every_file = "".join(p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file())
    assert SECRET not in every_file
    assert SECRET not in log


def test_the_action_fails_the_step_when_kcr_fails(tmp_path: Path, keycloak: KeycloakServer) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "realm.yaml").write_text("realm: nowhere\n", encoding="utf-8")
    status, out, _, log = Step(tmp_path, keycloak).run(
        command="plan", path=str(desired), url="http://127.0.0.1:9"
    )
    assert status == 1
    assert out["exit-code"] == "1"
    assert (out["summary"], out["plan"], out["has-changes"]) == ("", "", "false")
    assert "::error title=kcr plan::kcr exited 1" in log
