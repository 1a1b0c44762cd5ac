"""``${env:NAME}`` and ``${file:path}`` substitution inside string values.

- ``${env:NAME}``: the environment variable; unset is an error (an empty value is allowed), or, when
  the caller collects ``notes`` (``kcr validate``, which needs no secret), a note, the reference left
  as written.
- ``${file:path}``: the file's text (UTF-8), relative to the directory of the YAML file that uses it;
  one trailing newline is removed (secret files usually end with one).
- ``$${`` writes a literal ``${``.
- ``${name}`` without a colon is left as it is: that is Keycloak's own placeholder syntax, which exports
  are full of (``${role_offline-access}``, ``${client_account}``, ``${authBaseUrl}``).
- ``${other:...}`` (an unknown provider, e.g. a typo like ``${evn:X}``) is an error: nothing else is
  evaluated.

Substituted text may be a secret: it never appears in a message, and the positions of changed values
are recorded on the document so later checks do not quote them either.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from reconciler.desired.positions import DocPath, Document, dotted
from reconciler.errors import Problem

MAX_SUBSTITUTED_FILE_BYTES = 1024 * 1024
_REF = re.compile(r"\$\$\{|\$\{([A-Za-z][A-Za-z0-9_-]*):([^}]*)\}|\$\{[A-Za-z][A-Za-z0-9_-]*:")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute(
    doc: Document, env: Mapping[str, str] | None = None, notes: list[Problem] | None = None
) -> list[Problem]:
    """Replace every reference in ``doc.data`` in place; return the problems found. With ``notes``,
    an unset variable is a note there instead of a problem."""
    environ = os.environ if env is None else env
    base = Path(doc.file).parent
    problems: list[Problem] = []

    def expand(text: str, path: DocPath) -> str:
        def one(match: re.Match[str]) -> str:
            whole = match.group(0)
            if whole == "$${":
                return "${"
            kind, arg = match.group(1), match.group(2)
            if kind is None:
                problems.append(
                    Problem(
                        "unterminated ${ reference",
                        doc.location(path),
                        dotted(path),
                        "close it with } or write $${ for a literal ${",
                    )
                )
            elif kind == "env" and _NAME.fullmatch(arg):
                value = environ.get(arg)
                if value is not None:
                    return value
                if notes is not None:
                    doc.unresolved.add(doc.position(path))
                    notes.append(
                        Problem(
                            f"environment variable {arg} is not set: checked without its value",
                            doc.location(path),
                            dotted(path),
                            f"plan and apply need {arg}",
                        )
                    )
                    return whole
                problems.append(
                    Problem(
                        f"environment variable {arg} is not set",
                        doc.location(path),
                        dotted(path),
                        f"set {arg}, or remove the reference",
                    )
                )
            elif kind == "env":
                problems.append(
                    Problem(
                        "${env:...} needs a variable name (letters, digits, _)",
                        doc.location(path),
                        dotted(path),
                        "write ${env:NAME}",
                    )
                )
            elif kind == "file" and arg:
                return read_file(arg, path) or ""
            elif kind == "file":
                problems.append(
                    Problem(
                        "${file:...} needs a path",
                        doc.location(path),
                        dotted(path),
                        "write ${file:relative/path}",
                    )
                )
            else:
                problems.append(
                    Problem(
                        f"unknown substitution ${{{kind}:...}}",
                        doc.location(path),
                        dotted(path),
                        "use ${env:NAME} or ${file:path}; write $${ for a literal ${",
                    )
                )
            return whole

        return _REF.sub(one, text)

    def read_file(name: str, path: DocPath) -> str | None:
        target = base / name
        try:
            if target.stat().st_size > MAX_SUBSTITUTED_FILE_BYTES:
                problems.append(Problem(f"file {name} is larger than 1 MB", doc.location(path), dotted(path)))
                return None
            text = target.read_bytes().decode("utf-8")
        except FileNotFoundError:
            problems.append(
                Problem(
                    f"file {name} does not exist (looked in {base or '.'})",
                    doc.location(path),
                    dotted(path),
                    "paths are relative to the directory of this YAML file",
                )
            )
            return None
        except UnicodeDecodeError:
            problems.append(Problem(f"file {name} is not UTF-8 text", doc.location(path), dotted(path)))
            return None
        except OSError as exc:
            problems.append(
                Problem(f"cannot read file {name}: {exc.strerror}", doc.location(path), dotted(path))
            )
            return None
        return text.removesuffix("\n").removesuffix("\r")

    def walk(node: Any, path: DocPath) -> None:
        items: Any = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                if "${" in value:
                    new = expand(value, (*path, key))
                    if new != value:
                        node[key] = new
                        doc.substituted.add(doc.position((*path, key)))
            elif isinstance(value, dict | list):
                walk(value, (*path, key))

    if doc.may_reference and isinstance(doc.data, dict | list):
        walk(doc.data, ())
    return problems
