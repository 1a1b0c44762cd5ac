"""The JSON plan: ``Plan.dumps()``, valid against the documented schema, never holding a secret."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from reconciler.desired.state import DesiredRealm
from reconciler.engine import diff_realm, order_changes
from reconciler.keycloak.client import AdminClient
from reconciler.keycloak.settings import ConnectionSettings
from reconciler.kinds.base import LiveRealm
from reconciler.plan import Plan
from reconciler.render import render, render_drift
from reconciler.render.json import plan_schema
from tests.unit.render.fixtures import PLANS

SECRET = "s3cr3t-smtp-pa55"


def offline_api() -> AdminClient:
    """An AdminClient that fails the test on any request: planning a diff must not talk to Keycloak."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    return AdminClient(
        ConnectionSettings(url="http://keycloak.invalid"), transport=httpx.MockTransport(refuse)
    )


def plan_with_secret(live_password: str | None) -> Plan:
    """A plan made by the engine from a desired realm declaring an SMTP password."""
    desired = DesiredRealm(
        name="enterprise",
        spec={
            "realm": "enterprise",
            "displayName": "Enterprise",
            "smtpServer": {"host": "smtp.example.com", "password": SECRET},
        },
    )
    if live_password is None:
        live = LiveRealm(name="enterprise", exists=False)
    else:
        live = LiveRealm(
            name="enterprise",
            exists=True,
            objects={
                "realm": {
                    "enterprise": {
                        "realm": "enterprise",
                        "displayName": "Old",
                        "enabled": True,
                        "smtpServer": {"host": "smtp.example.com", "password": live_password},
                    }
                }
            },
        )
    changes, unmanaged, fingerprints = diff_realm(offline_api(), desired, live)
    return Plan(
        changes=order_changes(changes), unmanaged=unmanaged, fingerprints=fingerprints, realms=["enterprise"]
    )


def test_json_rendering_is_plan_dumps() -> None:
    plan = PLANS["mixed"]()
    assert render(plan, "json") == plan.dumps()
    assert list(json.loads(render(plan, "json"))) == list(plan.to_json())


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_plans_validate_against_the_documented_schema(plan_name: str) -> None:
    document = json.loads(render(PLANS[plan_name](), "json"))
    jsonschema.validate(document, plan_schema())


def test_schema_documents_exactly_the_fields_written() -> None:
    """Adding a field to the plan means documenting it (schema and docs/plan-format.md)."""
    schema = plan_schema()
    document = json.loads(render(PLANS["mixed"](), "json"))
    assert set(document) == set(schema["properties"])
    assert set(schema["required"]) == set(document)
    change_doc: dict[str, Any] = document["resource_changes"][0]
    assert set(change_doc) == set(schema["$defs"]["change"]["properties"])
    assert set(document["unmanaged"][0]) == set(schema["$defs"]["unmanaged"]["properties"])


def test_schema_rejects_a_wrong_shape() -> None:
    document = json.loads(render(PLANS["mixed"](), "json"))
    document["resource_changes"][0]["action"] = "replace"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, plan_schema())


@pytest.mark.parametrize("live_password", [None, "an-older-password"])
def test_engine_made_plan_never_contains_the_secret(live_password: str | None) -> None:
    plan = plan_with_secret(live_password)
    assert plan.changes, "the declared SMTP password must show as a change"
    jsonschema.validate(json.loads(render(plan, "json")), plan_schema())
    for fmt in ("text", "markdown", "json"):
        assert "(sensitive value)" in render(plan, fmt)
        for output in (render(plan, fmt), render_drift(plan, fmt)):
            assert SECRET not in output
            assert "an-older-password" not in output


DOC = Path(__file__).resolve().parents[3] / "docs" / "plan-format.md"


def test_documented_example_validates_against_the_schema() -> None:
    example = DOC.read_text(encoding="utf-8").split("## Example")[1].split("```json")[1].split("```")[0]
    jsonschema.validate(json.loads(example), plan_schema())


def test_every_field_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    schema = plan_schema()
    fields = [*schema["properties"], *schema["$defs"]["change"]["properties"]]
    missing = [f for f in fields if f"| `{f}` |" not in doc]
    assert missing == []
