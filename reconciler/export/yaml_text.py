"""Writing exported documents as YAML: a fixed key order, and comments where a secret was left out.

Pure functions, no I/O. The export builder (``files.py``) hands over plain data; this module only
decides how it looks, so that the same data always gives the same bytes:

- map keys: identifying keys first (``realm``, ``clientId``, ``name``, ``username``, ...), in that
  order, then the others alphabetically. Lists keep the order the builder gave them (it sorts lists
  whose order means nothing and keeps the order of lists Keycloak keeps ordered).
- a ``Hint`` value stands for a field that the export leaves out on purpose (a secret): the key is not
  written, and a comment at its place shows the line to add, e.g. ``# secret: ${env:X_CLIENT_SECRET}``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

# Identifying keys, written first and in this order; every other key follows alphabetically.
IDENTITY_KEYS = ("realm", "clientId", "serviceAccountClientId", "username", "name", "alias")
_PLACEHOLDER = "__kcr_export_hint_{}__"
_HINT_LINE = re.compile(r"^(?P<indent>[ ]*)(?P<key>[^\n]*?): __kcr_export_hint_(?P<n>[0-9]+)__$", re.M)


@dataclass(frozen=True)
class Hint:
    """A field left out of the export; ``value`` is what to write after ``key:`` to manage it."""

    value: str


def ordered_keys(keys: list[str]) -> list[str]:
    first = [k for k in IDENTITY_KEYS if k in keys]
    return first + sorted(k for k in keys if k not in IDENTITY_KEYS)


def _arrange(value: Any, hints: list[Hint]) -> Any:
    """A copy with map keys in their fixed order and every ``Hint`` replaced by a placeholder."""
    if isinstance(value, Hint):
        hints.append(value)
        return _PLACEHOLDER.format(len(hints) - 1)
    if isinstance(value, Mapping):
        keys = ordered_keys([str(k) for k in value])
        # A commented-out first key would leave a list item without its "- ": hints go last then.
        if keys and isinstance(value[keys[0]], Hint):
            keys = [k for k in keys if not isinstance(value[k], Hint)] + [
                k for k in keys if isinstance(value[k], Hint)
            ]
        return {k: _arrange(value[k], hints) for k in keys}
    if isinstance(value, list | tuple):
        return [_arrange(v, hints) for v in value]
    return value


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # long values stay on one line: a diff shows the whole value
    yaml.default_flow_style = False
    return yaml


def dump_document(document: Mapping[str, Any], header: str | None = None) -> str:
    """One YAML document; ``header`` lines become comments at its top."""
    hints: list[Hint] = []
    arranged = _arrange(document, hints)
    buffer = io.StringIO()
    _yaml().dump(arranged, buffer)
    text = buffer.getvalue()

    # Each placeholder stands alone as the value of its key: that line becomes the comment.
    def comment(match: re.Match[str]) -> str:
        return f"{match['indent']}# {match['key']}: {hints[int(match['n'])].value}"

    text = _HINT_LINE.sub(comment, text)
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text
    return text


def dump_stream(documents: list[tuple[str, Mapping[str, Any]]]) -> str:
    """Several documents as one multi-document stream, each preceded by a comment naming its file."""
    parts = [dump_document(doc, header=name) for name, doc in documents]
    return "---\n" + "---\n".join(parts) if parts else ""
