"""Realm roles and client roles, with their attributes and composites.

Keys: a realm role by its name (``admin``), a client role as ``<clientId>/<name>``
(``orders-api/read``); addresses ``<realm>/role/admin`` and ``<realm>/role/orders-api/read``.

Compared: declared fields only; ``attributes`` as a list map; ``composites`` per declared part: a
declared ``composites.realm`` is the whole set of realm composites, a declared
``composites.client.<clientId>`` the whole set of that client's (``[]`` removes them all); clients not
named are left alone. The ``composite`` flag is derived and ignored.

Reading takes every role with its composites from the realm's partial export (``bulk_read``) when the
account may export. Otherwise it costs one paged listing of realm roles, one per client, and one
composites read per composite role (built-in composites only when declared, or for ``kcr export``:
``Context.read_all``): it grows with clients and roles, never with users. Role listings say
``composite: true`` but not what the composites are, hence the extra read.

Verified on Keycloak 26.7: role PUT clears ``description`` when it is left out and keeps
``attributes`` when left out (replaces them when sent); composites are added and removed by ``id``
(a name-only entry is 404); an inline composite naming an unknown *client* is silently dropped, so
composites are always added by resolved id after the role exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

from reconciler.builtins import (
    BUILTIN_CLIENT_ROLES,
    BUILTIN_CLIENTS,
    BUILTIN_REALM_ROLES,
    MASTER_BUILTIN_REALM_ROLES,
    UMA_PROTECTION,
    builtin_realm_roles,
    default_role,
)
from reconciler.compare import FieldDiff, Rules, diff_declared, equal_as_set, str_list
from reconciler.desired.declared import Declared, Findings, MergedRealm, Name, Names
from reconciler.desired.representation import Role, Roles
from reconciler.desired.state import DesiredRealm
from reconciler.errors import DesiredStateError, NotFound, Problem
from reconciler.export import defaults
from reconciler.export.values import named_with_attributes, role_map
from reconciler.keycloak.client import seg
from reconciler.kinds.base import STATE_KEY, Access, Context, Kind, LiveRealm, Obj, Reference, Section
from reconciler.kinds.bulk_read import partial_export
from reconciler.kinds.lookup import RoleRef, role_key
from reconciler.kinds.role_cycles import check_cycles
from reconciler.lease import LEASE_ROLE


def is_builtin_client(client_id: str, realm: str) -> bool:
    # The master realm holds one "<realm>-realm" client per realm, made by Keycloak.
    return client_id in BUILTIN_CLIENTS or (realm == "master" and client_id.endswith("-realm"))


def role_mapping_references(realm_roles: str, client_roles: str) -> tuple[Reference, ...]:
    """A realm-role list and a clientId -> role list map (``realmRoles``/``clientRoles``): what they
    name must be declared or built in."""
    return (
        Reference(f"{realm_roles}[]", "role"),
        Reference(f"{client_roles}.*", "client"),
        Reference(f"{client_roles}.*[]", "role", within=True),
    )


def merge_list_attributes(
    live: Mapping[str, Any] | None, declared: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Live attributes overlaid with the declared keys (Keycloak replaces ``attributes`` wholesale on
    PUT, so undeclared keys must be sent back). A declared null or empty list removes the key."""
    merged = {k: list(v) for k, v in (live or {}).items()}
    for k, v in declared.items():
        values = str_list(v) if v is not None else []
        if values:
            merged[k] = values
        else:
            merged.pop(k, None)
    return merged


def set_diff(path: str, want: Iterable[str] | None, have: Iterable[str] | None) -> list[FieldDiff]:
    want_list, have_list = sorted(set(want or [])), sorted(set(have or []))
    return [] if equal_as_set(want_list, have_list) else [FieldDiff(path, have_list, want_list)]


def mapping_diffs(
    prefix_realm: str,
    prefix_client: str,
    want_realm: Any,
    want_client: Any,
    have_realm: Any,
    have_client: Mapping[str, Any] | None,
) -> list[FieldDiff]:
    """Set differences of a realm-role list and a per-client map of role lists, over what is declared:
    a declared realm list is authoritative; in the client map, each declared client's list is."""
    diffs: list[FieldDiff] = []
    if want_realm is not None:
        diffs += set_diff(prefix_realm, want_realm, have_realm)
    for client_id, names in (want_client or {}).items():
        diffs += set_diff(f"{prefix_client}.{client_id}", names, (have_client or {}).get(client_id))
    return diffs


