"""The plan for a terminal, in Terraform's conventions. The strings here are a contract: scripts and
people read them (``Plan: N to add, ...``, ``No changes.``)."""

from __future__ import annotations

import click

from reconciler.plan import Plan, Unmanaged
from reconciler.render.lines import (
    NO_CHANGES,
    UNMANAGED_SHOWN,
    Line,
    change_lines,
    summary_line,
)

HEADER = "kcr will perform the following actions:"
COLOURS = {"+": "green", "-": "red", "~": "yellow", "!": "red"}


def layout(line: Line, color: bool = False) -> str:
    """``  + address`` for objects; fields indented under them, with their sign first."""
    indent = "  " if line.depth == 0 else "      "
    text = f"{indent}{line.sign} {line.text}"
    if not color:
        return text
    if line.sign == "#":
        return click.style(text, dim=True)
    return click.style(text, fg=COLOURS.get(line.sign), bold=line.depth == 0 or line.sign == "!")


def unmanaged_line(unmanaged: list[Unmanaged], shown: int = UNMANAGED_SHOWN) -> str | None:
    if not unmanaged:
        return None
    addresses = [u.address for u in unmanaged]
    if len(addresses) <= shown:
        return "Unmanaged (left alone): " + ", ".join(addresses)
    rest = len(addresses) - shown
    return (
        f"Unmanaged (left alone, {len(addresses)} objects): "
        + ", ".join(addresses[:shown])
        + f", and {rest} more"
    )


def render_text(plan: Plan, *, color: bool = False) -> str:
    out: list[str] = []
    if plan.changes:
        out += [HEADER, ""]
        for change in plan.changes:
            out += [layout(line, color) for line in change_lines(change)]
            out.append("")
    unmanaged = unmanaged_line(plan.unmanaged)
    if unmanaged:
        out += [unmanaged, ""]
    if not plan.changes:
        out.append(click.style(NO_CHANGES, fg="green", bold=True) if color else NO_CHANGES)
        return "\n".join(out) + "\n"
    final = summary_line(plan.summary)
    out.append(click.style(final, bold=True) if color else final)
    return "\n".join(out) + "\n"
