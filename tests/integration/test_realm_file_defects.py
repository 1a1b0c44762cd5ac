"""Defects found by feeding kcr real-world realm files (issue 13, items 9-17): what Keycloak 26.7
really does with each, confirmed here first, then that kcr converges or refuses offline with a clear
message."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from tests.integration.conftest import Doc, Kcr, find_one

pytestmark = pytest.mark.integration

CLIENT_BOOLEANS = (
    "surrogateAuthRequired",
    "enabled",
    "alwaysDisplayInConsole",
    "bearerOnly",
    "consentRequired",
    "standardFlowEnabled",
    "implicitFlowEnabled",
    "directAccessGrantsEnabled",
    "serviceAccountsEnabled",
    "authorizationServicesEnabled",
    "publicClient",
    "frontchannelLogout",
    "fullScopeAllowed",
)


def realm_doc(realm: str, **spec: Any) -> Doc:
    return {"realm": realm, "enabled": True, **spec}


# -- item 9: booleans Keycloak omits when false ------------------------------------------------------
def test_keycloak_omits_only_authorization_services_enabled_when_false(
    admin_api: AdminClient, empty_realm: str
) -> None:
    admin_api.create(
        f"/{seg(empty_realm)}/clients", {"clientId": "all-false", **dict.fromkeys(CLIENT_BOOLEANS, False)}
    )
    rep = find_one(admin_api, empty_realm, "clients", clientId="all-false")
    assert rep is not None
    assert [b for b in CLIENT_BOOLEANS if b not in rep] == ["authorizationServicesEnabled"]


def test_authorization_services_disabled_converges(kcr: Kcr, fresh_realm: str) -> None:
    kcr.write(
        realm_doc(
            fresh_realm,
            clients=[
                {"clientId": "app", "publicClient": False, **dict.fromkeys(CLIENT_BOOLEANS[:10], False)}
            ],
        )
    )
    kcr.apply_converged()
