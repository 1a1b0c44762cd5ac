"""YAML text to plain data with positions.

YAML is composed into nodes (which carry line/column marks) by libyaml or ruamel.yaml
(``yaml_backends.py``; the results are the same) and turned into plain ``dict``/``list``/scalars by
our own constructor: no tag ever constructs an object (only the YAML core schema's
str/int/float/bool/null), aliases may not blow a document up ("billion laughs"), duplicate keys are
errors naming both lines, and tabs in indentation are clear errors.

Most realm files use none of what composing is for (tags, anchors, aliases, merges, duplicate keys):
those are built straight from libyaml's events (``_direct_documents``), the same data and positions
in half the time.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconciler.desired.positions import MAX_DEPTH, Document, FileProblems, Mark, Marks, Pos, loc_of_offset
from reconciler.desired.yaml_backends import (
    EXPLICIT_KEY,
    HEADER_COMMENT,
    TAG_PREFIX,
    TYPED_FIRST,
    EventTypes,
    YamlNode,
    YamlSyntaxError,
    YamlTooDeep,
    compose_all,
    core_schema_tag,
    libyaml_events,
    selected_backend,
)
from reconciler.errors import Problem, SourceLocation

# Aliases may add at most this share of the document's own nodes (plus a small allowance) when
# expanded: enough for YAML anchors used as templates, far too little for an exponential blow-up.
ALIAS_GROWTH = 1.0
ALIAS_ALLOWANCE = 10_000

_TAG = "tag:yaml.org,2002:"
_TAB_INDENT = re.compile(r"^[ ]*\t", re.MULTILINE)


def parse_yaml(name: str, text: str) -> list[Document]:
    tabs = list(_TAB_INDENT.finditer(text))
    if tabs:
        raise FileProblems(
            [
                Problem(
                    "tab character in indentation",
                    loc_of_offset(name, text, m.end() - 1),
                    hint="YAML indents with spaces only; replace the tab with spaces",
                )
                for m in tabs
            ]
        )
    with _gc_paused():
        return _documents(name, text)


def _documents(name: str, text: str) -> list[Document]:
    if selected_backend() == "libyaml":
        direct = _direct_documents(name, text)
        if direct is not None:
            return direct
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


class _NotDirect(Exception):
    """The text uses something that only the general path (compose, then build) reads."""


_DIRECT_TAGS = (None, "!")  # no tag, or the non-specific one, as ``compose_libyaml`` reads them


def _direct_documents(name: str, text: str) -> list[Document] | None:
    """The documents built straight from libyaml's events, without composing nodes first (about half
    the time of compose-then-build on a large realm file). Only for text that needs none of what the
    general path is for: tags, anchors and aliases, ``<<`` merges, keys that are not strings, duplicate
    keys, values that do not convert, a document that is one scalar, and whatever ``compose_libyaml``
    leaves to ruamel. ``None`` for any other text, which the general path then reads, so that what a
    text means never depends on the path taken (the backend tests compare both on every kind of text)."""
    found = libyaml_events(text)
    if found is None:
        return None
    types, events = found
    try:
        return _direct(name, text, types, events)
    except (_NotDirect, YamlSyntaxError):
        return None
    finally:
        events.close()  # disposes of the parser


def _direct(name: str, text: str, types: EventTypes, events: Iterator[Any]) -> list[Document]:
    """The loop of ``_direct_documents``: ``compose_libyaml``'s rules, then ``_YamlBuilder``'s, at once."""
    ends_with_break = text.endswith(("\n", "\r"))
    size = len(text)
    checked: dict[str, bool] = {}  # whole-text searches, made once when first needed

    def found_in_text(pattern: re.Pattern[str]) -> bool:
        if pattern.pattern not in checked:
            checked[pattern.pattern] = pattern.search(text) is not None
        return checked[pattern.pattern]

    documents: list[Document] = []
    marks: dict[int, Marks] = {}
    # the open collections, innermost last: (container, its value positions, its key positions (None
    # for a sequence), flow style); for a mapping, the key waiting for its value, with its position
    stack: list[tuple[Any, dict[Any, Mark], dict[str, Mark] | None, bool]] = []
    pending: list[tuple[str, Pos] | None] = []
    root: Any = None
    root_pos: Pos | None = None
    empty_value: tuple[dict[Any, Mark], str] | None = None  # placed where the next event starts
    for event in events:
        kind = type(event)
        mark = event.start_mark
        if empty_value is not None:
            if mark.index >= size and not ends_with_break:
                raise _NotDirect
            empty_value[0][empty_value[1]] = (mark.line + 1, mark.column + 1)
            empty_value = None
        if kind is types.scalar:
            if event.anchor is not None or event.tag not in _DIRECT_TAGS:
                raise _NotDirect
            written: str = event.value
            value: Any = written
            if event.implicit[0] and (not written or written[0] in TYPED_FIRST):
                value = _typed(written)
            if event.style in ("|", ">") and found_in_text(HEADER_COMMENT):
                raise _NotDirect
            if not written and mark.index >= size and not ends_with_break:
                raise _NotDirect  # libyaml ends the text with a line break of its own
            is_collection = False
        elif kind is types.mapping_start or kind is types.sequence_start:
            if event.anchor is not None or event.tag not in _DIRECT_TAGS:
                raise _NotDirect
            value = {} if kind is types.mapping_start else []
            is_collection = True
        elif kind is types.mapping_end or kind is types.sequence_end:
            stack.pop()
            pending.pop()
            continue
        elif kind is types.document_start:
            if event.version is not None:  # %YAML: ruamel picks its schema by the version
                raise _NotDirect
            marks, root, root_pos = {}, None, None
            continue
        elif kind is types.document_end:
            if root_pos is not None:
                documents.append(Document(name, root, root_pos, marks))
            continue
        elif kind is types.alias:
            raise _NotDirect
        else:  # the stream's start and end
            continue

        pos = (mark.line + 1, mark.column + 1)
        if not stack:
            if not is_collection:
                raise _NotDirect  # a document that is one scalar
            root, root_pos = value, pos
        else:
            container, values, keys, flow = stack[-1]
            if keys is None:  # a sequence's item
                values[len(container)] = pos
                container.append(value)
            elif (key := pending[-1]) is None:  # a mapping's key
                if is_collection:
                    raise _NotDirect  # the general path says that a key must be a plain scalar
                if not isinstance(value, str):
                    value = _scalar_text(value)
                if value in container:
                    raise _NotDirect  # a duplicate key: the general path reports it
                pending[-1] = (value, pos)
            else:  # a mapping's value
                key_text, key_pos = key
                container[key_text] = value
                keys[key_text] = key_pos
                values[key_text] = pos
                pending[-1] = None
                if not is_collection and not event.value and event.tag is None and event.implicit[0]:
                    # an empty plain value: where ruamel places it, at the next event
                    if flow or found_in_text(EXPLICIT_KEY):
                        raise _NotDirect
                    empty_value = (values, key_text)
        if is_collection:
            entry = Marks(pos)
            marks[id(value)] = entry
            if kind is types.mapping_start:
                stack.append((value, entry.values, entry.keys, bool(event.flow_style)))
            else:
                stack.append((value, entry.values, None, False))
            pending.append(None)
            if len(stack) > MAX_DEPTH:
                raise _NotDirect
    return documents


def _typed(plain: str) -> Any:
    """A plain scalar's value by the YAML 1.2 core schema (``core_schema_tag``), as ``scalar`` makes it;
    "<<" (a merge), "=" and values that do not convert are left to the general path."""
    try:
        return _constructed(core_schema_tag(plain).removeprefix(TAG_PREFIX), plain)
    except (ValueError, _NotConstructed):
        raise _NotDirect from None


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
            return _constructed(kind, value)
        except ValueError:
            raise self.fail(node, f"{value!r} is not a valid {kind}") from None
        except _NotConstructed:
            raise self.fail(
                node,
                f"tag {tag} is not allowed",
                hint="only plain strings, numbers, booleans and null are accepted",
            ) from None


class _NotConstructed(Exception):
    """A tag that no value is made of (anything but the core schema's scalar types)."""


def _constructed(kind: str, text: str) -> Any:
    """The value of a scalar whose tag is ``kind`` (without the prefix); ValueError when the text is
    not one."""
    if kind in ("str", "timestamp"):  # dates stay text: Keycloak has no date fields
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return text.lower() in ("true", "yes", "on", "y")
    if kind == "int":
        return _yaml_int(text)
    if kind == "float":
        return _yaml_float(text)
    raise _NotConstructed


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
