"""The export's files: read a realm with ``read_all``, build one document per kind, write them.
See the package docstring for what the export leaves out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler import ownership
from reconciler.builtins import default_role as default_role_name
from reconciler.desired import representation as models
from reconciler.desired.state import DesiredRealm
from reconciler.errors import KcrError
from reconciler.export import defaults
from reconciler.export.yaml_text import Hint, dump_document, dump_stream
from reconciler.keycloak.client import AdminClient
from reconciler.kinds import by_name
from reconciler.kinds.base import LiveRealm, Obj
from reconciler.kinds.realm import COLLECTION_KEYS
from reconciler.kinds.role import ROLE_REFS
from reconciler.kinds.user import SA_CLIENT
from reconciler.live import read_live

FILE_ORDER = (
    "realm.yaml",
    "client-scopes.yaml",
    "clients.yaml",
    "roles.yaml",
    "groups.yaml",
    "service-accounts.yaml",
    "users.yaml",
    "organizations.yaml",
)
REALM_SETS = frozenset({"supportedLocales", "eventsListeners", "enabledEventTypes"})
# Model fields that are never exported (the extension key and ids).
_SKIP = frozenset({"state", "id"})


@dataclass(frozen=True)
class ExportFile:
    name: str  # "clients.yaml"
    document: dict[str, Any]

    @property
    def hints(self) -> int:
        """How many fields were left out with a comment (secrets)."""
        return _count_hints(self.document)

    def text(self, realm: str) -> str:
        header = f"{self.name}: realm {realm}, exported by kcr export. Review, then commit."
        return dump_document(self.document, header=header)


def _count_hints(value: Any) -> int:
    if isinstance(value, Hint):
        return 1
    if isinstance(value, Mapping):
        return sum(_count_hints(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_hints(v) for v in value)
    return 0


# -- reading ----------------------------------------------------------------------------------------
def read_realm(api: AdminClient, realm: str) -> LiveRealm:
    """Every object of the realm, memberships included (GET only)."""
    live = read_live(api, DesiredRealm(name=realm, spec={"realm": realm}), read_all=True)
    if not live.exists:
        raise KcrError(f"realm {realm!r} does not exist on the server: nothing to export")
    return live


def export_realm(api: AdminClient, realm: str, *, include_users: bool = False) -> list[ExportFile]:
    return build_files(read_realm(api, realm), include_users=include_users)


# -- building documents (pure) ----------------------------------------------------------------------
def build_files(live: LiveRealm, *, include_users: bool = False) -> list[ExportFile]:
    """The export of one realm read by ``read_realm``: one document per kind, empty kinds left out."""
    name = live.name
    realm_rep = live.of("realm").get(name) or {}
    scope_protocols = {k: str(v.get("protocol") or "") for k, v in live.of("client-scope").items()}
    realm_lists = live.of("default-client-scopes").get(name) or {}
    sections: dict[str, dict[str, Any]] = {
        "realm.yaml": realm_settings(realm_rep),
        "client-scopes.yaml": {
            "clientScopes": client_scopes(live),
            **realm_default_scopes(realm_lists),
        },
        "clients.yaml": {"clients": clients(live, realm_lists, scope_protocols)},
        "roles.yaml": {"roles": roles(live)},
        "groups.yaml": {"groups": groups(live)},
        "service-accounts.yaml": {"users": service_accounts(live)},
        "users.yaml": {"users": users(live) if include_users else []},
        "organizations.yaml": {"organizations": organizations(live, include_members=include_users)},
    }
    files = []
    for file_name in FILE_ORDER:
        body = {k: v for k, v in sections[file_name].items() if v}
        if body or file_name == "realm.yaml":
            files.append(ExportFile(file_name, {"realm": name, **body}))
    return files


def _fields(model: type[models.Model]) -> list[str]:
    return [f for f in model.model_fields if f not in _SKIP and f not in model.unmanaged]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _differs(value: Any, default: Any, as_set: bool = False) -> bool:
    if as_set and isinstance(value, list) and isinstance(default, list):
        return sorted(map(str, value)) != sorted(map(str, default))
    return bool(value != default)


def _env_name(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p).strip("_").upper() for p in parts if p)


def _string_map(
    values: Mapping[str, Any] | None, drop: Iterable[str] = (), defaults_: Mapping[str, str] | None = None
) -> dict[str, str]:
    dropped = set(drop)
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if key in dropped or _empty(value):
            continue
        if defaults_ is not None and defaults_.get(key) == value:
            continue
        out[key] = value
    return out


def _list_map(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in (values or {}).items():
        items = value if isinstance(value, list) else [value]
        kept = sorted(str(v) for v in items if v is not None)
        if kept:
            out[key] = kept
    return out


def _role_map(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    return {cid: sorted(names) for cid, names in sorted((values or {}).items()) if names}


# realm -----------------------------------------------------------------------------------------------
def realm_settings(rep: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in _fields(models.Realm):
        if field in COLLECTION_KEYS or field not in rep:
            continue
        value = rep[field]
        if field == "attributes":
            value = _string_map(
                value,
                drop={ownership.ATTRIBUTE, *models.Realm.model_fields},  # the record; mirrors of fields
                defaults_=defaults.REALM_ATTRIBUTES,
            )
        elif field == "browserSecurityHeaders":
            value = _string_map(value, defaults_=defaults.REALM_BROWSER_SECURITY_HEADERS)
        elif field == "smtpServer":
            value = _smtp(value)
        elif field in defaults.REALM:
            if not _differs(value, defaults.REALM[field], as_set=field in REALM_SETS):
                continue
            out[field] = sorted(value) if field in REALM_SETS and isinstance(value, list) else value
            continue
        if not _empty(value):
            out[field] = sorted(value) if field in REALM_SETS and isinstance(value, list) else value
    return out


def _smtp(values: Mapping[str, Any] | None) -> dict[str, Any]:
    smtp: dict[str, Any] = _string_map(values, drop={"password"})
    if smtp and (values or {}).get("password"):
        smtp["password"] = Hint("${env:SMTP_PASSWORD}")
    return smtp


def realm_default_scopes(lists: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, default in (
        ("defaultDefaultClientScopes", defaults.DEFAULT_DEFAULT_CLIENT_SCOPES),
        ("defaultOptionalClientScopes", defaults.DEFAULT_OPTIONAL_CLIENT_SCOPES),
    ):
        names = set(lists.get(key) or [])
        if key in lists and names != default:
            out[key] = sorted(names)
    return out


# client scopes and mappers ---------------------------------------------------------------------------
def mapper(live: Mapping[str, Any], parent_protocol: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if live.get("protocol") and live["protocol"] != parent_protocol:
        out["protocol"] = live["protocol"]
    for field in ("protocolMapper", "consentRequired", "consentText"):
        value = live.get(field)
        if not _empty(value) and defaults.PROTOCOL_MAPPER.get(field) != value:
            out[field] = value
    config = _string_map(live.get("config"))
    if config:
        out["config"] = config
    return out


def _mappers(live: Mapping[str, Any], protocol: str) -> list[dict[str, Any]]:
    return sorted((mapper(m, protocol) for m in live.get("protocolMappers") or []), key=lambda m: m["name"])


def client_scopes(live: LiveRealm) -> list[dict[str, Any]]:
    kind = by_name("client-scope")
    out = []
    for name, scope in sorted(live.of("client-scope").items()):
        if kind.is_builtin(name, scope, live.name):
            continue
        protocol = str(scope.get("protocol") or "openid-connect")
        obj: dict[str, Any] = {"name": name, "protocol": protocol}
        if not _empty(scope.get("description")):
            obj["description"] = scope["description"]
        attributes = _string_map(scope.get("attributes"))
        if attributes:
            obj["attributes"] = attributes
        mappers = _mappers(scope, protocol)
        if mappers:
            obj["protocolMappers"] = mappers
        out.append(obj)
    return out


# clients ---------------------------------------------------------------------------------------------
CLIENT_HANDLED = frozenset(
    {
        "clientId",
        "secret",
        "attributes",
        "protocolMappers",
        "defaultClientScopes",
        "optionalClientScopes",
        "redirectUris",
        "webOrigins",
    }
)
SERVICE_ACCOUNT_SCOPE = "service_account"


def client(
    live: Mapping[str, Any], realm_lists: Mapping[str, Any], scope_protocols: Mapping[str, str]
) -> dict[str, Any]:
    protocol = str(live.get("protocol") or "openid-connect")
    saml = protocol == "saml"
    table = defaults.SAML_CLIENT if saml else defaults.CLIENT
    out: dict[str, Any] = {"clientId": live["clientId"]}
    for field in _fields(models.Client):
        if field in CLIENT_HANDLED or field in models.Client.read_only or field not in live:
            continue
        value = live[field]
        if _empty(value) or (field in table and table[field] == value):
            continue
        out[field] = value
    # With a rootUrl, Keycloak fills in empty redirect URIs and web origins: keep them explicit then.
    keep_empty = not _empty(live.get("rootUrl"))
    for field in ("redirectUris", "webOrigins"):
        values = sorted(live.get(field) or [])
        if values or keep_empty:
            out[field] = values
    attributes = _string_map(
        live.get("attributes"),
        drop=defaults.CLIENT_COMPUTED_ATTRIBUTES,
        defaults_={**defaults.CLIENT_ATTRIBUTES, **(defaults.SAML_CLIENT_ATTRIBUTES if saml else {})},
    )
    if attributes:
        out["attributes"] = attributes
    mappers = _mappers(live, protocol)
    if mappers:
        out["protocolMappers"] = mappers
    out.update(_client_links(live, protocol, realm_lists, scope_protocols))
    if _has_secret(live, protocol):
        out["secret"] = Hint(f"${{env:{_env_name(str(live['clientId']), 'CLIENT_SECRET')}}}")
    return out


def _has_secret(live: Mapping[str, Any], protocol: str) -> bool:
    return (
        protocol == "openid-connect"
        and not live.get("publicClient")
        and not live.get("bearerOnly")
        and live.get("clientAuthenticatorType", "client-secret") in ("client-secret", "client-secret-jwt")
    )


def _client_links(
    live: Mapping[str, Any], protocol: str, realm_lists: Mapping[str, Any], scope_protocols: Mapping[str, str]
) -> dict[str, list[str]]:
    """The scope links, declared only when they differ from what a new client of that protocol gets
    (the realm's default lists, filtered by protocol; ``service_account`` is Keycloak's own link)."""
    have = {
        f: sorted(s for s in live.get(f) or [] if s != SERVICE_ACCOUNT_SCOPE)
        for f in ("defaultClientScopes", "optionalClientScopes")
    }
    new_client = {
        f: sorted(s for s in realm_lists.get(r) or [] if scope_protocols.get(s) == protocol)
        for f, r in (
            ("defaultClientScopes", "defaultDefaultClientScopes"),
            ("optionalClientScopes", "defaultOptionalClientScopes"),
        )
    }
    return {} if have == new_client else have  # both lists or neither: one alone empties the other


def clients(
    live: LiveRealm, realm_lists: Mapping[str, Any], scope_protocols: Mapping[str, str]
) -> list[dict[str, Any]]:
    kind = by_name("client")
    return [
        client(obj, realm_lists, scope_protocols)
        for key, obj in sorted(live.of("client").items())
        if not kind.is_builtin(key, obj, live.name)
    ]


# roles -----------------------------------------------------------------------------------------------
def _role_refs(live: LiveRealm) -> dict[str, tuple[str | None, str]]:
    refs: dict[str, tuple[str | None, str]] = live.index.get(ROLE_REFS) or {}
    return refs


def role(live: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if not _empty(live.get("description")):
        out["description"] = live["description"]
    attributes = _list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    composites = live.get("composites") or {}
    comp: dict[str, Any] = {}
    if composites.get("realm"):
        comp["realm"] = sorted(composites["realm"])
    client_part = _role_map(composites.get("client"))
    if client_part:
        comp["client"] = client_part
    if comp:
        out["composites"] = comp
    return out


def roles(live: LiveRealm) -> dict[str, Any]:
    kind = by_name("role")
    refs = _role_refs(live)
    realm_roles: list[dict[str, Any]] = []
    client_roles: dict[str, list[dict[str, Any]]] = {}
    for key, obj in sorted(live.of("role").items()):
        if kind.is_builtin(key, obj, live.name):
            continue
        client_id, _ = refs.get(key, (None, key))
        if client_id is None:
            realm_roles.append(role(obj))
        else:
            client_roles.setdefault(client_id, []).append(role(obj))
    default = default_role(live)
    if default is not None:
        realm_roles.append(default)
    out: dict[str, Any] = {}
    if realm_roles:
        out["realm"] = sorted(realm_roles, key=lambda r: r["name"])
    if client_roles:
        out["client"] = {cid: sorted(rs, key=lambda r: r["name"]) for cid, rs in sorted(client_roles.items())}
    return out


def default_role(live: LiveRealm) -> dict[str, Any] | None:
    """The realm's default role, when its composites differ from a new realm's. Every part is written
    (an empty list too): a declared list is the whole set, so a composite taken out stays out."""
    name = _default_role(live)
    obj = live.of("role").get(name)
    if obj is None:
        return None
    composites = obj.get("composites") or {}  # none read: the role is no composite any more
    expected = defaults.DEFAULT_ROLE_COMPOSITES
    have = {
        "realm": sorted(composites.get("realm") or []),
        "client": {
            cid: sorted((composites.get("client") or {}).get(cid) or [])
            for cid in sorted({*(composites.get("client") or {}), *expected["client"]})
        },
    }
    if have == expected:
        return None
    return {"name": name, "composites": have}


# groups ----------------------------------------------------------------------------------------------
def group(live: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if not _empty(live.get("description")):
        out["description"] = live["description"]
    attributes = _list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    if live.get("realmRoles"):
        out["realmRoles"] = sorted(live["realmRoles"])
    client_roles = _role_map(live.get("clientRoles"))
    if client_roles:
        out["clientRoles"] = client_roles
    return out


def groups(live: LiveRealm) -> list[dict[str, Any]]:
    """The group tree, each level sorted by name."""
    by_parent: dict[str, list[tuple[str, Obj]]] = {}
    for path, obj in live.of("group").items():
        by_parent.setdefault(path.rsplit("/", 1)[0], []).append((path, obj))

    def level(parent: str) -> list[dict[str, Any]]:
        out = []
        for path, obj in sorted(by_parent.get(parent, []), key=lambda item: str(item[1]["name"])):
            node = group(obj)
            children = level(path)
            if children:
                node["subGroups"] = children
            out.append(node)
        return out

    return level("")


# users -----------------------------------------------------------------------------------------------
def _memberships(live: Mapping[str, Any], default_role: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if live.get("groups"):
        out["groups"] = sorted(live["groups"])
    realm_roles = sorted(r for r in live.get("realmRoles") or [] if r != default_role)
    if realm_roles:
        out["realmRoles"] = realm_roles
    client_roles = _role_map(live.get("clientRoles"))
    if client_roles:
        out["clientRoles"] = client_roles
    return out


def user(live: Mapping[str, Any], default_role: str) -> dict[str, Any]:
    out: dict[str, Any] = {"username": live["username"]}
    for field in ("email", "firstName", "lastName", "enabled", "emailVerified"):
        value = live.get(field)
        if not _empty(value) and defaults.USER.get(field) != value:
            out[field] = value
    attributes = _list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    if live.get("requiredActions"):
        out["requiredActions"] = sorted(live["requiredActions"])
    out.update(_memberships(live, default_role))
    password = _env_name(str(live["username"]), "PASSWORD")
    # kcr sets a declared password when it creates the user, never later (credentials are write-only)
    out["credentials"] = Hint(f'[{{type: password, value: "${{env:{password}}}", temporary: true}}]')
    return out


def _default_role(live: LiveRealm) -> str:
    """Every user has it; Keycloak lower-cases the realm name in it."""
    name = ((live.index.get("realm") or {}).get("defaultRole") or {}).get("name")
    return str(name) if name else default_role_name(live.name)


def users(live: LiveRealm) -> list[dict[str, Any]]:
    default_role = _default_role(live)
    return [user(obj, default_role) for _, obj in sorted(live.of("user").items()) if not obj.get(SA_CLIENT)]


def service_accounts(live: LiveRealm) -> list[dict[str, Any]]:
    default_role = _default_role(live)
    out = []
    for _, obj in sorted(live.of("user").items(), key=lambda item: str(item[1].get(SA_CLIENT) or "")):
        if not obj.get(SA_CLIENT):
            continue
        account = {SA_CLIENT: obj[SA_CLIENT], **_memberships(obj, default_role)}
        attributes = _list_map(obj.get("attributes"))
        if attributes:
            account["attributes"] = attributes
        if len(account) > 1:
            out.append(account)
    return out


# organizations -------------------------------------------------------------------------------------
def organization(live: Mapping[str, Any], include_members: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": live["name"]}
    if live.get("alias") and live["alias"] != live["name"]:
        out["alias"] = live["alias"]
    for field in ("enabled", "description", "redirectUrl"):
        value = live.get(field)
        if not _empty(value) and defaults.ORGANIZATION.get(field) != value:
            out[field] = value
    domains = []
    for domain in sorted(live.get("domains") or [], key=lambda d: str(d["name"])):
        entry: dict[str, Any] = {"name": domain["name"]}
        if bool(domain.get("verified")) != defaults.DOMAIN["verified"]:
            entry["verified"] = bool(domain.get("verified"))
        domains.append(entry)
    if domains:
        out["domains"] = domains
    attributes = _list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    if include_members and live.get("members"):
        out["members"] = sorted(live["members"])
    return out


def organizations(live: LiveRealm, *, include_members: bool) -> list[dict[str, Any]]:
    return [organization(obj, include_members) for _, obj in sorted(live.of("organization").items())]


# output ----------------------------------------------------------------------------------------------
def write_files(files: list[ExportFile], realm: str, out_dir: str | Path) -> list[Path]:
    """Write the files under ``out_dir/<realm>/``; export files of an earlier run that this export has
    no content for are removed (only those names: other files in the folder are left alone)."""
    folder = Path(out_dir) / realm
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        path = folder / f.name
        path.write_text(f.text(realm), encoding="utf-8")
        written.append(path)
    for stale in set(FILE_ORDER) - {f.name for f in files}:
        (folder / stale).unlink(missing_ok=True)
    return written


def render_stream(files: list[ExportFile], realm: str) -> str:
    return dump_stream([(f"{f.name}: realm {realm}, exported by kcr export", f.document) for f in files])
