"""Composite roles that contain themselves: Keycloak would store the cycle, and kcr could order
neither the creates nor the deletes. ``RoleKind.check_declared`` reports each cycle once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reconciler.desired.declared import Declared, Findings, Origin

Node = tuple[str, str]  # (clientId or "" for a realm role, name)


def check_cycles(roles: Iterable[Declared], found: Findings) -> None:
    graph: dict[Node, list[Node]] = {}
    where: dict[Node, Origin] = {}
    for role in roles:
        node = (role.scope, role.spec.get("name", ""))
        comps = role.spec.get("composites") or {}
        targets = [("", n) for n in comps.get("realm") or []]
        targets += [(c, n) for c, names in (comps.get("client") or {}).items() for n in names or []]
        graph[node] = targets
        where[node] = role.origin
    state: dict[Node, int] = {}  # 1 on the stack, 2 done
    reported: set[frozenset[Node]] = set()
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[Node, Iterator[Node]]] = [(start, iter(graph[start]))]
        state[start] = 1
        while stack:
            node, edges = stack[-1]
            nxt = next(edges, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cycle = [n for n, _ in stack][[n for n, _ in stack].index(nxt) :]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    names = " -> ".join(_label(n) for n in [*cycle, nxt])
                    found.error(
                        where[nxt],
                        ("composites",),
                        f"composite roles form a cycle: {names}",
                        "remove one of the composites",
                        key=True,
                    )
            elif nxt in graph and not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph[nxt])))


def _label(node: Node) -> str:
    client_id, name = node
    return f"{client_id}/{name}" if client_id else name