def composite_targets(spec: Mapping[str, Any]) -> list[str]:
    """Keys of the roles a declared role's composites name."""
    composites = spec.get("composites") or {}
    keys = [role_key(None, n) for n in composites.get("realm") or []]
    for client_id, names in (composites.get("client") or {}).items():
        keys += [role_key(client_id, n) for n in names or []]
    return keys


def dependency_order(edges: Mapping[str, list[str]]) -> list[str]:
    """Nodes with every node's targets first (depth first, iterative). A cycle does not loop: the
    node already on the path is simply not revisited. Nodes keep their given order where free."""
    done: set[str] = set()
    on_path: set[str] = set()
    order: list[str] = []
    for start in edges:
        if start in done:
            continue
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(edges[start]))]
        on_path.add(start)
        while stack:
            node, targets = stack[-1]
            for target in targets:
                if target in edges and target not in done and target not in on_path:
                    on_path.add(target)
                    stack.append((target, iter(edges[target])))
                    break
            else:
                stack.pop()
                on_path.discard(node)
                done.add(node)
                order.append(node)
    return order


def declared_refs(realm: DesiredRealm) -> dict[str, tuple[RoleRef, Obj]]:
    """Every declared role: key -> ((clientId | None, name), spec), in declaration order."""
    roles = realm.spec.get("roles") or {}
    found: dict[str, tuple[RoleRef, Obj]] = {}
    problems: list[Problem] = []

    def add(client_id: str | None, spec: Obj) -> None:
        key = role_key(client_id, str(spec["name"]))
        previous = found.get(key)
        if previous is not None and previous[0][0] != client_id:
            problems.append(
                Problem(
                    f"realm role and client role both have the key {key!r}",
                    hint="rename one of them: a realm role name must not look like <clientId>/<role>",
                )
            )
        found[key] = ((client_id, str(spec["name"])), spec)

    for spec in roles.get("realm") or []:
        add(None, spec)
    for client_id, specs in (roles.get("client") or {}).items():
        for spec in specs or []:
            add(str(client_id), spec)
    if problems:
        raise DesiredStateError(problems)
    return found


def _exported_listings(export: Obj) -> list[tuple[str | None, list[Obj]]]:
    roles = export.get("roles") or {}
    listings: list[tuple[str | None, list[Obj]]] = [(None, roles.get("realm") or [])]
    listings += sorted((roles.get("client") or {}).items())
    return listings


def _exported_composites(rep: Obj) -> Obj:
    """A role's composites as the export writes them (parts without composites left out), in the
    shape of ``_read_composites``."""
    composites = rep.get("composites") or {}
    return {
        "realm": sorted(composites.get("realm") or []),
        "client": {cid: sorted(names) for cid, names in sorted((composites.get("client") or {}).items())},
    }


