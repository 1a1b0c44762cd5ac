"""The reference mechanism's options that no registered kind uses yet (``builtins=False``,
``live_only``), and the scoping of ``within``: kinds derived from registered ones, passed in as the
kinds list (the golden cases cover the registered kinds' references)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from reconciler.desired.checks import check_realm, parts_of
from reconciler.desired.merge import MergedRealm, merge
from reconciler.desired.source import read_file
from reconciler.desired.state import DesiredRealm
from reconciler.desired.structure import check_document
from reconciler.errors import Problem
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind, LiveRealm, Reference
from reconciler.kinds.client import ClientKind
from reconciler.kinds.realm import RealmKind
from reconciler.kinds.user import UserKind
from reconciler.live_checks import check_live_references

REALM = """\
realm: acme
clients:
  - clientId: web
    defaultClientScopes: [profile]
groups:
  - name: staff
users:
  - username: alice
    groups: [/staff, /hand-made, not-a-path]
    clientRoles:
      web: [view]
      account: [view-profile]
"""


def merged(tmp_path: Path, text: str = REALM) -> MergedRealm:
    path = tmp_path / "realm.yaml"
    path.write_text(text, encoding="utf-8")
    docs, problems = read_file(path)
    assert not problems
    checked = [(doc, spec) for doc in docs if (spec := check_document(doc).spec) is not None]
    realms, problems = merge(checked)
    assert not problems
    return realms["acme"]


def messages(tmp_path: Path, kinds: list[Kind]) -> list[str]:
    problems = check_realm(merged(tmp_path), kinds).problems
    return sorted(f"{p.path}: {p.message}" for p in problems)


def replaced(*kinds: Kind) -> list[Kind]:
    by_name = {k.name: k for k in kinds}
    return [by_name.get(k.name, k) for k in REGISTRY]


class ClientWithoutBuiltinScopes(ClientKind):
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("defaultClientScopes[]", "client-scope", builtins=False),
    )


class UserWithHandMadeGroups(UserKind):
    references: ClassVar[tuple[Reference, ...]] = (
        *(r for r in UserKind.references if r.field != "groups[]"),
        Reference("groups[]", "group", live_only=True),
    )


def test_the_registered_kinds_report_what_is_not_declared(tmp_path: Path) -> None:
    assert messages(tmp_path, list(REGISTRY)) == [
        "users[0].clientRoles.web[0]: role 'view' of client 'web' is not declared in realm 'acme'",
        "users[0].groups[1]: group '/hand-made' is not declared in realm 'acme'",
        "users[0].groups[2]: group path 'not-a-path' must start with /",
    ]


def test_without_builtins_a_builtin_name_must_be_declared(tmp_path: Path) -> None:
    found = messages(tmp_path, replaced(ClientWithoutBuiltinScopes()))
    missing = "clients[0].defaultClientScopes[0]: client scope 'profile' is not declared in realm 'acme'"
    assert missing in found


def test_a_live_only_reference_is_checked_for_its_form_only(tmp_path: Path) -> None:
    assert messages(tmp_path, replaced(UserWithHandMadeGroups())) == [
        "users[0].clientRoles.web[0]: role 'view' of client 'web' is not declared in realm 'acme'",
        "users[0].groups[2]: group path 'not-a-path' must start with /",
    ]


def test_a_name_within_a_missing_key_is_not_reported_twice(tmp_path: Path) -> None:
    text = REALM.replace("web: [view]", "ghost: [x]")
    problems = check_realm(merged(tmp_path, text)).problems
    assert [p.path for p in problems if "ghost" in p.path] == ["users[0].clientRoles.ghost"]


def test_a_realm_built_without_the_loader_has_every_undeclared_name_checked_by_the_plan() -> None:
    spec = {
        "clients": [{"clientId": "x", "defaultClientScopes": ["nope", "profile", "mine"]}],
        "clientScopes": [{"name": "mine"}],
    }
    desired = DesiredRealm("acme", spec)  # as a library caller or a test makes it
    live = live_realm(scopes={"profile"}, groups=set(), roles=set())
    problems = check_live_references(desired, live)
    assert [(p.path, p.location) for p in problems] == [("clients[0].defaultClientScopes[0]", None)]
    assert problems[0].message == (
        "client scope 'nope' is not declared, and realm 'acme' in Keycloak has no such scope"
    )


class RealmNamingAScope(RealmKind):
    """A reference from a realm setting (a flow binding names a flow the same way)."""

    references: ClassVar[tuple[Reference, ...]] = (Reference("", "client-scope", section="displayName"),)


def test_a_realm_setting_can_be_a_reference(tmp_path: Path) -> None:
    realm = merged(tmp_path, REALM.replace("clients:", "displayName: nope\nclients:", 1))
    problems = check_realm(realm, replaced(RealmNamingAScope())).problems
    assert [f"{p.location}: {p.path}: {p.message}" for p in problems if p.path == "displayName"] == [
        f"{tmp_path / 'realm.yaml'}:2:14: displayName: client scope 'nope' is not declared in realm 'acme'"
    ]


def test_paths_split_into_steps() -> None:
    assert parts_of("composites.client.*[]") == ["composites", "client", "*", "[]"]
    assert parts_of("groups[]") == ["groups", "[]"]
    assert parts_of("[]") == ["[]"]
    assert parts_of("identityProviderAlias") == ["identityProviderAlias"]


# -- what the plan checks against the live realm ------------------------------------------------------
LIVE_REALM = """\
realm: acme
clients:
  - clientId: web
    optionalClientScopes: [microprofile-jwt]
