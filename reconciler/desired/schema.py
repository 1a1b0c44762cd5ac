"""The JSON Schema (draft 2020-12) of the desired-state language, for editors (YAML language server).

Generated from the pydantic models, then widened where the loader is more lenient than the models'
strict types: string maps accept YAML booleans and numbers, multi-valued attributes accept a bare
value, organization members may be export objects, domains may be plain strings, and the keys that
exports write but kcr ignores are allowed (described as ignored), so an export validates in the editor.
"""

from __future__ import annotations

from typing import Any

from reconciler.desired import representation as m
from reconciler.desired.language import POLICY_KEY, Realm
from reconciler.desired.structure import children_of

SCHEMA_ID = "https://keycloak-reconciler.dev/schema/desired-state.json"
_IGNORED = "Written by Keycloak exports; not managed by kcr: accepted and ignored."
_SCALAR = {"type": ["string", "boolean", "number"]}


def _models(root: type[m.Model]) -> list[type[m.Model]]:
    """``root`` and every model nested in it."""
    found: list[type[m.Model]] = []
    todo = [root]
    while todo:
        model = todo.pop()
        if model not in found:
            found.append(model)
            todo.extend(nested for _, nested in children_of(model).values())
    return found


def _non_null(prop: dict[str, Any]) -> dict[str, Any]:
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            return dict(branch)
    return prop


def _widen(prop: dict[str, Any]) -> None:
    target = _non_null(prop)
    extra = target.get("additionalProperties")
    if target.get("type") != "object" or not isinstance(extra, dict):
        return
    if extra.get("type") == "string":
        target["additionalProperties"] = _SCALAR
    elif extra.get("type") == "array" and extra.get("items", {}).get("type") == "string":
        target["additionalProperties"] = {"anyOf": [{"type": "array", "items": _SCALAR}, _SCALAR]}
    else:
        return
    if "anyOf" in prop:
        prop["anyOf"] = [target if b.get("type") != "null" else b for b in prop["anyOf"]]
    else:
        prop.update(target)


def json_schema() -> dict[str, Any]:
    generated = Realm.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = generated.pop("$defs", {})
    defs["Realm"] = generated
    for model in _models(Realm):
        definition = defs[model.__name__]
        props: dict[str, Any] = definition.setdefault("properties", {})
        for prop in props.values():
            _widen(prop)
        for key in sorted(model.read_only | model.unmanaged):
            props.setdefault(key, {"description": _IGNORED})
        # Users are named by username or, for a service account, by its client: no one required key.
        if model.required:
            definition["required"] = [model.required]
    org = defs["Organization"]["properties"]
    for key, name_field in (("members", "username"), ("identityProviders", "alias")):
        org[key] = {
            "description": org[key].get("description", ""),
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": "string"},
                    {
                        "type": "object",
                        "properties": {name_field: {"type": "string"}},
                        "required": [name_field],
                    },
                ]
            },
        }
    org["domains"] = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/Domain"}]}}
    defs["Realm"]["properties"][POLICY_KEY]["description"] = (
        "kcr extension: what the reconciler may delete in this realm (taken out of the realm spec)."
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "kcr desired state: one Keycloak realm (Keycloak's realm representation)",
        "$ref": "#/$defs/Realm",
        "$defs": dict(sorted(defs.items())),
    }
