"""Clients: their settings, attributes, protocol mappers, secret and client scope links.

Admin API behaviour this module relies on (Keycloak 26.7, checked in tests/integration/test_kind_clients.py):

- ``GET /clients`` (with ``first``/``max``) answers full representations, the ``secret`` of
  confidential and bearer-only clients in clear text, and scope links by name.
- ``POST /clients`` with neither ``publicClient`` nor ``bearerOnly`` makes a *confidential* client with
  a generated secret; ``directAccessGrantsEnabled`` defaults to false. Declared
  ``defaultClientScopes``/``optionalClientScopes`` replace the realm defaults, and declaring only one
  of them leaves the other EMPTY; unknown scope names are silently dropped. Enabling the service
  account adds the ``service_account`` scope to the default links.
- Before 26.1 (``versions.SERVICE_ACCOUNT_SCOPE``) enabling the service account puts the mappers
  Client ID, Client Host and Client IP Address on the client itself: Keycloak's own unless declared,
  like the ``service_account`` link later.
- ``PUT /clients/{id}``: a null field keeps its value; ``attributes`` merge (null or "" removes a key);
  ``protocolMappers``, when present, replaces the mapper set matched by protocol+name (matches keep
  their id); the scope lists are ignored (links have their own endpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from reconciler.builtins import BUILTIN_CLIENT_SCOPES, BUILTIN_CLIENTS
from reconciler.compare import FieldDiff, Rules, diff_declared, scalar_to_str
from reconciler.desired.declared import Findings, MergedRealm, Name, Names
from reconciler.desired.positions import Document
from reconciler.desired.representation import Client
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.export import defaults
from reconciler.export.values import empty, env_name, exported_fields, string_map
from reconciler.export.yaml_text import Hint
from reconciler.keycloak.client import seg
from reconciler.kinds.admin_permissions import ADMIN_PERMISSIONS
from reconciler.kinds.admin_permissions import export_settings as export_admin_permissions
from reconciler.kinds.authorization import AuthorizationKind, export_settings
from reconciler.kinds.base import (
    STATE_KEY,
    Access,
    Cascade,
    Context,
    Kind,
    LiveRealm,
    Obj,
    Reference,
    Section,
    without_extensions,
)
from reconciler.kinds.client_checks import check_client_secrets, check_clients
from reconciler.kinds.client_scope import (
    DEFAULT_LIST,
    DEFAULT_PROTOCOL,
    OPTIONAL_LIST,
    ClientScopeKind,
    DefaultClientScopesKind,
    export_mappers,
    live_mapper,
    mapper_body,
    reconcile_links,
)
from reconciler.versions import IMPORT_MAKES_CLIENTS_AS_POST, has
from reconciler.versions import SERVICE_ACCOUNT_SCOPE as SCOPE_FOR_SERVICE_ACCOUNTS

DEFAULT_SCOPES = "defaultClientScopes"
OPTIONAL_SCOPES = "optionalClientScopes"
LINK_FIELDS = (DEFAULT_SCOPES, OPTIONAL_SCOPES)
AUTHORIZATION = "authorizationSettings"  # the authorization kind's: never compared or sent here
# Keycloak links this scope itself while the service account is enabled.
SERVICE_ACCOUNT_SCOPE = "service_account"
# What Keycloak before 26.1 puts on a client when its service account is enabled.
SERVICE_ACCOUNT_MAPPERS = frozenset({"Client ID", "Client Host", "Client IP Address"})
MADE_BY_KEYCLOAK = "_madeByKeycloak"  # live-only mark of a built-in Keycloak makes on request
OVERRIDES = "authenticationFlowBindingOverrides"  # by flow alias here; Keycloak stores flow ids
NOISE = ("access",)  # read-only parts of a GET that are never compared nor sent back
# Booleans a GET leaves out when false (the only one on 26.7: tests/integration/test_realm_file_defects.py).
OMITTED_WHEN_FALSE = ("authorizationServicesEnabled",)
# Keycloak's realm import gives every client it makes ``post.logout.redirect.uris: "+"`` (post-logout
# redirects to the redirect URIs), even when the body says "" or null; ``POST /clients`` leaves it out.
# Keycloak 26.0 to 26.7 treat both alike (tests/integration/test_realm_import.py logs out both ways:
# redirect URIs allowed, others refused), so a live "+" reads as no attribute and a declared "+" is
# met by either: one comparison and one export whichever way the client was made, and no PUT per
# client after an import.
POST_LOGOUT = "post.logout.redirect.uris"
SAME_AS_REDIRECTS = "+"


def _live_client(rep: Mapping[str, Any], ctx: Context) -> Obj:
    obj: Obj = {k: v for k, v in rep.items() if k not in NOISE}
    attributes = rep.get("attributes")
    if isinstance(attributes, Mapping) and attributes.get(POST_LOGOUT) == SAME_AS_REDIRECTS:
        obj["attributes"] = {k: v for k, v in attributes.items() if k != POST_LOGOUT}
    # A realm with adminPermissionsEnabled has a client that Keycloak made and names in the realm's
    # adminPermissionsClient ("admin-permissions"): a built-in, never pruned nor reported unmanaged.
    realm_rep = ctx.live.ids.realm or {}
    if rep.get("id") and rep["id"] == (realm_rep.get("adminPermissionsClient") or {}).get("id"):
        obj[MADE_BY_KEYCLOAK] = True
    obj["protocolMappers"] = [live_mapper(m) for m in rep.get("protocolMappers") or []]
    if rep.get(OVERRIDES):
        aliases = {flow_id: alias for alias, flow_id in ctx.lookup.flow_ids().items()}
        obj[OVERRIDES] = {k: aliases.get(v, v) for k, v in rep[OVERRIDES].items() if v}
    for flag in OMITTED_WHEN_FALSE:
        obj.setdefault(flag, False)
    obj.setdefault(DEFAULT_SCOPES, [])
    obj.setdefault(OPTIONAL_SCOPES, [])
    return obj


def _override_ids(
    ctx: Context, key: str, aliases: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, str]:
    """The overrides as Keycloak stores them (flow ids); a stored one not declared is sent as "",
    which is how Keycloak removes it (its PUT merges the map)."""
    where = f"clients[{key}].{OVERRIDES}"
    out = dict.fromkeys(stored, "")
    out.update({k: ctx.lookup.flow_id(str(v), f"{where}.{k}") if v else "" for k, v in aliases.items()})
    return out


def _string_map(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: scalar_to_str(v) for k, v in values.items()}


def _kept_links(desired: Mapping[str, Any]) -> frozenset[str]:
    """Links that Keycloak manages unless the user declares them."""
    declared = set(desired.get(DEFAULT_SCOPES) or []) | set(desired.get(OPTIONAL_SCOPES) or [])
    return frozenset() if SERVICE_ACCOUNT_SCOPE in declared else frozenset({SERVICE_ACCOUNT_SCOPE})


def _kept_mappers(ctx: Context, desired: Mapping[str, Any], live: Mapping[str, Any]) -> frozenset[str]:
    """Mappers that Keycloak manages unless the user declares them (service accounts before 26.1)."""
    if not live.get("serviceAccountsEnabled") or has(ctx.api.server_info(), SCOPE_FOR_SERVICE_ACCOUNTS):
        return frozenset()
    declared = {m.get("name") for m in desired.get("protocolMappers") or [] if isinstance(m, Mapping)}
    return SERVICE_ACCOUNT_MAPPERS - declared


class ClientKind(Kind):
    name = "client"
    phase = 30
    model = Client
    key_field = "clientId"
    sections = (Section("clients", "list", Client),)
    collection = "clients"
    noun = "client"
    text_limits: ClassVar[tuple[str, ...]] = (
        "clientId",
        "name",
        "description",
        "rootUrl",
        "adminUrl",
        "baseUrl",
        "redirectUris[]",
        "webOrigins[]",
        "protocolMappers[].name",
    )
    declare_hint = "declare the client under clients"
    references: ClassVar[tuple[Reference, ...]] = (
        Reference(f"{DEFAULT_SCOPES}[]", ClientScopeKind.name),
        Reference(f"{OPTIONAL_SCOPES}[]", ClientScopeKind.name),
        Reference(f"{OVERRIDES}.browser", "authentication-flow"),
        Reference(f"{OVERRIDES}.direct_grant", "authentication-flow"),
    )
    access = (Access("/clients", "view-clients", "manage-clients"),)
    export_files = ("clients.yaml",)
    # Each client's writes go to that client (its representation, mappers, scope links).
    parallel_writes = True
    rules: ClassVar[Rules] = Rules(
        sets=frozenset({"redirectUris", "webOrigins", DEFAULT_SCOPES, OPTIONAL_SCOPES}),
        string_maps=frozenset({"attributes", "protocolMappers[].config"}),
        keyed_lists={"protocolMappers": "name"},
        # The rotated secret and SAML private keys live in attributes: never shown in a plan.
        secrets=frozenset(
            {
                "secret",
                "registrationAccessToken",
                "attributes.client.secret.rotated",
                "attributes.saml.signing.private.key",
                "attributes.saml.encryption.private.key",
            }
        ),
    )

    # -- desired / live --------------------------------------------------------------------------
    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        # A client's authorizationSettings are the authorization kind's objects (after roles and users).
        return {
            c["clientId"]: {k: v for k, v in c.items() if k != AUTHORIZATION}
            for c in realm.spec.get("clients") or []
        }

    def builtin_names(self, realm: str) -> Iterable[Name]:
        return (("", client_id) for client_id in BUILTIN_CLIENTS)

    def from_export(
        self, spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]
    ) -> list[Problem]:
        return check_client_secrets(spec, doc, warnings)

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_clients(realm, names[ClientScopeKind.name], found)

    def read(self, ctx: Context) -> dict[str, Obj]:
        reps = ctx.api.get_paged(f"/{seg(ctx.realm)}/clients")
        ctx.live.ids.record_clients(reps)
        return {r["clientId"]: _live_client(r, ctx) for r in reps}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        reps = ctx.api.get(f"/{seg(ctx.realm)}/clients", {"clientId": key}) or []
        for rep in reps:
            if rep.get("clientId") == key:
                ctx.live.ids.client_uuids[key] = str(rep["id"])
                return _live_client(rep, ctx)
        return None

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        if key in BUILTIN_CLIENTS or live.get(MADE_BY_KEYCLOAK):
            return True
        # The master realm holds one "<realm>-realm" client per realm, made by Keycloak.
        realm_client = (live.get("attributes") or {}).get("realm_client") == "true"
        return realm == "master" and key.endswith("-realm") and realm_client

    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        desired = _without_default_post_logout(desired)
        kept = _kept_links(desired)
        view = {**live, **{f: [s for s in live.get(f) or [] if s not in kept] for f in LINK_FIELDS}}
        kept_mappers = _kept_mappers(ctx, desired, live)
        if kept_mappers:
            view["protocolMappers"] = [
                m for m in view["protocolMappers"] if m.get("name") not in kept_mappers
            ]
        diffs = diff_declared({k: v for k, v in desired.items() if k != OVERRIDES}, view, self.rules)
        if OVERRIDES in desired:  # the whole map: an override left out is removed
            want, have = desired[OVERRIDES] or {}, live.get(OVERRIDES) or {}
            diffs += [
                FieldDiff(f"{OVERRIDES}.{k}", have.get(k), want.get(k))
                for k in sorted({*want, *have})
                if (want.get(k) or None) != (have.get(k) or None)
            ]
        return diffs

    # -- writes ----------------------------------------------------------------------------------
    import_exact_since = IMPORT_MAKES_CLIENTS_AS_POST

    def add_to_realm_import(self, realm: DesiredRealm, body: Obj) -> list[str]:
        """Declared OpenID Connect clients that the import makes as ``create`` would: without a service
        account, authorization services or flow overrides (their users, resource servers and flows
        come later), and with scope links that do not depend on what later phases change (both lists
        naming built-in scopes, or neither while the realm's default lists stay Keycloak's)."""
        realm_lists_declared = any(k in realm.spec for k in (DEFAULT_LIST, OPTIONAL_LIST))
        carried: list[Obj] = []
        for key, spec in self.declared(realm).items():
            if spec.get(STATE_KEY) == "absent" or key in BUILTIN_CLIENTS:
                continue
            if not _importable(spec, realm_lists_declared):
                continue
            carried.append(self._create_body(spec))
        if carried:
            body["clients"] = [*(body.get("clients") or []), *carried]
        return [c["clientId"] for c in carried]

    def _create_body(self, desired: Obj) -> Obj:
        body = {k: v for k, v in without_extensions(desired).items() if k != AUTHORIZATION}
        protocol = str(body.get("protocol") or DEFAULT_PROTOCOL)
        if isinstance(body.get("attributes"), Mapping):
            body["attributes"] = {k: v for k, v in _string_map(body["attributes"]).items() if v is not None}
        if "protocolMappers" in body:
            body["protocolMappers"] = [mapper_body(m, None, protocol) for m in body["protocolMappers"]]
        return body

    def _path(self, ctx: Context, client_uuid: str) -> str:
        return f"/{seg(ctx.realm)}/clients/{seg(client_uuid)}"

    def _record(self, ctx: Context, key: str) -> Obj | None:
        fresh = self.read_one(ctx, key)
        if fresh is not None:
            ctx.live.of(self.name)[key] = fresh
        return fresh

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        body = self._create_body(desired)
        if body.get(OVERRIDES):
            body[OVERRIDES] = _override_ids(ctx, key, body[OVERRIDES], {})
        # Keycloak applies the scope lists on create, but one list declared alone empties the other,
        # and unknown names are dropped silently: post both or neither, after checking the names.
        links_in_body = all(f in body for f in LINK_FIELDS)
        if links_in_body:
            names = [*body[DEFAULT_SCOPES], *body[OPTIONAL_SCOPES]]
            ctx.lookup.scope_id_map(names, f"clients[{key}]")
        else:
            for field in LINK_FIELDS:
                body.pop(field, None)
        new_id = ctx.api.create(f"/{seg(ctx.realm)}/clients", body)
        ctx.live.ids.client_uuids[key] = new_id
        fresh = self._record(ctx, key)
        if fresh is not None and not links_in_body and any(f in desired for f in LINK_FIELDS):
            self._reconcile_links(ctx, key, desired, fresh)
            self._record(ctx, key)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        path = self._path(ctx, str(live["id"]))
        rep: Obj | None = None
        if any(not d.path.startswith(LINK_FIELDS) for d in diffs):
            rep = ctx.api.get(path)
            body = self._update_body(rep, desired, _kept_mappers(ctx, desired, rep))
            if OVERRIDES in desired:
                body[OVERRIDES] = _override_ids(ctx, key, desired[OVERRIDES] or {}, rep.get(OVERRIDES) or {})
            ctx.api.put(path, body)
        if any(d.path.startswith(LINK_FIELDS) for d in diffs):
            current = _live_client(rep if rep is not None else ctx.api.get(path), ctx)
            self._reconcile_links(ctx, key, desired, current)
        self._record(ctx, key)

    def _update_body(self, rep: Obj, desired: Obj, kept_mappers: frozenset[str] = frozenset()) -> Obj:
        """The client as read, with the declared fields laid over it (Keycloak's PUT needs it whole);
        ``kept_mappers`` are Keycloak's own and stay."""
        body: Obj = {k: v for k, v in rep.items() if k not in NOISE}
        live_mappers = {m.get("name"): m for m in body.pop("protocolMappers", None) or []}
        protocol = str(desired.get("protocol") or rep.get("protocol") or DEFAULT_PROTOCOL)
        for field, value in desired.items():
            if field in LINK_FIELDS or field == AUTHORIZATION:
                continue  # ignored by PUT: reconciled through the link endpoints
            if field == "attributes" and isinstance(value, Mapping):
                # Merged by Keycloak; a null value removes the key.
                body[field] = {**(rep.get(field) or {}), **_string_map(value)}
            elif field == "protocolMappers":
                # Present means "exactly these mappers" (matched by protocol+name).
                body[field] = [mapper_body(m, live_mappers.get(m.get("name")), protocol) for m in value]
                body[field] += [m for name, m in live_mappers.items() if name in kept_mappers]
            else:
                body[field] = value
        if "secret" not in desired:
            # Undeclared: leave it out (a null field keeps the stored secret). Sending back what GET
            # answered would store a masked "**********" literally.
            body.pop("secret", None)
        # authorizationServicesEnabled stays exactly as read: anything else removes the resource server.
        return body

    def _reconcile_links(self, ctx: Context, key: str, desired: Obj, current: Obj) -> None:
        path = self._path(ctx, str(current["id"]))
        reconcile_links(
            ctx,
            f"clients[{key}]",
            want_default=desired.get(DEFAULT_SCOPES),
            want_optional=desired.get(OPTIONAL_SCOPES),
            live_default=set(current.get(DEFAULT_SCOPES) or []),
            live_optional=set(current.get(OPTIONAL_SCOPES) or []),
            path_default=lambda i: f"{path}/default-client-scopes/{seg(i)}",
            path_optional=lambda i: f"{path}/optional-client-scopes/{seg(i)}",
            keep=_kept_links(desired),
        )

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        why = "a client role goes with its client, and every mapping to it too"
        refs = ctx.live.ids.role_refs
        return [Cascade("role", role, why) for role, (client_id, _) in refs.items() if client_id == key]

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(self._path(ctx, str(live["id"])))
        ctx.live.ids.forget_client(key)

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        realm_lists = live.of(DefaultClientScopesKind.name).get(live.name) or {}
        protocols = {k: str(v.get("protocol") or "") for k, v in live.of(ClientScopeKind.name).items()}
        authorization = live.of(AuthorizationKind.name)
        clients = []
        for key, obj in sorted(live.of(self.name).items()):
            if not self.is_builtin(key, obj, live.name):
                clients.append(
                    export_client(obj, realm_lists, protocols, export_settings(authorization.get(key)))
                )
            elif key == ADMIN_PERMISSIONS and (policies := export_admin_permissions(authorization.get(key))):
                # A built-in: only its admin permissions are someone's choice.
                clients.append({"clientId": key, AUTHORIZATION: policies})
        return {"clients.yaml": {"clients": clients}}


def _importable(spec: Obj, realm_lists_declared: bool) -> bool:
    """Whether Keycloak's realm import makes this client as ``ClientKind.create`` would."""
    if str(spec.get("protocol") or DEFAULT_PROTOCOL) != DEFAULT_PROTOCOL:
        return False
    if spec.get("serviceAccountsEnabled") or spec.get("authorizationServicesEnabled"):
        return False
    if spec.get(AUTHORIZATION) or spec.get(OVERRIDES):
        return False
    declared_lists = [f for f in LINK_FIELDS if f in spec]
    if not declared_lists:
        return not realm_lists_declared
    names = {*(spec.get(DEFAULT_SCOPES) or []), *(spec.get(OPTIONAL_SCOPES) or [])}
    return len(declared_lists) == len(LINK_FIELDS) and names <= BUILTIN_CLIENT_SCOPES


def _without_default_post_logout(desired: Obj) -> Obj:
    """``desired`` without a declared "+" post-logout redirect (the default: see ``SAME_AS_REDIRECTS``)."""
    attributes = desired.get("attributes")
    if not isinstance(attributes, Mapping) or attributes.get(POST_LOGOUT) != SAME_AS_REDIRECTS:
        return desired
    return {**desired, "attributes": {k: v for k, v in attributes.items() if k != POST_LOGOUT}}


# Fields the export writes in its own way (or never: the secret gets a hint).
EXPORT_HANDLED = frozenset(
    {
        "clientId",
        "secret",
        "attributes",
        "protocolMappers",
        DEFAULT_SCOPES,
        OPTIONAL_SCOPES,
        "redirectUris",
        "webOrigins",
        AUTHORIZATION,
    }
)


def export_client(
    live: Mapping[str, Any],
    realm_lists: Mapping[str, Any],
    scope_protocols: Mapping[str, str],
    authorization: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One client as an export writes it: what differs from a new client's defaults."""
    protocol = str(live.get("protocol") or DEFAULT_PROTOCOL)
    saml = protocol == "saml"
    table = defaults.SAML_CLIENT if saml else defaults.CLIENT
    out: dict[str, Any] = {"clientId": live["clientId"]}
    for field in exported_fields(Client):
        if field in EXPORT_HANDLED or field in Client.read_only or field not in live:
            continue
        value = live[field]
        if empty(value) or (field in table and table[field] == value):
            continue
        out[field] = value
    # With a rootUrl, Keycloak fills in empty redirect URIs and web origins: keep them explicit then.
    keep_empty = not empty(live.get("rootUrl"))
    for field in ("redirectUris", "webOrigins"):
        values = sorted(live.get(field) or [])
        if values or keep_empty:
            out[field] = values
    attributes = string_map(
        live.get("attributes"),
        drop=defaults.CLIENT_COMPUTED_ATTRIBUTES,
        defaults_={**defaults.CLIENT_ATTRIBUTES, **(defaults.SAML_CLIENT_ATTRIBUTES if saml else {})},
    )
    if attributes:
        out["attributes"] = attributes
    mappers = export_mappers(live, protocol)
    if mappers:
        out["protocolMappers"] = mappers
    out.update(_export_links(live, protocol, realm_lists, scope_protocols))
    if _has_secret(live, protocol):
        out["secret"] = Hint(f"${{env:{env_name(str(live['clientId']), 'CLIENT_SECRET')}}}")
    if authorization is not None:
        out[AUTHORIZATION] = authorization
    return out


def _has_secret(live: Mapping[str, Any], protocol: str) -> bool:
    return (
        protocol == "openid-connect"
        and not live.get("publicClient")
        and not live.get("bearerOnly")
        and live.get("clientAuthenticatorType", "client-secret") in ("client-secret", "client-secret-jwt")
    )


def _export_links(
    live: Mapping[str, Any], protocol: str, realm_lists: Mapping[str, Any], scope_protocols: Mapping[str, str]
) -> dict[str, list[str]]:
    """The scope links, declared only when they differ from what a new client of that protocol gets
    (the realm's default lists, filtered by protocol; ``service_account`` is Keycloak's own link)."""
    have = {f: sorted(s for s in live.get(f) or [] if s != SERVICE_ACCOUNT_SCOPE) for f in LINK_FIELDS}
    new_client = {
        f: sorted(s for s in realm_lists.get(r) or [] if scope_protocols.get(s) == protocol)
        for f, r in ((DEFAULT_SCOPES, DEFAULT_LIST), (OPTIONAL_SCOPES, OPTIONAL_LIST))
    }
    return {} if have == new_client else have  # both lists or neither: one alone empties the other
