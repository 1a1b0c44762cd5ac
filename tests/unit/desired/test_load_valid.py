"""Valid desired states: merging split realms, substitution, policy, export shapes, warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired import load
from reconciler.desired import source as source_module
from reconciler.desired.state import DEFAULT_MAX_DELETES
from reconciler.errors import DesiredStateError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def errors(paths: list[str], env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(DesiredStateError) as raised:
        load(paths, env=env or {})
    return [str(p) for p in raised.value.problems]


def test_a_realm_split_over_files_and_documents_is_merged(tmp_path: Path) -> None:
    write(tmp_path, "realm.yaml", "realm: acme\ndisplayName: Acme\nenabled: true\n")
    write(tmp_path, "clients/web.yaml", "realm: acme\nclients:\n  - clientId: web\n    publicClient: true\n")
    write(tmp_path, "clients/api.json", '{"realm": "acme", "clients": [{"clientId": "api", "secret": "x"}]}')
    write(
        tmp_path,
        "people/users.yml",
        "realm: acme\nusers:\n  - username: alice\n    groups: [/staff/ops]\n"
        "---\nrealm: acme\ngroups:\n  - name: staff\n    subGroups:\n      - name: ops\n"
        "roles:\n  client:\n    api:\n      - name: read\n",
    )
    write(tmp_path, "other.yaml", "realm: other\nroles:\n  realm:\n    - name: reader\n")

    state = load([str(tmp_path)], env={})

    assert sorted(state.realms) == ["acme", "other"]
    acme = state.realms["acme"].spec
    assert [c["clientId"] for c in acme["clients"]] == ["api", "web"]  # files in sorted order
    assert acme["displayName"] == "Acme"
    assert acme["groups"] == [{"name": "staff", "subGroups": [{"name": "ops"}]}]
    assert acme["roles"] == {"client": {"api": [{"name": "read"}]}}
    assert len(state.sources) == 5
    locations = state.realms["acme"].locations
    assert str(locations["clients[web]"]) == f"{tmp_path}/clients/web.yaml:3:5"
    assert str(locations["groups[/staff/ops]"]) == f"{tmp_path}/people/users.yml:10:9"


def test_spec_keeps_exactly_what_was_declared(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
accessTokenLifespan: "300"
state: present
clients:
  - clientId: web
    attributes: {standard.token.exchange.enabled: true, pkce.code.challenge.method: S256, n: 5}
    state: absent
roles:
  realm:
    - name: reader
      attributes: {tier: gold, tags: [a, b]}
""",
    )
    spec = load([str(tmp_path)], env={}).realms["acme"].spec
    assert spec == {
        "realm": "acme",
        "accessTokenLifespan": 300,
        "clients": [
            {
                "clientId": "web",
                "state": "absent",
                "attributes": {
                    "standard.token.exchange.enabled": "true",
                    "pkce.code.challenge.method": "S256",
                    "n": "5",
                },
            }
        ],
        "roles": {"realm": [{"name": "reader", "attributes": {"tier": ["gold"], "tags": ["a", "b"]}}]},
    }


def test_substitution(tmp_path: Path) -> None:
    write(tmp_path, "secrets/web.txt", "s3cr3t\n")
    write(
        tmp_path,
        "r.yaml",
        """realm: ${env:REALM}
clients:
  - clientId: web
    secret: ${file:secrets/web.txt}
    description: "${env:A}-${env:B} costs $${env:A} and keeps ${client_account}"
    rootUrl: https://${env:HOST}/
""",
    )
    state = load([str(tmp_path)], env={"REALM": "acme", "A": "1", "B": "2", "HOST": "app.example.com"})
    client = state.realms["acme"].spec["clients"][0]
    assert client["secret"] == "s3cr3t"
    assert client["description"] == "1-2 costs ${env:A} and keeps ${client_account}"
    assert client["rootUrl"] == "https://app.example.com/"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("r.yaml", 'realm: acme\nclients:\n  - clientId: web\n    secret: "\\x24{env:S}"\n'),
        ("r.json", '{"realm": "acme", "clients": [{"clientId": "web", "secret": "\\u0024{env:S}"}]}'),
    ],
)
def test_a_reference_written_with_an_escape_is_substituted(tmp_path: Path, name: str, text: str) -> None:
    # The text holds no "${": substitution must not skip the file (it skips files with neither "${"
    # nor a backslash).
    write(tmp_path, name, text)
    state = load([str(tmp_path)], env={"S": "s3cr3t"})
    assert state.realms["acme"].spec["clients"][0]["secret"] == "s3cr3t"


