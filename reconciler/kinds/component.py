"""Components (``components`` of the realm representation, by provider type): LDAP user federation
(``org.keycloak.storage.UserStorageProvider``) with its mappers (``subComponents`` of type
``org.keycloak.storage.ldap.mappers.LDAPStorageMapper``), and key providers
(``org.keycloak.keys.KeyProvider``). A component is named by its provider type, its parent and its
name, never by id: keys are ``key-provider/<name>``, ``user-storage/<name>`` and
``user-storage/<provider>/<mapper>`` (``component_types.py``).

How Keycloak 26.7 handles them (proven in ``tests/integration/test_kind_components.py``):

- ``GET /components`` lists every component of the realm (all parents, all types) with ``config`` as
  lists of strings: one request reads them all. Top-level components have the realm's id as parent.
- ``POST /components`` makes one; ``PUT /components/{id}`` takes the whole representation, and keeps
  a stored config key that the body leaves out; an update GETs it, overlays the declared config keys
  and PUTs it whole. Names are not unique to Keycloak (a second POST makes a second component).
- Secrets never read back in clear: an LDAP provider's ``bindCredential`` and an imported key's
  ``privateKey`` read back as ``**********`` (a PUT with the mask keeps the stored value); a generated
  key's ``secret`` or private key is not in ``config`` at all. kcr cannot compare them: a declared
  secret is written at creation and with every other update of its component, never shown.
- Creating an LDAP provider makes its default mappers (username, email, first and last name, creation
  and modify date, a Kerberos principal mapper, ...), and every realm is made with four key providers
  (``rsa-generated``, ``rsa-enc-generated``, ``hmac-generated-hs512``, ``aes-generated``). These
  built-ins are never pruned nor listed as unmanaged; declared, they are compared and updated, and
  ``state: absent`` deletes them. Deleting an LDAP provider deletes its mappers and every user it
  imported (``federationLink`` = its id), with their memberships: the plan shows each (tested with
  users imported by a full sync).
- ``GET /users`` of a realm with an LDAP provider searches the directory and imports what it finds
  (``/users/count`` counts only what is imported already); it has no filter by federation link.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import ConfigDict, Field

from reconciler.compare import FieldDiff, Rules, diff_declared, str_list
from reconciler.desired.declared import Declared, Findings, MergedRealm, Names
from reconciler.desired.representation import ListMap, Model, Resource
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError
from reconciler.export.values import env_name, list_map
from reconciler.export.yaml_text import Hint
from reconciler.keycloak.client import seg
from reconciler.kinds.base import STATE_KEY, Access, Cascade, Context, Kind, LiveRealm, Obj, Section
from reconciler.kinds.component_checks import check_component
from reconciler.kinds.component_types import (
    ALL_SECRETS,
    BY_PROVIDER_TYPE,
    BY_TAG,
    CHILDREN,
    KEY_PROVIDER,
    LDAP_MAPPER,
    LDAP_MAPPERS,
    TOP_LEVEL,
    USER_STORAGE,
    ComponentType,
    is_builtin,
    split_key,
)
from reconciler.kinds.user import FEDERATION_LINK, UserKind

SUBCOMPONENTS = "subComponents"
FIELDS = ("name", "providerId", "subType", "config")


def _is_provider_type(key: str) -> bool:
    # Any other provider type (a Java interface name) is accepted and ignored with a warning.
    return "." in key


# In the JSON Schema too: other provider types are allowed (and described as ignored).
OTHER_TYPES = ConfigDict(
    json_schema_extra={
        "additionalProperties": {"description": "another provider type: accepted and ignored by kcr"}
    }
)


class Component(Resource):
    """One component: ``name`` names it within its parent and provider type."""

    required: ClassVar[str | None] = "name"
    read_only: ClassVar[frozenset[str]] = frozenset({"id", "parentId", "providerType", SUBCOMPONENTS})

    name: str | None = None
    providerId: str | None = Field(
        None, description="the provider: ldap, rsa-generated, group-ldap-mapper, ..."
    )
    subType: str | None = None
    config: ListMap | None = Field(
        None,
        description="key -> list of strings (a single value may be written bare); secrets are write-only",
    )


class LdapSubComponents(Model):
    """The children of an LDAP provider, by provider type."""

    model_config = OTHER_TYPES

    mappers: list[Component] | None = Field(None, alias=LDAP_MAPPER)

    @classmethod
    def is_unmanaged(cls, key: str) -> bool:
        return _is_provider_type(key)


class UserStorageComponent(Component):
    """An LDAP (or other user storage) provider and its mappers."""

    read_only: ClassVar[frozenset[str]] = frozenset({"id", "parentId", "providerType"})

    subComponents: LdapSubComponents | None = Field(
        None, description="its mappers: a declared mapper is compared; others are left alone"
    )


class Components(Model):
    """``components`` by provider type; kcr manages user storage (LDAP) and key providers."""

    model_config = OTHER_TYPES

    userStorage: list[UserStorageComponent] | None = Field(None, alias=USER_STORAGE)
    keyProviders: list[Component] | None = Field(None, alias=KEY_PROVIDER)

    @classmethod
    def is_unmanaged(cls, key: str) -> bool:
        return _is_provider_type(key)


def _path(ctx: Context, component_id: str = "") -> str:
    base = f"/{seg(ctx.realm)}/components"
    return f"{base}/{seg(component_id)}" if component_id else base


def _live(rep: dict[str, Any]) -> Obj:
    obj: Obj = {k: rep[k] for k in FIELDS if rep.get(k) is not None}
    obj["config"] = dict(rep.get("config") or {})
    obj["id"] = rep["id"]
    return obj


def _as_stored(spec: Obj) -> Obj:
    """A declared component with its config values as Keycloak stores them (lists of strings; the
    loader makes them so, a spec built in code may not)."""
    if not isinstance(spec.get("config"), dict):
        return dict(spec)
    return {**spec, "config": {k: str_list(v) for k, v in spec["config"].items()}}


def _without_secrets(spec: Obj) -> Obj:
    if "config" not in spec:
        return spec
    return {**spec, "config": {k: v for k, v in (spec["config"] or {}).items() if k not in ALL_SECRETS}}


def _declared_secrets(spec: Obj) -> list[str]:
    return sorted(k for k in spec.get("config") or {} if k in ALL_SECRETS)


class ComponentKind(Kind):
    name = "component"
    phase = 55  # after groups and roles (LDAP mappers name them), before users
    model = Components
    key_field = "name"
    sections = (Section("components", "object", Components),)
    collection = "components"
    access = (Access("/components", "view-realm", "manage-realm"),)
    export_files = ("components.yaml",)
    rules: ClassVar[Rules] = Rules(
        list_maps=frozenset({"config"}), secrets=frozenset(f"config.{s}" for s in ALL_SECRETS)
    )

    noun = "component"

    # -- desired ---------------------------------------------------------------------------------
    def declared_objects(self, realm: MergedRealm) -> Iterator[Declared]:
        """Every declared component and LDAP mapper; a name is unique within its scope (the provider
        type's tag, or the parent's key for a mapper)."""
        for ctype in TOP_LEVEL:
            collection = f"components.{ctype.provider_type}"
            for spec, origin in realm.listed(collection):
                if not isinstance(spec, dict):
                    continue
                name = spec.get("name") if isinstance(spec.get("name"), str) else None
                yield Declared(name, spec, origin, collection, ctype.tag)
                child_type = CHILDREN.get(ctype.provider_type)
                children = (spec.get(SUBCOMPONENTS) or {}) if child_type is not None else {}
                if name is None or child_type is None or not isinstance(children, dict):
                    continue
                doc, path = origin
                for j, child in enumerate(children.get(child_type.provider_type) or []):
                    if isinstance(child, dict):
                        child_name = child.get("name") if isinstance(child.get("name"), str) else None
                        where = (doc, (*path, SUBCOMPONENTS, child_type.provider_type, j))
                        yield Declared(
                            child_name, child, where, f"{collection}.{name}", f"{ctype.tag}/{name}"
                        )

    def describe(self, scope: str) -> tuple[str, str]:
        tag, _, parent = scope.partition("/")
        if parent:
            return f"mapper {{}} of {parent!r}", "declare it under the provider's subComponents"
        ctype = BY_TAG.get(tag)
        return (
            f"component {{}} of type {ctype.provider_type if ctype else tag}",
            "declare it under components",
        )

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        absent_parents: set[str] = set()
        for obj in self.declared_objects(realm):
            ctype = BY_TAG[obj.scope] if "/" not in obj.scope else LDAP_MAPPERS
            absent = obj.spec.get(STATE_KEY) == "absent" or obj.scope in absent_parents
            if absent and "/" not in obj.scope and obj.name is not None:
                absent_parents.add(f"{obj.scope}/{obj.name}")
            check_component(obj, ctype, absent=absent, found=found)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        components = realm.spec.get("components") or {}
        out: dict[str, Obj] = {}
        for ctype in TOP_LEVEL:
            for spec in components.get(ctype.provider_type) or []:
                key = f"{ctype.tag}/{spec['name']}"
                out[key] = _as_stored({k: v for k, v in spec.items() if k != SUBCOMPONENTS})
                children = (spec.get(SUBCOMPONENTS) or {}).get(LDAP_MAPPER) or []
                for child in children:
                    # The children of a provider declared absent go with it.
                    absent = spec.get(STATE_KEY) == "absent"
                    out[f"{key}/{child['name']}"] = _as_stored(
                        {**child, STATE_KEY: "absent"} if absent else child
                    )
        return out

    # -- live ------------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        realm_id = str(ctx.lookup.realm_rep()["id"])
        reps = sorted(ctx.api.get(_path(ctx)) or [], key=lambda r: str(r.get("id")))
        out: dict[str, Obj] = {}
        parents: dict[str, tuple[str, ComponentType]] = {}  # component id -> (key, type)
        for rep in reps:
            ctype = BY_PROVIDER_TYPE.get(str(rep.get("providerType")))
            if ctype is None or rep.get("parentId") != realm_id:
                continue
            key = f"{ctype.tag}/{rep['name']}"
            out.setdefault(key, _live(rep))  # of two with one name, the first by id
            parents[str(rep["id"])] = (key, ctype)
        for rep in reps:
            parent = parents.get(str(rep.get("parentId")))
            if parent is None:
                continue
            child_type = CHILDREN.get(parent[1].provider_type)
            if child_type is None or rep.get("providerType") != child_type.provider_type:
                continue
            out.setdefault(f"{parent[0]}/{rep['name']}", _live(rep))
        return out

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return is_builtin(key, live.get("providerId"))

    # -- comparison ------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        # Secrets read back masked or not at all: they say nothing about the stored value.
        return diff_declared(_without_secrets(desired), live, self.rules)

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        prefix = f"{key}/"
        mappers = [
            Cascade(self.name, child, "a mapper is deleted with its LDAP provider")
            for child in sorted(ctx.live.of(self.name))
            if child.startswith(prefix)
        ]
        return mappers + self._imported_users(ctx, key, live)

    def _imported_users(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        """The users a user-storage provider imported: Keycloak deletes them with it (memberships and
        role mappings too). The Admin API cannot list users by federation link (``GET /users``
        ignores a ``federationLink`` parameter, tested), but the plan has read every user already,
        with the link: counted from that, no request."""
        ctype, name, parent = split_key(key)
        if ctype.provider_type != USER_STORAGE or parent is not None:
            return []
        why = f"a user imported from LDAP provider {name} is deleted with it, with its memberships"
        users = ctx.live.of(UserKind.name)
        return [
            Cascade(UserKind.name, username, why)
            for username, user in sorted(users.items())
            if user.get(FEDERATION_LINK) == live.get("id")
        ]

    def delete_note(self, key: str, live: Obj, cascades: list[Cascade]) -> str:
        users = sum(1 for c in cascades if c.kind == UserKind.name)
        if not users:
            return ""
        _, name, _ = split_key(key)
        plural = "user" if users == 1 else "users"
        return f"deletes {users} {plural} imported from LDAP provider {name} (and their memberships)"

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        ctype, name, parent = split_key(key)
        parent_id = self._parent_id(ctx, parent)
        provider_type = ctype.provider_type
        # A built-in made by Keycloak with the realm or the LDAP provider since the plan was made.
        existing = self._find(ctx, provider_type, parent_id, name)
        if existing is not None:
            self._put(ctx, existing, desired)
            return
        if not desired.get("providerId"):
            raise KcrError(f"component {key!r}: declare its providerId (Keycloak needs it to create one)")
        body: Obj = {k: desired[k] for k in FIELDS if k in desired}
        body.update({"name": name, "providerType": provider_type, "parentId": parent_id})
        ctx.api.post(_path(ctx), body)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        self._put(ctx, ctx.api.get(_path(ctx, str(live["id"]))), desired)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(_path(ctx, str(live["id"])))

    def _put(self, ctx: Context, stored: Obj, desired: Obj) -> None:
        # The whole component, the declared config keys over the stored ones (a masked secret that is
        # not declared goes back as the mask, which keeps the stored secret).
        rep = dict(stored)
        for k in ("providerId", "subType"):
            if k in desired:
                rep[k] = desired[k]
        rep["config"] = {**(stored.get("config") or {}), **(desired.get("config") or {})}
        ctx.api.put(_path(ctx, str(stored["id"])), rep)

    def _parent_id(self, ctx: Context, parent: str | None) -> str:
        if parent is None:
            return str(ctx.lookup.realm_rep()["id"])
        known = ctx.live.of(self.name).get(parent)
        if known is not None:
            return str(known["id"])
        ctype, name, _ = split_key(parent)
        found = self._find(ctx, ctype.provider_type, str(ctx.lookup.realm_rep()["id"]), name)
        if found is None:
            raise KcrError(f"component {parent!r} is not in Keycloak: its mappers cannot be made")
        return str(found["id"])

    def _find(self, ctx: Context, provider_type: str, parent_id: str, name: str) -> Obj | None:
        params = {"parent": parent_id, "type": provider_type, "name": name}
        found = [r for r in ctx.api.get(_path(ctx), params) or [] if r.get("name") == name]
        return min(found, key=lambda r: str(r["id"])) if found else None

    # -- export ----------------------------------------------------------------------------------
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        objects = live.of(self.name)
        components: Obj = {}
        for ctype in TOP_LEVEL:
            items = []
            for key, obj in sorted(objects.items()):
                kind, name, parent = split_key(key)
                if parent is not None or kind is not ctype or _unchanged_builtin(ctype, name, obj):
                    continue
                item = export_component(obj, ctype, key)
                mappers = [export_component(c, LDAP_MAPPERS, k) for k, c in _children(objects, key)]
                if mappers:
                    item[SUBCOMPONENTS] = {LDAP_MAPPER: mappers}
                items.append(item)
            if items:
                components[ctype.provider_type] = items
        return {"components.yaml": {"components": components}}


def _children(objects: dict[str, Obj], key: str) -> Iterator[tuple[str, Obj]]:
    prefix = f"{key}/"
    return ((k, v) for k, v in sorted(objects.items()) if k.startswith(prefix))


def _unchanged_builtin(ctype: ComponentType, name: str, live: Obj) -> bool:
    builtin = ctype.builtins.get(name)
    if builtin is None:
        return False
    provider_id, config = builtin
    return live.get("providerId") == provider_id and list_map(live.get("config")) == list_map(config)


def export_component(live: Obj, ctype: ComponentType, key: str) -> Obj:
    """What a component declares: its config without secrets (a hint comment names the declared
    form of a masked one)."""
    out: Obj = {k: live[k] for k in ("name", "providerId", "subType") if live.get(k) is not None}
    config: Obj = {}
    for name, values in sorted((live.get("config") or {}).items()):
        if name in ctype.secrets:
            if values:
                config[name] = Hint(f'["${{env:{env_name(key, name)}}}"]')
            continue
        if values:
            config[name] = list(values)
    if config:
        out["config"] = config
    return out
