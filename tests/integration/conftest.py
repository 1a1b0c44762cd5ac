"""Helpers for the CLI tests: desired-state files in a temporary folder, ``kcr`` run in-process
(click's CliRunner, no terminal) or as a real subprocess, and an in-process plan/apply that counts
the requests it makes by HTTP method."""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler.apply import apply_plan
from reconciler.cli import main
from reconciler.desired import load
from reconciler.engine import make_plan
from reconciler.errors import ApplyReport, NotFound
from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Plan
from reconciler.testing.server import KeycloakServer

Doc = dict[str, Any]
KCR = Path(sys.executable).with_name("kcr")


def dump_yaml(doc: Doc) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


@dataclass
class Converged:
    """What an in-process plan + apply did."""

    plan: Plan
    report: ApplyReport
    requests: Counter[str] = field(default_factory=Counter)


@dataclass
class Kcr:
    """A folder of desired-state files and ways to run ``kcr`` on it."""

    folder: Path
    server: KeycloakServer
    env: dict[str, str] = field(repr=False)  # holds the admin client's secret: never in a failure report

    @property
    def path(self) -> str:
        return str(self.folder / "desired")

    def write(self, doc: Doc, name: str = "realm.yaml") -> Path:
        """Write one YAML document (replacing the file of that name)."""
        target = self.folder / "desired" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump_yaml(copy.deepcopy(doc)), encoding="utf-8")
        return target

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """``kcr ARGS`` in-process; stdin is not a terminal. ``output`` holds stdout and stderr."""
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    def plan(self, *args: str) -> Result:
        return self.run("plan", self.path, "--detailed-exitcode", *args)

    def apply(self, *args: str) -> Result:
        return self.run("apply", self.path, "--auto-approve", *args)

    def apply_converged(self, *args: str) -> Result:
        """Apply, then check that the next plan has nothing left to do."""
        applied = self.apply(*args)
        assert applied.exit_code == 0, applied.output
        planned = self.plan()
        assert planned.exit_code == 0, planned.output
        assert "No changes." in planned.output
        return applied

    def export_plans_no_change(self, realm: str, out: Path) -> Path:
        """``kcr export`` of ``realm`` into ``out``, then check that planning the export changes nothing;
        the realm's export folder."""
        exported = self.run("export", "--realm", realm, "--out", str(out))
        assert exported.exit_code == 0, exported.output
        planned = self.run("plan", str(out / realm), "--detailed-exitcode")
        assert planned.exit_code == 0, planned.output
        assert "No changes." in planned.output
        return out / realm

    def popen(self, *args: str, output: Path) -> subprocess.Popen[bytes]:
        """The installed ``kcr`` as a real process; stdout and stderr go to ``output`` (a file, so that
        a long plan never blocks the process on a full pipe)."""
        with output.open("wb") as sink:
            return subprocess.Popen(
                [str(KCR), *args], env={**os.environ, **self.env}, stdout=sink, stderr=subprocess.STDOUT
            )

    def converge(self) -> Converged:
        """load + make_plan + apply_plan in-process with a new client, counting requests by method."""
        state = load([self.path])
        with AdminClient(self.server.settings()) as api:
            the_plan, lives = make_plan(api, state)
            report = apply_plan(api, the_plan, state, lives)
            return Converged(the_plan, report, Counter(api.requests))

    def plan_only(self) -> Converged:
        """load + make_plan in-process with a new client, counting requests by method."""
        state = load([self.path])
        with AdminClient(self.server.settings()) as api:
            the_plan, _ = make_plan(api, state)
            return Converged(the_plan, ApplyReport(), Counter(api.requests))


@pytest.fixture
def kcr(tmp_path: Path, keycloak: KeycloakServer, connection_env: dict[str, str]) -> Kcr:
    return Kcr(tmp_path, keycloak, connection_env)


@pytest.fixture(scope="module")
def module_realm(admin_api: AdminClient) -> Iterator[str]:
    """One new realm shared by a module's tests (each test changes other objects), deleted after."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    admin_api.post("", {"realm": name, "enabled": True})
    yield name
    with contextlib.suppress(NotFound):
        admin_api.delete(f"/{seg(name)}")


# -- setting realms up by hand, the way an administrator would --------------------------------------
def allow_unmanaged_attributes(api: AdminClient, realm: str, policy: str = "ADMIN_EDIT") -> None:
    """Let users carry attributes that the user profile does not declare (dropped otherwise)."""
    profile = api.get(f"/{seg(realm)}/users/profile")
    profile["unmanagedAttributePolicy"] = policy
    api.put(f"/{seg(realm)}/users/profile", profile)


def login_user(name: str, **fields: Any) -> Doc:
    """A declared user who can log in at once: a complete profile and the permanent password
    ``<Name>-password-1``."""
    return {
        "username": name,
        "enabled": True,
        "email": f"{name}@example.com",
        "firstName": name.capitalize(),
        "lastName": "Example",
        "credentials": [{"type": "password", "value": f"{name.capitalize()}-password-1", "temporary": False}],
        **fields,
    }


def deny_role_flows(top: str, sub: str, config: str, role: str) -> tuple[list[Doc], list[Doc]]:
    """A top-level flow ``top``: the password form, then the conditional sub-flow ``sub`` that denies
    users holding realm role ``role`` (condition configured by authenticator config ``config``).
    Returns the flows and the configs, in the realm representation's shape."""
    flows = [
        {
            "alias": top,
            "providerId": "basic-flow",
            "topLevel": True,
            "authenticationExecutions": [
                {"authenticator": "auth-username-password-form", "requirement": "REQUIRED"},
                {"flowAlias": sub, "requirement": "CONDITIONAL"},
            ],
        },
        {
            "alias": sub,
            "providerId": "basic-flow",
            "topLevel": False,
            "authenticationExecutions": [
                {
                    "authenticator": "conditional-user-role",
                    "requirement": "REQUIRED",
                    "authenticatorConfig": config,
                },
                {"authenticator": "deny-access-authenticator", "requirement": "REQUIRED"},
            ],
        },
    ]
    configs = [{"alias": config, "config": {"condUserRole": role, "negate": False}}]
    return flows, configs


def find_one(api: AdminClient, realm: str, collection: str, **query: str) -> dict[str, Any] | None:
    """The object of ``collection`` whose fields equal ``query`` exactly, or None."""
    params: dict[str, Any] = {**query, "exact": "true", "briefRepresentation": "false"}
    found = api.get(f"/{seg(realm)}/{collection}", params) or []
    for item in found:
        if all(item.get(k) == v for k, v in query.items()):
            return dict(item)
    return None


def group_by_path(api: AdminClient, realm: str, path: str) -> dict[str, Any] | None:
    segments = "/".join(seg(s) for s in path.strip("/").split("/"))
    try:
        return dict(api.get(f"/{seg(realm)}/group-by-path/{segments}"))
    except NotFound:
        return None


def audit_lines(path: Path) -> list[dict[str, Any]]:
    import json

    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1]  # a line a running kcr is still writing is not read yet
    return [json.loads(line) for line in complete.splitlines() if line.strip()]
