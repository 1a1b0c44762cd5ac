"""Key providers (``components`` of type KeyProvider) against a real Keycloak: declared as configured is
no change, one field at a time (priority, enabled, active) is exactly that change, apply then plan is
no change, an imported private key is never shown, the four key providers of every realm are built-ins
(never pruned nor listed), removal with and without prune, an export of a realm configured by hand
plans no change, drift shows a hand edit, and the declared provider with the highest priority signs
real tokens (its key's ``kid``, verified against the realm's JWKS)."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import RSAKey

from reconciler.keycloak.client import AdminClient, seg
from reconciler.plan import Action
from reconciler.testing.oidc import Realm, verify_access_token
from tests.integration.conftest import Kcr

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
KEY_PROVIDER = "org.keycloak.keys.KeyProvider"
BUILT_IN = {"rsa-generated", "rsa-enc-generated", "hmac-generated-hs512", "aes-generated"}
CLIENT_SECRET = "signing-test-client-secret"
SERVICE: Doc = {
    "clientId": "service",
    "publicClient": False,
    "serviceAccountsEnabled": True,
    "standardFlowEnabled": False,
    "secret": CLIENT_SECRET,
}


def _signing(priority: int = 500, **config: Any) -> Doc:
    return {
        "name": "signing-2026",
        "providerId": "rsa-generated",
        "config": {"priority": [str(priority)], "keySize": ["2048"], **config},
    }


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _kid(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


def _signing_kid(kcr: Kcr, realm: str) -> str:
    """The kid of a real access token of the realm (client credentials), verified against the JWKS."""
    oidc = Realm(kcr.server.url, realm)
    token = oidc.client_credentials("service", CLIENT_SECRET)["access_token"]
    verify_access_token(oidc, token, audience=None)
    return _kid(token)


def _kid_of(api: AdminClient, realm: str, name: str) -> str:
    """The kid of the RS256 key that the provider ``name`` holds, from the realm's keys endpoint."""
    (component,) = api.get(f"/{seg(realm)}/components", {"type": KEY_PROVIDER, "name": name})
    keys = api.get(f"/{seg(realm)}/keys")["keys"]
    (key,) = [k for k in keys if k.get("providerId") == component["id"] and k.get("algorithm") == "RS256"]
    return str(key["kid"])


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def test_the_declared_provider_with_the_highest_priority_signs_tokens(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str
) -> None:
    doc: Doc = {
        "realm": fresh_realm,
        "enabled": True,
        "clients": [SERVICE],
        "components": {KEY_PROVIDER: [_signing(priority=500)]},
    }
    kcr.write(doc)
    kcr.apply_converged()
    ours = _kid_of(admin_api, fresh_realm, "signing-2026")
    assert _signing_kid(kcr, fresh_realm) == ours

    # Below the built-in rsa-generated (100): the built-in signs again.
    doc["components"] = {KEY_PROVIDER: [_signing(priority=50)]}
    kcr.write(doc)
    assert _changes(kcr) == [("component", "key-provider/signing-2026", Action.UPDATE, ("config.priority",))]
    kcr.apply_converged()
    assert _signing_kid(kcr, fresh_realm) == _kid_of(admin_api, fresh_realm, "rsa-generated")

    # Highest again, but passive (active: false): it verifies, it does not sign.
    doc["components"] = {KEY_PROVIDER: [_signing(priority=500, active=["false"])]}
    kcr.write(doc)
    kcr.apply_converged()
    assert _signing_kid(kcr, fresh_realm) != ours
    doc["components"] = {KEY_PROVIDER: [_signing(priority=500, active=["true"])]}
    kcr.write(doc)
    kcr.apply_converged()
    assert _signing_kid(kcr, fresh_realm) == ours


def test_an_imported_key_signs_and_is_never_shown(kcr: Kcr, admin_api: AdminClient, fresh_realm: str) -> None:
    pem = _private_key_pem()
    imported = {"name": "imported", "providerId": "rsa", "config": {"priority": "900", "privateKey": pem}}
    doc: Doc = {
        "realm": fresh_realm,
        "enabled": True,
        "clients": [SERVICE],
        "components": {KEY_PROVIDER: [imported]},
    }
    kcr.write(doc)
    body = pem.splitlines()[1]
    planned = kcr.plan()
    assert planned.exit_code == 2, planned.output
    assert body not in planned.output
    assert "(sensitive value)" in planned.output
    assert "privateKey is write-only" in planned.output
    assert body not in kcr.plan("--format", "json").output
    applied = kcr.apply_converged()
    assert body not in applied.output

    # Tokens are signed with our key: its public half verifies them.
    oidc = Realm(kcr.server.url, fresh_realm)
    token = oidc.client_credentials("service", CLIENT_SECRET)["access_token"]
    public = RSAKey.import_key(pem).as_dict(private=False)
    assert jwt.decode(token, RSAKey.import_key(public), algorithms=["RS256"]).claims["azp"] == "service"
    (stored,) = admin_api.get(f"/{seg(fresh_realm)}/components", {"type": KEY_PROVIDER, "name": "imported"})
    assert stored["config"]["privateKey"] == ["**********"]


