"""Client scopes (with their protocol mappers) and the realm's default/optional client scope lists.

Admin API behaviour this module relies on (Keycloak 26.7, checked in tests/integration/test_kind_clients.py):

- ``GET /client-scopes`` answers every scope with its mappers in one request (no pagination).
- ``POST /client-scopes`` without ``protocol`` fails with 400 "Unexpected protocol", and a mapper
  without ``protocol`` fails with 409: both default to the scope's protocol (``openid-connect``).
- ``PUT /client-scopes/{id}`` merges ``attributes`` (a ``null`` value removes the key) and never
  touches mappers; mappers have their own endpoints. A mapper PUT needs ``id`` in the body (500
  otherwise) and replaces the mapper's ``config`` wholesale, so undeclared config keys are sent back.
- Scope links (realm defaults and a client's links): a DELETE on either list removes the scope from
  whichever list holds it, and adding a scope to one list while it sits in the other is refused (409,
  realm level) or silently ignored (204, client level). Moving a scope is therefore delete-then-add.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from reconciler.builtins import BUILTIN_CLIENT_SCOPES
from reconciler.compare import FieldDiff, Rules, diff_declared, scalar_to_str
from reconciler.desired.declared import Findings, MergedRealm, Name, Names
from reconciler.desired.representation import ClientScope, Model
from reconciler.desired.state import DesiredRealm
from reconciler.errors import DesiredStateError, Problem
from reconciler.export import defaults
from reconciler.export.values import empty, string_map
from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.base import (
    Access,
    Context,
    Kind,
    LiveRealm,
    Obj,
    Reference,
    Section,
    without_extensions,
)

DEFAULT_PROTOCOL = "openid-connect"


MAPPER_FIELDS = ("id", "name", "protocol", "protocolMapper", "consentRequired", "config")
DEFAULT_LIST = "defaultDefaultClientScopes"
OPTIONAL_LIST = "defaultOptionalClientScopes"


# -- protocol mappers (shared with clients) ------------------------------------------------------
def live_mapper(rep: Mapping[str, Any]) -> Obj:
    return {k: rep[k] for k in MAPPER_FIELDS if k in rep}


def mapper_body(declared: Mapping[str, Any], live: Mapping[str, Any] | None, protocol: str) -> Obj:
    """A full mapper representation: the live one overlaid with the declared fields.

    Keycloak replaces a mapper's config wholesale, so undeclared live config keys are sent back.
    """
    body: Obj = dict(live or {})
    for key, value in declared.items():
        if key == "config" and isinstance(value, Mapping):
            config = dict(body.get("config") or {})
            config.update({k: scalar_to_str(v) for k, v in value.items()})
            body["config"] = {k: v for k, v in config.items() if v is not None}
        else:
            body[key] = value
    body.setdefault("protocol", protocol)
    return body


def reconcile_mappers(
    api: AdminClient, base: str, declared: list[Obj], live: list[Obj], protocol: str, rules: Rules
) -> None:
    """Make the mappers under ``base`` (``.../protocol-mappers/models``) exactly the declared ones."""
    live_by_name = {m.get("name"): m for m in live}
    declared_names = {m.get("name") for m in declared}
    for mapper in live:
        if mapper.get("name") not in declared_names:
            api.delete(f"{base}/{seg(str(mapper['id']))}")
    for mapper in declared:
        current = live_by_name.get(mapper.get("name"))
        if current is None:
            api.post(base, mapper_body(mapper, None, protocol))
        elif diff_declared(mapper, current, rules, "protocolMappers[]", "protocolMappers[]"):
            api.put(f"{base}/{seg(str(current['id']))}", mapper_body(mapper, current, protocol))


# -- scope links (realm defaults and client links) ------------------------------------------------
def reconcile_links(
    ctx: Context,
    where: str,
    *,
    want_default: list[str] | None,
    want_optional: list[str] | None,
    live_default: set[str],
    live_optional: set[str],
    path_default: Callable[[str], str],
    path_optional: Callable[[str], str],
    keep: frozenset[str] = frozenset(),
) -> None:
    """Make the declared link lists true; an undeclared list (None) keeps its links.

    Removals run first: DELETE on either list removes the scope from both, and a scope must leave
    one list before it can join the other. ``keep`` names links Keycloak manages itself.
    """
    default = set(want_default) if want_default is not None else None
    optional = set(want_optional) if want_optional is not None else None
    if default is not None and optional is not None and default & optional:
        both = ", ".join(sorted(default & optional))
        raise DesiredStateError(
            [
                Problem(
                    f"client scope(s) {both} listed as both default and optional",
                    path=where,
                    hint="a scope is either default or optional",
                )
            ]
        )
    remove: set[str] = set()
    add_default: set[str] = set()
    add_optional: set[str] = set()
    if default is not None:
        remove |= (live_default - default) - keep
        add_default = default - live_default
        remove |= add_default & live_optional  # moving from optional to default
    if optional is not None:
        remove |= (live_optional - optional) - keep
        add_optional = optional - live_optional
        remove |= add_optional & live_default  # moving from default to optional
    ids = ctx.lookup.scope_id_map(sorted(remove | add_default | add_optional), where)
    for name in sorted(remove):
        path = path_default if name in live_default else path_optional
        ctx.api.delete(path(ids[name]))
    for name in sorted(add_default):
        ctx.api.put(path_default(ids[name]))
    for name in sorted(add_optional):
        ctx.api.put(path_optional(ids[name]))


# -- client scopes -------------------------------------------------------------------------------
def _live_scope(rep: Mapping[str, Any]) -> Obj:
    obj: Obj = {k: rep[k] for k in ("id", "name", "description", "protocol", "attributes") if k in rep}
    obj["protocolMappers"] = [live_mapper(m) for m in rep.get("protocolMappers") or []]
    return obj


class ClientScopeKind(Kind):
    name = "client-scope"
    phase = 20
    model = ClientScope
    key_field = "name"
    sections = (Section("clientScopes", "list", ClientScope),)
    collection = "clientScopes"
    noun = "client scope"
    text_limits: ClassVar[tuple[str, ...]] = ("name", "description", "protocolMappers[].name")
    access = (Access("/client-scopes", "view-clients", "manage-clients"),)
    export_files = ("client-scopes.yaml",)
    rules: ClassVar[Rules] = Rules(
        string_maps=frozenset({"attributes", "protocolMappers[].config"}),
        keyed_lists={"protocolMappers": "name"},
    )

    def builtin_names(self, realm: str) -> Iterable[Name]:
        return (("", name) for name in BUILTIN_CLIENT_SCOPES)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {s["name"]: dict(s) for s in realm.spec.get("clientScopes") or []}

    def read(self, ctx: Context) -> dict[str, Obj]:
        reps = ctx.api.get(f"/{seg(ctx.realm)}/client-scopes") or []
        ctx.live.ids.scope_ids = {r["name"]: r["id"] for r in reps}
        return {r["name"]: _live_scope(r) for r in reps}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return self.read(ctx).get(key)

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return key in BUILTIN_CLIENT_SCOPES

    def _record(self, ctx: Context, key: str, scope_id: str) -> None:
        rep = ctx.api.get(f"/{seg(ctx.realm)}/client-scopes/{seg(scope_id)}")
        ctx.live.of(self.name)[key] = _live_scope(rep)
        if ctx.live.ids.scope_ids is not None:
            ctx.live.ids.scope_ids[key] = scope_id

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        body = without_extensions(desired)
        protocol = str(body.setdefault("protocol", DEFAULT_PROTOCOL))
        if "attributes" in body:
            body["attributes"] = {k: scalar_to_str(v) for k, v in body["attributes"].items() if v is not None}
        if "protocolMappers" in body:
            body["protocolMappers"] = [mapper_body(m, None, protocol) for m in body["protocolMappers"]]
        scope_id = ctx.api.create(f"/{seg(ctx.realm)}/client-scopes", body)
        self._record(ctx, key, scope_id)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        scope_id = str(live["id"])
        path = f"/{seg(ctx.realm)}/client-scopes/{seg(scope_id)}"
        if any(not d.path.startswith("protocolMappers") for d in diffs):
            rep: Obj = ctx.api.get(path)
            rep.pop("protocolMappers", None)
            for field, value in desired.items():
                if field == "protocolMappers":
                    continue
                if field == "attributes" and isinstance(value, Mapping):
                    # Keycloak merges attributes; a null value removes the key.
                    rep["attributes"] = {k: scalar_to_str(v) for k, v in value.items()}
                else:
                    rep[field] = value
            ctx.api.put(path, rep)
        if "protocolMappers" in desired:
            protocol = str(desired.get("protocol") or live.get("protocol") or DEFAULT_PROTOCOL)
            reconcile_mappers(
                ctx.api,
                f"{path}/protocol-mappers/models",
                desired["protocolMappers"],
                live.get("protocolMappers") or [],
                protocol,
                self.rules,
            )
        self._record(ctx, key, scope_id)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(f"/{seg(ctx.realm)}/client-scopes/{seg(str(live['id']))}")
        if ctx.live.ids.scope_ids is not None:
            ctx.live.ids.scope_ids.pop(key, None)

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        out = []
        for name, scope in sorted(live.of(self.name).items()):
            if self.is_builtin(name, scope, live.name):
                continue
            protocol = str(scope.get("protocol") or DEFAULT_PROTOCOL)
            obj: dict[str, Any] = {"name": name, "protocol": protocol}
            if not empty(scope.get("description")):
                obj["description"] = scope["description"]
            attributes = string_map(scope.get("attributes"))
            if attributes:
                obj["attributes"] = attributes
            mappers = export_mappers(scope, protocol)
            if mappers:
                obj["protocolMappers"] = mappers
            out.append(obj)
        return {"client-scopes.yaml": {"clientScopes": out}}


def export_mapper(live: Mapping[str, Any], parent_protocol: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if live.get("protocol") and live["protocol"] != parent_protocol:
        out["protocol"] = live["protocol"]
    for field in ("protocolMapper", "consentRequired", "consentText"):
        value = live.get(field)
        if not empty(value) and defaults.PROTOCOL_MAPPER.get(field) != value:
            out[field] = value
    config = string_map(live.get("config"))
    if config:
        out["config"] = config
    return out


def export_mappers(live: Mapping[str, Any], protocol: str) -> list[dict[str, Any]]:
    """The protocol mappers of a scope or client, sorted by name (shared with the client kind)."""
    mappers = (export_mapper(m, protocol) for m in live.get("protocolMappers") or [])
    return sorted(mappers, key=lambda m: m["name"])


# -- the realm's default and optional client scopes ----------------------------------------------
class DefaultClientScopesKind(Kind):
    """The scopes every new client gets: one object per realm, each list authoritative when declared."""

    name = "default-client-scopes"
    phase = 25
    model = Model  # its one object per realm is the two lists below
    sections = (Section(DEFAULT_LIST, "names"), Section(OPTIONAL_LIST, "names"))
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("[]", "client-scope", section=DEFAULT_LIST),
        Reference("[]", "client-scope", section=OPTIONAL_LIST),
    )
    access = (
        Access("/default-default-client-scopes", "view-realm", "manage-realm"),
        Access("/default-optional-client-scopes", "view-realm", "manage-realm"),
    )
    export_files = ("client-scopes.yaml",)
    rules: ClassVar[Rules] = Rules(sets=frozenset({DEFAULT_LIST, OPTIONAL_LIST}))

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/{self.name}"

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        for key in (DEFAULT_LIST, OPTIONAL_LIST):
            found.listed_twice(realm, key, "client scope")

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        lists = {k: list(realm.spec[k] or []) for k in (DEFAULT_LIST, OPTIONAL_LIST) if k in realm.spec}
        return {realm.name: lists} if lists else {}

    def read(self, ctx: Context) -> dict[str, Obj]:
        base = f"/{seg(ctx.realm)}"
        default = ctx.api.get(f"{base}/default-default-client-scopes") or []
        optional = ctx.api.get(f"{base}/default-optional-client-scopes") or []
        return {
            ctx.realm: {
                DEFAULT_LIST: sorted(s["name"] for s in default),
                OPTIONAL_LIST: sorted(s["name"] for s in optional),
            }
        }

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return self.read(ctx).get(key)

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # The realm was just created with Keycloak's defaults: converge from those.
        current = self.read(ctx)[key]
        self.update(ctx, key, desired, current, [])

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        base = f"/{seg(ctx.realm)}"
        current = self.read(ctx)[key]  # links may have moved since the plan was read
        reconcile_links(
            ctx,
            DEFAULT_LIST,
            want_default=desired.get(DEFAULT_LIST),
            want_optional=desired.get(OPTIONAL_LIST),
            live_default=set(current[DEFAULT_LIST]),
            live_optional=set(current[OPTIONAL_LIST]),
            path_default=lambda i: f"{base}/default-default-client-scopes/{seg(i)}",
            path_optional=lambda i: f"{base}/default-optional-client-scopes/{seg(i)}",
        )
        ctx.live.of(self.name)[key] = self.read(ctx)[key]

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """The realm's lists cannot be deleted; ``state: absent`` on them means nothing."""

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        return {"client-scopes.yaml": export_realm_lists(live.of(self.name).get(live.name) or {})}


def export_realm_lists(lists: Mapping[str, Any]) -> dict[str, list[str]]:
    """The realm's default and optional scope lists, when they differ from a new realm's."""
    out: dict[str, list[str]] = {}
    for key, default in (
        (DEFAULT_LIST, defaults.DEFAULT_DEFAULT_CLIENT_SCOPES),
        (OPTIONAL_LIST, defaults.DEFAULT_OPTIONAL_CLIENT_SCOPES),
    ):
        names = set(lists.get(key) or [])
        if key in lists and names != default:
            out[key] = sorted(names)
    return out
