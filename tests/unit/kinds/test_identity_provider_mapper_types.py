"""Identity provider mapper types checked against the server's providers (serverinfo, read once): a
type the server lacks is refused at its file and line, with a did-you-mean; where serverinfo did not
list the providers, nothing is refused and kcr says it cannot check (the real server's side:
tests/integration/test_identity_brokering.py)."""

from __future__ import annotations

from reconciler.desired.state import DesiredRealm
from reconciler.errors import SourceLocation
from reconciler.kinds.base import LiveRealm
from reconciler.kinds.identity_provider import IdentityProviderMapperKind
from reconciler.versions import ServerInfo, providers_warning

KIND = IdentityProviderMapperKind()
TYPES = frozenset(
    {"oidc-role-idp-mapper", "oidc-user-attribute-idp-mapper", "hardcoded-attribute-idp-mapper"}
)
HERE = SourceLocation("desired/idp.yaml", 7, 5)


def _realm(*types: str) -> DesiredRealm:
    mappers = [
        {"name": f"m{i}", "identityProviderAlias": "corp", "identityProviderMapper": t}
        for i, t in enumerate(types)
    ]
    mappers.append(
        {"name": "gone", "identityProviderAlias": "corp", "identityProviderMapper": "x", "state": "absent"}
    )
    locations = {f"identityProviderMappers[m{i}]": HERE for i in range(len(types))}
    return DesiredRealm("acme", {"realm": "acme", "identityProviderMappers": mappers}, locations=locations)


def _live(server: ServerInfo) -> LiveRealm:
    return LiveRealm("acme", exists=True, server=server)


def test_serverinfo_providers_are_read_by_spi() -> None:
    info = ServerInfo.from_serverinfo(
        {"providers": {"identity-provider-mapper": {"providers": {t: {"order": 0} for t in TYPES}}}}
    )
    assert info.provider_ids("identity-provider-mapper") == TYPES
    assert info.provider_ids("other-spi") == frozenset()
    assert providers_warning(info) is None
    assert ServerInfo.from_serverinfo({"systemInfo": {"version": "26.7.3"}}).provider_ids("x") is None


def test_a_type_the_server_lacks_is_refused_where_it_was_written() -> None:
    server = ServerInfo("26.7.3", providers={"identity-provider-mapper": TYPES})
    assert KIND.check_live(_realm("oidc-role-idp-mapper"), _live(server)) == []
    (typo, unknown) = KIND.check_live(_realm("oidc-role-idp-maper", "my-custom-mapper"), _live(server))
    assert typo.location == HERE
    assert typo.path == "identityProviderMappers[corp/m0].identityProviderMapper"
    assert "'oidc-role-idp-maper' does not exist on this Keycloak" in typo.message
    assert "HTTP 500" in typo.message
    assert typo.hint == "did you mean 'oidc-role-idp-mapper'?"
    assert unknown.path == "identityProviderMappers[corp/m1].identityProviderMapper"
    assert "install the provider" in unknown.hint


def test_without_the_servers_providers_nothing_is_refused_and_kcr_says_so() -> None:
    server = ServerInfo.from_serverinfo(None)  # serverinfo answered 403
    assert KIND.check_live(_realm("my-custom-mapper"), _live(server)) == []
    warning = providers_warning(server)
    assert warning is not None
    assert "cannot check identity provider mapper types" in warning
