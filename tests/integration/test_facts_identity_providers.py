"""What Keycloak 26.7 does with identity providers, their mappers and organization links through the
Admin API, each fact proven here.

Kind facts (the identity-provider kinds rely on them):

- ``GET /identity-provider/instances`` lists every provider in the realm-export shape, plus two
  computed fields: ``internalId`` and ``types`` (``USER_AUTHENTICATION``, ...); a linked provider also
  shows ``organizationId``. Fields left at their default are **absent** (``trustEmail``, ``linkOnly``,
  ``hideOnLogin``, ``storeToken``, ``firstBrokerLoginFlowAlias``...); ``enabled: true`` is shown.
  Before 26.5 (``IDENTITY_PROVIDER_DEFAULTS_OMITTED``) every default is shown, without ``types``, and
  ``config.syncMode`` is ``LEGACY``.
- ``config.clientSecret`` reads back as ``**********``; PUT with the mask keeps the stored secret.
- ``PUT /instances/{alias}`` **replaces the provider**, ``config`` included: a body without ``config``
  empties it (the secret goes too). An update must GET, overlay the declared fields and config keys,
  and PUT the whole object (with the mask for the secret unless a new one is declared).
- ``alias`` cannot be changed (400 "Identity Provider alias cannot be changed"); before 26.7 a PUT with
  another alias renames the provider.
- URLs must be https unless the host is local (400 "The url [authorization_url] requires secure
  connections"), under the realm's default ``sslRequired: external``.
- A ``firstBrokerLoginFlowAlias`` naming no flow is a 500: check flow references before writing.
- Mappers: ``GET/POST /instances/{alias}/mappers``, ``PUT/DELETE .../mappers/{id}``. The body must
  carry ``identityProviderAlias`` (without it: 409 "Duplicate resource error"); a mapper name is unique
  per provider (400 on a second one); PUT replaces ``config``. Deleting a provider deletes its mappers.
- Organization links: ``POST /organizations/{id}/identity-providers`` with the alias as a raw body
  (204); the provider then shows ``organizationId``; ``GET /organizations/{id}`` does not list its
  providers (``GET /organizations/{id}/identity-providers`` does). A provider links to one organization
  only (409 same organization again, 400 another one). The domain is the provider's
  ``config["kc.org.domain"]`` and must be one of the organization's domains or ``ANY`` (400 otherwise;
  ``ANY`` from 26.2 on);
  ``config["kc.org.broker.redirect.mode.email-matches"]`` is the redirect-when-email-matches setting.
  Unlinking (DELETE ``.../identity-providers/{alias}``) keeps the provider, removes ``kc.org.domain``
  and keeps the redirect key.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import BadRequest, Conflict, KcrError
from reconciler.keycloak.client import AdminClient, seg
from reconciler.versions import (
    IDENTITY_PROVIDER_ALIAS_FIXED,
    IDENTITY_PROVIDER_DEFAULTS_OMITTED,
    ORGANIZATION_DOMAIN_ANY,
    has,
)

pytestmark = pytest.mark.integration

MASK = "**********"
LOCAL = "http://127.0.0.1:9/upstream"
# Before IDENTITY_PROVIDER_DEFAULTS_OMITTED: a new provider reads with every default.
OLD_DEFAULTS = {
    "providerId": "oidc",
    "enabled": True,
    "updateProfileFirstLoginMode": "on",
    "trustEmail": False,
    "storeToken": False,
    "addReadTokenRoleOnCreate": False,
    "authenticateByDefault": False,
    "linkOnly": False,
    "hideOnLogin": False,
}


def _oidc(alias: str, **extra: Any) -> dict[str, Any]:
    return {
        "alias": alias,
        "providerId": "oidc",
        "config": {
            "clientId": "kc",
            "clientSecret": "upstream-secret",
            "authorizationUrl": f"{LOCAL}/auth",
            "tokenUrl": f"{LOCAL}/token",
        },
        **extra,
    }


def _instances(realm: str) -> str:
    return f"/{seg(realm)}/identity-provider/instances"


def test_read_shape_and_defaults(admin_api: AdminClient, module_realm: str) -> None:
    admin_api.post(_instances(module_realm), _oidc("shape"))
    listed = {i["alias"]: i for i in admin_api.get(_instances(module_realm))}
    idp = admin_api.get(f"{_instances(module_realm)}/shape")
    assert listed["shape"] == idp
    assert idp["enabled"] is True
    assert idp["config"]["clientSecret"] == MASK
    if not has(admin_api.server_info(), IDENTITY_PROVIDER_DEFAULTS_OMITTED):  # every default shown
        assert {k: v for k, v in idp.items() if k not in ("internalId", "config")} == {
            **OLD_DEFAULTS,
            "alias": "shape",
        }
        assert idp["config"]["syncMode"] == "LEGACY"
        return
    assert set(idp) == {"alias", "internalId", "providerId", "enabled", "config", "types"}
    assert "USER_AUTHENTICATION" in idp["types"]
    assert "syncMode" not in idp["config"]


def test_put_replaces_config_and_the_mask_keeps_the_secret(admin_api: AdminClient, module_realm: str) -> None:
    path = f"{_instances(module_realm)}/replaced"
    admin_api.post(_instances(module_realm), _oidc("replaced"))
    idp = admin_api.get(path)
    admin_api.put(path, {**idp, "config": {**idp["config"], "clientId": "other"}})
    assert admin_api.get(path)["config"] == {**idp["config"], "clientId": "other"}  # secret kept
    admin_api.put(path, {"alias": "replaced", "providerId": "oidc", "trustEmail": True})
    after = admin_api.get(path)
    old_defaults = not has(admin_api.server_info(), IDENTITY_PROVIDER_DEFAULTS_OMITTED)
    assert after["config"] == ({"syncMode": "LEGACY"} if old_defaults else {})  # the secret is gone
    assert after["trustEmail"] is True


def test_alias_is_fixed_and_references_are_checked_late(admin_api: AdminClient, module_realm: str) -> None:
    path = f"{_instances(module_realm)}/fixed"
    admin_api.post(_instances(module_realm), _oidc("fixed"))
    if has(admin_api.server_info(), IDENTITY_PROVIDER_ALIAS_FIXED):
        with pytest.raises(BadRequest, match="alias cannot be changed"):
            admin_api.put(path, {**admin_api.get(path), "alias": "renamed"})
    else:  # renamed in place (kcr never sends another alias: the alias is the key)
        admin_api.put(path, {**admin_api.get(path), "alias": "renamed"})
        assert "fixed" not in {i["alias"] for i in admin_api.get(_instances(module_realm))}
        admin_api.get(f"{_instances(module_realm)}/renamed")
    with pytest.raises(BadRequest, match="requires secure connections"):
        admin_api.post(
            _instances(module_realm),
            {**_oidc("remote"), "config": {"authorizationUrl": "http://idp.example.com/auth"}},
        )
    with pytest.raises(KcrError, match="HTTP 500"):
        admin_api.post(_instances(module_realm), _oidc("badflow", firstBrokerLoginFlowAlias="no such flow"))


def test_mappers(admin_api: AdminClient, module_realm: str) -> None:
    admin_api.post(_instances(module_realm), _oidc("mapped"))
    mappers = f"{_instances(module_realm)}/mapped/mappers"
    mapper = {
        "name": "department",
        "identityProviderMapper": "oidc-user-attribute-idp-mapper",
        "config": {"claim": "dept", "user.attribute": "department", "syncMode": "INHERIT"},
    }
    with pytest.raises(Conflict):
        admin_api.post(mappers, mapper)
    admin_api.post(mappers, {**mapper, "identityProviderAlias": "mapped"})
    with pytest.raises(BadRequest):
        admin_api.post(mappers, {**mapper, "identityProviderAlias": "mapped"})
    (stored,) = admin_api.get(mappers)
    assert stored == {**mapper, "identityProviderAlias": "mapped", "id": stored["id"]}
    admin_api.put(f"{mappers}/{stored['id']}", {**stored, "config": {"claim": "division"}})
    assert admin_api.get(f"{mappers}/{stored['id']}")["config"] == {"claim": "division"}
    admin_api.delete(f"{_instances(module_realm)}/mapped")
    admin_api.post(_instances(module_realm), _oidc("mapped"))  # the same alias again: no old mappers
    assert admin_api.get(mappers) == []


def test_organization_links(admin_api: AdminClient, module_realm: str) -> None:
    base = f"/{seg(module_realm)}"
    admin_api.put(base, {**admin_api.get(base), "organizationsEnabled": True})
    acme = admin_api.create(f"{base}/organizations", {"name": "Acme", "domains": [{"name": "acme.test"}]})
    other = admin_api.create(f"{base}/organizations", {"name": "Other", "domains": [{"name": "other.test"}]})
    admin_api.post(_instances(module_realm), _oidc("corporate"))
    path = f"{_instances(module_realm)}/corporate"
    links = f"{base}/organizations/{acme}/identity-providers"

    admin_api.post(links, content="corporate", headers={"Content-Type": "application/json"})
    assert admin_api.get(path)["organizationId"] == acme
    assert [i["alias"] for i in admin_api.get(links)] == ["corporate"]
    assert "identityProviders" not in admin_api.get(f"{base}/organizations/{acme}")
    with pytest.raises(Conflict):
        admin_api.post(links, content="corporate", headers={"Content-Type": "application/json"})
    with pytest.raises(BadRequest):
        admin_api.post(
            f"{base}/organizations/{other}/identity-providers",
            content="corporate",
            headers={"Content-Type": "application/json"},
        )

    idp = admin_api.get(path)
    redirect = "kc.org.broker.redirect.mode.email-matches"
    with pytest.raises(BadRequest, match="Domain does not match"):
        admin_api.put(path, {**idp, "config": {**idp["config"], "kc.org.domain": "other.test"}})
    any_domain = has(admin_api.server_info(), ORGANIZATION_DOMAIN_ANY)
    if not any_domain:  # 26.0: refused (kcr refuses it offline there, test_server_versions.py)
        with pytest.raises(BadRequest, match="Domain does not match"):
            admin_api.put(path, {**idp, "config": {**idp["config"], "kc.org.domain": "ANY"}})
    for domain in ("ANY", "acme.test") if any_domain else ("acme.test",):
        admin_api.put(path, {**idp, "config": {**idp["config"], "kc.org.domain": domain, redirect: "true"}})
        assert admin_api.get(path)["config"]["kc.org.domain"] == domain

    admin_api.delete(f"{links}/corporate")
    unlinked = admin_api.get(path)
    assert "organizationId" not in unlinked
    assert "kc.org.domain" not in unlinked["config"]
    assert unlinked["config"][redirect] == "true"
