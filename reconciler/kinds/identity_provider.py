"""Identity providers (``identityProviders[]``, by ``alias``) and their mappers
(``identityProviderMappers[]``, by ``identityProviderAlias`` and ``name``), as a realm export writes them.

How Keycloak 26.7 handles them (proven in ``tests/integration/test_facts_identity_providers.py``):

- ``GET /identity-provider/instances`` lists every provider with its ``config``; ``internalId``,
  ``types`` and ``organizationId`` are computed. Fields at their default are absent from the answer.
- ``PUT /instances/{alias}`` replaces the provider, ``config`` included: an update GETs it, overlays
  the declared fields and config keys and PUTs it whole. ``alias`` cannot change.
- ``config.clientSecret`` always reads back as ``**********``, and PUT with the mask keeps the stored
  secret. Keycloak never shows it, so kcr cannot see a change to it: a declared secret is written when
  the provider is created and with every other update of it, and is never compared or shown.
- Mappers: a name is unique per provider; PUT replaces ``config``; deleting a provider deletes its
  mappers. The body must carry ``identityProviderAlias``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import ClassVar

from pydantic import Field

from reconciler.compare import FieldDiff, Rules, diff_declared
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.representation import Resource, StringMap
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.export.values import string_map
from reconciler.keycloak.client import seg
from reconciler.kinds.base import (
    STATE_KEY,
    Access,
    Context,
    Kind,
    LiveRealm,
    Obj,
    Reference,
    Section,
    overlay,
)

MASK = "**********"
SECRET = "clientSecret"
COMPUTED = frozenset({"internalId", "types", "organizationId"})


class IdentityProvider(Resource):
    """An identity provider users can log in through (``alias`` names it)."""

    required: ClassVar[str | None] = "alias"
    # updateProfileFirstLoginMode: a legacy field with no effect (the first broker login flow's review
    # profile step decides); Keycloak before 26.5 writes "on" on every provider, even in its own export.
    read_only: ClassVar[frozenset[str]] = frozenset(
        {"id", *COMPUTED, "updateProfileFirstLogin", "updateProfileFirstLoginMode"}
    )

    alias: str | None = None
    displayName: str | None = None
    providerId: str | None = Field(None, description="oidc, keycloak-oidc, saml, or a social provider")
    enabled: bool | None = None
    trustEmail: bool | None = None
    storeToken: bool | None = None
    addReadTokenRoleOnCreate: bool | None = None
    authenticateByDefault: bool | None = None
    linkOnly: bool | None = None
    hideOnLogin: bool | None = None
    firstBrokerLoginFlowAlias: str | None = None
    postBrokerLoginFlowAlias: str | None = None
    config: StringMap | None = Field(None, description="clientSecret is write-only (never read back)")


class IdentityProviderMapper(Resource):
    """A mapper of an identity provider (``identityProviderAlias`` and ``name`` name it)."""

    required: ClassVar[str | None] = "name"

    name: str | None = None
    identityProviderAlias: str | None = Field(None, description="the provider's alias (required)")
    identityProviderMapper: str | None = None
    config: StringMap | None = None


def needed(ctx: Context, kind: Kind) -> bool:
    """Read only what a plan needs: reading providers takes view-identity-providers, a role a
    plan of a realm that declares none must not need (an export reads everything)."""
    section = kind.sections[0].key
    return ctx.read_all or section in ctx.desired.spec or bool(ctx.live.managed.get(section))


def _instances(ctx: Context, alias: str = "") -> str:
    base = f"/{seg(ctx.realm)}/identity-provider/instances"
    return f"{base}/{seg(alias)}" if alias else base


class IdentityProviderKind(Kind):
    name = "identity-provider"
    phase = 35  # after clients, before users (who may be linked to one) and organizations
    model = IdentityProvider
    key_field = "alias"
    sections = (Section("identityProviders", "list", IdentityProvider),)
    collection = "identityProviders"
    noun = "identity provider"
    read_lists_all = False  # read only when the realm declares or manages providers
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("firstBrokerLoginFlowAlias", "authentication-flow"),
        Reference("postBrokerLoginFlowAlias", "authentication-flow"),
    )
    access = (Access("/identity-provider", "view-identity-providers", "manage-identity-providers"),)
    export_files = ("identity-providers.yaml",)
    rules: ClassVar[Rules] = Rules(string_maps=frozenset({"config"}), secrets=frozenset({f"config.{SECRET}"}))

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {str(spec["alias"]): dict(spec) for spec in realm.spec.get("identityProviders") or []}

    def read(self, ctx: Context) -> dict[str, Obj]:
        if not needed(ctx, self):
            return {}
        return {str(rep["alias"]): dict(rep) for rep in ctx.api.get(_instances(ctx)) or []}

    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        # The secret reads back masked: it says nothing about the stored one (see the docstring).
        config = {k: v for k, v in (desired.get("config") or {}).items() if k != SECRET}
        return diff_declared(
            {**desired, "config": config} if "config" in desired else desired, live, self.rules
        )

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        ctx.api.post(_instances(ctx), {**desired, "alias": key})

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        stored = {k: v for k, v in ctx.api.get(_instances(ctx, key)).items() if k not in COMPUTED}
        rep = overlay(stored, desired, ("config",))
        ctx.api.put(_instances(ctx, key), rep)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(_instances(ctx, key))

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        providers = [export_provider(p) for _, p in sorted(live.of(self.name).items())]
        return {"identity-providers.yaml": {"identityProviders": providers}}


def export_provider(live: Obj) -> Obj:
    """What a provider declares; the masked secret is left out (a comment hint could name it), and so is
    what the server writes on its own (before 26.5 ``updateProfileFirstLoginMode`` on every one)."""
    left_out = COMPUTED | IdentityProvider.read_only | {"config"}
    out: Obj = {k: v for k, v in live.items() if k not in left_out and v is not None}
    config = string_map(live.get("config"), drop={SECRET})
    if config:
        out["config"] = config
    return out


def _mappers(ctx: Context, alias: str, mapper_id: str = "") -> str:
    base = f"{_instances(ctx, alias)}/mappers"
    return f"{base}/{seg(mapper_id)}" if mapper_id else base


def _type_hint(kind: str, known: frozenset[str]) -> str:
    close = difflib.get_close_matches(kind, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return "use a type the admin console offers under the provider's Mappers, or install the provider"


MAPPER_SPI = "identity-provider-mapper"  # serverinfo's providers of this SPI are the mapper types
TYPE_FIELD = "identityProviderMapper"


def mapper_key(spec: Obj) -> str:
    return f"{spec.get('identityProviderAlias')}/{spec.get('name')}"


class IdentityProviderMapperKind(Kind):
    name = "identity-provider-mapper"
    phase = 36  # after their providers
    model = IdentityProviderMapper
    key_field = "name"
    sections = (Section("identityProviderMappers", "list", IdentityProviderMapper),)
    collection = "identityProviderMappers"
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("identityProviderAlias", IdentityProviderKind.name),
    )
    access = (Access("/identity-provider", "view-identity-providers", "manage-identity-providers"),)
    export_files = ("identity-providers.yaml",)
    rules: ClassVar[Rules] = Rules(string_maps=frozenset({"config"}))

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        for mapper in self.declared_objects(realm):
            if not isinstance(mapper.spec.get("identityProviderAlias"), str):
                found.error(
                    mapper.origin,
                    (),
                    "identityProviderAlias is required",
                    "name the mapper's identity provider",
                )

    def check_live(self, desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
        """A mapper type the server does not have: Keycloak stores it, then every login through the
        provider fails with HTTP 500. Unknown when serverinfo did not list the providers (the CLI
        warns so): then nothing is refused."""
        known = live.server.provider_ids(MAPPER_SPI)
        if known is None:
            return []
        problems = []
        for key, spec in self.declared(desired).items():
            kind = spec.get(TYPE_FIELD)
            if spec.get(STATE_KEY) == "absent" or not isinstance(kind, str) or kind in known:
                continue
            problems.append(
                Problem(
                    f"identity provider mapper type {kind!r} does not exist on this Keycloak "
                    "(Keycloak would store it, and every login through the provider would then fail "
                    "with HTTP 500)",
                    desired.locations.get(f"identityProviderMappers[{spec.get('name')}]"),
                    f"identityProviderMappers[{key}].{TYPE_FIELD}",
                    _type_hint(kind, known),
                )
            )
        return problems

    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        return {mapper_key(spec): dict(spec) for spec in realm.spec.get("identityProviderMappers") or []}

    def read(self, ctx: Context) -> dict[str, Obj]:
        if not needed(ctx, self):
            return {}
        providers = ctx.live.of(IdentityProviderKind.name)
        found = ctx.api.map(lambda alias: ctx.api.get(_mappers(ctx, alias)) or [], sorted(providers))
        return {mapper_key(m): dict(m) for mappers in found for m in mappers}

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        ctx.api.post(_mappers(ctx, str(desired["identityProviderAlias"])), desired)

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        rep = overlay(live, desired, ("config",))
        ctx.api.put(_mappers(ctx, str(live["identityProviderAlias"]), str(live["id"])), rep)

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        ctx.api.delete(_mappers(ctx, str(live["identityProviderAlias"]), str(live["id"])))

    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        mappers = []
        for _, mapper in sorted(live.of(self.name).items()):
            out = {k: v for k, v in mapper.items() if k not in ("id", "config")}
            config = string_map(mapper.get("config"))
            if config:
                out["config"] = config
            mappers.append(out)
        return {"identity-providers.yaml": {"identityProviderMappers": mappers}}
