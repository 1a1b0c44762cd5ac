"""JSON text to plain data with positions: the standard library's C string scanner plus a small
position-keeping parser, since exports and generated user lists are JSON and large."""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

from reconciler.desired.positions import MAX_DEPTH, Document, FileProblems, Marks, Pos
from reconciler.errors import Problem, SourceLocation

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
