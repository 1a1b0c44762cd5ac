"""Groups: the whole tree, keyed by path (``/acme/managers``), with attributes and role mappings.

Reading takes the whole tree from the realm's partial export (``bulk_read``) when the account may
export; otherwise one paged listing of top-level groups and one paged listing of children per group
that has children: with ``briefRepresentation=false`` both carry ``attributes``, ``realmRoles`` and
``clientRoles`` (direct mappings, client roles keyed by clientId), so no per-group role-mapping read
is needed (verified on Keycloak 26.7). ``/children`` answers at most 10 groups unless ``max`` is
given: every listing pages explicitly.

Compared: declared fields only; ``attributes`` as a list map; a declared ``realmRoles`` is the whole
set of direct realm-role mappings, a declared ``clientRoles.<clientId>`` the whole set of that
client's; ``subGroups`` is the tree, not a field.

Writes: group PUT replaces ``attributes`` when sent and clears ``description`` when left out, so an
update sends the live values overlaid with the declared ones. Role mappings are added and removed
with explicit ``[{id, name}]`` lists (both are needed; a DELETE without a body would remove all).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from reconciler.compare import FieldDiff, Rules, diff_declared
from reconciler.desired.declared import Declared, Findings, MergedRealm, Names, Origin, at, shown
from reconciler.desired.representation import Group
from reconciler.desired.state import DesiredRealm
from reconciler.errors import NotFound
from reconciler.export.values import named_with_attributes, role_map
from reconciler.keycloak.client import seg
from reconciler.kinds.base import STATE_KEY, Access, Cascade, Context, Kind, LiveRealm, Obj, Section
from reconciler.kinds.bulk_read import partial_export
from reconciler.kinds.role import mapping_diffs, merge_list_attributes, role_mapping_references

SUBGROUPS = "subGroups"


def flatten(groups: list[Obj] | None, parent: str = "") -> Iterator[tuple[str, Obj]]:
    """(path, group without its subGroups) for a declared tree, parents before their children."""
    for group in groups or []:
        path = f"{parent}/{group['name']}"
        yield path, {k: v for k, v in group.items() if k != SUBGROUPS}
        yield from flatten(group.get(SUBGROUPS), path)


def declared_tree(
    groups: list[Any], origins: list[Origin], parent: Declared | None = None
) -> Iterator[tuple[Declared, Declared | None]]:
    """(group named by its path, its parent) for a merged tree, parents first; a group without a name
    string is left out with its subtree."""
    for group, origin in zip(groups, origins, strict=True):
        name = group.get("name") if isinstance(group, dict) else None
        if not isinstance(name, str):
            continue
        declared = Declared(f"{parent.name if parent else ''}/{name}", group, origin, "groups")
        yield declared, parent
        subs = group.get(SUBGROUPS) or []
        doc, base = origin
        yield from declared_tree(subs, [(doc, (*base, SUBGROUPS, i)) for i in range(len(subs))], declared)


def parent_path(path: str) -> str:
    """``/acme/managers`` -> ``/acme``; a top-level group's parent is ``""``."""
    return path.rsplit("/", 1)[0]


def _exported_children(level: list[Obj]) -> list[Obj]:
    return [child for rep in level for child in rep.get(SUBGROUPS) or []]


def live_group(rep: Obj) -> Obj:
    obj: Obj = {"name": rep["name"]}
    if rep.get("description") is not None:
        obj["description"] = rep["description"]
    obj["attributes"] = dict(rep.get("attributes") or {})
    obj["realmRoles"] = sorted(rep.get("realmRoles") or [])
    obj["clientRoles"] = {cid: sorted(names) for cid, names in sorted((rep.get("clientRoles") or {}).items())}
    obj["id"] = rep["id"]
    return obj


