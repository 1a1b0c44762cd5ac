"""LDAP user federation (``components`` of type UserStorageProvider with their LDAPStorageMapper
children) against a real Keycloak and a real directory server (OpenLDAP's slapd, started by
``reconciler.testing.ldap`` with a small seeded directory): declared as configured is no change, one
field at a time is exactly that change, apply then plan is no change, the bind credential is never
shown, the default mappers Keycloak makes are left alone, removal with and without prune, an export of
a realm configured by hand plans no change, drift shows a hand edit, and a directory user logs in and
gets the Keycloak group an LDAP group mapper gives them (a mapper change applied by kcr changes it).
Deleting a provider deletes the users Keycloak imported from it: the plan shows each, counts them, and
the mass-delete guard applies."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.keycloak.client import AdminClient, seg
from reconciler.kinds.component_types import LDAP_MAPPER, USER_STORAGE
from reconciler.plan import Action
from reconciler.testing.ldap import BIND_DN, BIND_PASSWORD, GROUPS_DN, PEOPLE_DN, USERS, Directory
from reconciler.testing.oidc import Realm, TokenError, unverified_claims
from reconciler.testing.server import KeycloakServer
from reconciler.versions import LDAP_FAILURES_SKIPPED_IN_USER_LISTS, has
from tests.integration.conftest import Kcr, group_by_path

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
DEFAULT_MAPPERS = {
    "username",
    "email",
    "first name",
    "last name",
    "creation date",
    "modify date",
    "Kerberos principal attribute mapper",
}


@pytest.fixture(scope="module")
def directory(keycloak: KeycloakServer) -> Iterator[Directory]:
    """slapd on a free port with the seed directory; fails (never skips) with how to install it."""
    if keycloak.source == "container":
        pytest.fail(
            "the LDAP tests need Keycloak on this host (it reaches slapd on 127.0.0.1): run them with "
            "KEYCLOAK_URL of a local server, or without a Docker engine (the harness then starts the "
            "distribution)"
        )
    with Directory() as running:
        yield running


def _provider(directory: Directory, name: str = "corp") -> Doc:
    return {
        "name": name,
        "providerId": "ldap",
        "config": {
            "enabled": ["true"],
            "vendor": ["other"],
            "editMode": ["READ_ONLY"],
            "connectionUrl": [directory.url],
            "bindDn": [BIND_DN],
            "usersDn": [PEOPLE_DN],
            "authType": ["simple"],
            "searchScope": ["1"],
            "usernameLDAPAttribute": ["uid"],
            "rdnLDAPAttribute": ["uid"],
            "uuidLDAPAttribute": ["entryUUID"],
            "userObjectClasses": ["inetOrgPerson"],
        },
    }


def _group_mapper(group_filter: str = "(cn=engineers)") -> Doc:
    return {
        "name": "groups",
        "providerId": "group-ldap-mapper",
        "config": {
            "groups.dn": [GROUPS_DN],
            "group.name.ldap.attribute": ["cn"],
            "group.object.classes": ["groupOfNames"],
            "membership.ldap.attribute": ["member"],
            "membership.attribute.type": ["DN"],
            "membership.user.ldap.attribute": ["uid"],
            "mode": ["READ_ONLY"],
            "user.roles.retrieve.strategy": ["LOAD_GROUPS_BY_MEMBER_ATTRIBUTE"],
            "preserve.group.inheritance": ["false"],
            "groups.ldap.filter": [group_filter],
        },
    }


def _declared(directory: Directory, *, secret: bool = False, group_filter: str = "(cn=engineers)") -> Doc:
    provider = _provider(directory)
    if secret:
        provider["config"]["bindCredential"] = BIND_PASSWORD
    provider["subComponents"] = {LDAP_MAPPER: [_group_mapper(group_filter)]}
    return provider


def _by_hand(api: AdminClient, realm: str, directory: Directory) -> str:
    """The provider and its group mapper made through the Admin API; the provider's id."""
    realm_id = api.get(f"/{seg(realm)}")["id"]
    provider = _provider(directory)
    provider["config"]["bindCredential"] = [BIND_PASSWORD]
    provider_id = api.create(
        f"/{seg(realm)}/components", {**provider, "providerType": USER_STORAGE, "parentId": realm_id}
    )
    mapper = {**_group_mapper(), "providerType": LDAP_MAPPER, "parentId": provider_id}
    api.create(f"/{seg(realm)}/components", mapper)
    return provider_id


