"""Realm settings: every scalar field of the realm representation, plus its string ``attributes``.

Keycloak's realm PUT replaces ``attributes`` wholesale and rebuilds WebAuthn policies from whatever
the body carries, so an update always GETs the whole realm, overlays the declared fields and PUTs the
whole object back (keycloak-admin-api.md 1.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler import ownership
from reconciler.builtins import REALM_FLOW_BINDINGS
from reconciler.compare import FieldDiff, Rules, scalar_to_str
from reconciler.desired.representation import RealmSettings
from reconciler.desired.state import DesiredRealm
from reconciler.export import defaults
from reconciler.export.values import differs, empty, exported_fields, string_map
from reconciler.export.yaml_text import Hint
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj

NAME_KEY = "realm"  # the realm's name in its document; not a setting
# What the server computes or what has its own endpoints: never compared, never sent.
READ_ONLY = frozenset(
    {
        "id",
        "defaultRole",
        "adminPermissionsClient",
        "otpSupportedApplications",
        "keycloakVersion",
        "identityProviders",
        "identityProviderMappers",
    }
)
# Flow bindings are realm fields, but written after the flows they name (the flow-binding kind).
NOT_SETTINGS = READ_ONLY | frozenset(REALM_FLOW_BINDINGS)


IMPORT_TIMEOUT = 900.0  # seconds


class RealmKind(Kind):
    name = "realm"
    phase = 10
    model = RealmSettings
    # GET and PUT on the realm itself; partial export is the one other realm-level read.
    access = (
        Access("", "view-realm", "manage-realm"),
        Access("/partial-export", "manage-realm", "manage-realm"),
    )
    export_files = ("realm.yaml",)
    is_realm = True
    rules: ClassVar[Rules] = Rules(
        string_maps=frozenset({"attributes", "smtpServer", "browserSecurityHeaders"}),
        sets=frozenset({"supportedLocales", "eventsListeners", "enabledEventTypes"}),
        secrets=frozenset({"smtpServer.password"}),
    )

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/realm"

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        fields = RealmSettings.model_fields
        settings = {
            k: v for k, v in realm.spec.items() if k in fields and k not in NOT_SETTINGS and k != NAME_KEY
        }
        return {realm.name: settings}

    def read(self, ctx: Context) -> dict[str, Obj]:
        rep = ctx.live.ids.realm
        if rep is None:
            return {}
        return {ctx.realm: dict(rep)}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        rep: dict[str, Any] = ctx.api.get(f"/{seg(ctx.realm)}")
        ctx.live.ids.realm = rep
        return rep

    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        # A masked SMTP password ("**********") says nothing about the stored one: the secret rule
        # would show a change forever, so the password is compared only when it is not masked.
        diffs = super().compare(key, desired, live, ctx)
        smtp = live.get("smtpServer") or {}
        if smtp.get("password") == "**********":
            diffs = [d for d in diffs if d.path != "smtpServer.password"]
        return diffs

    def fingerprint(self, live: Obj | None) -> str | None:
        # The ownership record changes on every apply that creates something: not a user change.
        if live is None:
            return None
        attrs = {k: v for k, v in (live.get("attributes") or {}).items() if k != ownership.ATTRIBUTE}
        return super().fingerprint({**live, "attributes": attrs})

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # ``desired`` may carry other kinds' objects (``Kind.add_to_realm_import``): one import, which
        # takes minutes for large realms on a busy server.
        body: dict[str, Any] = {"enabled": True, **desired, "realm": key}
        ctx.api.request("POST", "", json=body, timeout=IMPORT_TIMEOUT)
        rep = ctx.api.get(f"/{seg(key)}")
        ctx.live.exists = True
        ctx.live.ids.realm = rep
        ctx.live.of(self.name)[key] = rep

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        rep: dict[str, Any] = ctx.api.get(f"/{seg(key)}")
        for field, value in desired.items():
            if field in ("attributes", "smtpServer", "browserSecurityHeaders") and isinstance(value, dict):
                merged = dict(rep.get(field) or {})
                merged.update({k: scalar_to_str(v) for k, v in value.items()})
                rep[field] = merged
            else:
                rep[field] = value
        ctx.api.put(f"/{seg(key)}", rep)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(f"/{seg(key)}")

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        return {"realm.yaml": export_settings(live.of(self.name).get(live.name) or {})}


def export_settings(rep: Mapping[str, Any]) -> dict[str, Any]:
    """The realm's settings that differ from a new realm's (``export/defaults.py``)."""
    as_sets = RealmKind.rules.sets
    out: dict[str, Any] = {}
    for field in exported_fields(RealmSettings):
        if field == NAME_KEY or field not in rep or field in REALM_FLOW_BINDINGS:
            continue
        value = rep[field]
        if field == "attributes":
            value = string_map(
                value,
                drop={ownership.ATTRIBUTE, *RealmSettings.model_fields},  # the record; mirrors of fields
                defaults_=defaults.REALM_ATTRIBUTES,
            )
        elif field == "browserSecurityHeaders":
            value = string_map(value, defaults_=defaults.REALM_BROWSER_SECURITY_HEADERS)
        elif field == "smtpServer":
            value = _export_smtp(value)
        elif field in defaults.REALM:
            if not differs(value, defaults.REALM[field], as_set=field in as_sets):
                continue
            out[field] = sorted(value) if field in as_sets and isinstance(value, list) else value
            continue
        if not empty(value):
            out[field] = sorted(value) if field in as_sets and isinstance(value, list) else value
    return out


def _export_smtp(values: Mapping[str, Any] | None) -> dict[str, Any]:
    smtp: dict[str, Any] = string_map(values, drop={"password"})
    if smtp and (values or {}).get("password"):
        smtp["password"] = Hint("${env:SMTP_PASSWORD}")
    return smtp
