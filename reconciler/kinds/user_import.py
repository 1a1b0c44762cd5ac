"""Which declared users Keycloak's realm import makes exactly as ``POST /users`` would, and how.

The import skips what ``POST /users`` does besides storing the user (checked against Keycloak 26.7 in
tests/integration/test_realm_import.py):

- it runs no user-profile validation: a username of two characters, a malformed email, a name with
  ``<`` are imported where the POST refuses them (400, naming the field);
- it maps no default role and joins no default group, and it adds no ``UPDATE_PASSWORD`` for a
  temporary password (nor the realm's default required actions: a new realm has none).

So a user is carried only when kcr can tell, offline, that the POST would accept it and what it would
add: the realm declares no user profile (the default one applies: its validators are the ones below,
checked here with stricter character sets), no user storage (a POST may write to LDAP), no
``registrationEmailAsUsername``, no default required action and, for a user with a password, no
password policy; the user declares no attributes (the default profile drops unmanaged ones
silently: one by one, kcr fails loudly naming them), only a password credential, groups and roles
that the import makes too, and ``groups`` when the realm declares default groups. Every other user
is created one by one after the import, with the POST's own checks and errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from reconciler.builtins import default_role
from reconciler.kinds.base import STATE_KEY, Obj
from reconciler.kinds.component_types import USER_STORAGE
from reconciler.kinds.user_checks import SA_CLIENT

UPDATE_PASSWORD = "UPDATE_PASSWORD"
CARRIED_FIELDS = frozenset(
    {
        "username",
        "email",
        "firstName",
        "lastName",
        "enabled",
        "emailVerified",
        "groups",
        "realmRoles",
        "clientRoles",
        "credentials",
        "requiredActions",
        "attributes",  # only empty
        STATE_KEY,
    }
)
# Stricter than the default user profile's validators (length 3-255 and prohibited characters for
# the username; the email format; length and prohibited characters for names): what passes here the
# POST accepts. No "@" in a username: it could then collide with another user's email.
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,254}")
EMAIL = re.compile(r"[a-z0-9._+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+")
NAME = re.compile(r"[^\W_]+(?:[ '.-][^\W_]+)*")
MAX_LENGTH = 255


def realm_allows(spec: Mapping[str, Any]) -> bool:
    """Whether the realm's own settings let its users be carried at all."""
    components = spec.get("components") or {}
    default_actions = [
        a for a in spec.get("requiredActions") or [] if isinstance(a, Mapping) and a.get("defaultAction")
    ]
    return (
        "userProfile" not in spec
        and not (isinstance(components, Mapping) and components.get(USER_STORAGE))
        and not spec.get("registrationEmailAsUsername")
        and not default_actions
    )


def import_user(
    spec: Obj,
    realm: str,
    realm_spec: Mapping[str, Any],
    groups: set[str],
    realm_roles: set[str],
    client_roles: set[tuple[str, str]],
) -> Obj | None:
    """The import's representation of a declared user (``UserKind.declared``: username and email in
    lower case), or None when the import would not make it as the POST does. ``groups`` and the
    roles: what the import makes before its users."""
    if spec.get(STATE_KEY) == "absent" or spec.get(SA_CLIENT) or not set(spec) <= CARRIED_FIELDS:
        return None
    if spec.get("attributes") or not _profile_valid(spec):
        return None
    declared_groups = set(spec.get("groups") or [])
    if not declared_groups <= groups or ("groups" not in spec and realm_spec.get("defaultGroups")):
        return None
    if not set(spec.get("realmRoles") or []) <= realm_roles:
        return None
    mapped = {(cid, name) for cid, names in (spec.get("clientRoles") or {}).items() for name in names or []}
    if not mapped <= client_roles:
        return None
    credentials = spec.get("credentials") or []
    if credentials and (realm_spec.get("passwordPolicy") or not all(map(_plain_password, credentials))):
        return None
    rep: Obj = {
        k: spec[k]
        for k in ("username", "email", "firstName", "lastName", "enabled", "emailVerified")
        if k in spec
    }
    actions = list(spec.get("requiredActions") or [])
    if any(c.get("temporary") for c in credentials) and UPDATE_PASSWORD not in actions:
        actions.append(UPDATE_PASSWORD)  # what the POST adds for a temporary password
    rep["requiredActions"] = actions
    rep["groups"] = sorted(declared_groups)
    rep["realmRoles"] = sorted({*(spec.get("realmRoles") or []), default_role(realm)})  # the POST maps it
    if mapped:
        rep["clientRoles"] = {cid: sorted(names or []) for cid, names in spec["clientRoles"].items()}
    if credentials:
        rep["credentials"] = [
            {"type": "password", "value": c["value"], "temporary": bool(c.get("temporary"))}
            for c in credentials
        ]
    return rep


def _profile_valid(spec: Obj) -> bool:
    if not USERNAME.fullmatch(str(spec.get("username") or "")):
        return False
    email = spec.get("email")
    if email is not None and not (
        isinstance(email, str) and len(email) <= MAX_LENGTH and EMAIL.fullmatch(email)
    ):
        return False
    for field in ("firstName", "lastName"):
        value = spec.get(field)
        if value is not None and not (
            isinstance(value, str) and len(value) <= MAX_LENGTH and NAME.fullmatch(value)
        ):
            return False
    return True


def _plain_password(credential: Any) -> bool:
    return (
        isinstance(credential, Mapping)
        and set(credential) <= {"type", "value", "temporary"}
        and credential.get("type", "password") == "password"
        and isinstance(credential.get("value"), str)
        and bool(credential["value"])
    )
