"""Reading desired-state files safely into plain data that remembers where each value was written.

YAML is composed into nodes (which carry line/column marks) by libyaml or ruamel.yaml
(``yaml_backends.py``; the results are the same) and turned into plain ``dict``/``list``/scalars by
our own constructor: no tag ever constructs an object (only the YAML
core schema's str/int/float/bool/null), aliases may not blow a document up ("billion laughs"), and
duplicate keys are errors naming both lines. JSON takes a fast path (the standard library's string
scanner plus a small position-keeping parser), since exports and generated user lists are JSON and
large. Files over ``MAX_FILE_BYTES``, files that are not UTF-8 and tabs in YAML indentation are clear
errors, never tracebacks.
"""

from __future__ import annotations

import bisect
import gc
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.desired.yaml_backends import YamlNode, YamlSyntaxError, YamlTooDeep, compose_all
from reconciler.errors import Problem, SourceLocation

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 100
# Aliases may add at most this share of the document's own nodes (plus a small allowance) when
# expanded: enough for YAML anchors used as templates, far too little for an exponential blow-up.
ALIAS_GROWTH = 1.0
ALIAS_ALLOWANCE = 10_000
SUFFIXES = (".yaml", ".yml", ".json")

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
    # positions of string values that ${...} substitution changed (their text may be secret)
    substituted: set[Pos] = field(default_factory=set)
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