def test_declared_as_configured_then_one_field_at_a_time(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    realm_id = admin_api.get(f"/{seg(empty_realm)}")["id"]
    signing = _signing(priority=200)
    admin_api.post(
        f"/{seg(empty_realm)}/components", {**signing, "providerType": KEY_PROVIDER, "parentId": realm_id}
    )
    builtin = {"name": "hmac-generated-hs512", "providerId": "hmac-generated", "config": {"priority": "100"}}
    doc: Doc = {"realm": empty_realm, "components": {KEY_PROVIDER: [signing, builtin]}}
    kcr.write(doc)
    assert _changes(kcr) == []

    for key, value in (("priority", "300"), ("enabled", "false"), ("active", "false")):
        doc = copy.deepcopy(doc)
        doc["components"][KEY_PROVIDER][0]["config"][key] = value
        kcr.write(doc)
        assert _changes(kcr) == [
            ("component", "key-provider/signing-2026", Action.UPDATE, (f"config.{key}",))
        ], key
        kcr.apply_converged()
    # A built-in, declared, is compared and updated like any other.
    doc["components"][KEY_PROVIDER][1]["config"]["priority"] = "150"
    kcr.write(doc)
    assert _changes(kcr) == [
        ("component", "key-provider/hmac-generated-hs512", Action.UPDATE, ("config.priority",))
    ]
    kcr.apply_converged()
    found = admin_api.get(f"/{seg(empty_realm)}/components", {"type": KEY_PROVIDER}) or []
    config = {c["name"]: c["config"] for c in found}
    assert config["signing-2026"]["priority"] == ["300"]
    assert (config["signing-2026"]["enabled"], config["signing-2026"]["active"]) == (["false"], ["false"])
    assert config["hmac-generated-hs512"] == {"priority": ["150"], "algorithm": ["HS512"]}


def test_removal_with_and_without_prune_and_the_built_ins(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str
) -> None:
    first, second = _signing(), {**_signing(), "name": "second"}
    kcr.write({"realm": empty_realm, "components": {KEY_PROVIDER: [first, second]}})
    kcr.apply_converged()

    def names() -> set[str]:
        found = admin_api.get(f"/{seg(empty_realm)}/components", {"type": KEY_PROVIDER}) or []
        return {c["name"] for c in found}

    # Left out without prune: kept; the built-ins are never listed as not declared.
    kcr.write({"realm": empty_realm, "components": {KEY_PROVIDER: [first]}})
    plan = kcr.plan_only().plan
    assert plan.changes == []
    assert [u.key for u in plan.unmanaged] == ["key-provider/second"]
    # With prune: deleted; the built-ins stay.
    kcr.write(
        {"realm": empty_realm, "policy": {"prune": ["components"]}, "components": {KEY_PROVIDER: [first]}}
    )
    assert _changes(kcr) == [("component", "key-provider/second", Action.DELETE, ())]
    kcr.apply_converged()
    assert names() == {*BUILT_IN, "signing-2026"}
    # A built-in declared absent is deleted.
    gone = {"name": "aes-generated", "state": "absent"}
    kcr.write({"realm": empty_realm, "components": {KEY_PROVIDER: [first, gone]}})
    assert _changes(kcr) == [("component", "key-provider/aes-generated", Action.DELETE, ())]
    kcr.apply_converged()
    assert names() == {*BUILT_IN, "signing-2026"} - {"aes-generated"}


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_sees_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, tmp_path: Path
) -> None:
    base = f"/{seg(empty_realm)}/components"
    realm_id = admin_api.get(f"/{seg(empty_realm)}")["id"]
    pem = _private_key_pem()
    for component in (
        _signing(priority=200),
        {"name": "imported", "providerId": "rsa", "config": {"priority": ["10"], "privateKey": [pem]}},
        {"name": "ec", "providerId": "ecdsa-generated", "config": {"ecdsaEllipticCurveKey": ["P-384"]}},
    ):
        admin_api.post(base, {**component, "providerType": KEY_PROVIDER, "parentId": realm_id})
    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / empty_realm / "components.yaml").read_text(encoding="utf-8")
    assert "signing-2026" in text
    assert "ecdsa-generated" in text
    assert pem.splitlines()[1] not in text
    assert "**********" not in text
    assert "# privateKey:" in text
    assert "aes-generated" not in text  # a built-in as Keycloak made it is not exported
    folder = str(tmp_path / empty_realm)
    planned = kcr.run("plan", folder, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output

    (ec,) = admin_api.get(base, {"type": KEY_PROVIDER, "name": "ec"})
    ec["config"]["ecdsaEllipticCurveKey"] = ["P-256"]
    admin_api.put(f"{base}/{ec['id']}", ec)
    drift = kcr.run("drift", folder)
    assert drift.exit_code == 2, drift.output
    assert "key-provider/ec" in drift.output
    assert "ecdsaEllipticCurveKey" in drift.output