class GroupKind(Kind):
    name = "group"
    phase = 50
    model = Group
    key_field = "name"  # keys are paths: /parent/child
    sections = (Section("groups", "list", Group),)
    collection = "groups"
    noun = "group"
    text_limits: ClassVar[tuple[str, ...]] = ("name", "description", "attributes{}")
    named_in_urls = True
    declare_hint = "declare it under groups (subGroups)"
    references = role_mapping_references("realmRoles", "clientRoles")
    access = (Access("/groups", "view-users (or query-groups)", "manage-users"),)
    export_files = ("groups.yaml",)
    reads_partial_export = True
    rules: ClassVar[Rules] = Rules(
        list_maps=frozenset({"attributes"}),
        # subGroups is the tree, not a field; role mappings are compared below, as sets.
        ignore=frozenset({SUBGROUPS, "realmRoles", "clientRoles", "path", "parentId", "subGroupCount", "id"}),
    )
    page_size: int = 500

    # -- offline checks ---------------------------------------------------------------------------
    def declared_objects(self, realm: MergedRealm) -> Iterator[Declared]:
        """Every group of the tree, named by its path."""
        for group, _ in declared_tree(realm.spec.get("groups") or [], realm.items.get("groups", [])):
            yield group

    def declared_names(self, realm: MergedRealm, found: Findings) -> Names:
        """Paths; a sibling's name twice is reported once, and the copy's subtree is not walked."""
        names = Names()
        seen: dict[str, Origin] = {}  # path -> first declaration
        skipped: set[int] = set()  # declarations not taken (empty name, twice, or under one): ids
        for group, parent in declared_tree(realm.spec.get("groups") or [], realm.items.get("groups", [])):
            path, origin = str(group.name), group.origin
            if parent is not None and id(parent.spec) in skipped:
                skipped.add(id(group.spec))
            elif not group.spec["name"].strip():
                found.error(origin, ("name",), "group name must not be empty", "give the group a name")
                skipped.add(id(group.spec))
            elif path in seen:
                found.error(
                    origin,
                    ("name",),
                    f"group {shown(origin, path, 'name')} is declared twice "
                    f"(also at {at(seen[path], 'name')})",
                    "declare it once (subgroups go under subGroups of one declaration)",
                )
                skipped.add(id(group.spec))
            else:
                seen[path] = origin
                (names.absent if group.spec.get(STATE_KEY) == "absent" else names.present).add(("", path))
        return names

    def malformed(self, name: str) -> tuple[str, str] | None:
        if name.startswith("/"):
            return None
        return "group path {} must start with /", "write the full path, e.g. /parent/child"

    # -- desired side ----------------------------------------------------------------------------
    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return dict(flatten(realm.spec.get("groups")))

    def add_to_realm_import(self, realm: DesiredRealm, body: Obj) -> list[str]:
        """Declared groups whose role mappings name only roles in the import, with their subgroups
        (a group left out takes its subtree with it: children need their parent)."""
        roles = body.get("roles") or {}
        realm_roles = {r["name"] for r in roles.get("realm") or []}
        client_roles = {(cid, r["name"]) for cid, reps in (roles.get("client") or {}).items() for r in reps}
        paths: list[str] = []

        def carried(groups: list[Obj] | None, parent: str) -> list[Obj]:
            out = []
            for group in groups or []:
                mapped_client_roles = {
                    (cid, name)
                    for cid, names in (group.get("clientRoles") or {}).items()
                    for name in names or []
                }
                if (
                    group.get(STATE_KEY) == "absent"
                    or not set(group.get("realmRoles") or []) <= realm_roles
                    or not mapped_client_roles <= client_roles
                ):
                    continue
                rep: Obj = {
                    k: group[k] for k in ("name", "description", "realmRoles", "clientRoles") if k in group
                }
                if group.get("attributes"):
                    rep["attributes"] = merge_list_attributes({}, group["attributes"])
                path = f"{parent}/{group['name']}"
                paths.append(path)
                rep[SUBGROUPS] = carried(group.get(SUBGROUPS), path)
                out.append(rep)
            return out

        groups = carried(realm.spec.get("groups"), "")
        if groups:
            body["groups"] = groups
        return paths

    # -- live side -------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        export = partial_export(ctx)
        if export is not None:
            return self._read_levels(ctx, export.get("groups") or [], _exported_children)
        base = f"/{seg(ctx.realm)}/groups"
        params = {"briefRepresentation": "false"}

        def children(level: list[Obj]) -> list[Obj]:
            # subGroupCount is absent only if the server did not count: then ask.
            parents = [
                rep["id"]
                for rep in level
                if (rep.get("subGroupCount") or 0) > 0 or "subGroupCount" not in rep
            ]
            pages = ctx.api.map(
                lambda gid: ctx.api.get_paged(f"{base}/{gid}/children", params, page_size=self.page_size),
                parents,
            )
            return [child for page in pages for child in page]

        return self._read_levels(ctx, ctx.api.get_paged(base, params, page_size=self.page_size), children)

    @staticmethod
    def _read_levels(
        ctx: Context, level: list[Obj], children: Callable[[list[Obj]], list[Obj]]
    ) -> dict[str, Obj]:
        """The tree level by level (parents before children), from the top level and a way to get
        the next level's groups."""
        objects: dict[str, Obj] = {}
        ids: dict[str, str] = {}
        while level:
            for rep in level:
                objects[rep["path"]] = live_group(rep)
                ids[rep["path"]] = rep["id"]
            level = children(level)
        ctx.live.ids.record_groups(ids)
        return objects

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        try:
            rep: Obj = ctx.api.get(f"/{seg(ctx.realm)}/group-by-path/{quote(key.strip('/'), safe='/')}")
        except NotFound:
            return None
        if rep.get("path") != key:
            return None
        ctx.live.ids.group_ids[key] = rep["id"]
        return live_group(rep)

    # -- comparison ------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        diffs = diff_declared(desired, live, self.rules)
        return diffs + mapping_diffs(
            "realmRoles",
            "clientRoles",
            desired.get("realmRoles"),
            desired.get("clientRoles"),
            live.get("realmRoles"),
            live.get("clientRoles"),
        )

    # -- writes ----------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        parent = parent_path(key)
        base = f"/{seg(ctx.realm)}/groups"
        collection = f"{base}/{ctx.lookup.group_id(parent)}/children" if parent else base
        body: Obj = {"name": key.rsplit("/", 1)[1]}
        if desired.get("description") is not None:
            body["description"] = desired["description"]
        if desired.get("attributes"):
            body["attributes"] = merge_list_attributes({}, desired["attributes"])
        group_id = ctx.api.create(collection, body)
        ctx.live.ids.group_ids[key] = group_id
        wanted = mapping_diffs(
            "realmRoles", "clientRoles", desired.get("realmRoles"), desired.get("clientRoles"), [], {}
        )
        self._write_mappings(ctx, group_id, wanted)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        group_id = live["id"]
        if any(not d.path.startswith(("realmRoles", "clientRoles.")) for d in diffs):
            # PUT clears a description left out and replaces attributes: send live values overlaid.
            body: Obj = {
                "name": live["name"],
                "attributes": merge_list_attributes(live.get("attributes"), desired.get("attributes") or {}),
            }
            description = desired["description"] if "description" in desired else live.get("description")
            if description is not None:
                body["description"] = description
            ctx.api.put(f"/{seg(ctx.realm)}/groups/{group_id}", body)
        self._write_mappings(ctx, group_id, diffs)

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        why = "a subgroup goes with its group"
        below = [path for path in ctx.live.of(self.name) if path.startswith(key + "/")]
        return [Cascade(self.name, path, why) for path in below]

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        # Deleting a group deletes its subgroups: a child pruned after its parent is already gone.
        with contextlib.suppress(NotFound):
            ctx.api.delete(f"/{seg(ctx.realm)}/groups/{live['id']}")
        ctx.live.ids.forget_group(key)

    # -- helpers ---------------------------------------------------------------------------------
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        """The group tree, each level sorted by name."""
        by_parent: dict[str, list[tuple[str, Obj]]] = {}
        for path, obj in live.of(self.name).items():
            by_parent.setdefault(path.rsplit("/", 1)[0], []).append((path, obj))

        def level(parent: str) -> list[dict[str, Any]]:
            out = []
            for path, obj in sorted(by_parent.get(parent, []), key=lambda item: str(item[1]["name"])):
                node = export_group(obj)
                children = level(path)
                if children:
                    node[SUBGROUPS] = children
                out.append(node)
            return out

        return {"groups.yaml": {"groups": level("")}}

    @staticmethod
    def _write_mappings(ctx: Context, group_id: str, diffs: list[FieldDiff]) -> None:
        """Add and remove exactly the role mappings that the realmRoles/clientRoles diffs name."""
        mappings = f"/{seg(ctx.realm)}/groups/{group_id}/role-mappings"
        for d in diffs:
            if d.path == "realmRoles":
                client_id: str | None = None
                url = f"{mappings}/realm"
            elif d.path.startswith("clientRoles."):
                client_id = d.path.removeprefix("clientRoles.")
                url = f"{mappings}/clients/{ctx.lookup.require_client_uuid(client_id)}"
            else:
                continue
            before, after = set(d.before or []), set(d.after or [])
            add, remove = (
                ctx.lookup.role_reps(client_id, after - before),
                ctx.lookup.role_reps(client_id, before - after),
            )
            if add:
                ctx.api.post(url, add)
            if remove:
                ctx.api.delete(url, remove)


def export_group(live: Mapping[str, Any]) -> dict[str, Any]:
    out = named_with_attributes(live)
    if live.get("realmRoles"):
        out["realmRoles"] = sorted(live["realmRoles"])
    client_roles = role_map(live.get("clientRoles"))
    if client_roles:
        out["clientRoles"] = client_roles
    return out
