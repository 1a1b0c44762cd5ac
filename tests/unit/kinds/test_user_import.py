"""Which users go into a new realm's import (``user_import.py``): each rule both ways. What the import
then makes is compared with the one-by-one creates in tests/integration/test_realm_import.py."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kinds.user_import import import_user, realm_allows

REALM = "Acme"
GROUPS = {"/staff"}
REALM_ROLES = {"viewer", "default-roles-acme"}
CLIENT_ROLES = {("api", "read")}


def carried(spec: dict[str, Any], realm_spec: dict[str, Any] | None = None) -> dict[str, Any] | None:
    return import_user(spec, REALM, realm_spec or {}, GROUPS, REALM_ROLES, CLIENT_ROLES)


def test_a_plain_user_gets_what_the_post_would_add() -> None:
    rep = carried(
        {
            "username": "ann",
            "email": "ann@example.com",
            "firstName": "Ann",
            "lastName": "O'Neil-Smith",
            "groups": ["/staff"],
            "realmRoles": ["viewer"],
            "clientRoles": {"api": ["read"]},
            "credentials": [{"type": "password", "value": "pw", "temporary": True}],
        }
    )
    assert rep == {
        "username": "ann",
        "email": "ann@example.com",
        "firstName": "Ann",
        "lastName": "O'Neil-Smith",
        "requiredActions": ["UPDATE_PASSWORD"],  # as the POST adds for a temporary password
        "groups": ["/staff"],
        "realmRoles": ["default-roles-acme", "viewer"],  # the POST maps the default role
        "clientRoles": {"api": ["read"]},
        "credentials": [{"type": "password", "value": "pw", "temporary": True}],
    }


@pytest.mark.parametrize(
    "spec",
    [
        {"username": "ab"},  # the default profile wants 3 to 255 characters
        {"username": "a" * 256},
        {"username": "ann@example.com"},  # could collide with another user's email
        {"username": "ann", "email": "not-an-email"},
        {"username": "ann", "firstName": "<b>Ann</b>"},  # person-name-prohibited-characters
        {"username": "ann", "lastName": ""},
        {"username": "ann", "attributes": {"dept": "it"}},  # the default profile drops it: fail loudly
        {"username": "ann", "groups": ["/elsewhere"]},  # a group the import does not make
        {"username": "ann", "realmRoles": ["editor"]},
        {"username": "ann", "clientRoles": {"web": ["login"]}},
        {"username": "ann", "credentials": [{"type": "otp", "value": "x"}]},
        {"username": "ann", "credentials": [{"type": "password", "value": ""}]},
        {"username": "ann", "federatedIdentities": []},
        {"username": "ann", "state": "absent"},
        {"username": "service-account-robot", "serviceAccountClientId": "robot"},
    ],
    ids=lambda spec: ",".join(k for k in spec if k != "username") or spec["username"][:10],
)
def test_a_user_the_import_could_make_otherwise_goes_one_by_one(spec: dict[str, Any]) -> None:
    assert carried(spec) is None


def test_a_password_goes_only_without_a_password_policy() -> None:
    spec = {"username": "ann", "credentials": [{"type": "password", "value": "pw"}]}
    assert carried(spec) is not None
    assert carried(spec, {"passwordPolicy": "length(12)"}) is None
    assert carried({"username": "ann"}, {"passwordPolicy": "length(12)"}) is not None


def test_with_default_groups_only_a_user_declaring_groups_goes() -> None:
    realm_spec = {"defaultGroups": ["/staff"]}
    assert carried({"username": "ann"}, realm_spec) is None  # the POST would join /staff
    assert carried({"username": "ann", "groups": []}, realm_spec) is not None  # kcr leaves it then


@pytest.mark.parametrize(
    ("realm_spec", "allowed"),
    [
        ({}, True),
        ({"requiredActions": [{"alias": "VERIFY_EMAIL", "defaultAction": False}]}, True),
        ({"requiredActions": [{"alias": "VERIFY_EMAIL", "defaultAction": True}]}, False),
        ({"userProfile": {"attributes": [{"name": "username"}]}}, False),
        ({"registrationEmailAsUsername": True}, False),
        ({"components": {"org.keycloak.storage.UserStorageProvider": [{"name": "ldap"}]}}, False),
        ({"components": {"org.keycloak.keys.KeyProvider": [{"name": "rsa"}]}}, True),
    ],
)
def test_the_realm_decides_whether_users_go_at_all(realm_spec: dict[str, Any], allowed: bool) -> None:
    assert realm_allows(realm_spec) is allowed
