"""The plan as JSON: ``Plan.dumps()`` (stable key order, indent 2), documented in docs/plan-format.md
and described by ``plan_schema.json`` beside this module."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from reconciler.plan import Plan


def render_json(plan: Plan) -> str:
    return plan.dumps()


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the documented plan format (``format_version`` 1)."""
    text = resources.files("reconciler.render").joinpath("plan_schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema
