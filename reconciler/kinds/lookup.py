"""Ids of live objects by the names the language uses, one service for every kind: use what was
read, else one GET.

The kind that reads objects records their ids here (the client kind its clients' uuids, the role kind
role ids, the group kind group ids, the client-scope kind scope ids); any kind that needs the id of
another kind's object asks ``ctx.lookup`` and never reaches into another kind's bookkeeping. A name
Keycloak does not know raises ``MissingReference``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reconciler.builtins import default_role
from reconciler.errors import MissingReference, NotFound
from reconciler.keycloak.client import seg

if TYPE_CHECKING:
    from reconciler.keycloak.client import AdminClient

RoleRef = tuple[str | None, str]  # (clientId or None for a realm role, role name)
PAGE = 500


def role_key(client_id: str | None, name: str) -> str:
    """A role's key in its kind: ``name`` for a realm role, ``<clientId>/<name>`` for a client role."""
    return name if client_id is None else f"{client_id}/{name}"


@dataclass
class LiveIds:
    """What is known of live ids, by name. A ``None`` listing was not read in full."""

    realm: dict[str, Any] | None = None  # the realm representation, as last read
    client_uuids: dict[str, str] = field(default_factory=dict)  # clientId -> uuid
    clients: dict[str, dict[str, Any]] | None = None  # clientId -> representation, every client
    role_ids: dict[str, str] = field(default_factory=dict)  # role key -> id
    role_refs: dict[str, RoleRef] = field(default_factory=dict)  # role key -> (clientId, name), as read
    group_ids: dict[str, str] = field(default_factory=dict)  # group path -> id
    all_groups_read: bool = False
    scope_ids: dict[str, str] | None = None  # client scope name -> id, every scope
    flow_ids: dict[str, str] | None = None  # top-level authentication flow alias -> id, every flow

    def record_clients(self, reps: list[dict[str, Any]]) -> None:
        """A full listing of the realm's clients."""
        self.clients = {str(r["clientId"]): r for r in reps}
        self.client_uuids.update({cid: str(r["id"]) for cid, r in self.clients.items()})

    def forget_client(self, client_id: str) -> None:
        self.client_uuids.pop(client_id, None)
        if self.clients is not None:
            self.clients.pop(client_id, None)

    def record_role(self, key: str, role_id: str, ref: RoleRef) -> None:
        self.role_ids[key] = role_id
        self.role_refs[key] = ref

    def record_groups(self, ids: dict[str, str]) -> None:
        """Every group of the realm, path -> id."""
        self.group_ids = dict(ids)
        self.all_groups_read = True

    def forget_group(self, path: str) -> None:
        """A deleted group, and its subgroups (deleted with it)."""
        for known in [p for p in self.group_ids if p == path or p.startswith(path + "/")]:
            self.group_ids.pop(known, None)


