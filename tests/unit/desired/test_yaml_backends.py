"""The libyaml backend reads every YAML text exactly as the ruamel backend does: the same data, the same
position for every value and key, the same problems. Checked on the shipped desired state, on tricky
snippets, on generated documents (dumped in several styles) and on random token soup."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver

from reconciler.desired import yaml_backends, yaml_builder
from reconciler.desired.positions import MAX_DEPTH, Document, FileProblems
from reconciler.errors import KcrError

REPO = Path(__file__).resolve().parents[3]
SHIPPED = sorted((REPO / "desired-state").rglob("*.yaml"))
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def snapshot(doc: Document) -> Any:
    """The data with the position of every value (and key) next to it."""

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        where = doc.position(path)
        if isinstance(value, dict):
            return (
                "map",
                where,
                [(k, doc.position((*path, k), key=True), walk(v, (*path, k))) for k, v in value.items()],
            )
        if isinstance(value, list):
            return ("seq", where, [walk(v, (*path, i)) for i, v in enumerate(value)])
        if isinstance(value, float) and math.isnan(value):
            return ("nan", where)
        return (type(value).__name__, value, where)

    return (doc.start, walk(doc.data, ()))


def outcome(text: str, backend: str, monkeypatch: pytest.MonkeyPatch, *, direct: bool = True) -> Any:
    """What the text reads as; ``direct=False``: without libyaml's direct path (compose, then build)."""
    monkeypatch.setenv(yaml_backends.BACKEND_ENV, backend)
    with pytest.MonkeyPatch.context() as patch:
        if not direct:
            patch.setattr(yaml_builder, "_direct_documents", lambda name, text: None)
        try:
            return [snapshot(doc) for doc in yaml_builder.parse_yaml("f.yaml", text)]
        except FileProblems as exc:
            return [str(p) for p in exc.problems]


