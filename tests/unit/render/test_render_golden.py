"""Fixed plans rendered to text and markdown, compared with reviewed files under ``golden/``.

``KCR_UPDATE_GOLDEN=1 pytest tests/unit/render`` rewrites the files; read the diff before committing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.plan import Plan
from reconciler.render import render, render_drift
from tests.unit.render.fixtures import PLANS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KCR_UPDATE_GOLDEN") == "1"
SUFFIX = {"text": "txt", "markdown": "md"}

RENDERERS: dict[str, Callable[[Plan, str], str]] = {"plan": render, "drift": render_drift}


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with KCR_UPDATE_GOLDEN=1 to write it"
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_plan_matches_golden(plan_name: str, fmt: str) -> None:
    check_golden(f"plan_{plan_name}.{SUFFIX[fmt]}", render(PLANS[plan_name](), fmt))


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("plan_name", ["mixed", "no_changes", "update", "sensitive"])
def test_drift_matches_golden(plan_name: str, fmt: str) -> None:
    check_golden(f"drift_{plan_name}.{SUFFIX[fmt]}", render_drift(PLANS[plan_name](), fmt))


@pytest.mark.parametrize("plan_name", sorted(PLANS))
def test_saved_plan_renders_the_same(plan_name: str, tmp_path: Path) -> None:
    """Renderers read only the Plan: one read back from its JSON file renders identically."""
    plan = PLANS[plan_name]()
    saved = tmp_path / "plan.json"
    saved.write_text(plan.dumps(), encoding="utf-8")
    loaded = Plan.load(str(saved))
    for fmt in ("text", "markdown", "json"):
        assert render(loaded, fmt) == render(plan, fmt)
        assert render_drift(loaded, fmt) == render_drift(plan, fmt)
