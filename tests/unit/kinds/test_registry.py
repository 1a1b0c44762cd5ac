"""Every registered kind describes itself completely: a kind that forgets part of its description
fails here, not in a user's hands. The checks walk the registry, so a new kind is checked too."""

from __future__ import annotations

import json
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import create_model

from reconciler.desired import load
from reconciler.desired import representation as m
from reconciler.desired.checks import parts_of
from reconciler.desired.language import LIST_KEYS, MAPLIST_KEYS, PRUNABLE_COLLECTIONS, Realm
from reconciler.desired.representation import Model
from reconciler.desired.schema import json_schema
from reconciler.export.files import FILE_ORDER
from reconciler.keycloak.client import permission_hint
from reconciler.kinds import REGISTRY, Kind, by_name
from reconciler.kinds.base import Reference

KINDS = pytest.mark.parametrize("kind", REGISTRY, ids=lambda k: k.name)
COLLECTION_KINDS = pytest.mark.parametrize(
    "kind", [k for k in REGISTRY if k.collection], ids=lambda k: k.name
)


def _schema_realm() -> dict[str, Any]:
    schema = json_schema()
    realm: dict[str, Any] = schema["$defs"]["Realm"]
    return realm


def test_kind_names_and_phases_are_unique() -> None:
    assert len({k.name for k in REGISTRY}) == len(REGISTRY)
    assert [k.phase for k in REGISTRY] == sorted(k.phase for k in REGISTRY), "the registry is in phase order"


@KINDS
def test_sections_are_in_the_language_and_the_json_schema(kind: Kind) -> None:
    properties = _schema_realm()["properties"]
    for section in kind.sections:
        assert section.key in Realm.model_fields, f"{kind.name}: {section.key} is not in the realm model"
        assert section.key in properties, f"{kind.name}: {section.key} is not in the JSON Schema"
        assert (section.shape in ("names", "map")) == (section.model is None), (
            f"{kind.name}: {section.key}'s model"
        )
        assert (section.shape == "map") == (section.values is not None), (
            f"{kind.name}: {section.key}'s values"
        )
        if section.shape == "map":
            continue  # declared once, like a realm setting
        if section.shape == "maplist":
            assert section.key in MAPLIST_KEYS, f"{kind.name}: {section.key} would not merge across files"
        elif section.shape != "object":
            assert section.key in LIST_KEYS, f"{kind.name}: {section.key} would not merge across files"


@COLLECTION_KINDS
def test_a_collection_is_a_section_of_the_kind_and_prunable(kind: Kind) -> None:
    assert kind.collection in {s.key for s in kind.sections}, f"{kind.name}: collection is not its section"
    assert kind.collection in PRUNABLE_COLLECTIONS
    policy = json_schema()["$defs"]["PolicyModel"]["properties"]
    prune_enum = policy["prune"]["anyOf"][0]["items"]["enum"]
    assert kind.collection in prune_enum, f"{kind.name}: policy.prune does not accept {kind.collection}"
    assert kind.key_field, f"{kind.name}: a collection needs the field that names its objects"


@KINDS
def test_has_export_files(kind: Kind) -> None:
    assert kind.export_files, f"{kind.name} declares no export file"
    for name in kind.export_files:
        assert name.endswith(".yaml")
        assert name in FILE_ORDER


@KINDS
def test_has_read_and_write_permission_hints(kind: Kind) -> None:
    assert kind.access, f"{kind.name} does not say which realm-management roles it needs"
    for access in kind.access:
        assert access.read, f"{kind.name}: {access.path} lacks a read role"
        assert access.write, f"{kind.name}: {access.path} lacks a write role"
        url = f"http://kc/admin/realms/r{access.path}/x"
        assert access.read in permission_hint("GET", url), f"{kind.name}: GET {access.path}"
        assert access.write in permission_hint("PUT", url), f"{kind.name}: PUT {access.path}"


@COLLECTION_KINDS
def test_the_required_key_of_its_objects_is_required_in_the_schema(kind: Kind) -> None:
    definition = json_schema()["$defs"][kind.model.__name__]
    assert definition.get("required", []) == ([kind.model.required] if kind.model.required else [])


def test_the_realm_name_is_required_in_the_schema() -> None:
    assert _schema_realm()["required"] == ["realm"]


