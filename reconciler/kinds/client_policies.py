"""Client policies and profiles: ``clientProfiles: {profiles: [...]}`` (named lists of executors, such as
``pkce-enforcer``) and ``clientPolicies: {policies: [...]}`` (conditions, such as ``any-client``, that
apply profiles to clients). One object per realm holding both.

Each declared list is the whole set, matched by ``name``; an item is compared over its declared fields.
Keycloak's global profiles (``fapi-1-baseline``, ...) are read-only and not part of ``profiles``: a
policy may name them, a realm profile may not take their names.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_kind_client_policies.py``):

- ``GET``/``PUT /client-policies/profiles`` and ``/client-policies/policies`` read and replace the whole
  realm-level JSON (``{"profiles": [...]}``, ``{"policies": [...]}``); ``globalProfiles`` come only with
  ``?include-global-profiles=true``. An executor's or condition's ``configuration`` is kept as sent
  (``false`` stays a boolean).
- An executor sent without ``configuration`` is a 500; a condition sent without one is stored, and then
  every request that the policy evaluates fails with 500: kcr always sends one (empty if undeclared).
- A policy without ``enabled`` is stored disabled. An unknown condition or executor, or a profile named
  like a global one, is refused with 400 and Keycloak's message; a policy naming a profile that does not
  exist is accepted.
- An enabled policy with the ``pkce-enforcer`` executor makes an authorization request without PKCE
  fail (proven by a real request in the test). With ``auto-configure: false`` on ``any-client`` it also
  refuses to create a client without the attribute ``pkce.code.challenge.method`` (400
  ``invalid_client_metadata``), kcr's creates included: declare the attribute on new clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from reconciler.compare import FieldDiff, Rules
from reconciler.desired.declared import Findings, MergedRealm, Names, Origin, twice
from reconciler.desired.representation import Model
from reconciler.desired.representation import Names as NameList
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import seg
from reconciler.kinds.base import Access, Context, Kind, LiveRealm, Obj, Section

PROFILES, POLICIES = "clientProfiles", "clientPolicies"
# section -> (the list inside it, its endpoint under /client-policies); profiles first: policies name them
LISTS: dict[str, tuple[str, str]] = {PROFILES: ("profiles", "profiles"), POLICIES: ("policies", "policies")}


class Executor(Model):
    required: ClassVar[str | None] = "executor"
    executor: str | None = Field(None, description="the executor provider, e.g. pkce-enforcer")
    configuration: dict[str, Any] | None = None


class ClientProfile(Model):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    executors: list[Executor] | None = None


class ClientProfiles(Model):
    """The realm's client profiles (Keycloak's global profiles are read-only and not declared here)."""

    profiles: list[ClientProfile] | None = None
    read_only: ClassVar[frozenset[str]] = frozenset({"globalProfiles"})


class Condition(Model):
    required: ClassVar[str | None] = "condition"
    condition: str | None = Field(None, description="the condition provider, e.g. any-client")
    configuration: dict[str, Any] | None = None


class ClientPolicy(Model):
    required: ClassVar[str | None] = "name"
    name: str | None = None
    description: str | None = None
    enabled: bool | None = Field(None, description="Keycloak stores a policy without it as disabled")
    conditions: list[Condition] | None = None
    profiles: NameList | None = Field(None, description="profiles (realm or global) applied, in order")


class ClientPolicies(Model):
    """The realm's client policies."""

    policies: list[ClientPolicy] | None = None


def _path(ctx: Context, endpoint: str) -> str:
    return f"/{seg(ctx.realm)}/client-policies/{endpoint}"


class ClientPoliciesKind(Kind):
    name = "client-policies"
    phase = 32  # after clients (a condition may name their roles or scopes)
    model = Model  # its one object per realm holds the two sections
    sections = (Section(PROFILES, "object", ClientProfiles), Section(POLICIES, "object", ClientPolicies))
    access = (Access("/client-policies", "view-realm", "manage-realm"),)
    export_files = ("client-policies.yaml",)
    rules: ClassVar[Rules] = Rules(
        keyed_lists={f"{PROFILES}.profiles": "name", f"{POLICIES}.policies": "name"}
    )

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/{self.name}"

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        """A profile or policy name once (Keycloak keeps the last of two, silently)."""
        for section, (field, _) in LISTS.items():
            what = "client profile" if section == PROFILES else "client policy"
            seen: dict[str, Origin] = {}
            for item, origin in realm.listed(f"{section}.{field}"):
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str):
                    continue
                if name in seen:
                    found.problems.append(twice(what, origin, seen[name], name, "name"))
                else:
                    seen[name] = origin

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        sections = {k: _normal(realm.spec[k] or {}) for k in LISTS if k in realm.spec}
        return {realm.name: sections} if sections else {}

    def read(self, ctx: Context) -> dict[str, Obj]:
        return {ctx.realm: self._read(ctx)}

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        return self._read(ctx)

    def _read(self, ctx: Context) -> Obj:
        out: Obj = {}
        for section, (field, endpoint) in LISTS.items():
            rep = ctx.api.get(_path(ctx, endpoint)) or {}
            out[section] = _normal({field: list(rep.get(field) or [])})
        return out

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        # The realm was just created, with no profiles and no policies.
        self.update(ctx, key, desired, self._read(ctx), [])

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        current = self._read(ctx)
        for section, (field, endpoint) in LISTS.items():
            if field not in (desired.get(section) or {}):
                continue
            stored = {item.get("name"): item for item in current[section][field]}
            # PUT replaces the whole list: each declared item over what is stored of it.
            items = [
                _overlay(stored.get(item.get("name")) or {}, item) for item in desired[section][field] or []
            ]
            if items != current[section][field]:
                ctx.api.put(_path(ctx, endpoint), {field: [_writable(item) for item in items]})
        ctx.live.of(self.name)[key] = self._read(ctx)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """The realm's lists cannot be deleted; declare them empty to remove every item."""

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        current = live.of(self.name).get(live.name) or {}
        doc: Obj = {}
        for section, (field, _) in LISTS.items():
            items = (current.get(section) or {}).get(field) or []
            if items:
                doc[section] = {field: items}
        return {"client-policies.yaml": doc}


def _overlay(stored: Mapping[str, Any], declared: Mapping[str, Any]) -> Obj:
    """A stored item with the declared fields over it (an undeclared description is kept)."""
    return {**stored, **declared}


def _normal(section: Mapping[str, Any]) -> Obj:
    """A section with each executor's and condition's empty ``configuration`` left out: Keycloak
    answers a condition sent without one without it, and an executor always with one."""
    out: Obj = {}
    for field, items in section.items():
        if not isinstance(items, list):
            out[field] = items
            continue
        out[field] = [
            {
                k: [_without_empty_configuration(p) for p in v]
                if k in ("executors", "conditions") and isinstance(v, list)
                else v
                for k, v in item.items()
            }
            if isinstance(item, Mapping)
            else item
            for item in items
        ]
    return out


def _without_empty_configuration(part: Any) -> Any:
    if isinstance(part, Mapping) and not part.get("configuration"):
        return {k: v for k, v in part.items() if k != "configuration"}
    return part


def _writable(item: Mapping[str, Any]) -> Obj:
    """Executors and conditions with a ``configuration``, empty if none is declared: Keycloak 26.7
    answers a profile PUT with an executor without one with 500, and stores a condition without one
    but then fails every request its policy evaluates with 500."""
    out = dict(item)
    for field in ("executors", "conditions"):
        if isinstance(out.get(field), list):
            out[field] = [{"configuration": {}, **part} for part in out[field]]
    return out
