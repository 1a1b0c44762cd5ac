"""Organizations: settings, domains, attributes and members (by username).

- Organizations need ``organizationsEnabled: true`` on the realm; otherwise every ``/organizations``
  request answers 404 "Organizations not enabled for this realm", so a realm with the flag off reads
  as having none.
- Listings default to ``max=10``: every listing here is paged explicitly.
- Before 26.2 (``versions.ORGANIZATION_LIST_ATTRIBUTES``) the listing leaves ``attributes`` out even with
  ``briefRepresentation=false``: they are read per organization, for those that declare them.
- A PUT replaces ``domains`` (absent means none) and replaces ``attributes`` when sent (absent keeps
  them): an update GETs the organization, overlays the declared fields and PUTs the whole object.
  Keycloak stores domain names in lower case; declared names are lower-cased to match.
- ``alias`` is fixed at creation (derived from ``name`` if left out; a name with spaces needs one).
- Members are authoritative when declared. Removing an UNMANAGED member (added through the Admin API)
  only unlinks it; removing a MANAGED member (brought in by the organization's identity provider)
  deletes the user account, and so does deleting the organization: the plan shows those accounts as
  deletes of their own (``deleted_with``, ``deleted_by_update``).
- ``POST /organizations/{id}/members`` takes the bare user id as its JSON body (a JSON string; the
  unquoted id is accepted too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.compare import FieldDiff, Rules, diff_declared, str_list
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.representation import Organization
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError, NotFound
from reconciler.export import defaults
from reconciler.export.values import empty, list_map
from reconciler.keycloak.client import seg
from reconciler.kinds.base import (
    STATE_KEY,
    Access,
    Cascade,
    Context,
    Kind,
    LiveRealm,
    Obj,
    Reference,
    Section,
)
from reconciler.kinds.identity_provider import IdentityProviderKind
from reconciler.kinds.organization_checks import check_organizations
from reconciler.versions import ORGANIZATION_LIST_ATTRIBUTES, has

SCALARS = ("name", "alias", "enabled", "description", "redirectUrl")
PAGE = 100
MANAGED = "MANAGED"
# Live-only keys: what member removal destroys, and member ids for removal. Never compared or shown.
MANAGED_MEMBERS = "_managedMembers"
MEMBER_IDS = "_memberIds"
LINKS = "identityProviders"  # aliases of the linked identity providers


def domain_name(domain: Any) -> str:
    return str(domain.get("name") if isinstance(domain, dict) else domain).lower()


def _base(ctx: Context) -> str:
    return f"/{seg(ctx.realm)}/organizations"


def live_organization(rep: dict[str, Any]) -> Obj:
    obj: Obj = {k: rep[k] for k in SCALARS if k in rep}
    obj["domains"] = sorted(
        ({"name": d["name"], "verified": bool(d.get("verified"))} for d in rep.get("domains") or []),
        key=lambda d: str(d["name"]),
    )
    obj["attributes"] = dict(rep.get("attributes") or {})
    obj["id"] = rep["id"]
    return obj


def removed_managed_members(diffs: list[FieldDiff], live: Obj) -> list[str]:
    managed = set(live.get(MANAGED_MEMBERS) or [])
    removed: set[str] = set()
    for d in diffs:
        if d.path == "members":
            removed |= set(d.before or []) - set(d.after or [])
    return sorted(removed & managed)


def diff_domains(want: list[Any], live: list[dict[str, Any]]) -> list[FieldDiff]:
    """Domains compared by name (as a set); ``verified`` only where it is declared."""
    have = {str(d["name"]): bool(d.get("verified")) for d in live}
    if {domain_name(d) for d in want} != set(have):
        return [FieldDiff("domains", sorted(have), sorted(domain_name(d) for d in want))]
    return [
        FieldDiff(f"domains[{domain_name(d)}].verified", have[domain_name(d)], bool(d["verified"]))
        for d in want
        if isinstance(d, dict) and "verified" in d and bool(d["verified"]) != have[domain_name(d)]
    ]


class OrganizationKind(Kind):
    name = "organization"
    phase = 70
    model = Organization
    key_field = "alias"  # or its name, when no alias is declared
    sections = (Section("organizations", "list", Organization),)
    collection = "organizations"
    text_limits: ClassVar[tuple[str, ...]] = ("name", "alias", "attributes{}")
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("identityProviders[]", IdentityProviderKind.name),
        Reference("members[]", "user"),
    )
    access = (
        Access(
            "/organizations",
            "manage-realm (26.7+: view-organizations)",  # versions.ORGANIZATION_ADMIN_ROLES
            "manage-realm (26.7+: manage-organizations)",
        ),
    )
    export_files = ("organizations.yaml",)
    rules: ClassVar[Rules] = Rules(
        sets=frozenset({"members", "identityProviders"}),
        list_maps=frozenset({"attributes"}),
        ignore=frozenset({"domains"}),  # compared by diff_domains
    )

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_organizations(self.declared_objects(realm), found)

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        out: dict[str, Obj] = {}
        for spec in realm.spec.get("organizations") or []:
            obj = dict(spec)
            if "domains" in obj:
                obj["domains"] = [
                    {**d, "name": domain_name(d)} if isinstance(d, dict) else {"name": domain_name(d)}
                    for d in obj["domains"] or []
                ]
            if "members" in obj:
                obj["members"] = [str(m).lower() for m in obj["members"] or []]
            out[str(obj.get("alias") or obj.get("name"))] = obj
        return out

    def redact(self, obj: Obj | None) -> Obj | None:
        return super().redact(
            None if obj is None else {k: v for k, v in obj.items() if not k.startswith("_")}
        )

    # -- live --------------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        realm_rep = ctx.live.ids.realm or {}
        if not realm_rep.get("organizationsEnabled"):
            return {}
        live = self._list(ctx) or {}
        # Members and linked providers cost a listing per organization: read for those that declare
        # them (or all, for export).
        ctx.api.map(lambda obj: self._read_members(ctx, obj), self._declaring(ctx, live, "members"))
        ctx.api.map(lambda obj: self._read_links(ctx, obj), self._declaring(ctx, live, LINKS))
        if not has(ctx.api.server_info(), ORGANIZATION_LIST_ATTRIBUTES):
            ctx.api.map(lambda obj: self._read_attributes(ctx, obj), self._declaring(ctx, live, "attributes"))
        return live

    def _declaring(self, ctx: Context, live: dict[str, Obj], field: str) -> list[Obj]:
        if ctx.read_all:
            return list(live.values())
        return [
            live[key]
            for key, spec in self.declared(ctx.desired).items()
            if key in live and field in spec and spec.get(STATE_KEY) != "absent"
        ]

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        obj = (self._list(ctx) or {}).get(key)
        if obj is not None:
            self._read_members(ctx, obj)
            self._read_links(ctx, obj)
            if not has(ctx.api.server_info(), ORGANIZATION_LIST_ATTRIBUTES):
                self._read_attributes(ctx, obj)
        return obj

    def _read_attributes(self, ctx: Context, obj: Obj) -> None:
        obj["attributes"] = dict(ctx.api.get(f"{_base(ctx)}/{seg(str(obj['id']))}").get("attributes") or {})

    def _list(self, ctx: Context) -> dict[str, Obj] | None:
        try:
            reps = ctx.api.get_paged(_base(ctx), {"briefRepresentation": "false"}, page_size=PAGE)
        except NotFound:  # organizations not enabled for this realm
            return None
        return {str(rep.get("alias") or rep["name"]): live_organization(rep) for rep in reps}

    def _read_members(self, ctx: Context, obj: Obj) -> None:
        members = ctx.api.get_paged(
            f"{_base(ctx)}/{obj['id']}/members", {"briefRepresentation": "true"}, page_size=PAGE
        )
        obj["members"] = sorted(m["username"] for m in members)
        obj[MANAGED_MEMBERS] = sorted(m["username"] for m in members if m.get("membershipType") == MANAGED)
        obj[MEMBER_IDS] = {m["username"]: m["id"] for m in members}

    def _read_links(self, ctx: Context, obj: Obj) -> None:
        linked = ctx.api.get(f"{_base(ctx)}/{obj['id']}/identity-providers") or []
        obj[LINKS] = sorted(str(p["alias"]) for p in linked)

    # -- comparison --------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        diffs = diff_declared(desired, live, self.rules)
        if "domains" in desired:
            diffs.extend(diff_domains(desired["domains"] or [], live.get("domains") or []))
        return diffs

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        # Keycloak deletes the accounts of MANAGED members with their organization. Members are
        # read only for organizations that declare them: read them for every one deleted.
        if MANAGED_MEMBERS not in live:
            self._read_members(ctx, live)
        why = "the account of a managed member goes with its organization"
        return [Cascade("user", username, why) for username in live[MANAGED_MEMBERS]]

    def deleted_by_update(self, key: str, diffs: list[FieldDiff], live: Obj) -> list[Cascade]:
        why = "a managed member removed from its organization loses the account"
        return [Cascade("user", username, why) for username in removed_managed_members(diffs, live)]

    def update_reason(self, key: str, diffs: list[FieldDiff], live: Obj) -> str:
        removed = removed_managed_members(diffs, live)
        if len(removed) == 1:
            return f"removing managed member {removed[0]} deletes the user account"
        if removed:
            return f"removing managed members {', '.join(removed)} deletes their user accounts"
        return super().update_reason(key, diffs, live)

    # -- writes ------------------------------------------------------------------------------------
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        body: dict[str, Any] = {k: desired[k] for k in SCALARS if k in desired}
        if "domains" in desired:
            body["domains"] = [
                {"name": d["name"], "verified": bool(d.get("verified", False))} for d in desired["domains"]
            ]
        if "attributes" in desired:
            body["attributes"] = {k: str_list(v) for k, v in (desired["attributes"] or {}).items()}
        org_id = ctx.api.create(_base(ctx), body)
        live: Obj = {**body, "id": org_id, "members": [], LINKS: [], MANAGED_MEMBERS: [], MEMBER_IDS: {}}
        self._write_members(ctx, key, desired, live)
        self._write_links(ctx, desired, live)
        ctx.live.of(self.name)[key] = live

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        path = f"{_base(ctx)}/{live['id']}"
        if any(d.path not in ("members", LINKS) for d in diffs):
            rep: dict[str, Any] = ctx.api.get(path)
            for field in SCALARS:
                if field in desired:
                    rep[field] = desired[field]
            if "attributes" in desired:
                merged = dict(rep.get("attributes") or {})
                merged.update({k: str_list(v) for k, v in (desired["attributes"] or {}).items()})
                rep["attributes"] = merged
            if "domains" in desired:
                verified = {d["name"]: bool(d.get("verified")) for d in rep.get("domains") or []}
                rep["domains"] = [
                    {
                        "name": d["name"],
                        "verified": bool(d["verified"])
                        if "verified" in d
                        else verified.get(d["name"], False),
                    }
                    for d in desired["domains"]
                ]
            ctx.api.put(path, rep)
        self._write_members(ctx, key, desired, live)
        self._write_links(ctx, desired, live)

    def _write_links(self, ctx: Context, desired: Obj, live: Obj) -> None:
        # The provider must exist (its kind runs first); its domain and redirect setting are its own
        # config (kc.org.domain, kc.org.broker.redirect.mode.email-matches). Unlinking keeps it.
        if LINKS not in desired:
            return
        base = f"{_base(ctx)}/{live['id']}/identity-providers"
        want, have = set(desired[LINKS] or []), set(live.get(LINKS) or [])
        for alias in sorted(want - have):
            ctx.api.post(base, alias)  # body: the alias as a JSON string
        for alias in sorted(have - want):
            ctx.api.delete(f"{base}/{seg(alias)}")

    def _write_members(self, ctx: Context, key: str, desired: Obj, live: Obj) -> None:
        if "members" not in desired:
            return
        base = f"{_base(ctx)}/{live['id']}/members"
        want, have = set(desired["members"] or []), set(live.get("members") or [])
        for username in sorted(want - have):
            ctx.api.post(base, self._user_id(ctx, key, username))  # body: the id as a JSON string
        ids = live.get(MEMBER_IDS) or {}
        for username in sorted(have - want):
            member_id = ids.get(username) or self._user_id(ctx, key, username)
            ctx.api.delete(f"{base}/{member_id}")

    def _user_id(self, ctx: Context, key: str, username: str) -> str:
        known = ctx.live.of("user").get(username)
        if known and known.get("id"):
            return str(known["id"])
        found = (
            ctx.api.get(
                f"/{seg(ctx.realm)}/users",
                {"username": username, "exact": "true", "briefRepresentation": "true"},
            )
            or []
        )
        for user in found:
            if user.get("username") == username:
                return str(user["id"])
        raise KcrError(
            f"{self.address(ctx.realm, key)}: member {username!r} is not a user of realm {ctx.realm!r}"
        )

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(f"{_base(ctx)}/{live['id']}")

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        # Members name users, so they are exported only with the users.
        organizations = [
            export_organization(obj, include_users) for _, obj in sorted(live.of(self.name).items())
        ]
        return {"organizations.yaml": {"organizations": organizations}}


def export_organization(live: Mapping[str, Any], include_members: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if live.get("alias") and live["alias"] != live["name"]:
        out["alias"] = live["alias"]
    for field in ("enabled", "description", "redirectUrl"):
        value = live.get(field)
        if not empty(value) and defaults.ORGANIZATION.get(field) != value:
            out[field] = value
    domains = []
    for domain in sorted(live.get("domains") or [], key=lambda d: str(d["name"])):
        entry: dict[str, Any] = {"name": domain["name"]}
        if bool(domain.get("verified")) != defaults.DOMAIN["verified"]:
            entry["verified"] = bool(domain.get("verified"))
        domains.append(entry)
    if domains:
        out["domains"] = domains
    attributes = list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    if live.get(LINKS):
        out[LINKS] = sorted(live[LINKS])
    if include_members and live.get("members"):
        out["members"] = sorted(live["members"])
    return out
