"""Where each value of a desired-state document was written: ``Document`` keeps a document's data
together with the line and column of every key and value, so that any problem found later can name
``file:line:col``.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import Problem, SourceLocation

MAX_DEPTH = 100  # nesting limit of a document, YAML or JSON

Pos = tuple[int, int]  # 1-based line, column
Mark = Pos | int  # a position, or (JSON, converted only when asked) an offset into the text
PathKey = str | int
DocPath = tuple[PathKey, ...]


@dataclass
class Marks:
    """Positions of one container's entries: per key (key position, value position) or per index."""

    start: Mark
    keys: dict[str, Mark] = field(default_factory=dict)
    values: dict[Any, Mark] = field(default_factory=dict)


@dataclass
class Document:
    """One YAML/JSON document: its data and where every value of it was written."""

    file: str
    data: Any
    start: Pos
    marks: dict[int, Marks] = field(default_factory=dict)  # id(container) -> Marks
    # False when the text holds no "${" and no backslash (with which an escape could write one):
    # then substitution has nothing to replace and skips its walk over the data
    may_reference: bool = True
    # positions of string values that ${...} substitution changed (their text may be secret)
    substituted: set[Pos] = field(default_factory=set)
    # positions of ${env:...} references left as written because the variable is unset (kcr validate)
    unresolved: set[Pos] = field(default_factory=set)
    newlines: list[int] | None = None  # offsets of the line ends, where marks are offsets

    def _to_pos(self, mark: Mark) -> Pos:
        if isinstance(mark, tuple):
            return mark
        newlines = self.newlines or []
        line = bisect.bisect_left(newlines, mark)
        start = newlines[line - 1] + 1 if line else 0
        return line + 1, mark - start + 1

    def position(self, path: DocPath, *, key: bool = False) -> Pos:
        """Where the value at ``path`` was written (or its key, with ``key=True``).

        A path that leaves the data (a key that is missing) ends at the deepest container found.
        """
        node = self.data
        pos: Mark = self.start
        for i, step in enumerate(path):
            marks = self.marks.get(id(node))
            if marks is None:
                break
            last = i == len(path) - 1
            if isinstance(node, dict) and isinstance(step, str) and step in node:
                pos = marks.keys[step] if key and last else marks.values.get(step, pos)
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                pos = marks.values.get(step, pos)
                node = node[step]
            else:
                pos = marks.start
                break
        return self._to_pos(pos)

    def location(self, path: DocPath, *, key: bool = False) -> SourceLocation:
        line, col = self.position(path, key=key)
        return SourceLocation(self.file, line, col)

    def is_substituted(self, path: DocPath) -> bool:
        return self.position(path) in self.substituted

    def is_unresolved(self, path: DocPath) -> bool:
        return self.position(path) in self.unresolved


class FileProblems(Exception):
    """Raised inside the readers to abandon one file; carries its problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def dotted(path: DocPath) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def loc_of_offset(name: str, text: str, offset: int) -> SourceLocation:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceLocation(name, line, col)
