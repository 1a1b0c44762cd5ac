"""A realm export's user profile, lifted into the readable key ``userProfile``.

Keycloak's realm export (the admin console's partial export, ``kc.sh export``) writes a changed user
profile as a component: ``components["org.keycloak.userprofile.UserProfileProvider"][0]`` with the whole
UPConfig as one JSON string in ``config["kc.user.profile.config"][0]`` (an untouched realm has none).
``lift_user_profile`` turns that component into ``userProfile`` before the document's structure is
checked, so an export applies as written and every check of the first-class key applies to it. The
lifted values have no lines of their own: problems inside them point at the JSON string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.positions import MAX_DEPTH, DocPath, Document, Marks, Pos, dotted
from reconciler.errors import Problem, SourceLocation

PROVIDER_TYPE = "org.keycloak.userprofile.UserProfileProvider"
CONFIG_KEY = "kc.user.profile.config"
KEY = "userProfile"
FORMS_HINT = (
    f"declare the profile once: keep either userProfile or the {PROVIDER_TYPE} component of components"
)


@dataclass
class Lifted:
    """What lifting one document did: its problems, and where the component's profile was written."""

    problems: list[Problem] = field(default_factory=list)
    location: SourceLocation | None = None


def lift_user_profile(doc: Document) -> Lifted:
    data = doc.data
    components = data.get("components") if isinstance(data, dict) else None
    if not isinstance(components, dict) or PROVIDER_TYPE not in components:
        return Lifted()
    base: DocPath = ("components", PROVIDER_TYPE)
    entries = components[PROVIDER_TYPE]
    if entries in (None, []):
        _drop(data, components)
        return Lifted()
    if not isinstance(entries, list) or len(entries) != 1:
        return _failed(doc, base, "must be a list of one user profile component", "keep one component")
    config = entries[0].get("config") if isinstance(entries[0], dict) else None
    value = config.get(CONFIG_KEY) if isinstance(config, dict) else None
    path: DocPath = (*base, 0, "config", CONFIG_KEY)
    if isinstance(value, list) and len(value) == 1:
        value, path = value[0], (*path, 0)
    if not isinstance(value, str):
        return _failed(
            doc,
            path,
            f"the user profile component needs config.{CONFIG_KEY}: [one JSON string]",
            "write it as a realm export does, or declare the profile as userProfile",
        )
    try:
        profile = json.loads(value)
    except RecursionError:
        return _failed(doc, path, f"{CONFIG_KEY} is nested too deeply", "flatten it")
    except json.JSONDecodeError as exc:
        return _failed(
            doc,
            path,
            f"{CONFIG_KEY} is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno} of the JSON)",
            "fix the JSON, or declare the profile as userProfile",
        )
    if not isinstance(profile, dict):
        return _failed(doc, path, f"{CONFIG_KEY} must hold a JSON object", "write the UPConfig object")
    if KEY in data:
        declared = doc.location((KEY,), key=True)
        return _failed(
            doc, base, f"the user profile is also declared as userProfile at {declared}", FORMS_HINT
        )
    at = doc.position(path)
    if not _mark(doc, profile, at, 0):
        return _failed(doc, path, f"{CONFIG_KEY} is nested deeper than {MAX_DEPTH} levels", "flatten it")
    location = doc.location(path)
    root = doc.marks.get(id(data))
    if root is not None:
        root.keys[KEY] = root.values[KEY] = at
    data[KEY] = profile
    _drop(data, components)
    return Lifted(location=location)


def declared_twice(
    lifted: list[tuple[Document, str, SourceLocation]], documents: list[tuple[Document, dict[str, Any]]]
) -> list[Problem]:
    """A profile lifted from a component is the whole profile: a ``userProfile`` of the same realm in
    another document is an error (merged, the two would silently add up)."""
    problems = []
    for lifted_doc, realm, where in lifted:
        for doc, spec in documents:
            if doc is lifted_doc or spec.get("realm") != realm or KEY not in spec:
                continue
            problems.append(
                Problem(
                    f"realm {realm!r} declares its user profile twice: here and as the component at {where}",
                    doc.location((KEY,), key=True),
                    KEY,
                    FORMS_HINT,
                )
            )
    return problems


def _failed(doc: Document, path: DocPath, message: str, hint: str) -> Lifted:
    return Lifted([Problem(message, doc.location(path), dotted(path), hint)])


def _drop(data: dict[str, Any], components: dict[str, Any]) -> None:
    del components[PROVIDER_TYPE]
    if not components:
        del data["components"]


def _mark(doc: Document, node: Any, at: Pos, depth: int) -> bool:
    """Every key and value inside the lifted profile is "written" at the JSON string."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(node, dict):
        doc.marks[id(node)] = Marks(at, dict.fromkeys(node, at), dict.fromkeys(node, at))
        return all(_mark(doc, v, at, depth + 1) for v in node.values())
    if isinstance(node, list):
        doc.marks[id(node)] = Marks(at, {}, dict.fromkeys(range(len(node)), at))
        return all(_mark(doc, v, at, depth + 1) for v in node)
    return True