def test_substituted_values_never_appear_in_messages(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
clients:
  - clientId: web
    redirectUris: ["${env:URI}"]
    publicClient: ${env:FLAG}
""",
    )
    problems = errors([str(tmp_path)], env={"URI": "https://TOP SECRET/", "FLAG": "TOPSECRET2"})
    assert problems == [
        f"{tmp_path}/r.yaml:5:19: clients[0].publicClient: must be true or false (write true or false)"
    ]
    problems = errors([str(tmp_path)], env={"URI": "https://TOP SECRET/", "FLAG": "true"})
    assert problems == [
        f"{tmp_path}/r.yaml:4:20: clients[0].redirectUris[0]: redirect URI (substituted value) "
        "is not a valid URI: it contains a space or a character that must be %-encoded "
        "(percent-encode the character)"
    ]


def test_policy_is_parsed_and_removed_from_spec(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
policy:
  prune: [clients, groups]
  pruneUnmanaged:
    groups: ["/legacy/*"]
  maxDeletes: 3
""",
    )
    write(tmp_path, "o.yaml", "realm: other\n")
    state = load([str(tmp_path)], env={})
    realm = state.realms["acme"]
    assert "policy" not in realm.spec
    assert realm.policy.prune == frozenset({"clients", "groups"})
    assert realm.policy.prunes_unmanaged("groups", "/legacy/old")
    assert not realm.policy.prunes_unmanaged("groups", "/current")
    assert realm.policy.max_deletes == 3
    assert state.realms["other"].policy.max_deletes == DEFAULT_MAX_DELETES
    assert state.realms["other"].policy.prune == frozenset()


def test_export_shapes_are_normalised_and_unmanaged_keys_warned_once(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.json",
        """{"realm": "acme", "id": "x", "keycloakVersion": "26.7.3",
 "clientTemplates": [], "oauthClients": {},
 "users": [{"id": "1", "username": "alice", "createdTimestamp": 1, "totp": false,
            "credentials": [{"id": "c", "type": "password", "secretData": "{}", "credentialData": "{}"}],
            "access": {"manage": true}, "notBefore": 0, "disableableCredentialTypes": []}],
 "groups": [{"id": "g", "name": "acme", "path": "/acme", "subGroupCount": 0, "subGroups": [],
             "attributes": {}, "realmRoles": [], "clientRoles": {}}],
 "organizations": [{"id": "o", "name": "Acme", "alias": "acme", "enabled": true,
   "domains": ["Acme.Example.com", {"name": "other.example.com", "verified": true}],
   "members": ["alice", {"id": "1", "username": "alice", "membershipType": "UNMANAGED"}]}]}""",
    )
    # legacy keys, which no kind will ever manage: the test does not change as kinds are added
    write(tmp_path, "b.yaml", "realm: acme\nclientTemplates: []\n")
    state = load([str(tmp_path)], env={})
    spec = state.realms["acme"].spec
    assert spec["users"] == [{"username": "alice"}]
    assert spec["groups"] == [
        {"name": "acme", "subGroups": [], "attributes": {}, "realmRoles": [], "clientRoles": {}}
    ]
    org = spec["organizations"][0]
    assert org["domains"] == [{"name": "acme.example.com"}, {"name": "other.example.com", "verified": True}]
    assert org["members"] == ["alice", "alice"]
    warned = [w.path for w in state.warnings]
    assert warned == ["id", "keycloakVersion", "clientTemplates", "oauthClients", "users[0].credentials"]


def test_an_exports_user_profile_component_becomes_user_profile(tmp_path: Path) -> None:
    profile = {
        "attributes": [
            {"name": "username", "multivalued": False},
            {"name": "email"},
            {"name": "tenant", "required": {"roles": ["user"]}},
        ],
        "unmanagedAttributePolicy": "ADMIN_VIEW",
    }
    component = {"id": "c", "providerId": "declarative-user-profile", "subComponents": {}}
    keys = {"org.keycloak.keys.KeyProvider": [{"name": "rsa", "providerId": "rsa-generated", "config": {}}]}
    export: dict[str, Any] = {
        "realm": "acme",
        "components": {
            "org.keycloak.userprofile.UserProfileProvider": [
                {**component, "config": {"kc.user.profile.config": [json.dumps(profile)]}}
            ],
            **keys,
        },
    }
    write(tmp_path, "acme/realm.json", json.dumps(export, indent=2))
    export["realm"] = "solo"
    del export["components"]["org.keycloak.keys.KeyProvider"]
    write(tmp_path, "solo/realm.yaml", json.dumps(export))

    state = load([str(tmp_path)], env={})
    assert state.realms["acme"].spec["userProfile"] == profile
    assert "components" not in state.realms["solo"].spec
    assert state.realms["solo"].spec["userProfile"] == profile
    assert [w.path for w in state.warnings] == []  # the key provider is managed (components)
    (key_provider,) = state.realms["acme"].spec["components"]["org.keycloak.keys.KeyProvider"]
    assert key_provider["name"] == "rsa"


