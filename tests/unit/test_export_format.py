"""The export's YAML writer and document builder, without a server: stable ordering, secrets as
comments, and values that Keycloak fills in left out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.export import defaults
from reconciler.export.files import ExportFile, build_files, write_files
from reconciler.export.yaml_text import Hint, dump_document, dump_stream, ordered_keys
from reconciler.kinds.base import LiveRealm
from reconciler.kinds.client import export_client as client
from reconciler.kinds.realm import export_settings as realm_settings

REALM_LISTS = {
    "defaultDefaultClientScopes": sorted(defaults.DEFAULT_DEFAULT_CLIENT_SCOPES),
    "defaultOptionalClientScopes": sorted(defaults.DEFAULT_OPTIONAL_CLIENT_SCOPES),
}
SCOPE_PROTOCOLS = {
    **dict.fromkeys(
        defaults.DEFAULT_DEFAULT_CLIENT_SCOPES | defaults.DEFAULT_OPTIONAL_CLIENT_SCOPES, "openid-connect"
    ),
    **dict.fromkeys(("role_list", "saml_organization", "AuthnContextClassRef"), "saml"),
}
NEW_CLIENT_DEFAULT = sorted(n for n in defaults.DEFAULT_DEFAULT_CLIENT_SCOPES if SCOPE_PROTOCOLS[n] != "saml")


def load_yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def live_client(**fields: Any) -> dict[str, Any]:
    """A client as GET answers it right after ``POST /clients {"clientId": ...}`` (measured on 26.7.3)."""
    rep: dict[str, Any] = {
        "id": "7c0e",
        "clientId": "orders-api",
        "access": {"view": True},
        "notBefore": 0,
        **defaults.CLIENT,
        "secret": "generated-value-9f2",
        "attributes": {"realm_client": "false", "client.secret.creation.time": "1795795499"},
        "authenticationFlowBindingOverrides": {},
        "redirectUris": [],
        "webOrigins": [],
        "protocolMappers": [],
        "defaultClientScopes": NEW_CLIENT_DEFAULT,
        "optionalClientScopes": sorted(defaults.DEFAULT_OPTIONAL_CLIENT_SCOPES),
    }
    rep.update(fields)
    return rep


# -- the writer --------------------------------------------------------------------------------------
def test_identifying_keys_come_first_then_alphabetical() -> None:
    keys = ["webOrigins", "enabled", "name", "clientId", "attributes", "realm"]
    assert ordered_keys(keys) == ["realm", "clientId", "name", "attributes", "enabled", "webOrigins"]


def test_same_data_in_any_key_order_gives_the_same_bytes() -> None:
    one = {"realm": "r", "clients": [{"clientId": "a", "enabled": False, "attributes": {"z": "1", "a": "2"}}]}
    two = {"clients": [{"attributes": {"a": "2", "z": "1"}, "enabled": False, "clientId": "a"}], "realm": "r"}
    assert dump_document(one) == dump_document(two)
    assert dump_document(one) == (
        "realm: r\n"
        "clients:\n"
        "  - clientId: a\n"
        "    attributes:\n"
        "      a: '2'\n"
        "      z: '1'\n"
        "    enabled: false\n"
    )


def test_a_secret_is_a_comment_at_its_place_and_not_a_key() -> None:
    doc = {
        "realm": "r",
        "clients": [
            {
                "clientId": "orders-api",
                "enabled": False,
                "standardFlowEnabled": False,
                "secret": Hint("${env:ORDERS_API_CLIENT_SECRET}"),
            }
        ],
    }
    text = dump_document(doc, header="clients.yaml")
    assert text == (
        "# clients.yaml\n"
        "realm: r\n"
        "clients:\n"
        "  - clientId: orders-api\n"
        "    enabled: false\n"
        "    # secret: ${env:ORDERS_API_CLIENT_SECRET}\n"
        "    standardFlowEnabled: false\n"
    )
    assert load_yaml(text)["clients"][0] == {
        "clientId": "orders-api",
        "enabled": False,
        "standardFlowEnabled": False,
    }


def test_a_hint_never_takes_the_dash_of_a_list_item() -> None:
    # A map without identifying key whose first key would be the hint: the hint goes last.
    text = dump_document(
        {"items": [{"a_secret": Hint("x"), "b": 1}], "smtp": {"password": Hint("y"), "z": 2}}
    )
    assert "  - b: 1\n    # a_secret: x\n" in text
    assert load_yaml(text) == {"items": [{"b": 1}], "smtp": {"z": 2}}


def test_the_stream_names_each_file_and_loads_as_documents() -> None:
    stream = dump_stream([("realm.yaml", {"realm": "r", "enabled": False}), ("groups.yaml", {"realm": "r"})])
    assert stream.startswith("---\n# realm.yaml\nrealm: r\n")
    docs = list(YAML(typ="safe", pure=True).load_all(stream))
    assert docs == [{"realm": "r", "enabled": False}, {"realm": "r"}]


# -- default stripping -------------------------------------------------------------------------------
def test_a_new_confidential_client_exports_as_its_id_and_a_secret_comment() -> None:
    out = client(live_client(), REALM_LISTS, SCOPE_PROTOCOLS)
    assert out == {"clientId": "orders-api", "secret": Hint("${env:ORDERS_API_CLIENT_SECRET}")}


def test_what_differs_from_a_new_client_is_kept() -> None:
    out = client(
        live_client(
            publicClient=True,
            secret=None,
            directAccessGrantsEnabled=True,
            rootUrl="https://app.example.com",
            redirectUris=["https://b.example.com/*", "https://a.example.com/*"],
            attributes={
                "realm_client": "false",
                "pkce.code.challenge.method": "S256",
                "use.refresh.tokens": "true",
                "post.logout.redirect.uris": "",
            },
            protocolMappers=[
                {
                    "id": "m1",
                    "name": "tenant",
                    "protocol": "openid-connect",
                    "protocolMapper": "oidc-hardcoded-claim-mapper",
                    "consentRequired": False,
                    "config": {"claim.name": "tenant"},
                }
            ],
            optionalClientScopes=["address"],
        ),
        REALM_LISTS,
        SCOPE_PROTOCOLS,
    )
    assert out == {
        "clientId": "orders-api",
        "publicClient": True,
        "directAccessGrantsEnabled": True,
        "rootUrl": "https://app.example.com",
        "redirectUris": ["https://a.example.com/*", "https://b.example.com/*"],
        "webOrigins": [],  # explicit: with a rootUrl, Keycloak would fill in web origins
        "attributes": {"pkce.code.challenge.method": "S256"},
        "protocolMappers": [
            {
                "name": "tenant",
                "protocolMapper": "oidc-hardcoded-claim-mapper",
                "config": {"claim.name": "tenant"},
            }
        ],
        "defaultClientScopes": NEW_CLIENT_DEFAULT,
        "optionalClientScopes": ["address"],
    }


def test_service_account_link_and_saml_generated_keys_are_not_exported() -> None:
    oidc = client(
        live_client(
            serviceAccountsEnabled=True, defaultClientScopes=[*NEW_CLIENT_DEFAULT, "service_account"]
        ),
        REALM_LISTS,
        SCOPE_PROTOCOLS,
    )
    assert "defaultClientScopes" not in oidc
    assert oidc["serviceAccountsEnabled"] is True
    saml = client(
        live_client(
            protocol="saml",
            frontchannelLogout=True,
            defaultClientScopes=["role_list", "saml_organization", "AuthnContextClassRef"],
            optionalClientScopes=[],
            attributes={
                **defaults.SAML_CLIENT_ATTRIBUTES,
                "saml.signing.private.key": "MIIE-private",
                "saml.signing.certificate": "MIIE-cert",
                "saml.artifact.binding.identifier": "x=",
            },
        ),
        REALM_LISTS,
        SCOPE_PROTOCOLS,
    )
    assert saml == {"clientId": "orders-api", "protocol": "saml"}


def test_realm_settings_keep_only_what_differs_from_a_new_realm() -> None:
    rep = {
        "id": "f53f",
        "realm": "r",
        **defaults.REALM,
        "accessTokenLifespan": 600,
        "eventsListeners": ["jboss-logging"],
        "defaultRole": {"name": "default-roles-r"},
        "attributes": {
            **defaults.REALM_ATTRIBUTES,
            "kcr.managed": '{"clients": ["a"]}',
            "oauth2DeviceCodeLifespan": "600",
            "frontendUrl": "https://id.example.com",
        },
        "browserSecurityHeaders": {**defaults.REALM_BROWSER_SECURITY_HEADERS, "xFrameOptions": "DENY"},
        "smtpServer": {"host": "smtp.example.com", "password": "**********"},
        "clientPolicies": {"policies": []},
        "browserFlow": "browser",
    }
    assert realm_settings(rep) == {
        "accessTokenLifespan": 600,
        "attributes": {"frontendUrl": "https://id.example.com"},
        "browserSecurityHeaders": {"xFrameOptions": "DENY"},
        "smtpServer": {"host": "smtp.example.com", "password": Hint("${env:SMTP_PASSWORD}")},
    }


def sample_realm() -> LiveRealm:
    live = LiveRealm(name="r", exists=True)
    live.ids.realm = {"defaultRole": {"name": "default-roles-r"}}
    live.ids.role_refs = {
        "admin": (None, "admin"),
        "orders-api/read": ("orders-api", "read"),
        "default-roles-r": (None, "default-roles-r"),
    }
    live.objects = {
        "realm": {"r": {"realm": "r", **defaults.REALM}},
        "default-client-scopes": {"r": REALM_LISTS},
        "client-scope": {n: {"name": n, "protocol": p} for n, p in SCOPE_PROTOCOLS.items()},
        "client": {"orders-api": live_client(), "account": live_client(clientId="account")},
        "role": {
            "admin": {
                "id": "1",
                "name": "admin",
                "attributes": {},
                "description": "",
                "composites": {"realm": [], "client": {"orders-api": ["read"]}},
            },
            "orders-api/read": {"id": "2", "name": "read", "attributes": {}},
            "default-roles-r": {
                "id": "3",
                "name": "default-roles-r",
                "attributes": {},
                "composites": defaults.DEFAULT_ROLE_COMPOSITES,
            },
        },
        "group": {
            "/b": {"id": "g1", "name": "b", "attributes": {}, "realmRoles": [], "clientRoles": {}},
            "/a": {
                "id": "g2",
                "name": "a",
                "attributes": {"k": ["2", "1"]},
                "realmRoles": ["admin"],
                "clientRoles": {},
            },
            "/a/z": {"id": "g3", "name": "z", "attributes": {}, "realmRoles": [], "clientRoles": {}},
            "/a/y": {"id": "g4", "name": "y", "attributes": {}, "realmRoles": [], "clientRoles": {}},
        },
        "user": {
            "dave": {
                "id": "u1",
                "username": "dave",
                "enabled": False,
                "emailVerified": False,
                "attributes": {},
                "requiredActions": [],
                "groups": ["/a/z"],
                "realmRoles": ["default-roles-r"],
                "clientRoles": {},
            },
            "service-account-orders-api": {
                "id": "u2",
                "username": "service-account-orders-api",
                "serviceAccountClientId": "orders-api",
                "attributes": {},
                "realmRoles": ["default-roles-r"],
                "clientRoles": {},
            },
        },
        "organization": {},
    }
    return live


def test_built_ins_ids_and_default_role_stay_out() -> None:
    files = {f.name: f.document for f in build_files(sample_realm(), include_users=True)}
    assert sorted(files) == ["clients.yaml", "groups.yaml", "realm.yaml", "roles.yaml", "users.yaml"]
    assert files["realm.yaml"] == {"realm": "r"}
    assert [c["clientId"] for c in files["clients.yaml"]["clients"]] == ["orders-api"]
    assert files["roles.yaml"]["roles"] == {
        "realm": [{"name": "admin", "composites": {"client": {"orders-api": ["read"]}}}],
        "client": {"orders-api": [{"name": "read"}]},
    }
    # The tree, each level sorted by name; attribute values sorted.
    assert files["groups.yaml"]["groups"] == [
        {
            "name": "a",
            "attributes": {"k": ["1", "2"]},
            "realmRoles": ["admin"],
            "subGroups": [{"name": "y"}, {"name": "z"}],
        },
        {"name": "b"},
    ]
    # A disabled user (Keycloak's default) with only the default role: neither is written.
    [dave] = files["users.yaml"]["users"]
    assert {k: v for k, v in dave.items() if k != "credentials"} == {"username": "dave", "groups": ["/a/z"]}
    assert isinstance(dave["credentials"], Hint)
    # A service account with nothing but the default role has nothing to declare.
    assert "service-accounts.yaml" not in files


def test_users_only_when_asked_and_rendering_is_stable() -> None:
    without = build_files(sample_realm())
    assert "users.yaml" not in [f.name for f in without]
    once = [f.text("r") for f in build_files(sample_realm(), include_users=True)]
    twice = [f.text("r") for f in build_files(sample_realm(), include_users=True)]
    assert once == twice


def test_write_files_replaces_an_earlier_export(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "users.yaml").write_text("stale", encoding="utf-8")
    (tmp_path / "r" / "notes.md").write_text("mine", encoding="utf-8")
    written = write_files([ExportFile("realm.yaml", {"realm": "r"})], "r", tmp_path)
    assert [p.name for p in written] == ["realm.yaml"]
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["notes.md", "realm.yaml"]
    assert (tmp_path / "r" / "realm.yaml").read_text(encoding="utf-8").endswith("realm: r\n")


def test_the_default_role_is_exported_only_when_its_composites_changed() -> None:
    live = sample_realm()
    live.objects["role"]["default-roles-r"]["composites"] = {
        "realm": ["uma_authorization"],
        "client": {"account": ["view-profile", "manage-account"], "orders-api": ["read"]},
    }
    roles = {f.name: f.document for f in build_files(live)}["roles.yaml"]["roles"]
    assert roles["realm"][1] == {
        "name": "default-roles-r",
        "composites": {
            "realm": ["uma_authorization"],
            "client": {"account": ["manage-account", "view-profile"], "orders-api": ["read"]},
        },
    }
    # Every composite taken out: written as empty lists, which a plan enforces.
    del live.objects["role"]["default-roles-r"]["composites"]
    roles = {f.name: f.document for f in build_files(live)}["roles.yaml"]["roles"]
    assert roles["realm"][1]["composites"] == {"realm": [], "client": {"account": []}}
