"""Renderers of a Plan: ``text`` (a terminal), ``markdown`` (a pull-request comment or an issue body),
``json`` (the stable plan format). They never compute a diff; they lay out what the Plan holds, so a
plan read back with ``Plan.load`` renders the same as the one just made."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from reconciler.errors import KcrError
from reconciler.plan import Plan
from reconciler.render.drift import render_drift_json, render_drift_markdown, render_drift_text
from reconciler.render.json import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

Renderer = Callable[[Plan], str]
# One table per report, keyed by format: ``kcr plan``/``show``/``apply`` and ``kcr drift``.
PLAN_RENDERERS: dict[str, Renderer] = {"text": render_text, "markdown": render_markdown, "json": render_json}
DRIFT_RENDERERS: dict[str, Renderer] = {
    "text": render_drift_text,
    "markdown": render_drift_markdown,
    "json": render_drift_json,
}
FORMATS = tuple(PLAN_RENDERERS)


def _renderer(table: dict[str, Renderer], fmt: str) -> Renderer:
    try:
        return table[fmt]
    except KeyError:
        raise KcrError(f"Unknown output format {fmt!r}; use one of: {', '.join(FORMATS)}.") from None


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    """The plan in ``fmt``; ``color`` (ANSI, text only) is for terminals."""
    renderer = partial(render_text, color=True) if color and fmt == "text" else _renderer(PLAN_RENDERERS, fmt)
    return renderer(plan)


def render_drift(plan: Plan, fmt: str) -> str:
    """The drift report of ``kcr drift``: the same plan, worded as Keycloak differing from git."""
    return _renderer(DRIFT_RENDERERS, fmt)(plan)


__all__ = ["DRIFT_RENDERERS", "FORMATS", "PLAN_RENDERERS", "render", "render_drift"]
