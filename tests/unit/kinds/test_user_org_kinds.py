"""Pure rules of the user and organization kinds: normalisation, comparison, destroy counts."""

from __future__ import annotations

from typing import Any, cast

from reconciler.compare import SENSITIVE, FieldDiff
from reconciler.desired.state import DesiredRealm
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.base import Context, LiveRealm
from reconciler.kinds.organization import OrganizationKind
from reconciler.kinds.user import UserKind, verify_hint

USERS = UserKind()
ORGS = OrganizationKind()


def ctx(realm: str = "Acme", spec: dict[str, Any] | None = None) -> Context:
    # no request is made by the code under test: the client is never touched
    return Context(
        api=cast(AdminClient, None),
        realm=realm,
        desired=DesiredRealm(name=realm, spec=spec or {}),
        live=LiveRealm(name=realm, exists=True),
    )


def paths(diffs: list[FieldDiff]) -> list[str]:
    return [d.path for d in diffs]


# -- user: desired side --------------------------------------------------------------------------
def test_usernames_and_emails_are_lower_cased_like_keycloak_stores_them() -> None:
    realm = DesiredRealm(name="r", spec={"users": [{"username": "Alice", "email": "Alice@Acme.ORG"}]})
    assert USERS.declared(realm) == {"alice": {"username": "alice", "email": "alice@acme.org"}}


def test_service_account_user_is_keyed_by_its_username() -> None:
    realm = DesiredRealm(name="r", spec={"users": [{"serviceAccountClientId": "Orders-API"}]})
    declared = USERS.declared(realm)
    assert list(declared) == ["service-account-orders-api"]


def test_credentials_never_compared_and_redacted() -> None:
    desired = {"username": "a", "credentials": [{"type": "password", "value": "pw", "temporary": False}]}
    assert USERS.compare("a", desired, {"username": "a", "id": "1"}, ctx()) == []
    assert USERS.redact(desired) == {"username": "a", "credentials": SENSITIVE}


# -- user: comparison ----------------------------------------------------------------------------
def test_attributes_compare_declared_keys_as_string_sets() -> None:
    live = {"attributes": {"dept": ["eng"], "tags": ["b", "a"], "other": ["x"]}}
    assert USERS.compare("a", {"attributes": {"dept": "eng", "tags": ["a", "b"]}}, live, ctx()) == []
    diffs = USERS.compare("a", {"attributes": {"dept": "ops"}}, live, ctx())
    assert diffs == [FieldDiff("attributes.dept", ["eng"], ["ops"])]


def test_default_role_is_implicit_unless_declared() -> None:
    live = {"realmRoles": ["admin", "default-roles-acme"]}
    assert USERS.compare("a", {"realmRoles": ["admin"]}, live, ctx("Acme")) == []
    diffs = USERS.compare(
        "a", {"realmRoles": ["admin", "default-roles-acme"]}, {"realmRoles": ["admin"]}, ctx()
    )
    assert paths(diffs) == ["realmRoles"]


def test_default_role_name_comes_from_the_realm_when_read() -> None:
    c = ctx("acme")
    c.live.ids.realm = {"defaultRole": {"name": "custom-default"}}
    assert USERS.compare("a", {"realmRoles": []}, {"realmRoles": ["custom-default"]}, c) == []


def test_realm_roles_and_groups_are_authoritative_sets() -> None:
    live = {"realmRoles": ["b", "a"], "groups": ["/x", "/y"]}
    assert USERS.compare("a", {"realmRoles": ["a", "b"], "groups": ["/y", "/x"]}, live, ctx()) == []
    diffs = USERS.compare("a", {"realmRoles": ["a"], "groups": ["/x"]}, live, ctx())
    assert paths(diffs) == ["realmRoles", "groups"]


def test_client_roles_compared_per_declared_client_only() -> None:
    live = {"clientRoles": {"orders": ["read"], "billing": ["pay"]}}
    assert USERS.compare("a", {"clientRoles": {"orders": ["read"]}}, live, ctx()) == []
    assert USERS.compare("a", {"clientRoles": {"shop": []}}, live, ctx()) == []
    diffs = USERS.compare("a", {"clientRoles": {"orders": []}}, live, ctx())
    assert diffs == [FieldDiff("clientRoles.orders", ["read"], [])]


def test_temporary_password_tolerates_update_password_action() -> None:
    desired = {
        "requiredActions": ["CONFIGURE_TOTP"],
        "credentials": [{"type": "password", "value": "pw", "temporary": True}],
    }
    live = {"requiredActions": ["CONFIGURE_TOTP", "UPDATE_PASSWORD"]}
    assert USERS.compare("a", desired, live, ctx()) == []
    permanent = {**desired, "credentials": [{"type": "password", "value": "pw", "temporary": False}]}
    assert paths(USERS.compare("a", permanent, live, ctx())) == ["requiredActions"]