def _changes(kcr: Kcr) -> list[tuple[str, str, Action, tuple[str, ...]]]:
    return [(c.kind, c.key, c.action, c.changed_paths) for c in kcr.plan_only().plan.changes]


def _children(api: AdminClient, realm: str, provider_id: str) -> dict[str, Doc]:
    found = api.get(f"/{seg(realm)}/components", {"parent": provider_id}) or []
    return {str(c["name"]): c for c in found}


def _login_groups(kcr: Kcr, realm: str, username: str) -> list[str]:
    tokens = Realm(kcr.server.url, realm).password_grant("app", username, USERS[username][2])
    groups: list[str] = unverified_claims(tokens["access_token"]).get("groups") or []
    return sorted(groups)


APP: Doc = {
    "clientId": "app",
    "publicClient": True,
    "directAccessGrantsEnabled": True,
    "protocolMappers": [
        {
            "name": "groups",
            "protocol": "openid-connect",
            "protocolMapper": "oidc-group-membership-mapper",
            "config": {"claim.name": "groups", "full.path": "true", "access.token.claim": "true"},
        }
    ],
}


def _login_realm(realm: str, directory: Directory) -> Doc:
    """A new realm with a client for password grants and the LDAP provider with its group mapper."""
    return {
        "realm": realm,
        "enabled": True,
        "clients": [APP],
        "components": {USER_STORAGE: [_declared(directory, secret=True)]},
    }


def test_a_directory_user_logs_in_and_the_group_mapper_gives_the_group(
    kcr: Kcr, fresh_realm: str, directory: Directory
) -> None:
    doc = _login_realm(fresh_realm, directory)
    kcr.write(doc)
    applied = kcr.apply_converged()
    assert BIND_PASSWORD not in applied.output

    # A real password grant: Keycloak checks the password against the directory (a simple bind).
    assert _login_groups(kcr, fresh_realm, "ada") == ["/engineers"]
    assert _login_groups(kcr, fresh_realm, "alan") == []
    with pytest.raises(TokenError) as refused:
        Realm(kcr.server.url, fresh_realm).password_grant("app", "ada", "not-her-password")
    assert "Invalid user credentials" in str(refused.value)

    # The mapper's filter, changed in git and applied by kcr, changes who gets which group.
    doc["components"] = {USER_STORAGE: [_declared(directory, secret=True, group_filter="(cn=operators)")]}
    kcr.write(doc)
    assert _changes(kcr) == [
        ("component", "user-storage/corp/groups", Action.UPDATE, ("config.groups.ldap.filter",))
    ]
    kcr.apply_converged()
    assert _login_groups(kcr, fresh_realm, "ada") == []
    assert _login_groups(kcr, fresh_realm, "alan") == ["/operators"]


