"""The component kind's pure parts: declared components flattened to keys (children of a provider
declared absent go with it), keys split back, built-ins recognised, the export without secrets."""

from __future__ import annotations

from reconciler.desired.state import DesiredRealm
from reconciler.export.yaml_text import Hint
from reconciler.kinds.base import LiveRealm
from reconciler.kinds.component import ComponentKind, export_component
from reconciler.kinds.component_types import (
    KEY_PROVIDER,
    LDAP_MAPPER,
    LDAP_MAPPERS,
    USER_STORAGE,
    is_builtin,
    split_key,
)

KIND = ComponentKind()


def _realm(providers: list[dict[str, object]]) -> DesiredRealm:
    return DesiredRealm(
        "acme",
        {
            "realm": "acme",
            "components": {
                USER_STORAGE: providers,
                KEY_PROVIDER: [{"name": "signing", "providerId": "rsa-generated"}],
                "org.keycloak.userprofile.UserProfileProvider": [{"name": "ignored"}],
            },
        },
    )


def test_declared_components_are_keyed_by_type_parent_and_name() -> None:
    mapper = {"name": "groups", "providerId": "group-ldap-mapper"}
    realm = _realm([{"name": "corp", "providerId": "ldap", "subComponents": {LDAP_MAPPER: [mapper]}}])
    assert KIND.declared(realm) == {
        "key-provider/signing": {"name": "signing", "providerId": "rsa-generated"},
        "user-storage/corp": {"name": "corp", "providerId": "ldap"},
        "user-storage/corp/groups": mapper,
    }


def test_the_mappers_of_a_provider_declared_absent_are_absent_too() -> None:
    mapper = {"name": "groups", "providerId": "group-ldap-mapper"}
    realm = _realm([{"name": "corp", "state": "absent", "subComponents": {LDAP_MAPPER: [mapper]}}])
    assert KIND.declared(realm)["user-storage/corp/groups"]["state"] == "absent"


def test_keys_split_back_into_type_name_and_parent() -> None:
    assert split_key("key-provider/signing")[1:] == ("signing", None)
    ctype, name, parent = split_key("user-storage/corp/first name")
    assert (ctype, name, parent) == (LDAP_MAPPERS, "first name", "user-storage/corp")


def test_built_ins_are_the_default_key_providers_and_ldap_mappers() -> None:
    assert is_builtin("key-provider/rsa-generated", "rsa-generated")
    assert not is_builtin("key-provider/rsa-generated", "rsa")  # another provider under that name
    assert not is_builtin("key-provider/signing", "rsa-generated")
    assert is_builtin("user-storage/corp/modify date")
    assert not is_builtin("user-storage/corp/groups")
    assert not is_builtin("user-storage/rsa-generated")


def test_export_leaves_secrets_out_with_a_hint_and_unchanged_built_ins_out() -> None:
    live = LiveRealm("acme", True)
    live.of("component").update(
        {
            "user-storage/corp": {
                "id": "1",
                "name": "corp",
                "providerId": "ldap",
                "config": {"bindCredential": ["**********"], "vendor": ["other"], "empty": []},
            },
            "user-storage/corp/groups": {
                "id": "2",
                "name": "groups",
                "providerId": "group-ldap-mapper",
                "config": {},
            },
            "key-provider/aes-generated": {
                "id": "3",
                "name": "aes-generated",
                "providerId": "aes-generated",
                "config": {"priority": ["100"]},
            },
            "key-provider/rsa-generated": {
                "id": "4",
                "name": "rsa-generated",
                "providerId": "rsa-generated",
                "config": {"priority": ["300"]},
            },
        }
    )
    document = KIND.export(live, include_users=False)["components.yaml"]["components"]
    (provider,) = document[USER_STORAGE]
    assert provider["config"]["vendor"] == ["other"]
    assert "empty" not in provider["config"]
    assert isinstance(provider["config"]["bindCredential"], Hint)
    assert "USER_STORAGE_CORP_BINDCREDENTIAL" in provider["config"]["bindCredential"].value
    assert provider["subComponents"] == {LDAP_MAPPER: [{"name": "groups", "providerId": "group-ldap-mapper"}]}
    assert [k["name"] for k in document[KEY_PROVIDER]] == ["rsa-generated"]  # aes-generated is as made
    assert export_component({"name": "x", "config": {}}, LDAP_MAPPERS, "user-storage/c/x") == {"name": "x"}
