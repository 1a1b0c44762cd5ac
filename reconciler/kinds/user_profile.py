"""The realm's declarative user profile, as the readable first-class key ``userProfile`` (Keycloak's
UPConfig: ``attributes``, ``groups``, ``unmanagedAttributePolicy``).

How Keycloak 26.7 handles it (proven in ``tests/integration/test_facts_user_profile.py``):

- ``GET /users/profile`` answers the UPConfig; ``unmanagedAttributePolicy`` is absent when DISABLED.
- ``PUT /users/profile`` replaces the whole config and fills in ``multivalued: false``; ``username`` and
  ``email`` cannot be removed. An update GETs the config, puts the declared attributes and groups in
  (declared fields over the stored ones; a declared list of attributes or groups is the whole list, in
  its order: the order of the form) and PUTs it whole.
- Attributes the profile does not declare are dropped silently on user writes while the policy is
  DISABLED: the profile is applied before users (phase), and a user attribute that a declared profile
  does not allow is refused offline.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from reconciler.compare import FieldDiff, Rules, diff_declared
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.representation import Model
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Section

POLICY = "unmanagedAttributePolicy"
DISABLED = "DISABLED"  # Keycloak's default; it answers it as an absent field
MERGED = ("validations", "annotations", "permissions", "required", "selector")  # one level deep


class UserProfileAttribute(Model):
    required: ClassVar[str | None] = "name"

    name: str | None = None
    displayName: str | None = None
    validations: dict[str, dict[str, Any]] | None = None
    annotations: dict[str, Any] | None = None
    required_: dict[str, Any] | None = Field(None, alias="required", description="roles and scopes")
    permissions: dict[str, list[str]] | None = None
    selector: dict[str, Any] | None = None
    group: str | None = None
    multivalued: bool | None = None
    defaultValue: str | None = None


class UserProfileGroup(Model):
    required: ClassVar[str | None] = "name"

    name: str | None = None
    displayHeader: str | None = None
    displayDescription: str | None = None
    annotations: dict[str, Any] | None = None


class UserProfile(Model):
    """The realm's user profile: which attributes users have, who may see and edit them."""

    attributes: list[UserProfileAttribute] | None = Field(
        None, description="the whole list, in the form's order; username and email must stay"
    )
    groups: list[UserProfileGroup] | None = None
    unmanagedAttributePolicy: Literal["DISABLED", "ENABLED", "ADMIN_VIEW", "ADMIN_EDIT"] | None = None


def _path(ctx: Context) -> str:
    return f"/{seg(ctx.realm)}/users/profile"


def _names(items: Any) -> list[str]:
    return [str(item.get("name")) for item in items or [] if isinstance(item, dict)]


class UserProfileKind(Kind):
    name = "user-profile"
    phase = 12  # after the realm, before anything that writes user attributes
    model = UserProfile
    sections = (Section("userProfile", "object", UserProfile),)
    access = (Access("/users/profile", "view-realm", "manage-realm"),)
    export_files = ("user-profile.yaml",)
    rules: ClassVar[Rules] = Rules(keyed_lists={"attributes": "name", "groups": "name"})

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/user-profile"

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        """A declared profile keeps username and email, and allows the attributes users declare
        (Keycloak drops the others silently while unmanaged attributes are DISABLED)."""
        profile = realm.spec.get("userProfile")
        origins = realm.items.get("userProfile.attributes") or []
        if not isinstance(profile, dict) or not origins:
            return
        declared = {a.get("name") for a in profile.get("attributes") or [] if isinstance(a, dict)}
        for name in ("username", "email"):
            if name not in declared:
                found.error(
                    origins[0],
                    (),
                    f"userProfile.attributes must keep {name!r}",
                    f"declare the attribute {name!r} (Keycloak cannot remove it)",
                )
        if (profile.get(POLICY) or "DISABLED") != "DISABLED":
            return
        for user, origin in realm.listed("users"):
            for name in user.get("attributes") or {}:
                if name not in declared:
                    found.error(
                        origin,
                        ("attributes", name),
                        f"attribute {name!r} is not in the declared userProfile",
                        "declare it under userProfile.attributes, or set unmanagedAttributePolicy",
                        key=True,
                    )

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        spec = realm.spec.get("userProfile")
        return {realm.name: dict(spec)} if spec is not None else {}

    def read(self, ctx: Context) -> dict[str, Obj]:
        return {ctx.realm: _live(ctx.api.get(_path(ctx)))}

    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        diffs = diff_declared(desired, live, self.rules)
        for field in ("attributes", "groups"):
            want, have = _names(desired.get(field)), _names(live.get(field))
            if field in desired and sorted(want) == sorted(have) and want != have:
                diffs.append(FieldDiff(f"{field}.order", have, want))
        return diffs

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        self.update(ctx, key, desired, {}, [])  # every realm has a profile

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        ctx.api.put(_path(ctx), merged(ctx.api.get(_path(ctx)), desired))

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        raise NotImplementedError("a realm always has a user profile; declare the one you want")

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        profile = live.of(self.name).get(live.name)
        if not profile or profile == DEFAULT:
            return {"user-profile.yaml": {}}
        out = {k: v for k, v in profile.items() if not (k == POLICY and v == DISABLED)}
        return {"user-profile.yaml": {"userProfile": out}}


def _live(rep: dict[str, Any]) -> Obj:
    return {**rep, POLICY: rep.get(POLICY) or DISABLED}


def merged(stored: dict[str, Any], desired: Obj) -> dict[str, Any]:
    """The config to PUT: the declared attributes and groups (declared fields over the stored ones,
    one level deep for maps) in the declared order, and the declared policy."""
    out = copy.deepcopy(stored)
    for field in ("attributes", "groups"):
        if field not in desired:
            continue
        have = {item.get("name"): item for item in stored.get(field) or []}
        items = []
        for want in desired[field] or []:
            item = copy.deepcopy(have.get(want.get("name"), {}))
            for k, v in want.items():
                if k in MERGED and isinstance(v, dict) and isinstance(item.get(k), dict):
                    item[k] = {**item[k], **v}
                else:
                    item[k] = v
            items.append(item)
        out[field] = items
    if POLICY in desired:
        if desired[POLICY] in (None, DISABLED):
            out.pop(POLICY, None)
        else:
            out[POLICY] = desired[POLICY]
    return out


# A new realm's profile, as read (with the policy made explicit): not exported.
DEFAULT: Obj = {
    "attributes": [
        {
            "name": "username",
            "displayName": "${username}",
            "validations": {
                "length": {"min": 3, "max": 255},
                "username-prohibited-characters": {},
                "up-username-not-idn-homograph": {},
            },
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
        {
            "name": "email",
            "displayName": "${email}",
            "validations": {"email": {}, "length": {"max": 255}},
            "required": {"roles": ["user"]},
            "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
            "multivalued": False,
        },
        *(
            {
                "name": name,
                "displayName": "${" + name + "}",
                "validations": {"length": {"max": 255}, "person-name-prohibited-characters": {}},
                "required": {"roles": ["user"]},
                "permissions": {"view": ["admin", "user"], "edit": ["admin", "user"]},
                "multivalued": False,
            }
            for name in ("firstName", "lastName")
        ),
    ],
    "groups": [
        {
            "name": "user-metadata",
            "displayHeader": "User metadata",
            "displayDescription": "Attributes, which refer to user metadata",
        }
    ],
    POLICY: DISABLED,
}