def test_declared_as_configured_then_one_field_at_a_time(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, directory: Directory
) -> None:
    provider_id = _by_hand(admin_api, empty_realm, directory)
    doc: Doc = {"realm": empty_realm, "components": {USER_STORAGE: [_declared(directory)]}}
    kcr.write(doc)
    assert _changes(kcr) == []

    steps: list[tuple[str, str]] = [("searchScope", "2"), ("editMode", "UNSYNCED"), ("enabled", "false")]
    for key, value in steps:
        doc = copy.deepcopy(doc)
        doc["components"][USER_STORAGE][0]["config"][key] = value  # a bare value is a one-item list
        kcr.write(doc)
        assert _changes(kcr) == [("component", "user-storage/corp", Action.UPDATE, (f"config.{key}",))], key
        kcr.apply_converged()

    doc = copy.deepcopy(doc)
    doc["components"][USER_STORAGE][0]["subComponents"][LDAP_MAPPER][0]["config"]["mode"] = ["IMPORT"]
    kcr.write(doc)
    assert _changes(kcr) == [("component", "user-storage/corp/groups", Action.UPDATE, ("config.mode",))]
    kcr.apply_converged()

    stored = admin_api.get(f"/{seg(empty_realm)}/components/{provider_id}")
    config = stored["config"]
    assert (config["searchScope"], config["editMode"], config["enabled"]) == (["2"], ["UNSYNCED"], ["false"])
    assert config["bindCredential"] == ["**********"]  # kept through every update
    children = _children(admin_api, empty_realm, provider_id)
    assert children["groups"]["config"]["mode"] == ["IMPORT"]
    # The default mappers Keycloak made with the provider are still there, untouched.
    assert set(children) >= DEFAULT_MAPPERS


def test_the_bind_credential_is_written_never_shown_and_said_to_be_uncompared(
    kcr: Kcr, admin_api: AdminClient, fresh_realm: str, directory: Directory
) -> None:
    doc = _login_realm(fresh_realm, directory)
    kcr.write(doc)
    planned = kcr.plan()
    assert planned.exit_code == 2, planned.output
    assert BIND_PASSWORD not in planned.output
    assert "(sensitive value)" in planned.output
    assert "bindCredential is write-only" in planned.output
    as_json = kcr.plan("--format", "json")
    assert BIND_PASSWORD not in as_json.output
    applied = kcr.apply_converged()
    assert BIND_PASSWORD not in applied.output
    # Written: the directory accepts Keycloak's bind, so a directory user can log in.
    assert _login_groups(kcr, fresh_realm, "ada") == ["/engineers"]

    # A wrong credential declared later is not seen (it cannot be compared) ...
    doc["components"][USER_STORAGE][0]["config"]["bindCredential"] = "wrong-secret"
    kcr.write(doc)
    assert _changes(kcr) == []
    # ... and goes with the next update of the provider, which then cannot bind.
    doc["components"][USER_STORAGE][0]["config"]["searchScope"] = "2"
    kcr.write(doc)
    if has(admin_api.server_info(), LDAP_FAILURES_SKIPPED_IN_USER_LISTS):
        kcr.apply_converged()
    else:
        # Before 26.4 Keycloak refuses to list the realm's users then: the next plan stops, saying why.
        applied = kcr.apply()
        assert applied.exit_code == 0, applied.output
        planned = kcr.plan()
        assert planned.exit_code == 1, planned.output
        # (26.2.5: "Failed to fetch results from the LDAP [corp] provider"; 26.0.8: "Cannot parse the JSON")
        assert "GET /admin/realms/" in planned.output
        assert "/users -> HTTP 400: " in planned.output
        assert BIND_PASSWORD not in planned.output
    # (Keycloak 26.7 answers a directory it cannot bind to with HTTP 500 unknown_error.)
    with pytest.raises(TokenError):
        Realm(kcr.server.url, fresh_realm).password_grant("app", "alan", USERS["alan"][2])


