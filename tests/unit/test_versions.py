"""Pure tests of reconciler.versions: parsing, the supported range, and where each row of the facts
table finds its uses in a desired realm (each row against real servers: test_server_versions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired import load
from reconciler.versions import (
    AUTHN_CONTEXT_CLASS_REF_SCOPE,
    FACTS,
    ORGANIZATION_ADMIN_ROLES,
    ORGANIZATIONS,
    STANDARD_TOKEN_EXCHANGE,
    KeycloakVersion,
    ServerInfo,
    has,
    supported,
    version_problems,
    version_warning,
)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("26.0.8", KeycloakVersion(26, 0, 8)),
        ("26.0.15.redhat-00001", KeycloakVersion(26, 0, 15)),
        ("999.0.0-SNAPSHOT", KeycloakVersion(999, 0, 0)),
        ("26.7", KeycloakVersion(26, 7, 0)),
        ("", None),
        ("unknown", None),
    ],
)
def test_parse(text: str, parsed: KeycloakVersion | None) -> None:
    assert KeycloakVersion.parse(text) == parsed


def test_supported_range_is_every_patch_of_26_0_to_26_7() -> None:
    assert supported(KeycloakVersion(26, 0, 0))
    assert supported(KeycloakVersion(26, 7, 99))
    assert not supported(KeycloakVersion(25, 0, 6))
    assert not supported(KeycloakVersion(26, 8, 0))


def test_a_server_outside_the_range_or_without_a_version_gets_a_warning() -> None:
    assert version_warning(ServerInfo("26.4.7")) is None
    older = version_warning(ServerInfo("25.0.6"))
    assert older is not None
    assert "25.0.6 is older than the versions kcr supports (26.0 to 26.7" in older
    newer = version_warning(ServerInfo("999.0.0-SNAPSHOT"))
    assert newer is not None
    assert "newer" in newer
    unknown = version_warning(ServerInfo(""))
    assert unknown is not None
    assert "realm-admin" in unknown


def test_serverinfo_without_system_info_has_no_version_but_its_features() -> None:
    info = ServerInfo.from_serverinfo({"features": [{"name": "ORGANIZATION", "enabled": False}]})
    assert info.version is None
    assert not has(info, ORGANIZATIONS)  # switched off by its flag
    assert has(info, ORGANIZATION_ADMIN_ROLES)  # an unknown version counts as the newest
    assert ServerInfo.from_serverinfo(None) == ServerInfo()


def test_each_fact_is_there_from_its_version_on() -> None:
    for fact in FACTS:
        assert has(ServerInfo(str(fact.since)), fact)
        assert has(ServerInfo("26.7.3"), fact)
        if fact.since > KeycloakVersion(26, 0):
            assert not has(ServerInfo("26.0.8"), fact)


USES = """\
realm: r
defaultDefaultClientScopes: [basic, AuthnContextClassRef]
clients:
  - clientId: exchanger
    attributes:
      standard.token.exchange.enabled: "true"
  - clientId: urn:sp
    protocol: saml
    optionalClientScopes: [AuthnContextClassRef]
users:
  - username: org-admin
    clientRoles:
      realm-management: [view-organizations, view-users]
groups:
  - name: admins
    clientRoles:
      realm-management: [manage-organizations]
roles:
  realm:
    - name: org-viewer
      composite: true
      composites:
        client:
          realm-management: [query-organizations]
