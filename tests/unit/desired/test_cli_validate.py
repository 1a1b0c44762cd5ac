"""`kcr validate` and `kcr schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from reconciler.cli import main

CASES = Path(__file__).parent / "cases"


def test_validate_prints_every_problem_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES / "unresolved_references"
    monkeypatch.chdir(case)
    result = CliRunner().invoke(main, ["validate", "."])
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.exit_code == 1
    assert result.output.splitlines() == [*expected, f"{len(expected)} errors in the desired state."]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("case", ["yaml_syntax", "not_utf8", "alias_bomb", "unsafe_yaml", "wrong_type"])
def test_validate_never_shows_a_traceback(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(CASES / case)
    result = CliRunner().invoke(main, ["validate", "."])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.splitlines()[0].startswith(("realm.yaml:", "b.yaml:"))


def test_validate_accepts_a_valid_state_and_prints_warnings(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text("realm: acme\nkeycloakVersion: 26.7.3\nclients:\n  - clientId: web\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"warning: {tmp_path}/r.yaml:2:1: keycloakVersion: not managed by kcr" in result.output
    assert "Valid: 1 file(s), 1 realm(s)" in result.output


def test_schema_is_a_valid_draft_2020_12_schema_that_accepts_and_rejects(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = CliRunner().invoke(main, ["schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {
        "realm": "acme",
        "id": "ignored",
        "policy": {"prune": ["clients"]},
        "clients": [{"clientId": "web", "attributes": {"pkce": True}, "state": "absent"}],
        "organizations": [{"name": "Acme", "domains": ["acme.example.com"], "members": [{"username": "a"}]}],
        "roles": {"realm": [{"name": "r", "attributes": {"k": "v"}}]},
    }
    assert not list(validator.iter_errors(good))
    bad = {"realm": "acme", "clients": [{"clientId": "web", "publik": True}], "enabled": "no"}
    assert sorted(tuple(e.path) for e in validator.iter_errors(bad)) == [("clients",), ("enabled",)]
    assert not list(validator.iter_errors({"realm": "acme", "clients": [{"clientId": "web"}]}))
    assert list(validator.iter_errors({"displayName": "x"}))  # realm is required


def test_validate_needs_no_secret_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pull request from a fork has no secrets: an unset ${env:...} is a note, and the file is still
    checked around it (a redirect URI built from it included)."""
    monkeypatch.delenv("KCR_TEST_UNSET_SECRET", raising=False)
    monkeypatch.delenv("KCR_TEST_UNSET_URL", raising=False)
    (tmp_path / "realm.yaml").write_text(
        "realm: acme\nclients:\n  - clientId: api\n    secret: ${env:KCR_TEST_UNSET_SECRET}\n"
        "    redirectUris: ['${env:KCR_TEST_UNSET_URL}/*']\n    defaultClientScopes: [nope]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1  # the real mistake is still found
    assert "client scope 'nope' is not declared" in result.output
    assert "is not set" not in result.output  # not an error
    (tmp_path / "realm.yaml").write_text(
        (tmp_path / "realm.yaml").read_text(encoding="utf-8").replace("[nope]", "[profile]"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2
    assert (
        "realm.yaml:4:13: clients[0].secret: environment variable KCR_TEST_UNSET_SECRET is not set"
        in notes[0]
    )
    assert "plan and apply need KCR_TEST_UNSET_SECRET" in notes[0]
    assert "Valid: 1 file(s)" in result.output


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_plan_and_apply_need_the_value(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KCR_TEST_UNSET_SECRET", raising=False)
    monkeypatch.setenv("KEYCLOAK_URL", "http://127.0.0.1:9")  # never reached: loading fails first
    (tmp_path / "realm.yaml").write_text(
        "realm: acme\nclients:\n  - clientId: api\n    secret: ${env:KCR_TEST_UNSET_SECRET}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, [command, str(tmp_path)])
    assert result.exit_code == 1
    assert "clients[0].secret: environment variable KCR_TEST_UNSET_SECRET is not set" in result.output
    assert "Cannot reach" not in result.output
