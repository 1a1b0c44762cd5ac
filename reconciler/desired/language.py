"""The desired-state language, derived from the kinds' registry: the realm document's model (the
realm's settings, each kind's sections, the ``policy`` block), the prunable collections, the keys
whose lists several files concatenate, and the field naming an object in each collection.

A kind added to the registry (``reconciler/kinds/__init__.py``) is in the language, the structure
checks, the merge, the JSON Schema and the policy block without any change here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from reconciler.desired import representation as m
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Section

POLICY_KEY = "policy"  # kcr extension: taken out of the realm spec into DesiredRealm.policy

SECTIONS: tuple[Section, ...] = tuple(s for kind in REGISTRY for s in kind.sections)
# Policy collection names, as the realm representation names its lists (policy.prune, pruneUnmanaged).
PRUNABLE_COLLECTIONS: tuple[str, ...] = tuple(k.collection for k in REGISTRY if k.collection)
# Realm document keys whose lists from several files are concatenated.
LIST_KEYS: frozenset[str] = frozenset(s.key for s in SECTIONS if s.shape in ("list", "names"))
# Realm document keys holding a map of lists; the lists under one map key are concatenated.
MAPLIST_KEYS: frozenset[str] = frozenset(s.key for s in SECTIONS if s.shape == "maplist")
# The field naming an object of each list section ("clients" -> "clientId"), for source locations.
KEY_FIELDS: dict[str, str] = {
    s.key: kind.key_field for kind in REGISTRY for s in kind.sections if kind.key_field and s.shape == "list"
}

_collection: Any = Literal.__getitem__(PRUNABLE_COLLECTIONS)

PolicyModel: type[m.Model] = create_model(
    "PolicyModel",
    __base__=m.Model,
    __doc__="kcr extension: what the reconciler may delete in this realm.",
    prune=(
        list[_collection] | None,
        Field(
            None, description="collections whose kcr-managed objects that are no longer declared are deleted"
        ),
    ),
    pruneUnmanaged=(
        dict[_collection, list[str]] | None,
        Field(None, description="hand-made objects that may be deleted too: collection -> glob patterns"),
    ),
    maxDeletes=(
        int | None,
        Field(None, ge=0, description="a plan deleting more objects needs --allow-mass-delete"),
    ),
)
PolicyModel.read_only = frozenset()


def _section_type(section: Section) -> Any:
    if section.shape == "names":
        return m.Names | None
    if section.shape == "map":
        return dict[str, section.values] | None  # type: ignore[name-defined]
    assert section.model is not None, f"section {section.key!r} needs a model"
    if section.shape == "list":
        return list[section.model] | None  # type: ignore[name-defined]
    if section.shape == "maplist":
        return dict[str, list[section.model]] | None  # type: ignore[name-defined]
    return section.model | None


Realm: type[m.Model] = create_model(  # type: ignore[call-overload]
    "Realm",
    __base__=m.RealmSettings,
    __doc__="One realm document. ``realm`` (its name) is required in every document.",
    **{s.key: (_section_type(s), None) for s in SECTIONS},
    **{POLICY_KEY: (PolicyModel | None, None)},
)

Realm.unmanaged = m.ignored_keys(Realm)  # a kind's section is never "accepted and ignored"

# Every key of the realm document that is not a realm setting.
DOCUMENT_KEYS: frozenset[str] = frozenset({*(s.key for s in SECTIONS), POLICY_KEY})
