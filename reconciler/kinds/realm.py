"""Realm settings: every scalar field of the realm representation, plus its string ``attributes``.

Keycloak's realm PUT replaces ``attributes`` wholesale and rebuilds WebAuthn policies from whatever
the body carries, so an update always GETs the whole realm, overlays the declared fields and PUTs the
whole object back (keycloak-admin-api.md 1.1).
"""

from __future__ import annotations

from typing import Any, ClassVar

from reconciler import ownership
from reconciler.compare import FieldDiff, Rules, scalar_to_str
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Context, Kind, Obj

# Keys of the realm document that other kinds own (or the loader's extension keys).
COLLECTION_KEYS = frozenset(
    {
        "realm",
        "clients",
        "clientScopes",
        "roles",
        "groups",
        "users",
        "organizations",
        "defaultDefaultClientScopes",
        "defaultOptionalClientScopes",
        "policy",
    }
)
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


class RealmKind(Kind):
    name = "realm"
    collection = None
    phase = 10
    rules: ClassVar[Rules] = Rules(
        string_maps=frozenset({"attributes", "smtpServer", "browserSecurityHeaders"}),
        sets=frozenset({"supportedLocales", "eventsListeners", "enabledEventTypes"}),
        secrets=frozenset({"smtpServer.password"}),
    )

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/realm"

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        settings = {k: v for k, v in realm.spec.items() if k not in COLLECTION_KEYS | READ_ONLY}
        return {realm.name: settings}

    def read(self, ctx: Context) -> dict[str, Obj]:
        rep = ctx.live.index.get("realm")
        if rep is None:
            return {}
        return {ctx.realm: dict(rep)}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        rep: dict[str, Any] = ctx.api.get(f"/{seg(ctx.realm)}")
        ctx.live.index["realm"] = rep
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
        body: dict[str, Any] = {"enabled": True, **desired, "realm": key}
        ctx.api.post("", body)
        rep = ctx.api.get(f"/{seg(key)}")
        ctx.live.exists = True
        ctx.live.index["realm"] = rep
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