def test_dropped_attribute_gets_a_hint() -> None:
    diffs = [FieldDiff("attributes.dept", None, ["eng"]), FieldDiff("email", "a@x", "b@x")]
    hint = verify_hint(diffs)
    assert hint is not None
    assert "attribute dept was not stored" in hint
    assert "unmanagedAttributePolicy" in hint
    assert "unmanagedAttributePolicy" in USERS.update_reason("a", diffs, {})
    assert verify_hint([FieldDiff("attributes.dept", ["ops"], ["eng"])]) is None
    assert (
        USERS.update_reason("a", [FieldDiff("email", "a", "b")], {}) == "declared fields differ from Keycloak"
    )


def test_service_account_users_are_never_pruned() -> None:
    assert USERS.is_builtin("service-account-x", {"serviceAccountClientId": "x"}, "r")
    assert not USERS.is_builtin("bob", {"username": "bob"}, "r")


# -- organization ----------------------------------------------------------------------------------
def test_organization_key_is_alias_then_name_and_domains_lower_cased() -> None:
    realm = DesiredRealm(
        name="r",
        spec={
            "organizations": [
                {"name": "Acme Inc", "alias": "acme", "domains": [{"name": "ACME.org"}], "members": ["Bob"]},
                {"name": "globex"},
            ]
        },
    )
    declared = ORGS.declared(realm)
    assert list(declared) == ["acme", "globex"]
    assert declared["acme"]["domains"] == [{"name": "acme.org"}]
    assert declared["acme"]["members"] == ["bob"]


LIVE_ORG: dict[str, Any] = {
    "name": "Acme",
    "alias": "acme",
    "enabled": True,
    "domains": [{"name": "acme.com", "verified": False}, {"name": "acme.org", "verified": True}],
    "attributes": {"tier": ["gold"], "other": ["x"]},
    "members": ["alice", "bob", "carol"],
    "_managedMembers": ["bob", "carol"],
    "_memberIds": {"alice": "1", "bob": "2", "carol": "3"},
    "id": "org-1",
}


def test_domains_compare_by_name_and_verified_only_when_declared() -> None:
    same = {"domains": [{"name": "acme.org"}, {"name": "acme.com"}]}
    assert ORGS.compare("acme", same, LIVE_ORG, ctx()) == []
    verified = {"domains": [{"name": "acme.org", "verified": False}, {"name": "acme.com"}]}
    assert ORGS.compare("acme", verified, LIVE_ORG, ctx()) == [
        FieldDiff("domains[acme.org].verified", True, False)
    ]
    more = {"domains": [{"name": "acme.org"}, {"name": "acme.com"}, {"name": "acme.net"}]}
    assert ORGS.compare("acme", more, LIVE_ORG, ctx()) == [
        FieldDiff("domains", ["acme.com", "acme.org"], ["acme.com", "acme.net", "acme.org"])
    ]


def test_org_attributes_and_members() -> None:
    assert ORGS.compare("acme", {"attributes": {"tier": "gold"}}, LIVE_ORG, ctx()) == []
    assert ORGS.compare("acme", {"members": ["carol", "bob", "alice"]}, LIVE_ORG, ctx()) == []
    assert paths(ORGS.compare("acme", {"members": ["alice"]}, LIVE_ORG, ctx())) == ["members"]


def test_removing_managed_members_counts_destroyed_accounts() -> None:
    one = ORGS.compare("acme", {"members": ["alice", "bob"]}, LIVE_ORG, ctx())
    assert [c.key for c in ORGS.deleted_by_update("acme", one, LIVE_ORG)] == ["carol"]
    assert (
        ORGS.update_reason("acme", one, LIVE_ORG) == "removing managed member carol deletes the user account"
    )
    two = ORGS.compare("acme", {"members": ["alice"]}, LIVE_ORG, ctx())
    assert [(c.kind, c.key) for c in ORGS.deleted_by_update("acme", two, LIVE_ORG)] == [
        ("user", "bob"),
        ("user", "carol"),
    ]
    assert "bob, carol" in ORGS.update_reason("acme", two, LIVE_ORG)


def test_deleting_an_organization_deletes_its_managed_members_accounts() -> None:
    assert [(c.kind, c.key) for c in ORGS.deleted_with(ctx(), "acme", LIVE_ORG)] == [
        ("user", "bob"),
        ("user", "carol"),
    ]


def test_removing_unmanaged_member_destroys_nothing() -> None:
    diffs = ORGS.compare("acme", {"members": ["bob", "carol", "dave"]}, LIVE_ORG, ctx())
    assert ORGS.deleted_by_update("acme", diffs, LIVE_ORG) == []
    assert ORGS.update_reason("acme", diffs, LIVE_ORG) == "declared fields differ from Keycloak"


def test_membership_bookkeeping_never_shown() -> None:
    shown = ORGS.redact(LIVE_ORG)
    assert shown is not None
    assert not [k for k in shown if k.startswith("_")]


def test_organizations_disabled_read_as_empty() -> None:
    c = ctx()
    c.live.ids.realm = {"organizationsEnabled": False}
    assert ORGS.read(c) == {}  # no request: the (absent) client would fail if one were made