users:
  - username: alice
    groups: [/hand-made]
    realmRoles: [offline_access]
"""


KINDS = replaced(UserWithHandMadeGroups())


def desired_realm(tmp_path: Path) -> DesiredRealm:
    realm = merged(tmp_path, LIVE_REALM)
    found = check_realm(realm, KINDS)
    assert not found.problems
    return DesiredRealm(realm.name, realm.spec, live_references=found.live)


def live_realm(*, scopes: set[str], groups: set[str], roles: set[str], exists: bool = True) -> LiveRealm:
    objects: dict[str, dict[str, Any]] = {"client-scope": {n: {} for n in scopes}}
    objects["group"] = {p: {} for p in groups}
    objects["role"] = {n: {} for n in roles}
    return LiveRealm("acme", exists, objects=objects)


def test_builtins_and_live_only_names_are_left_to_the_plan(tmp_path: Path) -> None:
    desired = desired_realm(tmp_path)
    assert desired.live_references is not None
    assert sorted((r.kind, r.name, r.builtin) for r in desired.live_references) == [
        ("client-scope", "microprofile-jwt", True),
        ("group", "/hand-made", False),
        ("role", "offline_access", True),
    ]
    everything = live_realm(scopes={"microprofile-jwt"}, groups={"/hand-made"}, roles={"offline_access"})
    assert check_live_references(desired, everything, KINDS) == []


def test_a_builtin_deleted_by_hand_fails_the_plan_at_the_reference(tmp_path: Path) -> None:
    desired = desired_realm(tmp_path)
    live = live_realm(scopes={"profile"}, groups={"/hand-made"}, roles=set())
    found = [str(p) for p in check_live_references(desired, live, KINDS)]
    assert found == [
        f"{tmp_path / 'realm.yaml'}:4:28: clients[0].optionalClientScopes[0]: "
        "client scope 'microprofile-jwt' is not declared, and realm 'acme' in Keycloak has no such scope "
        "(declare it under clientScopes, or remove the reference)",
        f"{tmp_path / 'realm.yaml'}:8:18: users[0].realmRoles[0]: realm role 'offline_access' "
        "is not declared, and realm 'acme' in Keycloak has no such role "
        "(declare it under roles.realm, or remove the reference)",
    ]


def test_a_new_realm_has_the_builtins_but_no_hand_made_object(tmp_path: Path) -> None:
    desired = desired_realm(tmp_path)
    new = LiveRealm("acme", exists=False)
    assert [p.path for p in check_live_references(desired, new, KINDS)] == ["users[0].groups[0]"]


def test_a_kind_that_was_not_read_is_not_judged(tmp_path: Path) -> None:
    desired = desired_realm(tmp_path)
    assert check_live_references(desired, LiveRealm("acme", exists=True), KINDS) == []


class ClientCheckedLive(ClientKind):
    def check_live(self, desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
        return [Problem(f"{len(live.of(self.name))} clients read")]


def test_a_kinds_own_live_checks_run_with_the_reference_checks(tmp_path: Path) -> None:
    kinds = replaced(ClientCheckedLive())
    live = LiveRealm("acme", exists=True, objects={"client": {"web": {}}})
    problems = check_live_references(DesiredRealm("acme", {}, live_references=[]), live, kinds)
    assert [p.message for p in problems] == ["1 clients read"]
