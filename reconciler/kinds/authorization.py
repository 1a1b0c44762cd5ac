"""Authorization services of a client (``clients[].authorizationSettings``, by ``clientId``): the
resource server's settings, its scopes, resources, and policies and permissions (one list, as the
export writes them), references by name.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_facts_authorization.py``):

- ``GET /clients/{id}/authz/resource-server/settings`` answers the export's shape: references in a
  policy's ``config`` are names inside JSON text (roles ``"client/role"`` for client roles, groups by
  path, users by username, clients by clientId, policies, resources and scopes by name).
- ``POST .../import`` with that shape creates what is new (resolving the names) and sets the three
  settings (so it is sent with the stored ones over the declared ones); it never deletes, and what it
  does to an existing resource is not dependable. Existing items are updated by ``PUT`` by id, sent
  whole (the stored item with the declared fields over it); names are accepted there too.
- ``.../settings`` needs manage rights on the client: an account with only ``view-clients`` gets 403
  (``tests/integration/test_bulk_reads.py``). Then the view endpoints are read instead (the resource
  server, ``/scope``, ``/resource``, ``/policy`` and per policy its typed form, resources, scopes and
  applied policies, ids turned into names): more requests, the same objects.
- Deletes go by id: ``DELETE .../policy/{id}`` (permissions too), ``.../resource/{id}``,
  ``.../scope/{id}``; ``GET`` of each list with ``max=-1`` gives the ids.
- Enabling authorization services on a client (through the Admin API) makes an empty resource server:
  no default resource, policy or permission. Before 26.5 (``versions.AUTHORIZATION_DEFAULTS``) it
  makes Default Resource, Default Policy (a JavaScript policy, type ``js``) and Default Permission:
  a declared list that leaves them out deletes them like any other item, and ``kcr export`` writes
  them. Keycloak takes no new JavaScript policy through the Admin API (scripts are deployed), so a
  declared ``js`` policy must be one the server has, unchanged: anything else stops the plan.

A declared list (``resources``, ``scopes``, ``policies``) is the whole set: what it leaves out is
deleted. One update writes in dependency order (scopes, resources, policies, permissions) and deletes
in the reverse order, after the writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from reconciler.compare import FieldDiff, Rules, diff_declared
from reconciler.desired.authorization_refs import PERMISSION_TYPES, REFERENCE_KEYS, parse_refs, refs_text
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.representation import AuthorizationSettings
from reconciler.desired.state import DesiredRealm
from reconciler.errors import DesiredStateError, Forbidden, Problem
from reconciler.keycloak.client import seg
from reconciler.kinds import admin_permissions
from reconciler.kinds.authorization_checks import check_authorization
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj

CLIENT_KIND = "client"  # the kind whose objects carry authorizationSettings
SETTINGS = ("policyEnforcementMode", "decisionStrategy", "allowRemoteResourceManagement")
LISTS = ("scopes", "resources", "policies")  # write order; deletes go the other way
ITEM_PATHS = {"scopes": ("scope", "id"), "resources": ("resource", "_id"), "policies": ("policy", "id")}
ENABLED = "authorizationServicesEnabled"


def _server(ctx: Context, client_id: str) -> str:
    return f"/{seg(ctx.realm)}/clients/{seg(ctx.lookup.require_client_uuid(client_id))}/authz/resource-server"


# -- the compared view: references parsed, scope links by name, empty values dropped ----------------
def view_policy(policy: Mapping[str, Any]) -> Obj:
    out: Obj = {k: v for k, v in policy.items() if k not in ("id", "config")}
    if "config" in policy:
        config: Obj = {}
        for key, value in (policy.get("config") or {}).items():
            if key in REFERENCE_KEYS:
                refs = sorted(parse_refs(key, value), key=json.dumps)
                if refs:  # Keycloak leaves an empty reference list out
                    config[key] = refs
            elif value is not None and value != "":
                config[key] = value
        out["config"] = config
    return out


def view_resource(resource: Mapping[str, Any]) -> Obj:
    out: Obj = {k: v for k, v in resource.items() if k not in ("_id", "id", "owner")}
    if "scopes" in resource:
        out["scopes"] = sorted(
            s.get("name") if isinstance(s, Mapping) else s for s in resource["scopes"] or []
        )
    if "uris" in resource:
        out["uris"] = sorted(resource["uris"] or [])
    return out


def view(settings: Mapping[str, Any]) -> Obj:
    """Declared or live settings in the form that is compared."""
    out: Obj = {k: settings[k] for k in SETTINGS if k in settings}
    if "scopes" in settings:
        out["scopes"] = [{k: v for k, v in s.items() if k != "id"} for s in settings["scopes"] or []]
    if "resources" in settings:
        out["resources"] = [view_resource(r) for r in settings["resources"] or []]
    if "policies" in settings:
        out["policies"] = [view_policy(p) for p in settings["policies"] or []]
    for field in LISTS:  # in name order, whichever endpoint answered
        if field in out:
            out[field].sort(key=lambda item: str(item.get("name")))
    return out


# -- back to Keycloak's shape -----------------------------------------------------------------------
def keycloak_policy(policy: Mapping[str, Any]) -> Obj:
    out: Obj = dict(policy)
    config = policy.get("config") or {}
    out["config"] = {k: refs_text(v) if k in REFERENCE_KEYS else v for k, v in config.items()}
    return out


def keycloak_resource(resource: Mapping[str, Any]) -> Obj:
    out: Obj = dict(resource)
    if "scopes" in resource:
        out["scopes"] = [{"name": name} for name in resource["scopes"]]
    return out


def keycloak_scope(scope: Mapping[str, Any]) -> Obj:
    return dict(scope)


TO_KEYCLOAK: dict[str, Callable[[Mapping[str, Any]], Obj]] = {
    "scopes": keycloak_scope,
    "resources": keycloak_resource,
    "policies": keycloak_policy,
}


def _policy_rank(policy: Mapping[str, Any]) -> int:
    """Policies before the aggregates that apply them, both before the permissions."""
    kind = policy.get("type")
    return 2 if kind in PERMISSION_TYPES else 1 if kind == "aggregate" else 0


class AuthorizationKind(Kind):
    name = "authorization"
    phase = 65  # after clients, roles, groups and users, which policies name
    model = AuthorizationSettings
    key_field = "clientId"
    access = (Access("/clients", "view-clients", "manage-clients"),)
    export_files = ("clients.yaml",)  # inside each client, written by the client kind
    rules: ClassVar[Rules] = Rules(
        sets=frozenset(
            {"resources[].uris", "resources[].scopes", *(f"policies[].config.{k}" for k in REFERENCE_KEYS)}
        ),
        list_maps=frozenset({"resources[].attributes"}),
        keyed_lists={"scopes": "name", "resources": "name", "policies": "name"},
    )

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_authorization(realm, names, found)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {
            str(c["clientId"]): view(c["authorizationSettings"])
            for c in realm.spec.get("clients") or []
            if isinstance(c.get("authorizationSettings"), Mapping) and c.get("state") != "absent"
        }

    def read(self, ctx: Context) -> dict[str, Obj]:
        declared = self.declared(ctx.desired)
        clients = ctx.live.of(CLIENT_KIND)
        wanted = [
            key
            for key, client in sorted(clients.items())
            if client.get(ENABLED) and (key in declared or ctx.read_all)
        ]
        found = dict(zip(wanted, ctx.api.map(lambda key: self._read_settings(ctx, key), wanted), strict=True))
        self._check_users(ctx, declared)
        self._check_scripts(ctx, declared, found)
        return found

    def _check_scripts(self, ctx: Context, declared: dict[str, Obj], found: dict[str, Obj]) -> None:
        """A declared JavaScript policy must be one the server has, as it has it (kcr cannot write one)."""
        problems = []
        for client_id, settings in declared.items():
            stored = {p["name"]: p for p in (found.get(client_id) or {}).get("policies") or []}
            for policy in settings.get("policies") or []:
                if policy.get("type") != "js":
                    continue
                have = stored.get(policy["name"])
                if have is not None and not diff_declared(policy, have, self.rules, pattern="policies[]"):
                    continue
                problems.append(
                    Problem(
                        "a JavaScript policy (type js) can only be kept as Keycloak has it: Keycloak takes "
                        "no new or changed script through the Admin API",
                        ctx.desired.locations.get(f"clients[{client_id}]"),
                        f"clients[{client_id}].authorizationSettings.policies[{policy['name']}]",
                        "remove the policy (kcr then deletes it), or declare it exactly as `kcr export` "
                        "writes it",
                    )
                )
        if problems:
            raise DesiredStateError(problems)

    def _check_users(self, ctx: Context, declared: dict[str, Obj]) -> None:
        """Users that policies name without declaring them must exist: checked before any write."""
        users = {str(u.get("username", "")).lower() for u in ctx.desired.spec.get("users") or []}
        problems = []
        for client_id, settings in declared.items():
            for policy in settings.get("policies") or []:
                config = policy.get("config") or {}
                # an admin permission over users names them as its resources
                key = "resources" if policy.get("resourceType") == "Users" else "users"
                for name in config.get(key) or []:
                    if name.lower() in users or ctx.api.get(
                        f"/{seg(ctx.realm)}/users", {"username": name, "exact": "true"}
                    ):
                        continue
                    where = f"clients[{client_id}].authorizationSettings"
                    problems.append(
                        Problem(
                            f"user {name!r} is not declared, and realm {ctx.realm!r} in Keycloak "
                            "has no such user",
                            ctx.desired.locations.get(f"clients[{client_id}]"),
                            f"{where}.policies[{policy['name']}].config.{key}",
                            "declare the user under users, or remove the reference",
                        )
                    )
        if problems:
            raise DesiredStateError(problems)

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return self._read_settings(ctx, key)

    def _read_settings(self, ctx: Context, key: str) -> Obj:
        server = _server(ctx, key)
        if key == admin_permissions.ADMIN_PERMISSIONS:  # Keycloak refuses its settings (HTTP 400)
            return view({"policies": admin_permissions.read_policies(ctx, server)})
        try:
            return view(ctx.api.get(f"{server}/settings"))  # one request, but manage rights needed
        except Forbidden:
            return view(admin_permissions.read_settings(ctx, server))

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        self._converge(ctx, key, desired)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        self._converge(ctx, key, desired)

    def _converge(self, ctx: Context, key: str, desired: Obj) -> None:
        """Import what is new (with the settings), PUT what differs, then delete what the declared
        lists leave out, each in dependency order."""
        server = _server(ctx, key)
        current = self._read_settings(ctx, key)
        if key == admin_permissions.ADMIN_PERMISSIONS:
            self._converge_admin_permissions(ctx, server, desired, current)
            return
        body: Obj = {k: desired.get(k, current.get(k)) for k in SETTINGS}
        new = any(body[k] != current.get(k) for k in SETTINGS)
        changed: dict[str, list[Obj]] = {}
        doomed: dict[str, list[str]] = {}
        for field in LISTS:
            body[field], changed[field] = [], []
            if field not in desired:
                continue
            stored = {item["name"]: item for item in current.get(field) or []}
            for item in desired[field]:
                have = stored.get(item["name"])
                if have is None:
                    body[field].append(TO_KEYCLOAK[field](item))
                elif diff_declared(item, have, self.rules, pattern=f"{field}[]"):
                    changed[field].append(TO_KEYCLOAK[field]({**have, **item}))
            named = {item["name"] for item in desired[field]}
            doomed[field] = [name for name in stored if name not in named]
            new = new or bool(body[field])
        body["policies"].sort(key=_policy_rank)
        changed["policies"].sort(key=_policy_rank)
        if new:
            ctx.api.post(f"{server}/import", body)  # creates by name; existing items it leaves as they are
        for field in LISTS:
            if changed[field]:
                path, id_key = ITEM_PATHS[field]
                ids = self._ids(ctx, server, field)
                for item in changed[field]:
                    item_id = str(ids[item["name"]])
                    ctx.api.put(f"{server}/{path}/{seg(item_id)}", {**item, id_key: item_id})
        self._delete_items(ctx, server, doomed, current)

    def _converge_admin_permissions(self, ctx: Context, server: str, desired: Obj, current: Obj) -> None:
        """Its policies and permissions only (its resources and scopes are Keycloak's), each through
        its typed endpoint, which takes names; ids where Keycloak wants them."""
        if "policies" not in desired:
            return
        stored = {p["name"]: p for p in current.get("policies") or []}
        ids: dict[str, Any] | None = None
        for item in sorted(desired["policies"], key=_policy_rank):
            have = stored.get(item["name"])
            if have is not None and not diff_declared(item, have, self.rules, pattern="policies[]"):
                continue
            path, body = admin_permissions.typed_body(ctx, {**(have or {}), **item})
            if have is None:
                ctx.api.post(f"{server}/{path}", body)
                continue
            ids = ids or self._ids(ctx, server, "policies")
            item_id = str(ids[item["name"]])
            ctx.api.put(f"{server}/{path}/{seg(item_id)}", {**body, "id": item_id})
        named = {item["name"] for item in desired["policies"]}
        self._delete_items(ctx, server, {"policies": [n for n in stored if n not in named]}, current)

    def _ids(self, ctx: Context, server: str, field: str) -> dict[str, Any]:
        path, id_key = ITEM_PATHS[field]
        return {i["name"]: i[id_key] for i in ctx.api.get(f"{server}/{path}", {"first": 0, "max": -1}) or []}

    def _delete_items(self, ctx: Context, server: str, doomed: dict[str, list[str]], current: Obj) -> None:
        types = {p["name"]: p.get("type") for p in current.get("policies") or []}
        doomed = {
            **doomed,
            "policies": sorted(
                doomed.get("policies", []), key=lambda n: -_policy_rank({"type": types.get(n)})
            ),
        }
        for field in reversed(LISTS):
            if not doomed.get(field):
                continue
            path, _ = ITEM_PATHS[field]
            ids = self._ids(ctx, server, field)
            for name in doomed[field]:
                if name in ids:  # a permission Keycloak deleted with its only resource or scope
                    ctx.api.delete(f"{server}/{path}/{seg(str(ids[name]))}")

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """Empty the resource server (the client's ``authorizationServicesEnabled`` removes it)."""
        server = _server(ctx, key)
        self._delete_items(ctx, server, {f: [i["name"] for i in live.get(f) or []] for f in LISTS}, live)

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        return {"clients.yaml": {}}  # the client kind writes each client's settings inside it


def export_settings(live: Mapping[str, Any] | None) -> Obj | None:
    """A client's ``authorizationSettings`` for ``kcr export``: Keycloak's export shape."""
    if live is None:
        return None
    out: Obj = {k: live[k] for k in SETTINGS if k in live}
    for field in LISTS:
        items = [TO_KEYCLOAK[field](_without_empty(item)) for item in live.get(field) or []]
        if items:
            out[field] = items
    return out


def _without_empty(item: Mapping[str, Any]) -> Obj:
    return {k: v for k, v in item.items() if v not in ({}, [], None, "")}
