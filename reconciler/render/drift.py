"""The drift report of ``kcr drift``: the same plan data, worded as "Keycloak differs from git".

An update is a field changed in Keycloak, a create an object missing from Keycloak, a delete an object
git says should not exist (declared absent, or pruned). Unmanaged objects are not drift: they are
listed apart, as objects git does not declare.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reconciler.plan import Action, Change, Plan
from reconciler.render.lines import UNMANAGED_SHOWN, format_value, lookup, update_paths
from reconciler.render.markdown import (
    DIFF_SIGNS,
    LISTED_UNMANAGED,
    MAX_CHARS,
    bullet_list,
    details,
    fenced_details,
    footer,
    heading,
)

DRIFT_MARKER = "<!-- kcr-drift -->"
FORMAT_VERSION = "1"
NO_DRIFT = "No drift: Keycloak matches the desired state."
TRUNCATION_NOTE = (
    "Drift report truncated: {n} more objects. Run `kcr drift` for the full report "
    "(the workflow log of this run has it too)."
)
SECTIONS = (
    (Action.UPDATE, "Changed in Keycloak"),
    (Action.CREATE, "Missing in Keycloak"),
    (Action.DELETE, "Present in Keycloak, absent from git"),
)
ISSUE_FOOTER = (
    "This issue is kept up to date by the drift workflow and closed when Keycloak matches git "
    "again. To resolve it, apply git (`kcr apply`) or change git to match Keycloak."
)


def drift_lines(change: Change) -> list[tuple[str, str]]:
    """(sign, text) lines of one drifted object."""
    if change.action is Action.UPDATE:
        paths = update_paths(change)
        if not paths:
            return [("~", change.address)]
        return [
            (
                "~",
                f"{change.address}: {path}: git {format_value(lookup(change.after, path))} / "
                f"live {format_value(lookup(change.before, path))}",
            )
            for path in paths
        ]
    if change.action is Action.CREATE:
        return [("+", change.address)]
    reason = f"  # {change.reason}" if change.reason else ""
    return [("-", change.address + reason)]


def _sections(plan: Plan) -> list[tuple[str, list[Change]]]:
    return [
        (title, [c for c in plan.changes if c.action is action])
        for action, title in SECTIONS
        if any(c.action is action for c in plan.changes)
    ]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def headline(plan: Plan) -> str:
    return f"Drift: Keycloak differs from git ({_count(len(plan.changes), 'object')})."


def render_drift_text(plan: Plan) -> str:
    if not plan.changes:
        return NO_DRIFT + "\n"
    out = [headline(plan)]
    for title, changes in _sections(plan):
        out += ["", f"{title}:"]
        out += [f"  {sign} {text}" for c in changes for sign, text in drift_lines(c)]
    if plan.unmanaged:
        out += ["", "Not declared in git (unmanaged):"]
        out += [f"  {u.address}" for u in plan.unmanaged[:UNMANAGED_SHOWN]]
        if len(plan.unmanaged) > UNMANAGED_SHOWN:
            out.append(f"  ... and {len(plan.unmanaged) - UNMANAGED_SHOWN} more")
    return "\n".join(out) + "\n"


def render_drift_markdown(
    plan: Plan, *, max_chars: int = MAX_CHARS, truncation_note: str = TRUNCATION_NOTE
) -> str:
    """A GitHub issue body: marker first, the drift in a ``diff`` block, under ``max_chars``."""
    head = [DRIFT_MARKER, heading("Keycloak drift", plan.realms), ""]
    tail: list[str] = []
    if plan.unmanaged:
        tail += [
            "",
            *details(
                f"Not declared in git (unmanaged, {len(plan.unmanaged)})",
                bullet_list([u.address for u in plan.unmanaged], LISTED_UNMANAGED),
            ),
        ]
    foot = footer(plan)
    if not plan.changes:
        body = [*head, f"**{NO_DRIFT}**", *tail] + (["", foot] if foot else [])
        return "\n".join(body) + "\n"
    tail += ["", ISSUE_FOOTER] + (["", foot] if foot else [])
    head += [f"**{headline(plan)}**", ""]
    blocks: list[list[str]] = []
    for title, changes in _sections(plan):
        for i, change in enumerate(changes):
            block = [f"{DIFF_SIGNS[sign]} {text}" for sign, text in drift_lines(change)]
            blocks.append(
                ([f"  # {title}", *block] if i == 0 else block) + ([""] if i == len(changes) - 1 else [])
            )
    fold = fenced_details(
        None, blocks, others="\n".join(head + tail), max_chars=max_chars, note=truncation_note
    )
    return "\n".join([*head, *fold, *tail]) + "\n"


def drift_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "drifted": plan.has_changes,
        "realms": list(plan.realms),
        "drift": [c.to_json() for c in plan.changes],
        "unmanaged": [asdict(u) for u in plan.unmanaged],
    }


def render_drift_json(plan: Plan) -> str:
    return json.dumps(drift_json(plan), indent=2) + "\n"