def test_builtins_resolve_without_declaration(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
clients:
  - clientId: svc
    serviceAccountsEnabled: true
    defaultClientScopes: [basic, profile, email, roles, web-origins, acr]
    optionalClientScopes: [offline_access, organization]
  - clientId: sp
    protocol: saml
    defaultClientScopes: [role_list, saml_organization, AuthnContextClassRef]
users:
  - serviceAccountClientId: svc
    clientRoles:
      realm-management: [view-users, manage-organizations]
      account: [delete-account]
      broker: [read-token]
    realmRoles: [offline_access, uma_authorization, default-roles-acme]
""",
    )
    assert load([str(tmp_path)], env={}).realms["acme"].spec["users"][0]["serviceAccountClientId"] == "svc"


def test_references_to_absent_objects_are_errors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
roles:
  realm:
    - name: old
      state: absent
users:
  - username: alice
    realmRoles: [old]
""",
    )
    assert errors([str(tmp_path)]) == [
        f"{tmp_path}/r.yaml:8:18: users[0].realmRoles[0]: realm role 'old' is declared with state: absent "
        "(remove the reference)"
    ]


def test_file_too_large_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "MAX_FILE_BYTES", 1024 * 1024)
    write(tmp_path, "big.yaml", "realm: acme\n" + "# padding\n" * 110_000)
    assert errors([str(tmp_path)]) == [
        f"{tmp_path}/big.yaml:1:1: file is too large (1 MB; the limit is 1 MB) "
        "(split the desired state over several files)"
    ]


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert errors([str(tmp_path / "nope"), str(tmp_path / "empty")]) == [
        f"no such file or directory: {tmp_path}/nope (give the path of a YAML/JSON file or a directory)",
        f"no .yaml, .yml, .json files in directory {tmp_path}/empty "
        "(point kcr at the folder of your desired state)",
    ]


def test_yaml_merge_keys_and_anchors(tmp_path: Path) -> None:
    write(
        tmp_path,
        "r.yaml",
        """realm: acme
clients:
  - &base {clientId: a, publicClient: true, redirectUris: [/cb]}
  - <<: *base
    clientId: b
""",
    )
    clients = load([str(tmp_path)], env={}).realms["acme"].spec["clients"]
    assert clients[1] == {"clientId": "b", "publicClient": True, "redirectUris": ["/cb"]}


def test_an_exports_masked_secret_is_dropped_with_a_warning(tmp_path: Path) -> None:
    write(
        tmp_path,
        "realm.yaml",
        'realm: acme\nclients:\n  - clientId: api\n    publicClient: false\n    secret: "**********"\n'
        '  - clientId: web\n    publicClient: true\n    secret: "**********"\n',
    )
    state = load([str(tmp_path)], env={})
    assert [c.get("secret") for c in state.realms["acme"].spec["clients"]] == [None, None]
    assert [w.path for w in state.warnings] == ["clients[0].secret"]
    assert "**********" in state.warnings[0].message  # the mask itself, never a secret


def test_what_keycloak_before_26_5_writes_on_every_identity_provider_is_dropped_silently(
    tmp_path: Path,
) -> None:
    # Keycloak 26.0 to 26.4 write updateProfileFirstLoginMode "on" on every provider, in their own
    # export too: a legacy field without effect, not a setting a user made.
    write(
        tmp_path,
        "realm.json",
        """{"realm": "acme", "identityProviders": [{"alias": "corp", "providerId": "oidc",
 "internalId": "1", "updateProfileFirstLoginMode": "on", "config": {"clientId": "kc"}}]}""",
    )
    state = load([str(tmp_path)], env={})
    assert state.warnings == []
    assert state.realms["acme"].spec["identityProviders"] == [
        {"alias": "corp", "providerId": "oidc", "config": {"clientId": "kc"}}
    ]
