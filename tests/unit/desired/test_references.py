"""The reference mechanism's options that no registered kind uses yet (``builtins=False``,
``live_only``), and the scoping of ``within``: kinds derived from registered ones, passed in as the
kinds list (the golden cases cover the registered kinds' references)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from reconciler.desired.checks import check_realm, parts_of
from reconciler.desired.merge import MergedRealm, merge
from reconciler.desired.source import read_file
from reconciler.desired.structure import check_document
from reconciler.kinds import REGISTRY
from reconciler.kinds.base import Kind, Reference
from reconciler.kinds.client import ClientKind
from reconciler.kinds.user import UserKind

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
    problems, _ = check_realm(merged(tmp_path), kinds)
    return sorted(f"{p.path}: {p.message}" for p in problems)


def replaced(*kinds: Kind) -> list[Kind]:
    by_name = {k.name: k for k in kinds}
    return [by_name.get(k.name, k) for k in REGISTRY]


class ClientWithoutBuiltinScopes(ClientKind):
    references: ClassVar[tuple[Reference, ...]] = (
        Reference("defaultClientScopes[]", "client-scope", builtins=False),
    )


class UserWithHandMadeGroups(UserKind):
    references: ClassVar[tuple[Reference, ...]] = (Reference("groups[]", "group", live_only=True),)


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
        "users[0].groups[2]: group path 'not-a-path' must start with /"
    ]


def test_a_name_within_a_missing_key_is_not_reported_twice(tmp_path: Path) -> None:
    text = REALM.replace("web: [view]", "ghost: [x]")
    problems, _ = check_realm(merged(tmp_path, text))
    assert [p.path for p in problems if "ghost" in p.path] == ["users[0].clientRoles.ghost"]


def test_paths_split_into_steps() -> None:
    assert parts_of("composites.client.*[]") == ["composites", "client", "*", "[]"]
    assert parts_of("groups[]") == ["groups", "[]"]
    assert parts_of("[]") == ["[]"]
    assert parts_of("identityProviderAlias") == ["identityProviderAlias"]