class Lookup:
    """Ids by name in one realm: from ``ids`` when read, else one GET (recorded for the next ask)."""

    def __init__(self, api: AdminClient, realm: str, ids: LiveIds) -> None:
        self.api = api
        self.realm = realm
        self.ids = ids
        self.base = f"/{seg(realm)}"

    # -- realm -----------------------------------------------------------------------------------
    def realm_rep(self) -> dict[str, Any]:
        if self.ids.realm is None:
            self.ids.realm = self.api.get(self.base)
        return self.ids.realm or {}

    def default_role(self) -> str:
        """The role every user has; Keycloak lower-cases the realm name in it."""
        name = ((self.ids.realm or {}).get("defaultRole") or {}).get("name")
        return str(name) if name else default_role(self.realm)

    # -- clients ---------------------------------------------------------------------------------
    def client_uuid(self, client_id: str) -> str | None:
        if client_id not in self.ids.client_uuids:
            if self.ids.clients is not None:
                return None  # every client was read: there is no such client
            rows = self.api.get(f"{self.base}/clients", {"clientId": client_id}) or []
            for row in rows:
                if row.get("clientId") == client_id:
                    self.ids.client_uuids[client_id] = str(row["id"])
        return self.ids.client_uuids.get(client_id)

    def require_client_uuid(self, client_id: str) -> str:
        uuid = self.client_uuid(client_id)
        if uuid is None:
            raise MissingReference(
                f"/{self.realm}/clients?clientId={client_id}",
                f"client {client_id!r} does not exist in realm {self.realm!r}",
            )
        return uuid

    def clients(self) -> dict[str, dict[str, Any]]:
        """clientId -> representation of every client (one paged listing when not read)."""
        if self.ids.clients is None:
            self.ids.record_clients(self.api.get_paged(f"{self.base}/clients", page_size=PAGE))
        return self.ids.clients or {}

    def client_uuids(self) -> dict[str, str]:
        """clientId -> uuid of every client."""
        return {cid: str(rep["id"]) for cid, rep in self.clients().items()}

    def client_id_of(self, uuid: str) -> str:
        """The clientId of a client known by its uuid only (one GET; callers keep a reverse map)."""
        client_id = str(self.api.get(f"{self.base}/clients/{uuid}")["clientId"])
        self.ids.client_uuids[client_id] = uuid
        return client_id

    # -- roles -----------------------------------------------------------------------------------
    def role_container(self, client_id: str | None) -> str:
        if client_id is None:
            return f"{self.base}/roles"
        return f"{self.base}/clients/{self.require_client_uuid(client_id)}/roles"

    def role_id(self, client_id: str | None, name: str) -> str:
        key = role_key(client_id, name)
        if key not in self.ids.role_ids:
            path = f"{self.role_container(client_id)}/{seg(name)}"
            try:
                rep = self.api.get(path)
            except NotFound:
                what = (
                    f"client role {name!r} of client {client_id!r}" if client_id else f"realm role {name!r}"
                )
                raise MissingReference(path, f"{what} does not exist in realm {self.realm!r}") from None
            self.ids.role_ids[key] = str(rep["id"])
        return self.ids.role_ids[key]

    def role_reps(self, client_id: str | None, names: Any) -> list[dict[str, str]]:
        """``{id, name}`` of the named roles of one container, as role-mapping endpoints take them."""
        return [{"id": self.role_id(client_id, n), "name": n} for n in sorted(set(names))]

    # -- groups ----------------------------------------------------------------------------------
    def group_id(self, path: str) -> str:
        if path not in self.ids.group_ids:
            url = f"{self.base}/group-by-path/{quote(path.strip('/'), safe='/')}"
            try:
                self.ids.group_ids[path] = str(self.api.get(url)["id"])
            except NotFound:
                raise MissingReference(
                    url, f"group {path!r} does not exist in realm {self.realm!r}"
                ) from None
        return self.ids.group_ids[path]

    def group_ids(self) -> dict[str, str]:
        """path -> id of every group (the tree read level by level when not read)."""
        if not self.ids.all_groups_read:
            paths: dict[str, str] = {}
            params = {"briefRepresentation": "true"}
            level = self.api.get_paged(f"{self.base}/groups", params, page_size=PAGE)
            while level:
                parents = []
                for group in level:
                    paths[group["path"]] = group["id"]
                    if group.get("subGroupCount", 1):
                        parents.append(group["id"])
                pages = self.api.map(
                    lambda gid: self.api.get_paged(
                        f"{self.base}/groups/{gid}/children", params, page_size=PAGE
                    ),
                    parents,
                )
                level = [child for page in pages for child in page]
            self.ids.record_groups(paths)
        return dict(self.ids.group_ids)

    # -- client scopes ---------------------------------------------------------------------------
    def scope_ids(self) -> dict[str, str]:
        """Scope name -> id of every client scope."""
        if self.ids.scope_ids is None:
            reps = self.api.get(f"{self.base}/client-scopes") or []
            self.ids.scope_ids = {r["name"]: r["id"] for r in reps}
        return self.ids.scope_ids

    def scope_id_map(self, names: Any, where: str) -> dict[str, str]:
        """Ids of the named scopes; an unknown name raises ``MissingReference`` naming ``where``."""
        ids = self.scope_ids()
        missing = sorted(n for n in names if n not in ids)
        if missing:
            raise MissingReference(
                f"/{self.realm}/client-scopes",
                f"{where}: client scope {', '.join(map(repr, missing))} does not exist in realm "
                f"{self.realm!r}; declare it under clientScopes or fix the name",
            )
        return {n: ids[n] for n in names}

    # -- authentication flows --------------------------------------------------------------------
    def flow_ids(self) -> dict[str, str]:
        """Top-level flow alias -> id (what bindings and client overrides point at)."""
        if self.ids.flow_ids is None:
            reps = self.api.get(f"{self.base}/authentication/flows") or []
            self.ids.flow_ids = {str(r["alias"]): str(r["id"]) for r in reps}
        return self.ids.flow_ids

    def flow_id(self, alias: str, where: str) -> str:
        """The id of a top-level flow; an unknown alias raises ``MissingReference`` naming ``where``."""
        ids = self.flow_ids()
        if alias not in ids:
            self.ids.flow_ids = None  # made by this apply since the listing: read again
            ids = self.flow_ids()
        if alias not in ids:
            raise MissingReference(
                f"/{self.realm}/authentication/flows",
                f"{where}: authentication flow {alias!r} does not exist in realm {self.realm!r}; "
                "declare it under authenticationFlows or fix the alias",
            )
        return ids[alias]