def assert_same(text: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """ruamel, libyaml's direct path (where it takes the text) and its general path agree."""
    reference = outcome(text, "ruamel", monkeypatch)
    assert outcome(text, "libyaml", monkeypatch) == reference, text
    assert outcome(text, "libyaml", monkeypatch, direct=False) == reference, text
    return reference


@pytest.fixture(autouse=True, params=["both"])
def yaml_backend(request: pytest.FixtureRequest) -> str:
    """These tests choose the backend themselves (overrides the package's parametrised fixture)."""
    return str(request.param)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_shipped_desired_state_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = path.read_text(encoding="utf-8")
    assert yaml_backends.compose_libyaml(text, MAX_DEPTH) is not None  # libyaml read it itself
    assert yaml_builder._direct_documents("f.yaml", text) is not None  # and the direct path did
    assert assert_same(text, monkeypatch)


def test_the_shipped_desired_state_is_there() -> None:
    assert len(SHIPPED) >= 8


SNIPPETS = [
    # YAML 1.2 core schema: yes/on stay strings, 0o17 is octal, dates stay text
    "a: yes\nb: no\nc: on\nd: 0o17\ne: 017\nf: 0x1F\ng: 1_000\nh: .inf\ni: -.Inf\nj: .nan\nk: 1e3\n"
    "l: 2024-01-01\nm: ~\nn: null\no: ''\np:\nq: True\nr: 1.5\ns: +12\nt: 0b101\n"
    "u: 2001-12-14t21:59:43.10-05:00\n",
    "a: 0.\nb: .5\nc: 1.e+5\nd: -0\ne: 0o\nf: 08\ng: _1\nh: 0x_\ni: Null\nj: FALSE\nk: y\n",
    # explicit tags are kept as written
    "a: !!bool yes\nb: !!int '12'\nc: !!str 12\nd: ! 12\ne: ! '12'\nf: !!float 3\ng: !!null ''\n",
    "a: !!int 0o8\n",
    "a: !!float x\n",
    "a: !!bool maybe\n",
    "a: =\n",
    "a: !custom x\n",
    "!!map {a: 1}\n",
    "!!str [a]\n",
    "!<tag:yaml.org,2002:str> 12\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "- !!binary aGk=\n",
    "a: !!python/object/apply:os.system [echo hi]\n",
    # versions: ruamel switches to YAML 1.1 rules
    "%YAML 1.1\n---\na: yes\nb: 017\n",
    "%YAML 1.2\n---\na: yes\n",
    # anchors, aliases, merges
    "a: &x [1, 2]\nb: *x\n",
    "a: *y\n",
    "a: &x [*x]\n",
    "<<: {a: 1}\nb: 2\n",
    "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\ny:\n  <<: [*b, {c: 4}]\n",
    "&a a: b\n",
    "*a\n",
    # shapes and styles
    "{a: 1, b: [1, 2, {c: d}]}",
    "- a\n- b: c\n  d: e\n- - x\n  - y\n",
    "a: 'it''s'\nb: \"\\u00e9\\t\\/x\"\nc: |\n  lit\n   more\nd: >-\n  fold\n  ed\n\ne: x\n",
    "a: b\n  c\n",
    "a: 'x\n\n  y'\n",
    'a: "x\\\n  y"\n',
    "k: v\r\nk2: [1,\r\n 2]\r\n",
    "a: 😀😀\nb: é: x\n",
    "key with spaces: v\n\"quoted key\": 1\n'1': 2\n1: 3\ntrue: 4\n~: 5\n",
    "? [a]\n: b\n",
    "? a\n: b\n",
    '{"a":1}',
    "[a: b, c]",
    "a: b #c\n#d\n",
    "a: 1\na: 2\n",
    "a:\n  - b\n  -\n  - c\n",
    "-\n-\n",
    "\ufeffa: 1\n",
    "a: b\n\ufeffc: d\n",
    # documents
    "",
    "# only comment\n",
    "---\n",
    "--- a\n--- b\n...\n",
    "a: 1\n...\n---\nb: 2\n",
    # empty values, whose position the two parsers would place differently
    "p:\nq: 1\n",
    "p:\n",
    "p:",
    "p:  ",
    "a:\n  p:\nq: 1\n",
    "p: # c\nq: 1\n",
    "p:\n# c\nq: 1\n",
    "p:\n  # c\nq: 1\n",
    "p:\n\n\nq: 1\n",
    "p:\n&x q: 1\n",
    "p:\n!!str q: 1\n",
    "p:\n'q': 1\n",
    "p:\n? q\n: 1\n",
    "? q\n:\n",
    "? q\n: \nr: 1\n",
    ": v\n",
    "- p:\n- q\n",
    "- p:\n  q:\n",
    "[a: ]",
    "{a: , b: 1}",
    "{a, b}",
    "{a: }",
    "a: !!str\nb: 1\n",
    "a: &x\nb: *x\n",
    "p:\n...\n",
    "p:\n---\nq: 1\n",
    "  p:\n  q:\n",
    "p:\r\nq: 1\r\n",
    "a:\n  b:\n    c:\nd:\n",
    "a: ''\nb: \"\"\n",
    # syntax errors: the same message at the same place
    "a: [b,]\n",
    "a: b: c\n",
    "- [\n",
    "a: {b\n",
    "\x07",
    'a: "\\q"\n',
    "a: - b\n",
    "realm: acme\nclients:\n  - clientId: web\n    redirectUris: [/a\n",
    # characters the parsers read differently
    "a:\tb\n",
    "a: b\t# c\n",
    'a: "x\ty"\n',
    "a: \x85b\n",
    "a: b\u2028c: d\n",
    # nesting
    "[" * 99 + "]" * 99,
    "[" * 100 + "]" * 100,
    "[" * 101 + "]" * 101,
    "[" * 300 + "]" * 300,
    "a:\n" + "".join(" " * (2 * i) + f"- k{i}:\n" for i in range(1, 120)),
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippet_reads_the_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same(text, monkeypatch)


def test_the_core_schema_decides_plain_scalars_not_pyyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(yaml_backends.BACKEND_ENV, "libyaml")
    (doc,) = yaml_builder.parse_yaml(
        "f.yaml", "a: yes\nb: off\nc: 0o17\nd: 017\ne: ~\nf: 1:30\ng: !!bool yes\n"
    )
    assert doc.data == {"a": "yes", "b": "off", "c": 15, "d": 17, "e": None, "f": "1:30", "g": True}


def test_deep_nesting_is_a_problem_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    # libyaml's own (recursive, C) composer crashes the interpreter on this
    text = "[" * 100_000 + "]" * 100_000
    for backend in yaml_backends.BACKENDS:
        monkeypatch.setenv(yaml_backends.BACKEND_ENV, backend)
        with pytest.raises(FileProblems) as raised:
            yaml_builder.parse_yaml("f.yaml", text)
        assert [str(p) for p in raised.value.problems] == ["f.yaml:1:1: YAML is nested too deeply"]


def test_an_alias_bomb_is_bounded_by_both(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    problems = assert_same("\n".join(lines) + "\n", monkeypatch)
    assert "aliases expand this document to" in problems[0]


def test_the_backend_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(yaml_backends.BACKEND_ENV, "ruamel")
    assert yaml_backends.selected_backend() == "ruamel"
    monkeypatch.delenv(yaml_backends.BACKEND_ENV)
    assert yaml_backends.selected_backend() == "libyaml"  # installed with kcr: the default
    monkeypatch.setenv(yaml_backends.BACKEND_ENV, "pyyaml")
    with pytest.raises(KcrError, match="KCR_YAML_BACKEND must be one of"):
        yaml_backends.selected_backend()


# -- generated documents -------------------------------------------------------------------------
TRICKY_TEXTS = [
    "yes", "No", "on", "OFF", "y", "0o17", "017", "0x1f", "1_000", "1e3", ".5", ".inf", ".NaN", "~", "null",
    "", " ", "2024-01-01", "=", "<<", "-", "- a", "a: b", "#x", "a #b", "'", '"', "\\", "1:30", "true",
    "True", "+1", "-0", "é", "😀", "multi\nline", "trail ", " lead", "?", "? x", "[a]", "{a}", "*a", "&a",
    "!x", "%", "@", "`", "|", ">", "a\\tb",
]  # fmt: skip
TRICKY = st.sampled_from(TRICKY_TEXTS)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    TRICKY,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12),
)
KEYS = st.one_of(TRICKY, st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=8))
DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=4)),
    max_leaves=25,
)


