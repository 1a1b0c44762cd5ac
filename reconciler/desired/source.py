"""Finding desired-state files and reading each into documents that remember where each value was
written (``positions.py``), through the YAML builder (``yaml_builder.py``) or, for ``.json`` files, the
JSON parser (``json_parser.py``). Files over ``MAX_FILE_BYTES`` and files that are not UTF-8 are clear
errors, never tracebacks.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.json_parser import parse_json
from reconciler.desired.positions import Document, FileProblems
from reconciler.desired.yaml_builder import parse_yaml
from reconciler.errors import Problem, SourceLocation

MAX_FILE_BYTES = 50 * 1024 * 1024
SUFFIXES = (".yaml", ".yml", ".json")


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
        docs = [parse_json(name, text)] if path.suffix.lower() == ".json" else parse_yaml(name, text)
    except FileProblems as exc:
        return [], exc.problems
    if "${" not in text and "\\" not in text:
        for doc in docs:
            doc.may_reference = False
    return docs, []
