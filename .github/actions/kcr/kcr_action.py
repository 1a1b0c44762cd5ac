"""The steps of the ``kcr`` GitHub Action (action.yml beside this file), as a script so that they run and
are tested outside GitHub too.

    python kcr_action.py install   # pip-installs kcr: the version of this action's own ref, or KCR_VERSION
    python kcr_action.py run       # runs kcr plan|apply|drift, writes the files and the step outputs

Inputs arrive as KCR_* environment variables (never spliced into a shell line); outputs go to the file
named by GITHUB_OUTPUT, the report to GITHUB_STEP_SUMMARY. Exit status: kcr's own exit code when it is
1 (error) or, with KCR_FAIL_ON_CHANGES=true, 2 (changes or drift); 0 otherwise, so that a plan with
changes does not fail the job but is told apart through the ``exit-code`` output.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

COMMANDS = ("plan", "apply", "drift")
FORMATS = ("text", "markdown", "json")
SUFFIX = {"text": "txt", "markdown": "md", "json": "json"}
# Action input (as KCR_<NAME>) -> the variable kcr reads; set only when the input is not empty, so that
# a KEYCLOAK_* already in the job's environment is kept.
CONNECTION = {
    "KCR_URL": "KEYCLOAK_URL",
    "KCR_LOGIN_REALM": "KEYCLOAK_REALM",
    "KCR_CLIENT_ID": "KEYCLOAK_CLIENT_ID",
    "KCR_CLIENT_SECRET": "KEYCLOAK_CLIENT_SECRET",
    "KCR_USER": "KEYCLOAK_USER",
    "KCR_PASSWORD": "KEYCLOAK_PASSWORD",
    "KCR_CA_BUNDLE": "KEYCLOAK_CA_BUNDLE",
}
ACTION_ROOT = Path(__file__).resolve().parents[3]  # the repository holding this action (its pyproject)


class InputError(Exception):
    """A wrong action input: reported as one ::error line, exit 1."""


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def install_spec() -> str:
    """What to pip-install: keycloak-reconciler==KCR_VERSION, else this action's own repository (so
    ``uses: .../kcr@v1.2.0`` runs kcr 1.2.0: the action and the tool come from the same commit)."""
    version = env("KCR_VERSION")
    if version:
        return f"keycloak-reconciler=={version.removeprefix('v')}"
    if not (ACTION_ROOT / "pyproject.toml").is_file():
        raise InputError(f"no kcr source at {ACTION_ROOT}: set the action's kcr-version input")
    return str(ACTION_ROOT)


def install() -> int:
    spec = install_spec()
    print(f"Installing kcr from {spec}", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", spec], check=False)
    if done.returncode != 0:
        return done.returncode
    return subprocess.run(["kcr", "--version"], check=False).returncode


class Run:
    """One kcr command with the action's inputs, and the files it leaves in ``out``."""

    def __init__(self) -> None:
        self.command = env("KCR_COMMAND", "plan")
        self.fmt = env("KCR_FORMAT", "markdown")
        if self.command not in COMMANDS:
            raise InputError(f"command: {self.command!r} is not one of {', '.join(COMMANDS)}")
        if self.fmt not in FORMATS:
            raise InputError(f"format: {self.fmt!r} is not one of {', '.join(FORMATS)}")
        self.paths = shlex.split(env("KCR_PATH", "desired-state/"))
        self.realms = env("KCR_REALM").replace(",", " ").split()
        default_out = Path(env("RUNNER_TEMP", ".")) / "kcr-output"
        self.out = Path(env("KCR_OUTPUT_DIR", str(default_out))).resolve()
        self.plan = self.out / "plan.json"
        self.report = self.out / f"{self.command}.{SUFFIX[self.fmt]}"
        self.comment = self.out / "comment.md"
        audit = env("KCR_AUDIT_LOG") or str(self.out / "audit.jsonl")
        self.audit = Path(audit).resolve() if self.command == "apply" else None
        self.fail_on_changes = env("KCR_FAIL_ON_CHANGES", "false").lower() == "true"

    def kcr(self, args: list[str], stdout: Path | None = None) -> int:
        """``kcr ARGS``; its stdout into ``stdout`` when given, its stderr into the log."""
        print(f"$ kcr {shlex.join(args)}", flush=True)
        if stdout is None:
            return subprocess.run(["kcr", *args], check=False).returncode
        with stdout.open("wb") as sink:
            return subprocess.run(["kcr", *args], stdout=sink, check=False).returncode

    def commands(self) -> list[tuple[list[str], Path | None]]:
        """The kcr command lines to run, in order, each with the file its stdout goes to."""
        select = [*self.paths, *(a for r in self.realms for a in ("--realm", r))]
        render = ["--format", self.fmt, "--out", str(self.plan)]
        if self.command == "drift":
            return [(["drift", *select, *render], self.report)]
        if self.command == "plan":
            return [(["plan", *select, *render, "--detailed-exitcode"], self.report)]
        # apply: plan first (the JSON plan is kept and uploaded), then apply exactly that plan; kcr
        # refuses it if Keycloak changed in between.
        assert self.audit is not None
        apply = [
            "apply",
            *self.paths,
            "--plan",
            str(self.plan),
            "--auto-approve",
            "--audit-log",
            str(self.audit),
        ]
        return [(["plan", *select, *render], self.report), (apply, None)]

    def execute(self) -> int:
        """kcr's exit code: plan 0 no changes / 2 changes; drift 0 / 2 drift; apply 0 applied; 1 error.
        A command line runs only when the one before it exited 0."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.plan.unlink(missing_ok=True)
        code = 0
        for args, stdout in self.commands():
            code = self.kcr(args, stdout)
            if code != 0:
                break
        return code

    def summary(self) -> dict[str, int] | None:
        try:
            data = json.loads(self.plan.read_text(encoding="utf-8"))
            return {k: int(data["summary"][k]) for k in ("add", "change", "destroy")}
        except (OSError, ValueError, KeyError, TypeError):
            return None  # kcr failed before it could plan

    def write_comment(self) -> bool:
        """The markdown plan for a pull-request comment (offline, from the saved plan)."""
        if self.command == "drift" or not self.plan.exists():
            return False
        return self.kcr(["show", str(self.plan), "--format", "markdown"], self.comment) == 0

    def outputs(self, code: int) -> dict[str, str]:
        counts = self.summary()
        has_comment = self.write_comment()
        return {
            "exit-code": str(code),
            "add": str(counts["add"]) if counts else "",
            "change": str(counts["change"]) if counts else "",
            "destroy": str(counts["destroy"]) if counts else "",
            "summary": (
                f"{counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy"
                if counts
                else ""
            ),
            "has-changes": "true" if counts and any(counts.values()) else "false",
            "plan": str(self.plan) if self.plan.exists() else "",
            "report": str(self.report) if self.report.exists() and self.report.stat().st_size else "",
            "comment": str(self.comment) if has_comment else "",
            "audit-log": str(self.audit) if self.audit and self.audit.exists() else "",
        }

    def step_summary(self) -> str:
        if not self.report.exists():
            return ""
        text = self.report.read_text(encoding="utf-8")
        if self.fmt == "markdown":
            return text
        fence = "json" if self.fmt == "json" else "text"
        return f"```{fence}\n{text}```\n"


def append(variable: str, text: str) -> None:
    """Append to the file a GitHub variable names (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY), if set."""
    target = os.environ.get(variable)
    if target and text:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)


def run() -> int:
    for name, variable in CONNECTION.items():
        if env(name):
            os.environ[variable] = env(name)
    job = Run()
    code = job.execute()
    if job.report.exists():
        sys.stdout.write(job.report.read_text(encoding="utf-8"))
    outputs = job.outputs(code)
    append("GITHUB_OUTPUT", "".join(f"{k}={v}\n" for k, v in outputs.items()))
    append("GITHUB_STEP_SUMMARY", job.step_summary())
    print(f"kcr {job.command}: exit {code}" + (f" ({outputs['summary']})" if outputs["summary"] else ""))
    if code == 2 and job.fail_on_changes:
        print(f"::error title=kcr {job.command}::changes present and fail-on-changes is set")
        return 2
    if code not in (0, 2):
        print(f"::error title=kcr {job.command}::kcr exited {code}; see the log above")
        return 1
    return 0


def main(argv: list[str]) -> int:
    steps = {"install": install, "run": run}
    if len(argv) != 2 or argv[1] not in steps:
        print(f"usage: {Path(argv[0]).name} install|run", file=sys.stderr)
        return 1
    try:
        return steps[argv[1]]()
    except InputError as exc:
        print(f"::error title=kcr action input::{exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