"""


def _realm(tmp_path: Path, text: str = USES) -> object:
    (tmp_path / "r.yaml").write_text(text)
    return load([str(tmp_path)]).realms["r"]


def test_on_26_0_every_use_of_a_newer_feature_is_an_error_at_its_place(tmp_path: Path) -> None:
    realm = _realm(tmp_path)
    problems = version_problems(realm, ServerInfo("26.0.8"))  # type: ignore[arg-type]
    found = {(str(p.location).split(":")[1] if p.location else None, p.path) for p in problems}
    assert found == {
        ("2", "r: defaultDefaultClientScopes[AuthnContextClassRef]"),
        ("4", "r: clients[exchanger].attributes.standard.token.exchange.enabled"),
        ("7", "r: clients[urn:sp].optionalClientScopes"),
        ("11", "r: users[org-admin].clientRoles.realm-management[view-organizations]"),
        ("15", "r: groups[admins].clientRoles.realm-management[manage-organizations]"),
        ("20", "r: roles.realm[org-viewer].client.realm-management[query-organizations]"),
    }
    messages = {p.message for p in problems}
    assert (
        "Standard Token Exchange V2 (client attribute standard.token.exchange.enabled) needs Keycloak 26.2 "
        "or newer; the server runs 26.0.8"
    ) in messages
    assert all(p.hint for p in problems)


@pytest.mark.parametrize(
    ("version", "lacking"),
    [
        ("26.2.5", {AUTHN_CONTEXT_CLASS_REF_SCOPE, ORGANIZATION_ADMIN_ROLES}),
        ("26.6.4", {AUTHN_CONTEXT_CLASS_REF_SCOPE, ORGANIZATION_ADMIN_ROLES}),
        ("26.7.3", set()),
    ],
)
def test_newer_servers_accept_what_they_have(tmp_path: Path, version: str, lacking: set[object]) -> None:
    realm = _realm(tmp_path)
    problems = version_problems(realm, ServerInfo(version))  # type: ignore[arg-type]
    wanted = {f.what for f in lacking}  # type: ignore[attr-defined]
    assert {p.message.split(" needs ")[0] for p in problems} == wanted
    assert STANDARD_TOKEN_EXCHANGE.what not in {p.message.split(" needs ")[0] for p in problems}


def test_admin_permissions_need_26_2(tmp_path: Path) -> None:
    realm = _realm(
        tmp_path,
        "realm: r\nadminPermissionsEnabled: true\nclients:\n  - clientId: admin-permissions\n"
        "    authorizationSettings:\n      policies: []\n",
    )
    problems = version_problems(realm, ServerInfo("26.0.8"))  # type: ignore[arg-type]
    assert {p.path for p in problems} == {
        "r: adminPermissionsEnabled",
        "r: clients[admin-permissions].authorizationSettings",
    }
    assert version_problems(realm, ServerInfo("26.2.5")) == []  # type: ignore[arg-type]


def test_a_declared_scope_of_the_same_name_is_not_the_built_in_one(tmp_path: Path) -> None:
    realm = _realm(
        tmp_path,
        "realm: r\nclientScopes:\n  - name: AuthnContextClassRef\n    protocol: saml\n"
        "defaultDefaultClientScopes: [AuthnContextClassRef]\n",
    )
    assert version_problems(realm, ServerInfo("26.0.8")) == []  # type: ignore[arg-type]


def test_organizations_on_a_server_with_the_feature_off(tmp_path: Path) -> None:
    realm = _realm(tmp_path, "realm: r\norganizationsEnabled: true\norganizations: [{name: A, alias: a}]\n")
    off = ServerInfo("26.7.3", {"ORGANIZATION": False})
    problems = version_problems(realm, off)  # type: ignore[arg-type]
    assert [p.message for p in problems] == [
        "organizations is switched off on this Keycloak (feature organization is disabled)"
    ]


class _Server:
    """Stands in for AdminClient in the CLI's version step (its serverinfo is all it reads)."""

    def __init__(self, version: str) -> None:
        self.info = ServerInfo(version)

    def server_info(self) -> ServerInfo:
        return self.info

    def server_version(self) -> str:
        return self.info.version_text


@pytest.mark.parametrize(("version", "warned"), [("25.0.6", True), ("27.0.0", True), ("26.0.8", False)])
def test_kcr_warns_about_a_server_outside_the_supported_range_and_goes_on(
    version: str, warned: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.cli import _server_version

    assert _server_version(_Server(version)) == version  # no exception: a warning only
    err = capsys.readouterr().err
    assert (f"Warning: Keycloak {version} is" in err) is warned
