"""What a flow's step runs, and how a built-in flow's declared steps match the live ones: shared by
the flow kind and its plan-time checks."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]


def identity(execution: Obj) -> str:
    """What an execution runs: its sub-flow's alias, else its authenticator."""
    return (
        f"flow:{execution['flowAlias']}"
        if execution.get("flowAlias")
        else str(execution.get("authenticator"))
    )


def built_in_match(desired: list[Obj], live: list[str]) -> list[int] | None:
    """A built-in flow's declared steps matched in order, by what they run, with the live ones (their
    live indexes); None when a declared step is not there. Steps the live flow has and the
    declaration leaves out are not ours: a newer Keycloak may add some to its built-in flows."""
    out: list[int] = []
    at = 0
    for step in desired:
        while at < len(live) and live[at] != identity(step):
            at += 1
        if at == len(live):
            return None
        out.append(at)
        at += 1
    return out
