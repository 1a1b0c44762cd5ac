"""The pull-request comment: marker, summary outside the fold, deletions flagged, safe truncation."""

from __future__ import annotations

import re

from reconciler.plan import Action, Change
from reconciler.render import render
from reconciler.render.markdown import PLAN_MARKER, code, render_markdown
from tests.unit.render.fixtures import change, mixed_plan, plan_of

GITHUB_LIMIT = 65_536


def huge_plan(n: int = 3000) -> list[Change]:
    changes = []
    for i in range(n):
        action = (Action.CREATE, Action.UPDATE, Action.DELETE)[i % 3]
        body: dict[str, object] = {
            "clientId": f"client-{i}",
            "description": "x" * 120,
            "redirectUris": [f"https://h{i}/*"],
        }
        changes.append(
            change(
                "client",
                f"client-{i:05d}",
                action,
                order=i + 1,
                before=None if action is Action.CREATE else body,
                after=None if action is Action.DELETE else {**body, "description": "y" * 120},
                paths=("description",) if action is Action.UPDATE else (),
                reason="why",
            )
        )
    return changes


def fences_balanced(markdown: str) -> bool:
    """Every opening fence has a closing fence of the same length, in order."""
    open_fence: str | None = None
    for line in markdown.splitlines():
        match = re.match(r"^(`{3,})(\S*)$", line)
        if not match:
            continue
        if open_fence is None:
            open_fence = match.group(1)
        elif match.group(1) == open_fence and not match.group(2):
            open_fence = None
    return open_fence is None


def test_marker_is_the_first_line_and_summary_is_outside_the_fold() -> None:
    md = render(mixed_plan(), "markdown")
    lines = md.splitlines()
    assert lines[0] == PLAN_MARKER
    summary_at = lines.index("**Plan: 1 to add, 2 to change, 2 to destroy.**")
    assert summary_at < lines.index("<details><summary>Details: 5 changes</summary>")


def test_deletions_are_flagged_and_listed_outside_the_fold() -> None:
    md = render(mixed_plan(), "markdown")
    before_fold = md.split("<details>")[0]
    assert ":warning: **2 to destroy:**" in before_fold
    assert "- `enterprise/group/legacy`" in before_fold
    assert "- `enterprise/user/old.bob`" in before_fold


def test_details_are_a_diff_block_with_signs_in_the_first_column() -> None:
    md = render(mixed_plan(), "markdown")
    block = md.split("```diff\n")[1].split("\n```")[0]
    assert "+ enterprise/client/orders-api" in block.splitlines()
    assert "- enterprise/group/legacy" in block.splitlines()
    assert "! enterprise/client/web" in block.splitlines()


def test_huge_plan_is_truncated_under_the_github_limit_with_balanced_fences() -> None:
    plan = plan_of(huge_plan())
    md = render(plan, "markdown")
    assert len(md) < 60_000 < GITHUB_LIMIT
    assert fences_balanced(md)
    assert md.count("<details>") == md.count("</details>")
    match = re.search(
        r"Plan truncated: (\d+) more changes\. The full plan is in the `plan` artifact "
        r"of this run \(plan\.json\)\.",
        md,
    )
    assert match is not None
    shown = md.count("\n+ enterprise/") + md.count("\n! enterprise/") + md.count("\n- enterprise/")
    # Address lines: in the fold, plus the first deletions listed before it are bullets, not counted.
    assert int(match.group(1)) + shown >= 3000
    assert int(match.group(1)) > 0
    # Cut at a whole line: every line of the block is a complete rendered line.
    block = md.split("```diff\n")[1].split("\n```")[0]
    assert all(ln == "" or ln[0] in "+-! " for ln in block.splitlines())
    # ... and between changes: the block ends with the last line of a whole change.
    assert block.splitlines()[-1].startswith(("+     redirectUris", "!     description", "      # (and"))
    assert "…" in md.split("<details>")[0]  # the deletion list before the fold is capped too
    assert "3000 changes" in md


def test_truncation_note_is_a_parameter_and_the_limit_is_respected() -> None:
    plan = plan_of(huge_plan(200))
    md = render_markdown(plan, max_chars=5_000, truncation_note="See the log ({n} left out).")
    assert len(md) < 5_000
    assert re.search(r"> See the log \(\d+ left out\)\.", md)
    assert fences_balanced(md)


def test_a_single_change_larger_than_the_limit_still_yields_a_valid_comment() -> None:
    big = change("client", "big", Action.CREATE, after={f"k{i}": "v" * 50 for i in range(2000)})
    md = render_markdown(plan_of([big]), max_chars=10_000)
    assert len(md) < 10_000
    assert fences_balanced(md)
    assert "Plan truncated: 1 more changes." in md


def test_backticks_in_values_cannot_close_the_fence() -> None:
    sneaky = change("client", "x", Action.CREATE, after={"description": "```\n</details>\n```"})
    md = render_markdown(plan_of([sneaky]))
    assert "````diff" in md
    assert fences_balanced(md)
    # The value stays on one line (JSON escapes newlines), inside the block.
    assert '+     description = "```\\n</details>\\n```"' in md


def test_inline_code_survives_backticks() -> None:
    assert code("a`b") == "``a`b``"
    assert code("`a") == "`` `a ``"
    assert code("plain") == "`plain`"
