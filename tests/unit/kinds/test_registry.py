"""Every registered kind describes itself completely: a kind that forgets part of its description
fails here, not in a user's hands. The checks walk the registry, so a new kind is checked too."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.desired.language import LIST_KEYS, PRUNABLE_COLLECTIONS, Realm
from reconciler.desired.schema import json_schema
from reconciler.export.files import FILE_ORDER
from reconciler.keycloak.client import permission_hint
from reconciler.kinds import REGISTRY, Kind

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
        assert (section.shape == "names") == (section.model is None), f"{kind.name}: {section.key}'s model"
        if section.shape != "object":
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