# -- finding files -------------------------------------------------------------------------------
def find_files(paths: list[str]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                problems.append(
                    Problem(
                        f"no {', '.join(SUFFIXES)} files in directory {raw}",
                        hint="point kcr at the folder of your desired state",
                    )
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem(
                    f"no such file or directory: {raw}",
                    hint="give the path of a YAML/JSON file or a directory",
                )
            )
    seen: set[Path] = set()
    unique = []
    for f in files:
        resolved = f.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(f)
    return unique, problems


# -- reading one file ----------------------------------------------------------------------------
def read_file(path: Path) -> tuple[list[Document], list[Problem]]:
    """Every document of one file, or the problems that stopped it from being read."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return [], [
                Problem(
                    f"file is too large ({size // (1024 * 1024)} MB; the limit is "
                    f"{MAX_FILE_BYTES // (1024 * 1024)} MB)",
                    SourceLocation(name, 1, 1),
                    hint="split the desired state over several files",
                )
            ]
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Problem(f"cannot read file: {exc.strerror}", SourceLocation(name, 1, 1))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [
            Problem(
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                SourceLocation(name, line, col),
                hint="save the file as UTF-8",
            )
        ]
    text = text.removeprefix("\ufeff")
    try:
        if path.suffix.lower() == ".json":
            return [parse_json(name, text)], []
        return parse_yaml(name, text), []
    except FileProblems as exc:
        return [], exc.problems


# -- YAML ----------------------------------------------------------------------------------------
_TAG = "tag:yaml.org,2002:"
_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)


def parse_yaml(name: str, text: str) -> list[Document]:
    tabs = list(_TAB_INDENT.finditer(text))
    if tabs:
        raise FileProblems(
            [
                Problem(
                    "tab character in indentation",
                    _loc_of_offset(name, text, m.end() - 1),
                    hint="YAML indents with spaces only; replace the tab with spaces",
                )
                for m in tabs
            ]
        )
    with _gc_paused():
        return _documents(name, text)


def _documents(name: str, text: str) -> list[Document]:
    try:
        composed = compose_all(text, MAX_DEPTH)
    except YamlSyntaxError as exc:
        where = SourceLocation(name, 1, 1)
        if exc.line is not None and exc.column is not None:
            where = SourceLocation(name, exc.line + 1, exc.column + 1)
        raise FileProblems(
            [
                Problem(
                    f"YAML syntax error: {exc.message}",
                    where,
                    hint="fix the YAML syntax" if exc.marked else "",
                )
            ]
        ) from None
    except YamlTooDeep:
        raise FileProblems([Problem("YAML is nested too deeply", SourceLocation(name, 1, 1))]) from None
    docs = []
    problems: list[Problem] = []
    for node, may_alias in composed:
        builder = _YamlBuilder(name)
        try:
            if may_alias:
                builder.check_size(node)
            data = builder.build(node, 0)
        except FileProblems as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(builder.problems)
        docs.append(Document(name, data, _pos(node), builder.marks))
    if problems:
        raise FileProblems(problems)
    return docs


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Composing creates hundreds of thousands of container objects and no garbage cycles; the
    collector's passes over them would take most of the time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _pos(node: YamlNode) -> Pos:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _YamlBuilder:
    """Plain data from composed nodes; only the core schema's scalar types are ever constructed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.marks: dict[int, Marks] = {}
        self.problems: list[Problem] = []

    def fail(self, node: YamlNode, message: str, hint: str = "") -> FileProblems:
        line, col = _pos(node)
        return FileProblems([Problem(message, SourceLocation(self.name, line, col), hint=hint)])

    def check_size(self, root: YamlNode) -> None:
        """Refuse alias expansion that would grow the document far past its written size."""
        expanded: dict[int, int] = {}
        distinct: set[int] = set()
        active: set[int] = set()

        def size(node: YamlNode, depth: int) -> int:
            if depth > MAX_DEPTH:
                raise self.fail(node, f"document is nested deeper than {MAX_DEPTH} levels")
            key = id(node)
            if key in expanded:
                return expanded[key]
            if key in active:
                raise self.fail(
                    node,
                    "recursive alias: an anchor is used inside itself",
                    hint="remove the alias that refers to its own ancestor",
                )
            active.add(key)
            distinct.add(key)
            total = 1
            if node.id == "mapping":
                total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
            elif node.id == "sequence":
                total += sum(size(item, depth + 1) for item in node.value)
            active.discard(key)
            expanded[key] = total
            return total

        total = size(root, 0)
        if total > len(distinct) * (1 + ALIAS_GROWTH) + ALIAS_ALLOWANCE:
            raise self.fail(
                root,
                f"aliases expand this document to {total} nodes from {len(distinct)} written ones",
                hint="use fewer aliases (*name); expansion is limited",
            )

    def build(self, node: YamlNode, depth: int) -> Any:
        tag = str(node.tag)
        if node.id == "scalar":
            return self.scalar(node, tag)
        if node.id == "sequence":
            if tag != _TAG + "seq":
                raise self.fail(node, f"tag {tag} is not allowed", hint="remove the tag")
            items: list[Any] = []
            marks = Marks(_pos(node))
            self.marks[id(items)] = marks
            for i, item in enumerate(node.value):
                items.append(self.build(item, depth + 1))
                marks.values[i] = _pos(item)
            return items
        if node.id == "mapping":
            if tag != _TAG + "map":
                raise self.fail(node, f"tag {tag} is not allowed", hint="remove the tag")
            return self.mapping(node, depth)
        raise self.fail(node, "unsupported YAML node")

    def mapping(self, node: YamlNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        marks = Marks(_pos(node))
        self.marks[id(out)] = marks
        merged: list[tuple[dict[str, Any], Marks]] = []
        for key_node, value_node in node.value:
            if str(key_node.tag) == _TAG + "merge":
                merged.extend(self.merge_sources(value_node, depth))
                continue
            key = self.build(key_node, depth + 1)
            if isinstance(key, dict | list):
                raise self.fail(key_node, "a mapping key must be a plain scalar")
            key = _scalar_text(key)
            if key in out:
                first = marks.keys[key]
                first_line = first[0] if isinstance(first, tuple) else 0
                line, col = _pos(key_node)
                self.problems.append(
                    Problem(
                        f"duplicate key {key!r} (first written at line {first_line})",
                        SourceLocation(self.name, line, col),
                        hint="remove one of them",
                    )
                )
                continue
            out[key] = self.build(value_node, depth + 1)
            marks.keys[key] = _pos(key_node)
            marks.values[key] = _pos(value_node)
        # "<<: *base" merges: keys written in the mapping itself win
        for source, source_marks in merged:
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    marks.keys[key] = source_marks.keys[key]
                    marks.values[key] = source_marks.values[key]
        return out

    def merge_sources(self, node: YamlNode, depth: int) -> list[tuple[dict[str, Any], Marks]]:
        nodes = node.value if node.id == "sequence" else [node]
        out = []
        for item in nodes:
            if item.id != "mapping":
                raise self.fail(item, "'<<' merges only mappings")
            data = self.mapping(item, depth + 1)
            out.append((data, self.marks[id(data)]))
        return out

    def scalar(self, node: YamlNode, tag: str) -> Any:
        value: str = node.value
        kind = tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
        try:
            if kind in ("str", "timestamp"):  # dates stay text: Keycloak has no date fields
                return value
            if kind == "null":
                return None
            if kind == "bool":
                return value.lower() in ("true", "yes", "on", "y")
            if kind == "int":
                return _yaml_int(value)
            if kind == "float":
                return _yaml_float(value)
        except ValueError:
            raise self.fail(node, f"{value!r} is not a valid {kind}") from None
        raise self.fail(
            node,
            f"tag {tag} is not allowed",
            hint="only plain strings, numbers, booleans and null are accepted",
        )


def _yaml_int(text: str) -> int:
    t = text.replace("_", "")
    sign = -1 if t.startswith("-") else 1
    t = t.lstrip("+-")
    for prefix, base in (("0x", 16), ("0o", 8), ("0b", 2)):
        if t.lower().startswith(prefix):
            return sign * int(t[2:], base)
    return sign * int(t, 10)


def _yaml_float(text: str) -> float:
    t = text.replace("_", "").lower()
    if t in (".nan",):
        return math.nan
    if t.lstrip("+-") == ".inf":
        return -math.inf if t.startswith("-") else math.inf
    return float(t)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def _loc_of_offset(name: str, text: str, offset: int) -> SourceLocation:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return SourceLocation(name, line, col)


# -- JSON ----------------------------------------------------------------------------------------
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class _JsonParser:
    """A small JSON parser that keeps every value's position (strings go through the C scanner)."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self.marks: dict[int, Marks] = {}
        self.problems: list[Problem] = []
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> Pos:
        line = bisect.bisect_left(self.newlines, offset)
        start = self.newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    def fail(self, offset: int, message: str) -> FileProblems:
        line, col = self.pos(offset)
        return FileProblems(
            [
                Problem(
                    f"JSON syntax error: {message}",
                    SourceLocation(self.name, line, col),
                    hint="fix the JSON syntax",
                )
            ]
        )

    def skip(self, i: int) -> int:
        text = self.text
        if i < len(text) and text[i] not in " \t\n\r":
            return i
        m = _WS.match(text, i)
        return m.end() if m else i

    def value(self, i: int, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise self.fail(i, f"nested deeper than {MAX_DEPTH} levels")
        text = self.text
        ch = text[i : i + 1]
        if ch == '"':
            try:
                s, end = _scanstring(text, i + 1, True)
            except json.JSONDecodeError as exc:
                raise self.fail(exc.pos, exc.msg) from None
            return s, end
        if ch == "{":
            return self.obj(i, depth)
        if ch == "[":
            return self.arr(i, depth)
        for literal, val in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, i):
                return val, i + len(literal)
        m = _NUMBER.match(text, i)
        if m:
            num = m.group()
            return (float(num) if m.group(1) or m.group(2) else int(num)), m.end()
        raise self.fail(i, "expected a value" if ch else "unexpected end of file")

    def obj(self, i: int, depth: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        marks = Marks(i)
        self.marks[id(out)] = marks
        i = self.skip(i + 1)
        if self.text[i : i + 1] == "}":
            return out, i + 1
        while True:
            if self.text[i : i + 1] != '"':
                raise self.fail(i, "expected a string key")
            key_at = i
            key, i = self.value(i, depth + 1)
            i = self.skip(i)
            if self.text[i : i + 1] != ":":
                raise self.fail(i, "expected ':'")
            i = self.skip(i + 1)
            value_at = i
            value, i = self.value(i, depth + 1)
            if key in out:
                first = marks.keys[key]
                first_line = self.pos(first)[0] if isinstance(first, int) else 0
                line, col = self.pos(key_at)
                self.problems.append(
                    Problem(
                        f"duplicate key {key!r} (first written at line {first_line})",
                        SourceLocation(self.name, line, col),
                        hint="remove one of them",
                    )
                )
            else:
                out[key] = value
                marks.keys[key] = key_at
                marks.values[key] = value_at
            i = self.skip(i)
            ch = self.text[i : i + 1]
            if ch == "}":
                return out, i + 1
            if ch != ",":
                raise self.fail(i, "expected ',' or '}'")
            i = self.skip(i + 1)

    def arr(self, i: int, depth: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        marks = Marks(i)
        self.marks[id(out)] = marks
        i = self.skip(i + 1)
        if self.text[i : i + 1] == "]":
            return out, i + 1
        while True:
            marks.values[len(out)] = i
            value, i = self.value(i, depth + 1)
            out.append(value)
            i = self.skip(i)
            ch = self.text[i : i + 1]
            if ch == "]":
                return out, i + 1
            if ch != ",":
                raise self.fail(i, "expected ',' or ']'")
            i = self.skip(i + 1)


def parse_json(name: str, text: str) -> Document:
    parser = _JsonParser(name, text)
    start = parser.skip(0)
    data, end = parser.value(start, 0)
    end = parser.skip(end)
    if end != len(text):
        raise parser.fail(end, "extra data after the document")
    if parser.problems:
        raise FileProblems(parser.problems)
    return Document(name, data, parser.pos(start), parser.marks, newlines=parser.newlines)


def iter_documents(paths: list[str]) -> Iterator[tuple[list[Document], list[Problem]]]:
    files, problems = find_files(paths)
    if problems:
        yield [], problems
    for path in files:
        yield read_file(path)