class RoleKind(Kind):
    name = "role"
    phase = 40
    model = Role
    key_field = "name"
    sections = (Section("roles", "object", Roles),)
    collection = "roles"
    noun = "realm role"  # a client role: "role 'x' of client 'web'" (``describe``)
    text_limits: ClassVar[tuple[str, ...]] = ("name", "description", "attributes{}")
    named_in_urls = True
    references: ClassVar[tuple[Reference, ...]] = (
        *role_mapping_references("composites.realm", "composites.client"),
        Reference("client.*", "client", section="roles"),  # the clientIds of roles.client
    )
    access = (Access("/roles", "view-realm", "manage-realm"),)  # also /roles-by-id
    export_files = ("roles.yaml",)
    reads_partial_export = True
    rules: ClassVar[Rules] = Rules(
        list_maps=frozenset({"attributes"}),
        # ``composite`` is derived from ``composites``; composites are compared below, as sets.
        ignore=frozenset({"composite", "composites", "clientRole", "containerId", "id"}),
    )

    # -- offline checks ---------------------------------------------------------------------------
    def declared_objects(self, realm: MergedRealm) -> Iterator[Declared]:
        """Realm roles, then each client's roles (scoped by the clientId)."""
        lists = [("", "roles.realm")]
        lists += [(str(c), f"roles.client.{c}") for c in (realm.spec.get("roles") or {}).get("client") or {}]
        for client_id, collection in lists:
            for spec, origin in realm.listed(collection):
                if isinstance(spec, dict):
                    name = spec.get("name") if isinstance(spec.get("name"), str) else None
                    yield Declared(name, spec, origin, collection, client_id)

    def declared_names(self, realm: MergedRealm, found: Findings) -> Names:
        names = super().declared_names(realm, found)
        # Keycloak gives every client with authorization services a uma_protection role.
        for client, _ in realm.listed("clients"):
            if isinstance(client, dict) and client.get("authorizationServicesEnabled") is True:
                names.builtin.add((str(client.get("clientId")), UMA_PROTECTION))
        return names

    def builtin_names(self, realm: str) -> Iterable[Name]:
        yield from (("", name) for name in builtin_realm_roles(realm))
        yield from ((client_id, name) for client_id, names in BUILTIN_CLIENT_ROLES.items() for name in names)

    def live_key(self, scope: str, name: str) -> str:
        return role_key(scope or None, name)

    def describe(self, scope: str) -> tuple[str, str]:
        if not scope:
            return self.noun, "declare it under roles.realm"
        return f"role {{}} of client {scope!r}", f"declare it under roles.client.{scope}"

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_cycles(self.declared_objects(realm), found)

    # -- desired side ----------------------------------------------------------------------------
    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        refs = declared_refs(realm)
        order = dependency_order({key: composite_targets(spec) for key, (_, spec) in refs.items()})
        return {key: refs[key][1] for key in order}

    def add_to_realm_import(self, realm: DesiredRealm, body: Obj) -> list[str]:
        """Declared roles whose client and composites are all in the import (not built-ins: Keycloak
        makes those with the realm, and kcr then updates them)."""
        clients = {c["clientId"] for c in body.get("clients") or []}
        refs = {
            key: (ref, spec)
            for key, (ref, spec) in declared_refs(realm).items()
            if spec.get(STATE_KEY) != "absent"
            and not self.is_builtin(key, spec, realm.name)
            and (ref[0] is None or ref[0] in clients)
        }
        carried = set(refs)
        while True:  # a role goes with the import only if every role it contains does
            left = {k for k in carried if all(t in carried for t in composite_targets(refs[k][1]))}
            if left == carried:
                break
            carried = left
        realm_roles: list[Obj] = []
        client_roles: dict[str, list[Obj]] = {}
        for key in sorted(carried):
            (client_id, name), spec = refs[key]
            rep: Obj = {"name": name}
            if spec.get("description") is not None:
                rep["description"] = spec["description"]
            if spec.get("attributes"):
                rep["attributes"] = merge_list_attributes({}, spec["attributes"])
            if composite_targets(spec):
                composites = spec["composites"]
                rep["composite"] = True
                rep["composites"] = {
                    "realm": list(composites.get("realm") or []),
                    "client": {
                        cid: list(names or []) for cid, names in (composites.get("client") or {}).items()
                    },
                }
            if client_id is None:
                realm_roles.append(rep)
            else:
                client_roles.setdefault(client_id, []).append(rep)
        if carried:
            body["roles"] = {"realm": realm_roles, "client": client_roles}
        return sorted(carried)

    # -- live side -------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        export = partial_export(ctx)
        listings = _exported_listings(export) if export is not None else self._listings(ctx)
        declared_keys = set(declared_refs(ctx.desired))
        objects: dict[str, Obj] = {}
        need_composites: list[tuple[str, Obj]] = []  # (key, role as listed)
        for client_id, reps in listings:
            for rep in reps:
                key = role_key(client_id, rep["name"])
                ctx.live.ids.record_role(key, rep["id"], (client_id, rep["name"]))
                objects[key] = self._live_object(rep)
                if rep.get("composite") and (
                    ctx.read_all or key in declared_keys or not self.is_builtin(key, rep, ctx.realm)
                ):
                    need_composites.append((key, rep))
        if export is not None:
            composites = [_exported_composites(rep) for _, rep in need_composites]
        else:
            composites = ctx.api.map(lambda item: self._read_composites(ctx, item[1]["id"]), need_composites)
        for (key, _), value in zip(need_composites, composites, strict=True):
            objects[key]["composites"] = value
        return objects

    def _listings(self, ctx: Context) -> list[tuple[str | None, list[Obj]]]:
        """Realm roles, then each client's roles (clientId, roles): one paged listing each."""
        realm = seg(ctx.realm)
        params = {"briefRepresentation": "false"}
        clients = sorted(ctx.lookup.client_uuids().items())
        listings: list[tuple[str | None, list[Obj]]] = [(None, ctx.api.get_paged(f"/{realm}/roles", params))]
        listings += zip(
            [cid for cid, _ in clients],
            ctx.api.map(lambda c: ctx.api.get_paged(f"/{realm}/clients/{c[1]}/roles", params), clients),
            strict=True,
        )
        return listings

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        client_id, name = self._ref(ctx, key)
        if client_id is not None and ctx.lookup.client_uuid(client_id) is None:
            return None
        try:
            rep: Obj = ctx.api.get(f"{ctx.lookup.role_container(client_id)}/{seg(name)}")
        except NotFound:
            return None
        ctx.live.ids.record_role(key, rep["id"], (client_id, name))
        obj = self._live_object(rep)
        if rep.get("composite"):
            obj["composites"] = self._read_composites(ctx, rep["id"])
        return obj

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        # Keycloak lower-cases the realm name in its default role: "default-roles-myrealm". The apply
        # lease is kcr's own, present only while an apply runs.
        if key in BUILTIN_REALM_ROLES or key == default_role(realm) or key == LEASE_ROLE:
            return True
        if realm == "master" and key in MASTER_BUILTIN_REALM_ROLES:
            return True
        # Built-in clientIds hold no "/", so the first segment of a client role key names its client.
        client_id, _, role = key.partition("/")
        # Keycloak gives every client with authorization services a uma_protection role.
        return bool(role) and (is_builtin_client(client_id, realm) or role == UMA_PROTECTION)

    # -- comparison ------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        diffs = diff_declared(desired, live, self.rules)
        want = desired.get("composites")
        if isinstance(want, Mapping):
            have = live.get("composites") or {}
            diffs += mapping_diffs(
                "composites.realm",
                "composites.client",
                want.get("realm"),
                want.get("client"),
                have.get("realm"),
                have.get("client"),
            )
        return diffs

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        client_id, name = self._ref(ctx, key)
        container = ctx.lookup.role_container(client_id)
        body: Obj = {"name": name}
        if desired.get("description") is not None:
            body["description"] = desired["description"]
        if desired.get("attributes"):
            body["attributes"] = merge_list_attributes({}, desired["attributes"])
        ctx.api.post(container, body)
        # The Location of a new role ends in its name, not its id.
        role_id = str(ctx.api.get(f"{container}/{seg(name)}")["id"])
        ctx.live.ids.record_role(key, role_id, (client_id, name))
        want = desired.get("composites") or {}
        add = ctx.lookup.role_reps(None, want.get("realm") or [])
        for target_client, names in (want.get("client") or {}).items():
            add += ctx.lookup.role_reps(target_client, names or [])
        if add:
            ctx.api.post(f"/{seg(ctx.realm)}/roles-by-id/{role_id}/composites", add)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        role_id = live["id"]
        by_id = f"/{seg(ctx.realm)}/roles-by-id/{role_id}"
        if any(not d.path.startswith("composites.") for d in diffs):
            # PUT clears a description that is left out: send what is live unless declared.
            body: Obj = {
                "name": live["name"],
                "attributes": merge_list_attributes(live.get("attributes"), desired.get("attributes") or {}),
            }
            description = desired["description"] if "description" in desired else live.get("description")
            if description is not None:
                body["description"] = description
            ctx.api.put(by_id, body)
        add: list[dict[str, str]] = []
        remove: list[dict[str, str]] = []
        for d in diffs:
            if d.path == "composites.realm":
                target: str | None = None
            elif d.path.startswith("composites.client."):
                target = d.path.removeprefix("composites.client.")
            else:
                continue
            before, after = set(d.before or []), set(d.after or [])
            add += ctx.lookup.role_reps(target, after - before)
            remove += ctx.lookup.role_reps(target, before - after)
        if add:
            ctx.api.post(f"{by_id}/composites", add)
        if remove:
            ctx.api.delete(f"{by_id}/composites", remove)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        with contextlib.suppress(NotFound):  # already gone (its client was deleted)
            ctx.api.delete(f"/{seg(ctx.realm)}/roles-by-id/{live['id']}")
        ctx.live.ids.role_ids.pop(key, None)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _live_object(rep: Obj) -> Obj:
        obj: Obj = {"name": rep["name"]}
        if rep.get("description") is not None:
            obj["description"] = rep["description"]
        obj["attributes"] = dict(rep.get("attributes") or {})
        obj["id"] = rep["id"]
        return obj

    def _ref(self, ctx: Context, key: str) -> RoleRef:
        declared = declared_refs(ctx.desired).get(key)
        if declared is not None:
            return declared[0]
        known = ctx.live.ids.role_refs.get(key)
        return known if known is not None else (None, key)

    @staticmethod
    def _read_composites(ctx: Context, role_id: str) -> Obj:
        reps = ctx.api.get(f"/{seg(ctx.realm)}/roles-by-id/{role_id}/composites") or []
        by_uuid = {uuid: cid for cid, uuid in ctx.live.ids.client_uuids.items()}
        realm_names: list[str] = []
        client_names: dict[str, list[str]] = {}
        for rep in reps:
            if not rep.get("clientRole"):
                realm_names.append(rep["name"])
                continue
            uuid = rep["containerId"]
            if uuid not in by_uuid:
                by_uuid[uuid] = ctx.lookup.client_id_of(uuid)
            client_names.setdefault(by_uuid[uuid], []).append(rep["name"])
        return {
            "realm": sorted(realm_names),
            "client": {cid: sorted(names) for cid, names in sorted(client_names.items())},
        }

    # -- export ----------------------------------------------------------------------------------
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        refs = live.ids.role_refs
        realm_roles: list[dict[str, Any]] = []
        client_roles: dict[str, list[dict[str, Any]]] = {}
        for key, obj in sorted(live.of(self.name).items()):
            if self.is_builtin(key, obj, live.name):
                continue
            client_id, _ = refs.get(key, (None, key))
            if client_id is None:
                realm_roles.append(export_role(obj))
            else:
                client_roles.setdefault(client_id, []).append(export_role(obj))
        default = self._export_default_role(live)
        if default is not None:
            realm_roles.append(default)
        out: dict[str, Any] = {}
        if realm_roles:
            out["realm"] = sorted(realm_roles, key=lambda r: r["name"])
        if client_roles:
            out["client"] = {
                cid: sorted(rs, key=lambda r: r["name"]) for cid, rs in sorted(client_roles.items())
            }
        return {"roles.yaml": {"roles": out}}

    def _export_default_role(self, live: LiveRealm) -> dict[str, Any] | None:
        """The realm's default role, when its composites differ from a new realm's. Every part is
        written (an empty list too): a declared list is the whole set, so a composite taken out stays out."""
        name = live_default_role(live)
        obj = live.of(self.name).get(name)
        if obj is None:
            return None
        composites = obj.get("composites") or {}  # none read: the role is no composite any more
        expected = defaults.DEFAULT_ROLE_COMPOSITES
        have = {
            "realm": sorted(composites.get("realm") or []),
            "client": {
                cid: sorted((composites.get("client") or {}).get(cid) or [])
                for cid in sorted({*(composites.get("client") or {}), *expected["client"]})
            },
        }
        if have == expected:
            return None
        return {"name": name, "composites": have}


def live_default_role(live: LiveRealm) -> str:
    """The name of the role every user has; Keycloak lower-cases the realm name in it."""
    name = ((live.ids.realm or {}).get("defaultRole") or {}).get("name")
    return str(name) if name else default_role(live.name)


def export_role(live: Mapping[str, Any]) -> dict[str, Any]:
    out = named_with_attributes(live)
    composites = live.get("composites") or {}
    comp: dict[str, Any] = {}
    if composites.get("realm"):
        comp["realm"] = sorted(composites["realm"])
    client_part = role_map(composites.get("client"))
    if client_part:
        comp["client"] = client_part
    if comp:
        out["composites"] = comp
    return out