def _field_type(model: type[Model], parts: list[str]) -> Any:
    """The type a reference path ends at in ``model`` (None if a step does not exist)."""
    annotation: Any = model
    for i, part in enumerate(parts):
        annotation = _unwrap(annotation)
        if part == "[]":
            if get_origin(annotation) is not list:
                return None
            annotation = get_args(annotation)[0]
        elif part == "*":
            if get_origin(annotation) is not dict:
                return None
            # the last step names the map's keys; any other goes into its values
            annotation = get_args(annotation)[0 if i == len(parts) - 1 else 1]
        elif isinstance(annotation, type) and issubclass(annotation, Model):
            fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
            if part not in fields:
                return None
            annotation = fields[part].annotation
        else:
            return None
    return _unwrap(annotation)


def _unwrap(annotation: Any) -> Any:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return args[0]
    return annotation


REFERENCES = [(kind, ref) for kind in REGISTRY for ref in kind.references]


REFERENCE_IDS = [f"{k.name}:{r.section}.{r.field}".replace(":.", ":") for k, r in REFERENCES]


@pytest.mark.parametrize(("kind", "ref"), REFERENCES, ids=REFERENCE_IDS)
def test_a_reference_names_a_registered_kind_and_an_existing_field(kind: Kind, ref: Reference) -> None:
    target = by_name(ref.to)  # KeyError: not a registered kind
    assert target.noun, f"{kind.name}: {ref.to} is referred to, so it must say how messages name it (noun)"
    parts = parts_of(ref.field)
    if ref.section:
        section = next((s for s in kind.sections if s.key == ref.section), None)
        model: Any = section.model if section and section.model else m.Names
        if section is None:
            settings = m.RealmSettings.model_fields
            assert ref.section in settings, f"{kind.name}: {ref.section} is no section of it, nor a setting"
            found = _field_type(m.RealmSettings, [ref.section, *parts])
        elif section.shape == "object":
            assert parts[1:] == ["*"], f"{kind.name}: in an object section, only <field>.*"
            found = _field_type(model, parts)
        elif section.shape == "maplist":
            assert parts == ["*"] or parts[:2] == ["*", "[]"], f"{kind.name}: in a map of lists, * or *[]..."
            found = _field_type(model, parts[2:]) if parts[2:] else str
        else:
            assert parts[0] == "[]", f"{kind.name}: a path in the list section {ref.section} starts with []"
            found = _field_type(model, parts[1:]) if section.model else str
    else:
        found = _field_type(kind.model, parts)
    assert found is str, f"{kind.name}: {ref.field} is not a field holding names (found {found})"
    if ref.within:
        outer = ref.field.rsplit("*", 1)[0] + "*"
        assert outer in {r.field for r in kind.references}, f"{kind.name}: {ref.field} needs {outer} declared"


@KINDS
def test_section_keys_are_never_in_the_ignored_list(kind: Kind) -> None:
    """A key that a kind owns is never "accepted and ignored", even while the plain list of keys no
    kind manages yet still names it."""
    for section in kind.sections:
        assert section.key not in Realm.unmanaged, f"{section.key} is owned by {kind.name}"
        assert section.key not in m.RealmSettings.unmanaged, f"{section.key} is owned by {kind.name}"


def test_a_key_that_a_kind_comes_to_own_leaves_the_ignored_list() -> None:
    """A new kind whose section key is still in the plain list of keys no kind manages yet: the key is
    managed, not ignored; the other keys stay ignored."""
    listed = sorted(m.NOT_MANAGED_YET)[0]
    fields: dict[str, Any] = {listed: (list[str] | None, None)}
    owning = create_model("OwningRealm", __base__=m.RealmSettings, **fields)
    assert listed not in m.ignored_keys(owning)
    assert m.ignored_keys(owning) == m.NOT_MANAGED_YET - {listed} - set(m.RealmSettings.model_fields)


def test_declared_sections_are_not_warned_about_and_ignored_keys_are(tmp_path: Path) -> None:
    document: dict[str, Any] = {"realm": "r", "clientTemplates": []}
    document |= {
        s.key: {} if s.shape in ("object", "maplist", "map") else []
        for kind in REGISTRY
        for s in kind.sections
    }
    (tmp_path / "realm.json").write_text(json.dumps(document), encoding="utf-8")
    state = load([str(tmp_path)], env={})
    assert [w.path for w in state.warnings] == ["clientTemplates"]


@KINDS
def test_text_limits_name_fields_of_the_model(kind: Kind) -> None:
    fields = set(kind.model.model_fields)
    for limited in kind.text_limits:
        name = limited.split("[]", 1)[0].removesuffix("{}")
        assert name in fields, f"{kind.name}: text_limits names {limited}, no field of {kind.model.__name__}"
    if kind.named_in_urls:
        assert kind.collection, f"{kind.name}: named in URLs but has no collection"
        assert kind.key_field, f"{kind.name}: named in URLs by which field?"