def dumped(data: Any, style: int) -> str:
    if style < 3:
        out = io.StringIO()
        dumper = YAML(typ="safe", pure=True)
        dumper.default_flow_style = (False, None, True)[style]
        dumper.dump(data, out)
        return out.getvalue()
    if style == 3:
        text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=False, width=20, indent=4)
    else:
        text = yaml.safe_dump(data, allow_unicode=False, explicit_start=True, canonical=style == 5)
    return str(text)


@PROPERTY
@given(data=DATA, style=st.integers(min_value=0, max_value=5), share=st.booleans())
def test_generated_documents_read_the_same(
    data: Any, style: int, share: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if share and isinstance(data, dict) and data:
        data["shared"] = data[next(iter(data))]  # the dumper writes an anchor and an alias
    assert_same(dumped(data, style), monkeypatch)


FRAGMENT_TEXTS = [
    "\n", "\n", "  ", " ", "- ", "-", ": ", ":", "? ", "[", "]", "{", "}", ", ", "&a ", "*a", "!!str ",
    "!!int ", "!x ", "'", '"', "#c", "|", ">-", "---", "...", "a", "key", "yes", "0o17", "12", "1.5",
    "~", "", "<<", "=", "\r\n", "é", "%YAML 1.1\n", "\\", "null",
]  # fmt: skip
FRAGMENTS = st.sampled_from(FRAGMENT_TEXTS)


@PROPERTY
@given(pieces=st.lists(FRAGMENTS, max_size=30))
def test_random_token_soup_reads_the_same(pieces: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert_same("".join(pieces), monkeypatch)


@PROPERTY
@given(plain=st.one_of(TRICKY, st.text(st.sampled_from("0123456789+-._eEoxbB:~nulNULtrueTRUEfalsFALS=<"))))
def test_core_schema_tags_match_ruamel_yaml_1_2(plain: str) -> None:
    resolver = VersionedResolver(version=(1, 2))
    expected = str(resolver.resolve(ScalarNode, plain, (True, False)))
    assert yaml_backends.core_schema_tag(plain) == expected
