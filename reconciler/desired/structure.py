"""One document's structure: known keys, dropped export-only keys, required keys, types.

``check_document`` walks the document along the models (``representation.py``, the realm document
assembled from the kinds in ``language.py``; how models nest is read from their annotations):
read-only fields are dropped, unmanaged ones are dropped with a warning, unknown keys are errors with
a did-you-mean; then pydantic
checks the types, and its errors are mapped back to file:line:col through the document's positions.
The result is the realm ``spec`` exactly as declared (``exclude_unset``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import ValidationError

from reconciler.desired import representation as m
from reconciler.desired.language import Realm
from reconciler.desired.positions import DocPath, Document, dotted
from reconciler.errors import Problem
from reconciler.kinds import REGISTRY

Shape = tuple[str, type[m.Model]]  # ("object" | "list" | "maplist", model)


def _nested(annotation: Any) -> Shape | None:
    """How a field nests a model: one object, a list of them, or a map of lists of them."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return _nested(args[0])
    if isinstance(annotation, type) and issubclass(annotation, m.Model):
        return ("object", annotation)
    origin = get_origin(annotation)
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], m.Model):
        return ("list", args[0])
    if origin is dict and len(args) == 2 and get_origin(args[1]) is list:
        inner = get_args(args[1])[0]
        if isinstance(inner, type) and issubclass(inner, m.Model):
            return ("maplist", inner)
    return None


def children_of(model: type[m.Model]) -> dict[str, Shape]:
    """The fields of ``model`` that nest other models (read from its annotations), by the name a
    document spells them (the alias, where a field has one)."""
    found = _CHILDREN.get(model)
    if found is None:
        found = _CHILDREN[model] = {
            info.alias or name: shape
            for name, info in model.model_fields.items()
            if (shape := _nested(info.annotation))
        }
    return found


_CHILDREN: dict[type[m.Model], dict[str, Shape]] = {}
_FIELDS: dict[type[m.Model], frozenset[str]] = {}

_TYPE_MESSAGES = {
    "bool_type": ("must be true or false", "write true or false"),
    "bool_parsing": ("must be true or false", "write true or false"),
    "int_type": ("must be a whole number", "write a number without quotes"),
    "int_parsing": ("must be a whole number", "write a number without quotes"),
    "int_from_float": ("must be a whole number", "write a number without a fraction"),
    "string_type": ("must be a string", "quote the value"),
    "list_type": ("must be a list", "write it as a YAML list (- item)"),
    "dict_type": ("must be a mapping", "write it as key: value pairs"),
    "model_type": ("must be a mapping", "write it as key: value pairs"),
    "model_attributes_type": ("must be a mapping", "write it as key: value pairs"),
}


def fields_of(model: type[m.Model]) -> frozenset[str]:
    names = _FIELDS.get(model)
    if names is None:
        # A field may be spelled by its alias (a user-profile attribute's ``required``).
        names = _FIELDS[model] = frozenset(f.alias or name for name, f in model.model_fields.items())
    return names


def did_you_mean(key: str, candidates: frozenset[str]) -> str:
    lowered = {c.lower(): c for c in candidates}
    if key.lower() in lowered:
        return lowered[key.lower()]
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    return close[0] if close else ""


@dataclass
class Checked:
    spec: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[tuple[str, Problem]] = field(default_factory=list)  # (warning key, problem)


class _Cleaner:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.warnings: list[tuple[str, Problem]] = []

    def problem(self, path: DocPath, message: str, hint: str = "", *, key: bool = False) -> None:
        self.problems.append(Problem(message, self.doc.location(path, key=key), dotted(path), hint))

    def clean(self, model: type[m.Model], data: Any, path: DocPath, label: str) -> Any:
        if not isinstance(data, dict):
            return data  # pydantic reports the wrong type
        known = fields_of(model)
        children = children_of(model)
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in known:
                if key == "state" and value == "present":
                    continue
                shape_model = children.get(key)
                out[key] = (
                    value
                    if shape_model is None
                    else self.child(shape_model, value, (*path, key), f"{label}.{key}" if label else key)
                )
            elif key in model.read_only:
                continue
            elif model.is_unmanaged(key):
                what = f"{label}.{key}" if label else key
                self.warnings.append(
                    (
                        what,
                        Problem(
                            "not managed by kcr: accepted and ignored",
                            self.doc.location((*path, key), key=True),
                            dotted((*path, key)),
                            "manage it in Keycloak, or remove it",
                        ),
                    )
                )
            else:
                suggestion = did_you_mean(key, known)
                hint = (
                    f"did you mean {suggestion!r}?"
                    if suggestion
                    else f"known keys: {', '.join(sorted(known - {'state'}))}"
                    if len(known) <= 12
                    else "see `kcr schema` for the known keys"
                )
                self.problem((*path, key), f"unknown key {key!r}", hint, key=True)
        required = model.required
        if required and required not in data:
            self.problem(path, f"missing required key {required!r}", f"add {required}: ...")
        one_of = model.required_one_of
        if one_of and not any(k in data for k in one_of):
            self.problem(path, f"missing required key {one_of[0]!r}", f"add {one_of[0]}: ...")
        model.normalise(out, path, lambda where, message, hint: self.problem(where, message, hint))
        return out

    def child(self, spec: Shape, value: Any, path: DocPath, label: str) -> Any:
        shape, model = spec
        if shape == "object":
            return self.clean(model, value, path, label)
        if shape == "list":
            if not isinstance(value, list):
                return value
            return [self.clean(model, item, (*path, i), f"{label}[]") for i, item in enumerate(value)]
        if not isinstance(value, dict):
            return value
        return {
            k: [self.clean(model, item, (*path, k, i), f"{label}.*[]") for i, item in enumerate(v)]
            if isinstance(v, list)
            else v
            for k, v in value.items()
        }


def check_document(doc: Document) -> Checked:
    """The document's realm spec, or the problems that make it invalid."""
    if not isinstance(doc.data, dict):
        return Checked(
            None,
            [
                Problem(
                    "a document must be a mapping with a 'realm' key",
                    doc.location(()),
                    "",
                    "start the document with realm: <name>",
                )
            ],
        )
    cleaner = _Cleaner(doc)
    cleaned = cleaner.clean(Realm, doc.data, (), "")
    try:
        model = Realm.model_validate(cleaned)
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            cleaner.problems.append(_from_pydantic(doc, error))
        return Checked(None, cleaner.problems, cleaner.warnings)
    if cleaner.problems:
        return Checked(None, cleaner.problems, cleaner.warnings)
    spec = model.model_dump(exclude_unset=True, by_alias=True)
    problems = [p for kind in REGISTRY for p in kind.from_export(spec, doc, cleaner.warnings)]
    if problems:
        return Checked(None, problems, cleaner.warnings)
    return Checked(spec, [], cleaner.warnings)


def _from_pydantic(doc: Document, error: Any) -> Problem:
    path: DocPath = tuple(p for p in error["loc"] if isinstance(p, str | int))
    at_key = bool(path) and path[-1] == "[key]"  # pydantic's marker for "the key of this dict entry"
    if at_key:
        path = path[:-1]
    message, hint = _TYPE_MESSAGES.get(error["type"], (None, ""))
    if message is None:
        message = str(error["msg"]).replace("Input should be", "must be")
    return Problem(message, doc.location(path, key=at_key), dotted(path), hint)
