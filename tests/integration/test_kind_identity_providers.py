"""The identity-provider and identity-provider-mapper kinds against a real Keycloak: declared as
configured is no change, one field at a time is exactly that change, apply then plan is no change, the
secret is never shown, removal with and without prune, and an export of a realm configured by hand
plans as no change."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
UPSTREAM = "http://127.0.0.1:9/realms/upstream/protocol/openid-connect"
SECRET = "upstream-client-secret-1"


def _provider(alias: str = "corporate") -> Doc:
    return {
        "alias": alias,
        "providerId": "oidc",
        "displayName": "Corporate login",
        "trustEmail": True,
        "config": {
            "clientId": "broker",
            "clientAuthMethod": "client_secret_post",
            "authorizationUrl": f"{UPSTREAM}/auth",
            "tokenUrl": f"{UPSTREAM}/token",
            "syncMode": "IMPORT",
        },
    }


def _mapper(alias: str = "corporate") -> Doc:
    return {
        "name": "department",
        "identityProviderAlias": alias,
        "identityProviderMapper": "oidc-user-attribute-idp-mapper",
        "config": {"claim": "dept", "user.attribute": "department", "syncMode": "INHERIT"},
    }


def _by_hand(api: AdminClient, realm: str) -> None:
    base = f"/{seg(realm)}/identity-provider/instances"
    provider = _provider()
    api.post(base, {**provider, "config": {**provider["config"], "clientSecret": SECRET}})
    api.post(f"{base}/corporate/mappers", _mapper())


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_declared_as_configured_then_one_field_at_a_time(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    _by_hand(admin_api, empty_realm)
    doc: Doc = {
        "realm": empty_realm,
        "identityProviders": [_provider()],
        "identityProviderMappers": [_mapper()],
    }
    kcr.write(doc)
    assert _changes(kcr) == []

    steps: list[tuple[str, Any, str]] = [
        ("trustEmail", False, "trustEmail"),
        ("hideOnLogin", True, "hideOnLogin"),
        ("displayName", "Acme login", "displayName"),
        ("enabled", False, "enabled"),
        ("config", {"tokenUrl": f"{UPSTREAM}/token2"}, "config.tokenUrl"),
    ]
    for field, value, path in steps:
        doc = copy.deepcopy(doc)
        provider = doc["identityProviders"][0]
        provider[field] = {**provider["config"], **value} if field == "config" else value
        kcr.write(doc)
        assert _changes(kcr) == [("identity-provider", "corporate", Action.UPDATE, (path,))], field
        kcr.apply_converged()

    doc = copy.deepcopy(doc)
    doc["identityProviderMappers"][0]["config"]["claim"] = "division"
    kcr.write(doc)
    assert _changes(kcr) == [
        ("identity-provider-mapper", "corporate/department", Action.UPDATE, ("config.claim",))
    ]
    kcr.apply_converged()

    base = f"/{seg(empty_realm)}/identity-provider/instances/corporate"
    stored = admin_api.get(base)
    assert (stored["trustEmail"], stored["hideOnLogin"], stored["enabled"]) == (False, True, False)
    assert stored["config"]["tokenUrl"] == f"{UPSTREAM}/token2"
    assert stored["config"]["clientSecret"] == "**********"  # kept through every update
    (mapper,) = admin_api.get(f"{base}/mappers")
    assert mapper["config"] == {**_mapper()["config"], "claim": "division"}


def test_created_with_a_secret_that_is_never_shown(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    provider = _provider()
    provider["config"]["clientSecret"] = SECRET
    kcr.write({"realm": empty_realm, "identityProviders": [provider], "identityProviderMappers": [_mapper()]})
    planned = kcr.plan()
    assert planned.exit_code == 2, planned.output
    assert SECRET not in planned.output
    assert "(sensitive value)" in planned.output
    assert [c[:3] for c in _changes(kcr)] == [
        ("identity-provider", "corporate", Action.CREATE),
        ("identity-provider-mapper", "corporate/department", Action.CREATE),
    ]
    applied = kcr.apply_converged()
    assert SECRET not in applied.output
    stored = admin_api.get(f"/{seg(empty_realm)}/identity-provider/instances/corporate")
    assert stored["config"]["clientSecret"] == "**********"


def test_removal_with_and_without_prune(kcr: Kcr, admin_api: AdminClient, empty_realm: str) -> None:
    base = f"/{seg(empty_realm)}/identity-provider/instances"
    doc: Doc = {
        "realm": empty_realm,
        "identityProviders": [_provider("first"), _provider("second")],
        "identityProviderMappers": [_mapper("first"), _mapper("second")],
    }
    kcr.write(doc)
    kcr.apply_converged()

    # Left out without prune: kept, and reported as not managed by the files any more.
    kcr.write({"realm": empty_realm, "identityProviders": [_provider("first")]})
    assert _changes(kcr) == []
    # Declared absent: deleted.
    kcr.write(
        {
            "realm": empty_realm,
            "identityProviders": [_provider("first")],
            "identityProviderMappers": [{**_mapper("first"), "state": "absent"}],
        }
    )
    assert _changes(kcr) == [("identity-provider-mapper", "first/department", Action.DELETE, ())]
    kcr.apply_converged()
    assert admin_api.get(f"{base}/first/mappers") == []
    # Left out with prune: the provider kcr made is deleted, its mappers with it.
    kcr.write(
        {
            "realm": empty_realm,
            "policy": {"prune": ["identityProviders"]},
            "identityProviders": [_provider("first")],
        }
    )
    assert [c[:3] for c in _changes(kcr)] == [("identity-provider", "second", Action.DELETE)]
    kcr.apply_converged()
    assert [p["alias"] for p in admin_api.get(base)] == ["first"]


def test_a_mapper_of_an_undeclared_provider_is_refused_offline(kcr: Kcr, empty_realm: str) -> None:
    kcr.write({"realm": empty_realm, "identityProviderMappers": [_mapper("nowhere")]})
    result = kcr.run("validate", kcr.path)
    assert result.exit_code == 1
    assert "identity provider 'nowhere' is not declared" in result.output


def test_export_of_a_realm_configured_by_hand_plans_no_change(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    _by_hand(admin_api, empty_realm)
    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / empty_realm / "identity-providers.yaml").read_text(encoding="utf-8")
    assert "corporate" in text
    assert "department" in text
    assert SECRET not in text
    assert "clientSecret" not in text
    planned = kcr.run("plan", str(tmp_path / empty_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output


def test_organization_links(kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path) -> None:
    base = f"/{seg(empty_realm)}"
    admin_api.put(base, {**admin_api.get(base), "organizationsEnabled": True})
    _by_hand(admin_api, empty_realm)
    org = admin_api.create(f"{base}/organizations", {"name": "Acme", "domains": [{"name": "acme.test"}]})
    links = f"{base}/organizations/{org}/identity-providers"
    admin_api.post(links, "corporate")

    # An export of the hand-made link plans as no change.
    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    assert "- corporate" in (tmp_path / empty_realm / "organizations.yaml").read_text(encoding="utf-8")
    planned = kcr.run("plan", str(tmp_path / empty_realm), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output

    # Unlinked, then linked again, each exactly one change; the provider stays.
    organization: Doc = {"name": "Acme", "domains": ["acme.test"], "identityProviders": []}
    doc: Doc = {"realm": empty_realm, "identityProviders": [_provider()], "organizations": [organization]}
    kcr.write(doc)
    assert _changes(kcr) == [("organization", "Acme", Action.UPDATE, ("identityProviders",))]
    kcr.apply_converged()
    assert admin_api.get(links) == []
    organization["identityProviders"] = [
        {"alias": "corporate", "providerId": "oidc"}
    ]  # as an export writes it
    kcr.write(doc)
    assert _changes(kcr) == [("organization", "Acme", Action.UPDATE, ("identityProviders",))]
    kcr.apply_converged()
    assert [p["alias"] for p in admin_api.get(links)] == ["corporate"]

    # A link to a provider that is not declared is refused offline.
    organization["identityProviders"] = ["elsewhere"]
    kcr.write(doc)
    result = kcr.run("validate", kcr.path)
    assert result.exit_code == 1
    assert "identity provider 'elsewhere' is not declared" in result.output
