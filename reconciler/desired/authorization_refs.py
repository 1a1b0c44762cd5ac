"""References inside a resource server's policies, as Keycloak's export writes them: JSON text in the
policy's ``config`` (``"roles": "[{\\"id\\":\\"web/manager\\",\\"required\\":false}]"``), by name.

Parsed into one canonical form, so that a declared reference and Keycloak's answer compare as sets
(a renamed role is a change; key order, spacing and defaults are not), and written back as Keycloak
stores them. Pure functions: the authorization kind and the offline checks share them.
"""

from __future__ import annotations

import json
from typing import Any

# config key -> what it names
REFERENCE_KEYS: dict[str, str] = {
    "roles": "role",
    "groups": "group",
    "clients": "client",
    "users": "user",
    "applyPolicies": "policy",
    "resources": "resource",
    "scopes": "scope",
}
PERMISSION_TYPES = frozenset({"resource", "scope"})

# Admin permissions (FGAP v2): the realm's client that holds them, the resource types its permissions
# cover (objects named by name: group path, username, clientId, role name) and its scopes, as
# Keycloak 26.2+ makes them.
ADMIN_PERMISSIONS = "admin-permissions"
ADMIN_RESOURCE_TYPES = ("Users", "Groups", "Clients", "Roles")
ADMIN_SCOPES = frozenset(
    {
        "view",
        "manage",
        "map-roles",
        "manage-group-membership",
        "impersonate",
        "reset-password",
        "view-members",
        "manage-members",
        "manage-membership",
        "manage-membership-of-members",
        "impersonate-members",
        "map-roles-client-scope",
        "map-roles-composite",
        "map-role",
        "map-role-client-scope",
        "map-role-composite",
    }
)


class BadReference(ValueError):
    """A reference value that is neither JSON text of a list nor a list."""


def parse_refs(key: str, value: Any) -> list[Any]:
    """The references of one config key, canonical: roles as ``{id, required}``, groups as
    ``{path, extendChildren}``, the rest as names. Raises ``BadReference``."""
    items = value
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            items = json.loads(value)
        except json.JSONDecodeError as exc:
            raise BadReference(f"is not JSON text of a list ({exc.msg})") from None
    if not isinstance(items, list):
        raise BadReference("must be a list (or JSON text of one)")
    return [_canonical(key, item) for item in items]


def _canonical(key: str, item: Any) -> Any:
    if key == "roles":
        if isinstance(item, str):
            return {"id": item, "required": False}
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            return {"id": item["id"], "required": _flag(item.get("required"))}
        raise BadReference(
            'a role is a name or {id: NAME, required: false} ("client/role" for a client role)'
        )
    if key == "groups":
        if isinstance(item, str):
            return {"path": item, "extendChildren": False}
        if isinstance(item, dict) and isinstance(item.get("path"), str):
            return {"path": item["path"], "extendChildren": _flag(item.get("extendChildren"))}
        raise BadReference("a group is a path or {path: /a/b, extendChildren: false}")
    if not isinstance(item, str):
        raise BadReference(f"the {key} are names")
    return item


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def refs_text(refs: list[Any]) -> str:
    """Canonical references as Keycloak stores them (compact JSON text)."""
    return json.dumps(refs, separators=(",", ":"))


def ref_name(key: str, ref: Any) -> str:
    """The name a canonical reference points at (a role's ``id``, a group's ``path``)."""
    if key == "roles":
        return str(ref["id"])
    if key == "groups":
        return str(ref["path"])
    return str(ref)


def split_role(name: str, clients: set[str]) -> tuple[str | None, str]:
    """``"web/manager"`` -> (``"web"``, ``"manager"``) when ``web`` is a client; else a realm role."""
    client_id, sep, role = name.partition("/")
    if sep and client_id in clients:
        return client_id, role
    return None, name
