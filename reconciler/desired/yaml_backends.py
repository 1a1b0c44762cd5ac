"""Composing YAML text into nodes, with libyaml's C parser when it is there and ruamel.yaml otherwise.

Both backends hand ``source.py`` nodes of the same small shape (``YamlNode``): ``id`` ("scalar",
"sequence", "mapping"), the full ``tag``, ``value`` (text, list of nodes, list of key/value node pairs)
and ``start_mark`` (0-based ``line``/``column``). An alias is the anchored node itself, so documents
stay as small as written and ``source.py`` bounds their expansion.

ruamel.yaml (pure Python, YAML 1.2) is the reference: it is slow (about 5 s a megabyte). The libyaml
backend takes only the parser's *events* from PyYAML's C extension and composes them here, without
recursion (libyaml's own composer recurses in C and crashes on very deep nesting) and without PyYAML's
YAML 1.1 resolver: a plain scalar's tag comes from ``core_schema_tag``, the YAML 1.2 core schema exactly
as ruamel applies it (``yes``/``on`` are strings, ``0o17`` is octal); explicit tags are kept as written.
Whatever libyaml might read differently from ruamel goes to ruamel instead, so results never depend
on the backend: text that libyaml rejects (ruamel then reports the syntax error in its own words and
position, or reads what libyaml could not), a ``%YAML`` directive (ruamel switches to 1.1 rules),
tabs, NEL/LS/PS characters and ``...`` (see ``_READ_DIFFERENTLY``), nesting deeper than ``max_depth`` and
the few empty values whose position cannot be told from the events (see ``_compose_events``).

For the common text, ``yaml_builder`` reads libyaml's events itself (``libyaml_events``) and builds the
data directly, without nodes; any text that needs more goes through ``compose_all``.

``KCR_YAML_BACKEND=ruamel|libyaml`` forces one backend (tests run everything under both).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator
from typing import Any, NamedTuple, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import KcrError

try:  # PyYAML's C extension; PyYAML wheels bundle libyaml, a source build may lack it
    from yaml import events as _events
    from yaml.cyaml import CParser as _CParser
    from yaml.error import YAMLError as _LibyamlError

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on how PyYAML was installed
    LIBYAML = False

BACKEND_ENV = "KCR_YAML_BACKEND"
BACKENDS = ("libyaml", "ruamel")
TAG_PREFIX = "tag:yaml.org,2002:"


class YamlMark(Protocol):
    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


class YamlNode(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def tag(self) -> object: ...  # a str (libyaml) or ruamel's Tag; str() gives the full tag
    @property
    def value(self) -> Any: ...
    @property
    def start_mark(self) -> YamlMark: ...


class YamlSyntaxError(Exception):
    """The text is not YAML: a message and the 0-based position it is about (``None``: the start).

    ``marked`` is false for the errors that ruamel does not tie to the text (its reader's).
    """

    def __init__(
        self, message: str, line: int | None = None, column: int | None = None, *, marked: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.marked = marked


class YamlTooDeep(Exception):
    """The parser ran out of stack on deeply nested text."""


def selected_backend() -> str:
    """``libyaml`` when it is importable (or forced), else ``ruamel``; read on every call."""
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced == "ruamel":
        return "ruamel"
    if forced not in ("", "libyaml"):
        raise KcrError(f"{BACKEND_ENV} must be one of {', '.join(BACKENDS)}, not {forced!r}")
    if forced == "libyaml" and not LIBYAML:
        raise KcrError(f"{BACKEND_ENV}=libyaml, but PyYAML's libyaml extension is not installed")
    return "libyaml" if LIBYAML else "ruamel"


class ComposedDocument(NamedTuple):
    root: YamlNode
    may_alias: bool  # False: every node is written once, so the document is exactly as big as written


def compose_all(text: str, max_depth: int) -> list[ComposedDocument]:
    """Every document of ``text``; raises YamlSyntaxError or YamlTooDeep.

    Text nested deeper than ``max_depth`` collections the libyaml backend leaves to ruamel (whose
    recursion limit decides what the user is told).
    """
    if selected_backend() == "libyaml":
        documents = compose_libyaml(text, max_depth)
        if documents is not None:
            return documents
    return [ComposedDocument(root, True) for root in compose_ruamel(text)]


# -- ruamel.yaml ---------------------------------------------------------------------------------
def compose_ruamel(text: str) -> list[YamlNode]:
    yaml = YAML(typ="safe", pure=True)
    try:
        return [node for node in yaml.compose_all(text) if node is not None]
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        if mark is None:
            raise YamlSyntaxError(what) from None
        raise YamlSyntaxError(what, mark.line, mark.column) from None
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc), marked=False) from None
    except RecursionError:
        raise YamlTooDeep() from None


# -- libyaml -------------------------------------------------------------------------------------
class _Node:
    """A composed node (the ``YamlNode`` shape)."""

    __slots__ = ("flow", "id", "start_mark", "tag", "value")

    def __init__(self, id: str, tag: str, value: Any, start_mark: Any, flow: bool = False) -> None:
        self.id = id
        self.tag = tag
        self.value = value
        self.start_mark = start_mark
        self.flow = flow


# Text read differently: line breaks in YAML 1.1 (libyaml) only, tabs (libyaml takes them as
# separators where ruamel refuses them) and document end markers (ruamel refuses some repeats).
_READ_DIFFERENTLY = re.compile("[\t\x85\u2028\u2029]|^[.][.][.]", re.MULTILINE)
# A block mapping's explicit key ("? key"), where ruamel places an empty value before it differently.
EXPLICIT_KEY = re.compile(r"^ *\?(?:\s|$)", re.MULTILINE)
# A block scalar header with a comment right after it ("|#"): libyaml accepts it, ruamel does not.
HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")


class _LeaveToRuamel(Exception):
    pass


class EventTypes(NamedTuple):
    """libyaml's event classes, for a reader of the events (``libyaml_events``)."""

    scalar: type
    sequence_start: type
    mapping_start: type
    sequence_end: type
    mapping_end: type
    document_start: type
    document_end: type
    alias: type


def libyaml_events(text: str) -> tuple[EventTypes, Generator[Any, None, None]] | None:
    """libyaml's events of ``text``, for a reader that builds data from them directly
    (``yaml_builder``), or ``None`` where libyaml may read the text differently from ruamel
    (``_READ_DIFFERENTLY``). A text libyaml refuses raises ``YamlSyntaxError`` (not the error to
    report: ruamel words that one, through ``compose_all``)."""
    if not LIBYAML or _READ_DIFFERENTLY.search(text):
        return None
    types = EventTypes(
        _events.ScalarEvent,
        _events.SequenceStartEvent,
        _events.MappingStartEvent,
        _events.SequenceEndEvent,
        _events.MappingEndEvent,
        _events.DocumentStartEvent,
        _events.DocumentEndEvent,
        _events.AliasEvent,
    )
    return types, _events_of(text)


def _events_of(text: str) -> Generator[Any, None, None]:
    parser = _CParser(text)
    try:
        while (event := parser.get_event()) is not None:
            yield event
    except _LibyamlError:
        raise YamlSyntaxError("libyaml refused the text", marked=False) from None
    finally:
        parser.dispose()


def compose_libyaml(text: str, max_depth: int) -> list[ComposedDocument] | None:
    """Documents composed from libyaml's events, or ``None`` when ruamel must read ``text`` instead."""
    if _READ_DIFFERENTLY.search(text):
        return None
    parser = _CParser(text)
    try:
        return _compose_events(parser.get_event, max_depth, text)
    except (_LibyamlError, _LeaveToRuamel):
        return None
    finally:
        parser.dispose()


def _compose_events(next_event: Callable[[], Any], max_depth: int, text: str) -> list[ComposedDocument]:
    """The composer loop, iterative and written for speed (it runs once per node).

    Where an empty value (``key:`` and nothing) is placed differs: libyaml puts it right after the
    colon, ruamel at the next token (the next key or the end of the mapping, which is where the next
    event starts), or in a flow mapping right after the colon. The block case is moved to ruamel's
    place; a flow mapping with an empty value, or an explicit key after one, goes to ruamel.
    """
    scalar_event, alias_event = _events.ScalarEvent, _events.AliasEvent
    sequence_start, mapping_start = _events.SequenceStartEvent, _events.MappingStartEvent
    sequence_end, mapping_end = _events.SequenceEndEvent, _events.MappingEndEvent
    document_start, document_end = _events.DocumentStartEvent, _events.DocumentEndEvent
    str_tag, seq_tag, map_tag = TAG_PREFIX + "str", TAG_PREFIX + "seq", TAG_PREFIX + "map"
    typed_first = TYPED_FIRST
    ends_with_break = text.endswith(("\n", "\r"))
    block_styles, block_headers_checked = ("|", ">"), False

    documents: list[ComposedDocument] = []
    anchors: dict[str, _Node] = {}
    aliased = False
    # the open collections, innermost last; for a mapping, its key node waiting for a value (or None)
    open_nodes: list[_Node] = []
    pending_keys: list[_Node | None] = []
    root: _Node | None = None
    empty_value: _Node | None = None  # an empty block mapping value, placed where the next event starts
    while True:
        event = next_event()
        if event is None:
            return documents
        if empty_value is not None:
            if event.start_mark.index >= len(text) and not ends_with_break:
                raise _LeaveToRuamel
            empty_value.start_mark = event.start_mark
            empty_value = None
        kind = type(event)
        collection = False
        if kind is scalar_event:
            tag = event.tag
            value = event.value
            if tag is None or tag == "!":
                if not event.implicit[0] or (value and value[0] not in typed_first):
                    tag = str_tag
                else:
                    tag = core_schema_tag(value)
            node = _Node("scalar", tag, value, event.start_mark)
            if event.style in block_styles:
                if not open_nodes:  # a document that is one block scalar: its lines may start at column 0
                    raise _LeaveToRuamel
                if not block_headers_checked:
                    if HEADER_COMMENT.search(text):
                        raise _LeaveToRuamel
                    block_headers_checked = True
            if event.anchor is not None:
                if event.tag is not None and text[event.start_mark.index] == "!":
                    raise _LeaveToRuamel  # "!tag &anchor": ruamel starts the node at the anchor
                anchors[event.anchor] = node
            if not value:
                if event.start_mark.index >= len(text) and not ends_with_break:
                    raise _LeaveToRuamel  # libyaml ends the text with a line break of its own
                plain = event.tag is None and event.anchor is None and event.implicit[0]
                if plain and pending_keys and pending_keys[-1] is not None:  # a mapping's value
                    if open_nodes[-1].flow or EXPLICIT_KEY.search(text):
                        raise _LeaveToRuamel
                    empty_value = node
        elif kind is mapping_start or kind is sequence_start:
            tag = event.tag
            if kind is mapping_start:
                tag = map_tag if tag is None or tag == "!" else tag
                node = _Node("mapping", tag, [], event.start_mark, event.flow_style)
            else:
                node = _Node("sequence", seq_tag if tag is None or tag == "!" else tag, [], event.start_mark)
            if event.anchor is not None:
                if event.tag is not None and text[event.start_mark.index] == "!":
                    raise _LeaveToRuamel
                anchors[event.anchor] = node
            collection = True
        elif kind is mapping_end or kind is sequence_end:
            open_nodes.pop()
            pending_keys.pop()
            continue
        elif kind is alias_event:
            found = anchors.get(event.anchor)
            if found is None:  # an undefined alias: ruamel words the error
                raise _LeaveToRuamel
            node = found
            aliased = True
        elif kind is document_start:
            if event.version is not None:  # %YAML: ruamel picks its schema by the version
                raise _LeaveToRuamel
            anchors = {}
            aliased = False
            root = None
            continue
        elif kind is document_end:
            if root is not None:
                documents.append(ComposedDocument(root, aliased))
            continue
        else:  # stream start and end
            continue

        if not open_nodes:
            root = node
        elif (parent := open_nodes[-1]).id == "sequence":
            parent.value.append(node)
        elif (key := pending_keys[-1]) is None:
            pending_keys[-1] = node
        else:
            parent.value.append((key, node))
            pending_keys[-1] = None
        if collection:
            open_nodes.append(node)
            pending_keys.append(None)
            if len(open_nodes) > max_depth:
                raise _LeaveToRuamel


# -- YAML 1.2 core schema ------------------------------------------------------------------------
# (tag, pattern) by first character, in ruamel's order for YAML 1.2: the first match decides.
_CORE_PATTERNS: list[tuple[str, str, str]] = [
    ("bool", "tTfF", r"(?:true|True|TRUE|false|False|FALSE)"),
    (
        "float",
        "-+0123456789.",
        r"""(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))""",
    ),
    (
        "int",
        "-+0123456789",
        r"""(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)""",
    ),
    ("merge", "<", r"(?:<<)"),
    ("null", "~nN", r"(?:~|null|Null|NULL)"),
    (
        "timestamp",
        "0123456789",
        r"""(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:[Tt]|[\ \t]+)[0-9][0-9]?
        :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)""",
    ),
    ("value", "=", r"(?:=)"),
]
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _name, _firsts, _pattern in _CORE_PATTERNS:
    _compiled = re.compile(rf"^{_pattern}$", re.X)
    for _first in _firsts:
        _BY_FIRST.setdefault(_first, []).append((TAG_PREFIX + _name, _compiled))


TYPED_FIRST = frozenset(_BY_FIRST)  # a plain scalar starting with another character is a string


def core_schema_tag(plain: str) -> str:
    """The tag the YAML 1.2 core schema gives a plain (unquoted, untagged) scalar."""
    if not plain:
        return TAG_PREFIX + "null"
    for tag, pattern in _BY_FIRST.get(plain[0], ()):
        if pattern.match(plain):
            return tag
    return TAG_PREFIX + "str"
