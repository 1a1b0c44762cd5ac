"""The realm's default groups: ``defaultGroups: ["/path", ...]``, the groups every new user joins.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_kind_default_groups.py``):

- ``GET /admin/realms/{realm}`` lists them as ``defaultGroups`` (full paths), so reading costs nothing
  beyond the realm itself; ``GET /default-groups`` answers the same groups with their ids.
- ``PUT``/``DELETE /default-groups/{group id}`` add and remove one group; a subgroup may be a default.
- A user made afterwards, by an administrator or by self-registration (a real registration through
  the login page's form in the test), joins exactly them; users that exist keep their memberships.

The declared list is the whole set. Not declaring it leaves the realm's list alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from reconciler.compare import FieldDiff, Rules
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.representation import Model
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Reference, Section

DEFAULT_GROUPS = "defaultGroups"


class DefaultGroupsKind(Kind):
    """The groups every new user joins: one object per realm."""

    name = "default-groups"
    phase = 57  # after the groups it names, before the users who join them
    model = Model  # its one object per realm is the list below
    sections = (Section(DEFAULT_GROUPS, "names"),)
    references: ClassVar[tuple[Reference, ...]] = (Reference("[]", "group", section=DEFAULT_GROUPS),)
    access = (Access("/default-groups", "view-realm", "manage-realm"),)
    export_files = ("groups.yaml",)
    rules: ClassVar[Rules] = Rules(sets=frozenset({DEFAULT_GROUPS}))

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/{self.name}"

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        found.listed_twice(realm, DEFAULT_GROUPS, "group")

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        if DEFAULT_GROUPS not in realm.spec:
            return {}
        return {realm.name: {DEFAULT_GROUPS: list(realm.spec[DEFAULT_GROUPS] or [])}}

    def read(self, ctx: Context) -> dict[str, Obj]:
        return {ctx.realm: {DEFAULT_GROUPS: sorted(ctx.lookup.realm_rep().get(DEFAULT_GROUPS) or [])}}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        listed = ctx.api.get(f"/{seg(ctx.realm)}/default-groups") or []
        return {DEFAULT_GROUPS: sorted(str(g["path"]) for g in listed)}

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # The realm was just created, with no default groups.
        self.update(ctx, key, desired, {DEFAULT_GROUPS: []}, [])

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        base = f"/{seg(ctx.realm)}/default-groups"
        current = {str(g["path"]): str(g["id"]) for g in ctx.api.get(base) or []}
        want = set(desired.get(DEFAULT_GROUPS) or [])
        for path in sorted(set(current) - want):
            ctx.api.delete(f"{base}/{seg(current[path])}")
        for path in sorted(want - set(current)):
            ctx.api.put(f"{base}/{seg(ctx.lookup.group_id(path))}")
        ctx.live.of(self.name)[key] = {DEFAULT_GROUPS: sorted(want)}
        ctx.lookup.realm_rep()[DEFAULT_GROUPS] = sorted(want)  # users made next join them (user kind)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """The realm's list cannot be deleted; ``state: absent`` on it means nothing."""

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        paths = (live.of(self.name).get(live.name) or {}).get(DEFAULT_GROUPS) or []
        return {"groups.yaml": {DEFAULT_GROUPS: sorted(paths)} if paths else {}}
