"""Required actions: ``requiredActions[]`` of the realm representation, named by ``alias``.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_facts_required_actions.py``):

- ``GET /authentication/required-actions`` lists the registered actions in the export's shape. A new
  realm registers 14 (26.0 and 26.2: 11), ordered by ``priority`` (``built_in`` below, per version);
  every provider that ships with Keycloak is registered, so ``unregistered-required-actions`` is empty
  until one is deleted.
- ``PUT /required-actions/{alias}`` replaces the whole action (a body without ``alias`` leaves an action
  that no alias finds): an update GETs it, overlays the declared fields and PUTs it whole. ``priority``
  and ``config`` are written by that PUT.
- ``DELETE`` unregisters an action; ``POST /register-required-action`` ``{providerId, name}`` registers
  a provider again (``alias = providerId``, enabled, after the last priority). A declared action that is
  not registered is registered this way, then given its declared fields.
- ``defaultAction: true`` gives every user created afterwards the action (proven by a real login in
  ``tests/integration/test_kind_required_actions.py``). The direct grant refuses a user with any pending
  action, even a disabled one ("Account is not fully set up").
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from reconciler.compare import FieldDiff, Rules
from reconciler.desired.representation import Resource, StringMap
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError
from reconciler.export.values import string_map
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Section, overlay
from reconciler.versions import REQUIRED_ACTIONS_26_4, REQUIRED_ACTIONS_OTP_AFTER_EMAIL, ServerInfo, has

FIELDS = ("alias", "name", "providerId", "enabled", "defaultAction", "priority", "config")
Table = dict[str, tuple[str, bool, int]]
# Registered in every new realm: alias -> (name, enabled, priority); all start defaultAction false and
# with no config. Never pruned; exported only where they differ from what the server's version
# registers (``built_in``: the facts in reconciler/versions.py say which version has which table).
BUILT_IN_26_0: Table = {
    "CONFIGURE_TOTP": ("Configure OTP", True, 10),
    "TERMS_AND_CONDITIONS": ("Terms and Conditions", False, 20),
    "UPDATE_PASSWORD": ("Update Password", True, 30),
    "UPDATE_PROFILE": ("Update Profile", True, 40),
    "VERIFY_EMAIL": ("Verify Email", True, 50),
    "delete_account": ("Delete Account", False, 60),
    "webauthn-register": ("Webauthn Register", True, 70),
    "webauthn-register-passwordless": ("Webauthn Register Passwordless", True, 80),
    "VERIFY_PROFILE": ("Verify Profile", True, 90),
    "delete_credential": ("Delete Credential", True, 100),
    "update_user_locale": ("Update User Locale", True, 1000),
}
BUILT_IN_26_4: Table = {
    "CONFIGURE_TOTP": ("Configure OTP", True, 10),
    "TERMS_AND_CONDITIONS": ("Terms and Conditions", False, 20),
    "UPDATE_PASSWORD": ("Update Password", True, 30),
    "UPDATE_PROFILE": ("Update Profile", True, 40),
    "VERIFY_EMAIL": ("Verify Email", True, 50),
    "delete_account": ("Delete Account", False, 60),
    "UPDATE_EMAIL": ("Update Email", False, 70),
    "webauthn-register": ("Webauthn Register", True, 80),
    "webauthn-register-passwordless": ("Webauthn Register Passwordless", True, 90),
    "VERIFY_PROFILE": ("Verify Profile", True, 100),
    "delete_credential": ("Delete Credential", True, 110),
    "idp_link": ("Linking Identity Provider", True, 120),
    "CONFIGURE_RECOVERY_AUTHN_CODES": ("Recovery Authentication Codes", True, 130),
    "update_user_locale": ("Update User Locale", True, 1000),
}
# From REQUIRED_ACTIONS_OTP_AFTER_EMAIL on: Configure OTP and Update Password come after Verify Email.
BUILT_IN_LATEST: Table = {
    **BUILT_IN_26_4,
    "CONFIGURE_TOTP": ("Configure OTP", True, 54),
    "UPDATE_PASSWORD": ("Update Password", True, 57),
}
BUILT_IN = frozenset(BUILT_IN_26_0) | frozenset(BUILT_IN_LATEST)  # on any supported version


def built_in(server: ServerInfo) -> Table:
    """The actions a new realm registers on ``server`` (an unknown version counts as the newest)."""
    if has(server, REQUIRED_ACTIONS_OTP_AFTER_EMAIL):
        return BUILT_IN_LATEST
    return BUILT_IN_26_4 if has(server, REQUIRED_ACTIONS_26_4) else BUILT_IN_26_0


class RequiredAction(Resource):
    """A required action a user can be asked to complete at login (``alias`` names it)."""

    required: ClassVar[str | None] = "alias"

    alias: str | None = None
    name: str | None = None
    providerId: str | None = Field(None, description="the provider; defaults to the alias")
    enabled: bool | None = None
    defaultAction: bool | None = Field(None, description="every new user must complete it")
    priority: int | None = Field(None, description="order among the actions a user faces (lower first)")
    config: StringMap | None = None


def _path(ctx: Context, alias: str = "") -> str:
    base = f"/{seg(ctx.realm)}/authentication/required-actions"
    return f"{base}/{seg(alias)}" if alias else base


def _live(rep: dict[str, Any]) -> Obj:
    return {k: rep[k] for k in FIELDS if k in rep}


class RequiredActionKind(Kind):
    name = "required-action"
    phase = 15  # after the realm, before users who must face them
    model = RequiredAction
    key_field = "alias"
    sections = (Section("requiredActions", "list", RequiredAction),)
    collection = "requiredActions"
    access = (Access("/authentication", "view-realm", "manage-realm"),)
    export_files = ("authentication.yaml",)
    rules: ClassVar[Rules] = Rules(string_maps=frozenset({"config"}))

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {str(spec["alias"]): dict(spec) for spec in realm.spec.get("requiredActions") or []}

    def read(self, ctx: Context) -> dict[str, Obj]:
        # An action damaged by a partial PUT has no alias any more: it is found by its provider.
        return {
            str(rep.get("alias") or rep["providerId"]): _live(rep) for rep in ctx.api.get(_path(ctx)) or []
        }

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return key in BUILT_IN

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        provider = str(desired.get("providerId") or key)
        unregistered = {
            str(p["providerId"]): p
            for p in ctx.api.get(f"/{seg(ctx.realm)}/authentication/unregistered-required-actions") or []
        }
        if provider not in unregistered:
            raise KcrError(
                f"required action {key!r}: Keycloak has no unregistered provider {provider!r} "
                f"(available: {', '.join(sorted(unregistered)) or 'none'}); "
                "declare the providerId of a required-action provider deployed on the server"
            )
        name = desired.get("name") or unregistered[provider].get("name") or key
        ctx.api.post(
            f"/{seg(ctx.realm)}/authentication/register-required-action",
            {"providerId": provider, "name": name},
        )
        self._put(ctx, provider, desired)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        self._put(ctx, key, desired)

    def _put(self, ctx: Context, alias: str, desired: Obj) -> None:
        # PUT replaces the whole action: send what is stored with the declared fields over it.
        rep = overlay(ctx.api.get(_path(ctx, alias)), desired, ("config",))
        ctx.api.put(_path(ctx, alias), rep)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(_path(ctx, key))

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        actions = sorted(
            live.of(self.name).values(), key=lambda a: (a.get("priority", 0), str(a.get("alias")))
        )
        table = built_in(live.server)
        exported = [out for out in (export_action(a, table) for a in actions) if out]
        return {"authentication.yaml": {"requiredActions": exported}}


def export_action(live: Obj, table: Table) -> Obj:
    """A custom action whole; a built-in one only with what differs from a new realm's (else ``{}``);
    ``table``: what a new realm registers on the server's version."""
    alias = str(live.get("alias") or live.get("providerId"))
    out: Obj = {"alias": alias}
    config = string_map(live.get("config"))
    if alias not in table:
        out.update({k: live[k] for k in FIELDS if k in live and k not in ("alias", "config")})
        if out.get("providerId") == alias:
            del out["providerId"]
        if config:
            out["config"] = config
        return out
    name, enabled, priority = table[alias]
    defaults = {"name": name, "enabled": enabled, "defaultAction": False, "priority": priority}
    out.update({k: live[k] for k, default in defaults.items() if k in live and live[k] != default})
    if config:
        out["config"] = config
    return out if len(out) > 1 else {}
