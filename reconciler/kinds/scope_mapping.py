"""Scope mappings: which roles a client or a client scope may put in tokens.

The realm representation writes them in two places, and this kind reads both into one object per
holder (``client:<clientId>`` or ``clientScope:<name>``):

- ``scopeMappings: [{client | clientScope, roles: [realm role names]}]`` -> ``realmRoles``
- ``clientScopeMappings: {roleClientId: [{client | clientScope, roles: [its role names]}]}`` ->
  ``clientRoles.<roleClientId>``

Each declared list is the whole set of that holder's mappings to that role container; a container the
YAML does not name is left alone. Taking an entry out of the YAML leaves Keycloak as it is (there is no
pruning of mappings); ``roles: []`` removes them all.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_kind_scope_mappings.py``):

- The realm's partial export (``kinds/bulk_read.py``) carries every holder's mappings in its
  ``scopeMappings`` and ``clientScopeMappings``: one request for all of them. Without it (no
  ``manage-realm``), ``GET /clients/{id}/scope-mappings`` and ``GET /client-scopes/{id}/scope-mappings``
  answer all mappings of one holder in one request: ``realmMappings`` and
  ``clientMappings.<clientId>.mappings``.
- ``POST``/``DELETE`` ``.../scope-mappings/realm`` and ``.../scope-mappings/clients/{client uuid}`` take
  a list of role representations (``id`` and ``name``) to add or remove.
- A client with ``fullScopeAllowed: true`` (Keycloak's default) puts every role of the user in its tokens
  and ignores its mappings; with ``false`` its tokens carry exactly the mapped roles the user has (plus
  those of its linked client scopes).
- A new realm maps the realm role ``offline_access`` to the client scope ``offline_access`` and the
  ``account`` roles ``manage-account`` and ``view-groups`` to the client ``account-console``
  (``BUILT_IN``); the export leaves them out while they are as Keycloak made them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from pydantic import Field

from reconciler.compare import FieldDiff, equal_as_set
from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, at, problem, shown
from reconciler.desired.representation import Model
from reconciler.desired.representation import Names as NameList
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Reference, Section
from reconciler.kinds.bulk_read import partial_export

REALM_ROLES = "realmRoles"  # the holder's realm-role mappings, from scopeMappings
CLIENT_ROLES = "clientRoles"  # roleClientId -> the holder's mappings to its roles, from clientScopeMappings
HOLDERS = ("client", "clientScope")  # the fields naming a holder, as the realm representation writes them

# What a new realm maps: holder key -> (realm role names, roleClientId -> role names).
BUILT_IN: dict[str, tuple[frozenset[str], dict[str, frozenset[str]]]] = {
    "clientScope:offline_access": (frozenset({"offline_access"}), {}),
    "client:account-console": (frozenset(), {"account": frozenset({"manage-account", "view-groups"})}),
}


class ScopeMapping(Model):
    """Roles one client or client scope may put in tokens: name it by ``client`` or ``clientScope``."""

    required: ClassVar[str | None] = "roles"

    client: str | None = Field(
        None, description="the clientId of the client whose tokens may carry the roles"
    )
    clientScope: str | None = Field(None, description="the name of the client scope that may carry the roles")
    roles: NameList | None = Field(
        None, description="the role names: the whole set for this holder and container"
    )


def holder_key(entry: dict[str, Any]) -> str | None:
    """``client:<clientId>`` or ``clientScope:<name>`` of a declared entry (None when it names none)."""
    for field in HOLDERS:
        if isinstance(entry.get(field), str):
            return f"{field}:{entry[field]}"
    return None


def _holder(key: str) -> tuple[str, str]:
    field, name = key.split(":", 1)
    return field, name


def _mappings_path(ctx: Context, key: str) -> str:
    field, name = _holder(key)
    if field == "client":
        return f"/{seg(ctx.realm)}/clients/{seg(ctx.lookup.require_client_uuid(name))}/scope-mappings"
    scope_id = ctx.lookup.scope_id_map([name], f"scopeMappings: clientScope {name!r}")[name]
    return f"/{seg(ctx.realm)}/client-scopes/{seg(scope_id)}/scope-mappings"


def _role_ids(rep: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """One holder's mappings from ``GET .../scope-mappings``: container ("" for the realm, else the
    clientId) -> role name -> role id."""
    rep = rep or {}
    realm = {str(r["name"]): str(r["id"]) for r in rep.get("realmMappings") or []}
    clients = {
        str(m["client"]): {str(r["name"]): str(r["id"]) for r in m.get("mappings") or []}
        for m in (rep.get("clientMappings") or {}).values()
    }
    return {"": realm, **clients}


def _live(by_container: Mapping[str, Any]) -> Obj:
    """One holder's mappings in the kind's shape, from container -> role names."""
    return {
        REALM_ROLES: sorted(by_container.get("") or []),
        CLIENT_ROLES: {c: sorted(names) for c, names in sorted(by_container.items()) if c and names},
    }


def _from_export(export: Mapping[str, Any]) -> dict[str, dict[str, set[str]]]:
    """Holder key -> container -> role names, from the realm's partial export (every holder's
    mappings in one request)."""
    out: dict[str, dict[str, set[str]]] = {}
    containers = [("", export.get("scopeMappings") or [])]
    containers += list((export.get("clientScopeMappings") or {}).items())
    for container, entries in containers:
        for entry in entries:
            key = holder_key(entry)
            if key is not None:
                out.setdefault(key, {}).setdefault(str(container), set()).update(entry.get("roles") or [])
    return out


class ScopeMappingKind(Kind):
    name = "scope-mapping"
    phase = 45  # after clients, client scopes and roles, which it names
    model = ScopeMapping
    sections = (
        Section("scopeMappings", "list", ScopeMapping),
        Section("clientScopeMappings", "maplist", ScopeMapping),
    )
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("[].client", "client", section="scopeMappings"),
        Reference("[].clientScope", "client-scope", section="scopeMappings"),
        Reference("[].roles[]", "role", section="scopeMappings"),
        Reference("*", "client", section="clientScopeMappings"),
        Reference("*[].client", "client", section="clientScopeMappings"),
        Reference("*[].clientScope", "client-scope", section="clientScopeMappings"),
        Reference("*[].roles[]", "role", section="clientScopeMappings", within=True),
    )
    access = (
        Access("/clients", "view-clients", "manage-clients"),
        Access("/client-scopes", "view-clients", "manage-clients"),
    )
    export_files = ("scope-mappings.yaml",)

    # -- offline checks ---------------------------------------------------------------------------
    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        """Each entry names one holder, once per role container; a declared client whose tokens
        ignore its mappings (``fullScopeAllowed`` not false) is warned about, once."""
        clients = {c.get("clientId"): c for c in realm.spec.get("clients") or [] if isinstance(c, dict)}
        warned: set[str] = set()
        for collection, entries in _entries(realm):
            seen: dict[str, Origin] = {}
            for entry, origin in entries:
                named = [f for f in HOLDERS if isinstance(entry.get(f), str)]
                if len(named) != 1:
                    found.error(
                        origin, (), "a scope mapping names exactly one of client and clientScope", "name one"
                    )
                    continue
                field = named[0]
                key = f"{field}:{entry[field]}"
                if key in seen:
                    found.error(
                        origin,
                        (field,),
                        f"{field} {shown(origin, entry[field], field)} is mapped twice in {collection} "
                        f"(also at {at(seen[key], field)})",
                        "list its roles in one entry",
                    )
                    continue
                seen[key] = origin
                client = clients.get(entry[field]) if field == "client" else None
                if client is not None and client.get("fullScopeAllowed") is not False and key not in warned:
                    warned.add(key)
                    found.warnings.append(_full_scope_warning(origin, str(entry[field]), client))

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        out: dict[str, Obj] = {}
        for entry in realm.spec.get("scopeMappings") or []:
            key = holder_key(entry)
            if key is not None:
                out.setdefault(key, {})[REALM_ROLES] = list(entry.get("roles") or [])
        for role_client, entries in (realm.spec.get("clientScopeMappings") or {}).items():
            for entry in entries or []:
                key = holder_key(entry)
                if key is not None:
                    clients = out.setdefault(key, {}).setdefault(CLIENT_ROLES, {})
                    clients[role_client] = list(entry.get("roles") or [])
        return out

    # -- reading ---------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        """The mappings of every client and scope for an export; else of the declared holders only
        (one GET per holder)."""
        if ctx.read_all:
            keys = [f"client:{c}" for c in ctx.lookup.clients()]
            keys += [f"clientScope:{s}" for s in ctx.lookup.scope_ids()]
        else:
            keys = [k for k in self.declared(ctx.desired) if self._exists(ctx, k)]
        export = partial_export(ctx) if keys else None
        if export is not None:  # every holder's mappings in the one export
            mapped = _from_export(export)
            return {k: _live(mapped.get(k, {})) for k in keys}
        reps = ctx.api.map(lambda k: ctx.api.get(_mappings_path(ctx, k)), keys)
        return {k: _live(_role_ids(rep)) for k, rep in zip(keys, reps, strict=True)}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return _live(_role_ids(ctx.api.get(_mappings_path(ctx, key)))) if self._exists(ctx, key) else None

    @staticmethod
    def _exists(ctx: Context, key: str) -> bool:
        """Whether the holder exists (a holder created by this apply has no mappings yet)."""
        field, name = _holder(key)
        if field == "client":
            return ctx.lookup.client_uuid(name) is not None
        return name in ctx.lookup.scope_ids()

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return key in BUILT_IN

    # -- comparison ------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        diffs: list[FieldDiff] = []
        if REALM_ROLES in desired:
            want, have = desired[REALM_ROLES], live.get(REALM_ROLES) or []
            if not equal_as_set(want, have):
                diffs.append(FieldDiff(REALM_ROLES, have, sorted(set(want))))
        live_clients = live.get(CLIENT_ROLES) or {}
        for role_client, want in (desired.get(CLIENT_ROLES) or {}).items():
            have = live_clients.get(role_client) or []
            if not equal_as_set(want, have):
                diffs.append(FieldDiff(f"{CLIENT_ROLES}.{role_client}", have, sorted(set(want))))
        return diffs

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # The holder was made earlier in this apply; converge from what it has.
        self.update(ctx, key, desired, {}, [])

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        path = _mappings_path(ctx, key)
        current = _role_ids(ctx.api.get(path))  # mappings may have changed since the plan was read
        containers: list[tuple[str | None, list[str]]] = []
        if REALM_ROLES in desired:
            containers.append((None, list(desired[REALM_ROLES])))
        containers += [(c, list(names)) for c, names in (desired.get(CLIENT_ROLES) or {}).items()]
        for role_client, want in containers:
            ids = current.get(role_client or "", {})
            url = f"{path}/realm"
            if role_client is not None:
                url = f"{path}/clients/{seg(ctx.lookup.require_client_uuid(role_client))}"
            remove = sorted(set(ids) - set(want))
            add = sorted(set(want) - set(ids))
            if remove:
                ctx.api.delete(url, [{"id": ids[n], "name": n} for n in remove])
            if add:
                ctx.api.post(url, ctx.lookup.role_reps(role_client, add))
        ctx.live.of(self.name)[key] = _live(_role_ids(ctx.api.get(path)))

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """Remove every mapping of the holder (mappings are never pruned: only reached by a caller
        that means it)."""
        everything: Obj = {REALM_ROLES: [], CLIENT_ROLES: {c: [] for c in live.get(CLIENT_ROLES) or {}}}
        self.update(ctx, key, everything, live, [])

    # -- export ----------------------------------------------------------------------------------
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        realm_entries: list[Obj] = []
        client_entries: dict[str, list[Obj]] = {}
        for key, obj in sorted(live.of(self.name).items()):
            field, name = _holder(key)
            realm_roles = set(obj.get(REALM_ROLES) or [])
            clients = {c: set(n) for c, n in (obj.get(CLIENT_ROLES) or {}).items() if n}
            built_realm, built_clients = BUILT_IN.get(key, (frozenset(), {}))
            if realm_roles != built_realm:
                realm_entries.append({field: name, "roles": sorted(realm_roles)})
            for role_client in sorted(set(clients) | set(built_clients)):
                names = clients.get(role_client, set())
                if names != built_clients.get(role_client, frozenset()):
                    client_entries.setdefault(role_client, []).append({field: name, "roles": sorted(names)})
        doc: Obj = {}
        if realm_entries:
            doc["scopeMappings"] = realm_entries
        if client_entries:
            doc["clientScopeMappings"] = dict(sorted(client_entries.items()))
        return {"scope-mappings.yaml": doc}


def _entries(realm: MergedRealm) -> Iterator[tuple[str, list[tuple[Any, Origin]]]]:
    """(where, its entries with their origins): ``scopeMappings``, then each
    ``clientScopeMappings.<clientId>``."""
    yield "scopeMappings", [(e, o) for e, o in realm.listed("scopeMappings") if isinstance(e, dict)]
    for role_client in realm.map_keys.get("clientScopeMappings", {}):
        where = f"clientScopeMappings.{role_client}"
        yield where, [(e, o) for e, o in realm.listed(where) if isinstance(e, dict)]


def _full_scope_warning(origin: Origin, client_id: str, client: Mapping[str, Any]) -> Problem:
    said = (
        "fullScopeAllowed: true"
        if client.get("fullScopeAllowed")
        else "no fullScopeAllowed (Keycloak's default is true)"
    )
    return problem(
        origin,
        ("client",),
        f"client {client_id!r} has {said}: its tokens carry every role of the user, and Keycloak "
        "ignores its scope mappings",
        "set fullScopeAllowed: false on the client for the mappings to take effect",
    )