def test_removal_with_and_without_prune(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, directory: Directory
) -> None:
    # Both can bind: before 26.4 a provider that cannot makes GET /users fail (the test above).
    second = _provider(directory, "second")
    second["config"]["bindCredential"] = BIND_PASSWORD
    second["subComponents"] = {LDAP_MAPPER: [_group_mapper()]}
    doc: Doc = {
        "realm": empty_realm,
        "components": {USER_STORAGE: [_declared(directory, secret=True), second]},
    }
    kcr.write(doc)
    kcr.apply_converged()
    base = f"/{seg(empty_realm)}/components"

    def providers() -> list[str]:
        return sorted(c["name"] for c in admin_api.get(base, {"type": USER_STORAGE}) or [])

    # Left out without prune: kept, and listed as not declared (the default mappers never are).
    kcr.write({"realm": empty_realm, "components": {USER_STORAGE: [_provider(directory)]}})
    plan = kcr.plan_only().plan
    assert plan.changes == []
    # (the directory's users, listed through the providers, are unmanaged users)
    assert sorted(u.key for u in plan.unmanaged if u.kind == "component") == [
        "user-storage/corp/groups",
        "user-storage/second",
        "user-storage/second/groups",
    ]
    # A mapper declared absent: deleted; a default mapper declared absent too.
    first = _provider(directory)
    first["subComponents"] = {
        LDAP_MAPPER: [{"name": "groups", "state": "absent"}, {"name": "modify date", "state": "absent"}]
    }
    kcr.write({"realm": empty_realm, "components": {USER_STORAGE: [first]}})
    assert [c[:3] for c in _changes(kcr)] == [
        ("component", "user-storage/corp/modify date", Action.DELETE),
        ("component", "user-storage/corp/groups", Action.DELETE),
    ]
    kcr.apply_converged()
    (corp,) = admin_api.get(base, {"type": USER_STORAGE, "name": "corp"})
    left = _children(admin_api, empty_realm, corp["id"])
    assert "groups" not in left
    assert "modify date" not in left
    assert "username" in left

    # Left out with prune: the provider kcr made is deleted, its mappers with it (each in the plan);
    # the default mappers of the kept provider are not pruned.
    kcr.write(
        {
            "realm": empty_realm,
            "policy": {"prune": ["components"], "maxDeletes": 50},
            "components": {USER_STORAGE: [_provider(directory)]},
        }
    )
    changes = kcr.plan_only().plan.changes
    deleted = sorted(c.key for c in changes if c.action is Action.DELETE)
    assert "user-storage/second" in deleted
    assert "user-storage/second/groups" in deleted
    assert {k.rsplit("/", 1)[1] for k in deleted if k.startswith("user-storage/second/")} >= DEFAULT_MAPPERS
    assert not [k for k in deleted if k.startswith("user-storage/corp")]
    kcr.apply_converged()
    assert providers() == ["corp"]


