"""The plan as a pull-request comment.

The first line is a marker (``<!-- kcr-plan -->``) so a workflow finds and updates its own comment.
The summary and the deletions stay outside any fold; the details go in a ``diff`` code block (GitHub
colours ``+``/``-``/``!`` lines). GitHub refuses comments over 65,536 characters, so the details are
cut at a whole line to stay under ``max_chars``, with the fence and the fold closed and a note saying
how many changes were left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reconciler.plan import Action, Plan, Unmanaged
from reconciler.render.lines import Line, change_lines, summary_line

PLAN_MARKER = "<!-- kcr-plan -->"
MAX_CHARS = 60_000  # GitHub's limit is 65,536; leave room for what a workflow may add
TRUNCATION_NOTE = (
    "Plan truncated: {n} more changes. The full plan is in the `plan` artifact of this run (plan.json)."
)
LISTED_DELETES = 30
LISTED_UNMANAGED = 50
ADDRESS_CHARS = 200
# In a diff block: ``!`` is highlighted as changed, a leading space as context.
DIFF_SIGNS = {"+": "+", "-": "-", "~": "!", "!": "!", "#": " "}


def code(text: str) -> str:
    """Inline code that survives backticks inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def short(address: str) -> str:
    return address if len(address) <= ADDRESS_CHARS else address[: ADDRESS_CHARS - 1] + "…"


def bullet_list(addresses: Sequence[str], limit: int) -> list[str]:
    items = [f"- {code(short(a))}" for a in addresses[:limit]]
    if len(addresses) > limit:
        items.append(f"- … and {len(addresses) - limit} more")
    return items


def diff_line(line: Line) -> str:
    text = f"# {line.text}" if line.sign == "#" else line.text
    pad = " " if line.depth == 0 else "     "
    return f"{DIFF_SIGNS[line.sign]}{pad}{text}"


def fence_for(lines: Sequence[str]) -> str:
    longest = max((len(run) for ln in lines for run in re.findall(r"`+", ln)), default=0)
    return "`" * max(3, longest + 1)


def fit_blocks(blocks: Sequence[Sequence[str]], budget: int) -> tuple[list[str], int]:
    """The lines of ``blocks`` that fit in ``budget`` characters, and how many blocks were left out.

    Cuts between blocks; only a first block too large to fit alone is cut inside, at a whole line.
    """
    shown: list[str] = []
    used = 0
    for index, block in enumerate(blocks):
        cost = sum(len(line) + 1 for line in block)
        if used + cost <= budget:
            shown.extend(block)
            used += cost
            continue
        if index == 0:
            for line in block:
                if used + len(line) + 1 > budget:
                    break
                shown.append(line)
                used += len(line) + 1
        return shown, len(blocks) - index
    return shown, 0


def details(summary: str, body: Sequence[str]) -> list[str]:
    return [f"<details><summary>{summary}</summary>", "", *body, "", "</details>"]


def fenced_details(
    summary: str | None, blocks: Sequence[Sequence[str]], *, others: str, max_chars: int, note: str
) -> list[str]:
    """A ``diff`` code block of ``blocks`` (in a fold unless ``summary`` is None), cut at a whole line
    to keep the document under ``max_chars``.

    ``others`` is the rest of the document (to know the room left); ``note`` may use ``{n}``, the
    number of blocks left out.
    """
    fence = fence_for([ln for b in blocks for ln in b])

    def frame(body: list[str]) -> list[str]:
        return body if summary is None else details(summary, body)

    empty = frame([fence + "diff", fence])
    worst_note = "> " + note.replace("{n}", str(len(blocks)))
    overhead = len(others) + sum(len(ln) + 1 for ln in empty) + len(worst_note) + 4
    shown, left_out = fit_blocks(blocks, max(0, max_chars - overhead))
    while shown and shown[-1] == "":
        shown.pop()
    out = frame([fence + "diff", *shown, fence])
    if left_out:
        out += ["", "> " + note.replace("{n}", str(left_out))]
    return out


def heading(title: str, realms: Sequence[str]) -> str:
    return f"### {title}" + (" for " + ", ".join(code(r) for r in realms) if realms else "")


def footer(plan: Plan) -> str:
    parts = [f"kcr {plan.tool_version}"] if plan.tool_version else []
    if plan.server_version:
        parts.append(f"Keycloak {plan.server_version}")
    if "requests" in plan.stats:
        parts.append(f"{int(plan.stats['requests'])} requests in {plan.stats.get('seconds', 0)}s")
    return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


def unmanaged_fold(unmanaged: Sequence[Unmanaged]) -> list[str]:
    if not unmanaged:
        return []
    return [
        "",
        *details(
            f"Unmanaged objects, left alone ({len(unmanaged)})",
            bullet_list([u.address for u in unmanaged], LISTED_UNMANAGED),
        ),
    ]


def render_markdown(plan: Plan, *, max_chars: int = MAX_CHARS, truncation_note: str = TRUNCATION_NOTE) -> str:
    head = [PLAN_MARKER, heading("kcr plan", plan.realms), ""]
    tail = [*unmanaged_fold(plan.unmanaged)]
    foot = footer(plan)
    if foot:
        tail += ["", foot]
    if not plan.changes:
        return "\n".join([*head, "**No changes.** Keycloak matches the desired state.", *tail]) + "\n"
    summary = plan.summary
    head += [f"**{summary_line(summary)}**"]
    deleted = [c.address for c in plan.changes if c.action is Action.DELETE]
    if deleted:
        head += ["", f":warning: **{len(deleted)} to destroy:**", *bullet_list(deleted, LISTED_DELETES)]
    head.append("")
    blocks = [[*(diff_line(ln) for ln in change_lines(c)), ""] for c in plan.changes]
    n = len(plan.changes)
    fold = fenced_details(
        f"Details: {n} change{'s' if n != 1 else ''}",
        blocks,
        others="\n".join(head + tail),
        max_chars=max_chars,
        note=truncation_note,
    )
    return "\n".join([*head, *fold, *tail]) + "\n"
