"""Admin permissions (fine-grained admin permissions v2, Keycloak 26.2+): the policies and permissions
of the realm's ``admin-permissions`` client, declared like any client's ``authorizationSettings.policies``
and read and written here for the authorization kind.

Keycloak makes the client when the realm gets ``adminPermissionsEnabled: true``, with its own resource
types (``Users``, ``Groups``, ``Clients``, ``Roles``, ...) and scopes (``view``, ``manage``,
``view-members``, ``manage-members``, ...). How 26.7 answers
(``tests/integration/test_admin_permissions.py``):

- ``GET .../settings`` (and so the export's shape) is refused with HTTP 400 for this client; ids are
  everywhere instead: a policy's ``config`` names users, roles, groups and clients by id, and a
  permission (type ``scope``, ``config.defaultResourceType``) lists the objects it covers as resources
  named by the object's id (``/policy/{id}/resources``), its scopes and policies by id
  (``/policy/{id}/scopes``, ``/policy/{id}/associatedPolicies`` give their names).
- The typed endpoints take names: ``POST /policy/user {users: [username]}``, ``/policy/role
  {roles: [{id: "name" or "client/role"}]}``, ``/policy/group {groups: [{path}]}``, ``/policy/client
  {clients: [clientId]}``; ``POST /permission/scope {resourceType, resources: [object ids], scopes:
  [scope names], policies: [policy names]}``; ``PUT`` of the same paths with ``/{id}`` updates.

kcr shows and takes names: a permission's ``config.resources`` are group paths, usernames, clientIds
or role names (``client/role``) after its ``resourceType``. A permission of another resource type
(26.7 adds ``Organizations``, with the scopes ``view`` and ``manage``, covering organizations by id) is
left alone: not read, so never compared, exported or deleted. ``kcr export`` writes them in the declared
form, references as YAML lists of names (``export_settings``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.desired.authorization_refs import (
    ADMIN_PERMISSIONS,
    ADMIN_RESOURCE_TYPES,
    PERMISSION_TYPES,
    REFERENCE_KEYS,
)
from reconciler.errors import MissingReference
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Context, Obj

__all__ = ["ADMIN_PERMISSIONS", "export_settings", "read_policies", "read_settings", "typed_body"]
ALL = {"first": 0, "max": -1}
NAMED_CONFIG = ("users", "roles", "groups", "clients")  # policy config keys whose ids become names


class _Names:
    """Ids -> names (and back) of the realm's users, roles, groups and clients, one GET each."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.base = f"/{seg(ctx.realm)}"
        self.groups: dict[str, str] | None = None

    def user(self, user_id: str) -> str:
        return str(self.ctx.api.get(f"{self.base}/users/{seg(user_id)}")["username"])

    def user_id(self, username: str) -> str:
        for row in self.ctx.api.get(f"{self.base}/users", {"username": username, "exact": "true"}) or []:
            return str(row["id"])
        raise MissingReference(
            f"{self.base}/users?username={username}",
            f"user {username!r} does not exist in realm {self.ctx.realm!r}",
        )

    def role(self, role_id: str) -> str:
        rep = self.ctx.api.get(f"{self.base}/roles-by-id/{seg(role_id)}")
        if rep.get("clientRole"):
            return f"{self.ctx.lookup.client_id_of(str(rep['containerId']))}/{rep['name']}"
        return str(rep["name"])

    def role_id(self, name: str) -> str:
        client_id, sep, role = name.partition("/")
        if sep and self.ctx.lookup.client_uuid(client_id):
            return self.ctx.lookup.role_id(client_id, role)
        return self.ctx.lookup.role_id(None, name)

    def group(self, group_id: str) -> str:
        if self.groups is None:
            self.groups = {v: k for k, v in self.ctx.lookup.group_ids().items()}
        return self.groups.get(group_id) or str(
            self.ctx.api.get(f"{self.base}/groups/{seg(group_id)}")["path"]
        )

    def client(self, uuid: str) -> str:
        known = {v: k for k, v in self.ctx.live.ids.client_uuids.items()}
        return known.get(uuid) or self.ctx.lookup.client_id_of(uuid)

    def object_name(self, resource_type: str, object_id: str) -> str:
        return {"Users": self.user, "Groups": self.group, "Clients": self.client, "Roles": self.role}[
            resource_type
        ](object_id)

    def object_id(self, resource_type: str, name: str) -> str:
        lookup = {
            "Users": self.user_id,
            "Groups": self.ctx.lookup.group_id,
            "Clients": self.ctx.lookup.require_client_uuid,
            "Roles": self.role_id,
        }
        return lookup[resource_type](name)