def test_export_of_a_realm_configured_by_hand_plans_no_change_and_drift_sees_a_hand_edit(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, directory: Directory, tmp_path: Path
) -> None:
    provider_id = _by_hand(admin_api, empty_realm, directory)
    exported = kcr.run("export", "--realm", empty_realm, "--out", str(tmp_path))
    assert exported.exit_code == 0, exported.output
    text = (tmp_path / empty_realm / "components.yaml").read_text(encoding="utf-8")
    assert "group-ldap-mapper" in text
    assert "Kerberos principal attribute mapper" in text
    assert BIND_PASSWORD not in text
    assert "**********" not in text
    assert "# bindCredential:" in text  # a hint of how to declare it
    folder = str(tmp_path / empty_realm)
    planned = kcr.run("plan", folder, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output

    mapper = _children(admin_api, empty_realm, provider_id)["groups"]
    mapper["config"]["groups.ldap.filter"] = ["(cn=nobody)"]
    admin_api.put(f"/{seg(empty_realm)}/components/{mapper['id']}", mapper)
    drift = kcr.run("drift", folder)
    assert drift.exit_code == 2, drift.output
    assert "user-storage/corp/groups" in drift.output
    assert "groups.ldap.filter" in drift.output


def test_keycloaks_own_export_plans_no_change_and_its_masked_credential_is_ignored(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, directory: Directory
) -> None:
    _by_hand(admin_api, empty_realm, directory)
    exported = admin_api.request("POST", f"/{seg(empty_realm)}/partial-export").json()
    (provider,) = exported["components"][USER_STORAGE]
    assert provider["config"]["bindCredential"] == ["**********"]
    kcr.write({"realm": empty_realm, "components": exported["components"]})
    planned = kcr.plan()
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.output
    assert (
        "the masked bindCredential of an export ('**********') is not the secret: ignored" in planned.output
    )


def test_deleting_a_provider_shows_and_guards_the_users_keycloak_deletes_with_it(
    kcr: Kcr, admin_api: AdminClient, empty_realm: str, directory: Directory
) -> None:
    base = f"/{seg(empty_realm)}"
    doc: Doc = {
        "realm": empty_realm,
        "groups": [{"name": "staff"}],
        "users": [{"username": "local", "enabled": True}],
        "components": {USER_STORAGE: [_declared(directory, secret=True)]},
    }
    kcr.write(doc)
    kcr.apply_converged()
    (provider,) = admin_api.get(f"{base}/components", {"type": USER_STORAGE, "name": "corp"})
    # The directory's users imported into Keycloak by a full sync; one joins a Keycloak group.
    synced = admin_api.request(
        "POST", f"{base}/user-storage/{seg(provider['id'])}/sync", params={"action": "triggerFullSync"}
    ).json()
    assert synced["failed"] == 0
    users = {u["username"]: u for u in admin_api.get(f"{base}/users", {"briefRepresentation": "false"})}
    assert {n: u.get("federationLink") for n, u in users.items()} == {
        "ada": provider["id"],
        "alan": provider["id"],
        "local": None,
    }
    staff = group_by_path(admin_api, empty_realm, "/staff")
    assert staff is not None
    admin_api.put(f"{base}/users/{seg(users['ada']['id'])}/groups/{seg(staff['id'])}")
    # No query by federation link: Keycloak ignores the parameter and answers every user.
    everyone = admin_api.get(f"{base}/users", {"federationLink": provider["id"]})
    assert sorted(u["username"] for u in everyone) == ["ada", "alan", "local"]

    # Declared absent: the plan names the users that go with the provider, each a delete of its own.
    mappers = len(_children(admin_api, empty_realm, provider["id"]))
    absent = {"name": "corp", "state": "absent"}
    doc = {**doc, "components": {USER_STORAGE: [absent]}, "policy": {"maxDeletes": 1 + mappers}}
    kcr.write(doc)
    plan = kcr.plan_only().plan
    (provider_delete,) = [c for c in plan.changes if c.key == "user-storage/corp"]
    assert provider_delete.reason == (
        "declared absent; deletes 2 users imported from LDAP provider corp (and their memberships)"
    )
    accounts = [c for c in plan.changes if c.kind == "user"]
    assert [(c.key, c.action, c.deleted_by) for c in accounts] == [
        ("ada", Action.DELETE, provider_delete.address),
        ("alan", Action.DELETE, provider_delete.address),
    ]
    # ... after the provider's delete (kcr never deletes them itself: in WRITABLE mode that would
    # delete them from the directory), counted in the summary, and never "left alone".
    order = [c.address for c in plan.changes]
    assert order.index(provider_delete.address) < min(order.index(c.address) for c in accounts)
    assert plan.summary["destroy"] == 1 + mappers + 2
    assert not [u for u in plan.unmanaged if u.kind == "user"]
    shown = kcr.plan()
    assert shown.exit_code == 2, shown.output
    assert f"- {empty_realm}/user/ada" in shown.output
    assert "deletes 2 users imported from LDAP provider corp" in shown.output

    # The guard of every cascading delete: policy.maxDeletes counts the users.
    refused = kcr.apply()
    assert refused.exit_code == 1, refused.output
    assert f"The plan deletes {1 + mappers + 2} objects in realm {empty_realm!r}" in refused.output
    assert {u["username"] for u in admin_api.get(f"{base}/users")} == {"ada", "alan", "local"}
    # A user that goes with the provider cannot stay declared: every apply would make it again.
    kcr.write({**doc, "users": [{"username": "local", "enabled": True}, {"username": "ada"}]})
    declared = kcr.plan()
    assert declared.exit_code == 1, declared.output
    assert f"Keycloak deletes {empty_realm}/user/ada with this change" in declared.output

    kcr.write(doc)
    kcr.apply_converged("--allow-mass-delete")
    assert [u["username"] for u in admin_api.get(f"{base}/users")] == ["local"]
    assert admin_api.get(f"{base}/groups/{seg(staff['id'])}/members") == []
    assert admin_api.get(f"{base}/components", {"type": USER_STORAGE}) == []
