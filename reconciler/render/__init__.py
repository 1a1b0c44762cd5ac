"""Renderers of a Plan: ``text`` (a terminal), ``markdown`` (a pull-request comment or an issue body),
``json`` (the stable plan format). They never compute a diff; they lay out what the Plan holds, so a
plan read back with ``Plan.load`` renders the same as the one just made."""

from __future__ import annotations

from reconciler.errors import KcrError
from reconciler.plan import Plan
from reconciler.render.drift import render_drift_json, render_drift_markdown, render_drift_text
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

FORMATS = ("text", "markdown", "json")


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    """The plan in ``fmt``; ``color`` (ANSI, text only) is for terminals."""
    if fmt == "text":
        return render_text(plan, color=color)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "json":
        return render_json(plan)
    raise KcrError(f"Unknown output format {fmt!r}; use one of: {', '.join(FORMATS)}.")


def render_drift(plan: Plan, fmt: str) -> str:
    """The drift report of ``kcr drift``: the same plan, worded as Keycloak differing from git."""
    if fmt == "text":
        return render_drift_text(plan)
    if fmt == "markdown":
        return render_drift_markdown(plan)
    if fmt == "json":
        return render_drift_json(plan)
    raise KcrError(f"Unknown output format {fmt!r}; use one of: {', '.join(FORMATS)}.")


__all__ = ["FORMATS", "render", "render_drift"]