def read_policies(ctx: Context, server: str) -> list[Obj]:
    """A resource server's policies and permissions in the export's shape (references by name, as
    lists), from the endpoints an account with view rights may read (its ``settings`` need manage
    rights, and Keycloak refuses them for the admin-permissions client)."""
    names = _Names(ctx)
    policies = []
    for rep in ctx.api.get(f"{server}/policy", ALL) or []:
        out: Obj = {
            k: rep[k] for k in ("name", "description", "type", "logic", "decisionStrategy") if k in rep
        }
        config = dict(rep.get("config") or {})
        resource_type = config.pop("defaultResourceType", None)
        if resource_type and resource_type not in ADMIN_RESOURCE_TYPES:
            continue  # a type kcr does not manage (yet): not read, so never compared, exported or deleted
        path = f"{server}/policy/{seg(str(rep['id']))}"
        if rep.get("type") in PERMISSION_TYPES:
            objects = [r["name"] for r in ctx.api.get(f"{path}/resources") or []]
            if resource_type:  # an admin permission: objects named by their id, and the type itself
                out["resourceType"] = resource_type
                objects = [
                    names.object_name(resource_type, o) for o in objects if o not in ADMIN_RESOURCE_TYPES
                ]
            out["config"] = {
                "resources": objects,
                "scopes": [s["name"] for s in ctx.api.get(f"{path}/scopes") or []],
                "applyPolicies": [p["name"] for p in ctx.api.get(f"{path}/associatedPolicies") or []],
            }
        elif rep.get("type") == "aggregate":
            applied = [p["name"] for p in ctx.api.get(f"{path}/associatedPolicies") or []]
            out["config"] = {**_scalars(config), "applyPolicies": applied}
        else:
            typed = ctx.api.get(f"{server}/policy/{seg(str(rep['type']))}/{seg(str(rep['id']))}")
            out["config"] = {**_scalars(config), **_named(typed, names)}
        policies.append(out)
    return policies


def read_settings(ctx: Context, server: str) -> Obj:
    """A resource server in the export's shape, read with view rights only (see ``read_policies``)."""
    rep = ctx.api.get(server)
    return {
        **{
            k: rep[k]
            for k in ("policyEnforcementMode", "decisionStrategy", "allowRemoteResourceManagement")
            if k in rep
        },
        "scopes": ctx.api.get(f"{server}/scope", ALL) or [],
        "resources": ctx.api.get(f"{server}/resource", ALL) or [],
        "policies": read_policies(ctx, server),
    }


def _scalars(config: Mapping[str, Any]) -> Obj:
    return {
        k: v for k, v in config.items() if k not in (*NAMED_CONFIG, "applyPolicies") and v not in (None, "")
    }


def _named(typed: Mapping[str, Any], names: _Names) -> Obj:
    out: Obj = {}
    if "users" in typed:
        out["users"] = [names.user(u) for u in typed["users"] or []]
    if "roles" in typed:
        out["roles"] = [
            {"id": names.role(r["id"]), "required": bool(r.get("required"))} for r in typed["roles"] or []
        ]
    if "groups" in typed:
        out["groups"] = [
            {"path": names.group(g["id"]), "extendChildren": bool(g.get("extendChildren"))}
            for g in typed["groups"] or []
        ]
    if "clients" in typed:
        out["clients"] = [names.client(c) for c in typed["clients"] or []]
    return out


def typed_body(ctx: Context, item: Mapping[str, Any]) -> tuple[str, Obj]:
    """The typed endpoint (``policy/user``, ``permission/scope``) and body of one declared item."""
    body: Obj = {k: v for k, v in item.items() if k != "config"}
    config = dict(item.get("config") or {})
    kind = str(item.get("type"))
    if kind in PERMISSION_TYPES:
        resource_type = str(item.get("resourceType") or "")
        names = _Names(ctx)
        body["resources"] = [names.object_id(resource_type, n) for n in config.get("resources") or []]
        body["scopes"] = list(config.get("scopes") or [])
        body["policies"] = list(config.get("applyPolicies") or [])
        return f"permission/{kind}", body
    if kind == "aggregate":
        body["policies"] = list(config.pop("applyPolicies", None) or [])
    body.update(config)  # users, roles, groups, clients by name; time and regex settings as they are
    return f"policy/{kind}", body


def export_settings(live: Mapping[str, Any] | None) -> Obj | None:
    """The admin-permissions client's ``authorizationSettings`` for ``kcr export`` (None: it has no
    policies): its policies and permissions as declared, references as lists of names (Keycloak has no
    export of them, so there is no JSON-text form to keep)."""
    policies = [_export_policy(p) for p in (live or {}).get("policies") or []]
    return {"policies": policies} if policies else None


def _export_policy(policy: Mapping[str, Any]) -> Obj:
    out: Obj = {k: v for k, v in policy.items() if k != "config" and v not in (None, "", [], {})}
    config: Obj = {}
    for key, value in (policy.get("config") or {}).items():
        if key in REFERENCE_KEYS and isinstance(value, list):
            value = [_by_name(key, ref) for ref in value]
        if value not in (None, "", [], {}):
            config[key] = value
    if config:
        out["config"] = config
    return out


def _by_name(key: str, ref: Any) -> Any:
    """A role or group reference at its defaults (not required, children not included) by its name."""
    if key == "roles" and isinstance(ref, Mapping) and not ref.get("required"):
        return ref["id"]
    if key == "groups" and isinstance(ref, Mapping) and not ref.get("extendChildren"):
        return ref["path"]
    return ref
