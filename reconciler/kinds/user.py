"""Users: profile fields, attributes, required actions, group memberships and role mappings.

Reading costs requests that grow with groups, roles and pages of users, never one per user: users are
counted, then listed in pages read in parallel (attributes included), and memberships are read in
reverse, per group (``/groups/{id}/members``) and per role (``/roles/{name}/users``), both of which
list *direct* memberships only (checked against Keycloak 26.7). The fan-out runs only for what some
declared user declares: groups, realm roles, or the client roles of the clients named in
``clientRoles``. With ``Context.read_all`` (``kcr export``) it runs for everything: groups, every
realm role (the default role too), the roles of every client.

Service-account users (declared with ``serviceAccountClientId``) belong to their client: Keycloak
creates and deletes them, they are not listed by ``GET /users``, and kcr only manages their role
mappings, groups and attributes (read per declared service account: requests grow with those clients;
with ``read_all``, per client with ``serviceAccountsEnabled``, keyed like a declared one).

Write-only and server-side rules that shape this module:
- ``credentials`` cannot be read back. A password is set when kcr creates the user and never again
  (it is not compared, and a PUT never carries it: a PUT with credentials resets the password).
  ``temporary: true`` makes Keycloak add the UPDATE_PASSWORD required action, which is then not seen
  as drift (it goes away once the user has changed the password).
- Keycloak stores usernames and emails in lower case: declared values are lower-cased to match.
- ``default-roles-<realm>`` is mapped to every user: ignored on both sides unless declared.
- A new user gets the realm's default required actions *on top of* the declared ``requiredActions``
  (the POST adds, a PUT replaces): a user that declares them is PUT once more after its creation.
- With the realm's user profile at its default (unmanaged attributes DISABLED), an attribute the
  profile does not declare is accepted by POST/PUT and silently dropped; ``verify_hint`` and
  ``update_reason`` say what to do about it.
- A temporary brute-force lockout does NOT show as ``enabled: false`` on Keycloak 26.7 (checked:
  ``GET /users`` and ``GET /users/{id}`` keep ``enabled: true`` while attack detection reports the
  user disabled), so a lockout is never seen as drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from reconciler.builtins import default_role
from reconciler.compare import FieldDiff, Rules, diff_declared, str_list
from reconciler.desired.declared import Findings, MergedRealm, Names
from reconciler.desired.positions import Document
from reconciler.desired.representation import User
from reconciler.desired.state import DesiredRealm
from reconciler.errors import BadRequest, KcrError, NotFound, Problem
from reconciler.export import defaults
from reconciler.export.values import empty, env_name, list_map, role_map
from reconciler.export.yaml_text import Hint
from reconciler.keycloak.client import seg
from reconciler.kinds.base import (
    STATE_KEY,
    Access,
    Context,
    Kind,
    LiveRealm,
    Obj,
    Reference,
    Section,
    without_extensions,
)
from reconciler.kinds.bulk_read import collect, in_background
from reconciler.kinds.client import ClientKind
from reconciler.kinds.group import flatten
from reconciler.kinds.role import live_default_role, role_mapping_references
from reconciler.kinds.user_checks import (
    SA_CLIENT,
    check_service_accounts,
    drop_hashed_credentials,
    user_names,
)
from reconciler.kinds.user_import import import_user, realm_allows

PROFILE_FIELDS = ("username", "email", "firstName", "lastName", "enabled", "emailVerified")
REP_FIELDS = frozenset({*PROFILE_FIELDS, "attributes", "requiredActions"})
UPDATE_PASSWORD = "UPDATE_PASSWORD"
PAGE = 500
USER_PAGES = "user_pages"  # ctx.shared_reads key: every user, being read in the background
# Live-only: the id of the user-storage component (LDAP provider) the user was imported from; never
# compared nor shown. Deleting that component deletes the user (component.py).
FEDERATION_LINK = "_federationLink"

UNSTORED_HINT = (
    "attribute {names} was not stored: declare it in the realm's user profile or set "
    "unmanagedAttributePolicy (ADMIN_EDIT or ENABLED) in the user profile"
)


def stored_attributes(attributes: Any) -> dict[str, list[str]]:
    """Declared attributes as Keycloak stores a user's: empty values dropped (an attribute holding only
    "" reads back as absent, whatever the user profile allows)."""
    return {k: [v for v in str_list(vs) if v != ""] for k, vs in (attributes or {}).items()}


def declared_actions(desired: Obj, stored: Mapping[str, Any]) -> list[str]:
    """The required actions to write: the declared ones, plus UPDATE_PASSWORD while a declared
    temporary password still waits for its change."""
    actions = list(desired["requiredActions"] or [])
    if (
        has_temporary_password(desired)
        and UPDATE_PASSWORD in (stored.get("requiredActions") or [])
        and UPDATE_PASSWORD not in actions
    ):
        actions.append(UPDATE_PASSWORD)
    return actions


def has_temporary_password(desired: Obj) -> bool:
    return any(isinstance(c, dict) and c.get("temporary") for c in desired.get("credentials") or [])


def service_account_username(client_id: str) -> str:
    return f"service-account-{client_id}".lower()


def _realm_path(ctx: Context) -> str:
    return f"/{seg(ctx.realm)}"


# -- live representation ---------------------------------------------------------------------------
def live_user(rep: dict[str, Any]) -> Obj:
    obj: Obj = {k: rep[k] for k in PROFILE_FIELDS if k in rep}
    obj["attributes"] = dict(rep.get("attributes") or {})
    obj["requiredActions"] = sorted(rep.get("requiredActions") or [])
    obj["id"] = rep["id"]
    if rep.get("federationLink"):
        obj[FEDERATION_LINK] = rep["federationLink"]
    return obj


def mappings_of(rep: dict[str, Any]) -> Obj:
    """``realmRoles``/``clientRoles`` from a MappingsRepresentation (``clientMappings`` by clientId)."""
    realm_roles = sorted(r["name"] for r in rep.get("realmMappings") or [])
    client_roles = {
        cid: sorted(r["name"] for r in m.get("mappings") or [])
        for cid, m in (rep.get("clientMappings") or {}).items()
    }
    return {"realmRoles": realm_roles, "clientRoles": client_roles}


class UserKind(Kind):
    name = "user"
    phase = 60
    model = User
    key_field = "username"  # a service account is keyed by its username, declared by its client
    sections = (Section("users", "list", User),)
    collection = "users"
    noun = "user"
    declare_hint = "declare the user under users"
    read_lists_all = False  # service accounts: only the declared ones are read
    references: ClassVar[tuple[Reference, ...]] = (
        *role_mapping_references("realmRoles", "clientRoles"),
        Reference("groups[]", "group"),
        Reference(SA_CLIENT, "client"),
    )
    access = (Access("/users", "view-users", "manage-users"),)
    # Service accounts are client configuration, always exported; people only with --include-users.
    export_files = ("service-accounts.yaml", "users.yaml")
    # Each user's writes go to that user (its representation, its group and role mappings).
    parallel_writes = True
    rules: ClassVar[Rules] = Rules(
        sets=frozenset({"requiredActions", "groups", "realmRoles"}),
        list_maps=frozenset({"attributes", "clientRoles"}),
        secrets=frozenset({"credentials"}),
        # credentials are write-only; serviceAccountClientId names the owner, it is not a field
        ignore=frozenset({"credentials", SA_CLIENT}),
    )

    # -- offline checks ---------------------------------------------------------------------------
    def declared_names(self, realm: MergedRealm, found: Findings) -> Names:
        return user_names(self.declared_objects(realm), found)

    def normalise(self, name: str) -> str:
        return name.lower()

    def from_export(
        self, spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]
    ) -> list[Problem]:
        drop_hashed_credentials(spec, doc, warnings)
        return []

    def check_declared(self, realm: MergedRealm, names: Mapping[str, Names], found: Findings) -> None:
        check_service_accounts(self.declared_objects(realm), ClientKind().declared_objects(realm), found)

    # -- desired ---------------------------------------------------------------------------------
    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        out: dict[str, Obj] = {}
        for spec in realm.spec.get("users") or []:
            obj = dict(spec)
            if obj.get(SA_CLIENT):
                obj.setdefault("username", service_account_username(str(obj[SA_CLIENT])))
            obj["username"] = str(obj.get("username", "")).lower()
            if isinstance(obj.get("email"), str):
                obj["email"] = obj["email"].lower()
            out[obj["username"]] = obj
        return out

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        return bool(live.get(SA_CLIENT))

    def redact(self, obj: Obj | None) -> Obj | None:
        return super().redact(
            None if obj is None else {k: v for k, v in obj.items() if not k.startswith("_")}
        )

    # -- live --------------------------------------------------------------------------------------
    def read(self, ctx: Context) -> dict[str, Obj]:
        declared = [
            without_extensions(s) for s in self.declared(ctx.desired).values() if s.get(STATE_KEY) != "absent"
        ]
        regular = [d for d in declared if not d.get(SA_CLIENT)]
        reps = collect(ctx, USER_PAGES, lambda: self._read_pages(ctx))
        live = {rep["username"]: live_user(rep) for rep in reps}
        by_id = {obj["id"]: obj for obj in live.values()}
        if ctx.read_all or any("groups" in d for d in regular):
            self._read_group_members(ctx, by_id)
        if ctx.read_all or any("realmRoles" in d for d in regular):
            wants_default = ctx.read_all or any(
                ctx.lookup.default_role() in (d.get("realmRoles") or []) for d in regular
            )
            self._read_realm_role_members(ctx, by_id, wants_default)
        if ctx.read_all:
            client_ids = sorted(ctx.lookup.clients())
        else:
            client_ids = sorted({cid for d in regular for cid in (d.get("clientRoles") or {})})
        if client_ids:
            self._read_client_role_members(ctx, by_id, client_ids)
        accounts = self._service_accounts(ctx)
        for spec, obj in zip(
            accounts, ctx.api.map(lambda s: self._read_service_account(ctx, s), accounts), strict=True
        ):
            if obj is not None:
                live[spec["username"]] = obj
        return live

    def start_reads(self, ctx: Context) -> None:
        in_background(ctx, USER_PAGES, lambda: self._read_pages(ctx))

    def _read_pages(self, ctx: Context) -> list[Obj]:
        """Every user, in full. Pages of full users are the heaviest reads at scale: counted first,
        then read concurrently, from the start of a plan's reads (``start_reads``)."""
        total = ctx.api.get(f"{_realm_path(ctx)}/users/count")
        params = {"briefRepresentation": "false"}
        return ctx.api.get_pages(f"{_realm_path(ctx)}/users", params, total=int(total or 0), page_size=PAGE)

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        spec = self.declared(ctx.desired).get(key)
        if spec is not None and spec.get(SA_CLIENT):
            return self._read_service_account(ctx, spec)
        found = (
            ctx.api.get(
                f"{_realm_path(ctx)}/users",
                {"username": key, "exact": "true", "briefRepresentation": "false"},
            )
            or []
        )
        rep = next((u for u in found if u.get("username") == key), None)
        if rep is None:
            return None
        obj = live_user(rep)
        obj["groups"] = self._groups_of(ctx, obj["id"])
        obj.update(mappings_of(ctx.api.get(f"{_realm_path(ctx)}/users/{obj['id']}/role-mappings") or {}))
        return obj

    def _service_accounts(self, ctx: Context) -> list[Obj]:
        """The service accounts to read: the declared ones, with ``read_all`` also the account of
        every client with ``serviceAccountsEnabled`` (keyed like a declared one)."""
        accounts = {key: d for key, d in self.declared(ctx.desired).items() if d.get(SA_CLIENT)}
        if ctx.read_all:
            for cid, client in sorted(ctx.lookup.clients().items()):
                key = service_account_username(cid)
                if client.get("serviceAccountsEnabled") and key not in accounts:
                    accounts[key] = {SA_CLIENT: cid, "username": key}
        return list(accounts.values())

    def _read_service_account(self, ctx: Context, spec: Obj) -> Obj | None:
        uuid = ctx.lookup.client_uuid(str(spec[SA_CLIENT]))
        if uuid is None:
            return None
        try:
            rep = ctx.api.get(f"{_realm_path(ctx)}/clients/{uuid}/service-account-user")
        except (BadRequest, NotFound):  # 400: the client has no service account
            return None
        obj = live_user(rep)
        obj.update(mappings_of(ctx.api.get(f"{_realm_path(ctx)}/users/{obj['id']}/role-mappings") or {}))
        if ctx.read_all or "groups" in spec:
            obj["groups"] = self._groups_of(ctx, obj["id"])
        obj[SA_CLIENT] = spec[SA_CLIENT]
        return obj

    def _groups_of(self, ctx: Context, user_id: str) -> list[str]:
        groups = ctx.api.get_paged(
            f"{_realm_path(ctx)}/users/{user_id}/groups", {"briefRepresentation": "true"}, page_size=PAGE
        )
        return sorted(g["path"] for g in groups)

    def _read_group_members(self, ctx: Context, by_id: dict[str, Obj]) -> None:
        for obj in by_id.values():
            obj["groups"] = []
        groups = list(ctx.lookup.group_ids().items())
        members = ctx.api.map(
            lambda item: ctx.api.get_paged(
                f"{_realm_path(ctx)}/groups/{item[1]}/members",
                {"briefRepresentation": "true"},
                page_size=PAGE,
            ),
            groups,
        )
        for (path, _), users in zip(groups, members, strict=True):
            for user in users:
                if user["id"] in by_id:
                    by_id[user["id"]]["groups"].append(path)
        for obj in by_id.values():
            obj["groups"].sort()

    def _read_realm_role_members(self, ctx: Context, by_id: dict[str, Obj], wants_default: bool) -> None:
        for obj in by_id.values():
            obj["realmRoles"] = []
        base = _realm_path(ctx)
        default = ctx.lookup.default_role()
        roles = [
            r["name"]
            for r in ctx.api.get_paged(f"{base}/roles", {"briefRepresentation": "true"}, page_size=PAGE)
        ]
        # every user has the default role: listing its users costs pages of all users, for nothing
        roles = [r for r in roles if wants_default or r != default]
        members = ctx.api.map(
            lambda name: ctx.api.get_paged(
                f"{base}/roles/{seg(name)}/users", {"briefRepresentation": "true"}, page_size=PAGE
            ),
            roles,
        )
        for name, users in zip(roles, members, strict=True):
            for user in users:
                if user["id"] in by_id:
                    by_id[user["id"]]["realmRoles"].append(name)
        for obj in by_id.values():
            obj["realmRoles"].sort()

    def _read_client_role_members(self, ctx: Context, by_id: dict[str, Obj], client_ids: list[str]) -> None:
        for obj in by_id.values():
            obj["clientRoles"] = {}
        base = _realm_path(ctx)
        targets: list[tuple[str, str, str]] = []  # (clientId, uuid, role name)
        clients = [(cid, ctx.lookup.client_uuid(cid)) for cid in client_ids]
        present = [(cid, uuid) for cid, uuid in clients if uuid]
        role_lists = ctx.api.map(lambda c: ctx.api.get(f"{base}/clients/{c[1]}/roles") or [], present)
        for (cid, uuid), roles in zip(present, role_lists, strict=True):
            targets.extend((cid, uuid, r["name"]) for r in roles)
        members = ctx.api.map(
            lambda t: ctx.api.get_paged(
                f"{base}/clients/{t[1]}/roles/{seg(t[2])}/users",
                {"briefRepresentation": "true"},
                page_size=PAGE,
            ),
            targets,
        )
        for (cid, _, name), users in zip(targets, members, strict=True):
            for user in users:
                if user["id"] in by_id:
                    by_id[user["id"]]["clientRoles"].setdefault(cid, []).append(name)
        for obj in by_id.values():
            for names in obj["clientRoles"].values():
                names.sort()

    # -- comparison --------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        default = ctx.lookup.default_role()
        if "realmRoles" in desired and default not in (desired["realmRoles"] or []):
            live = {**live, "realmRoles": [r for r in live.get("realmRoles") or [] if r != default]}
        if has_temporary_password(desired) and UPDATE_PASSWORD not in (desired.get("requiredActions") or []):
            # Keycloak adds UPDATE_PASSWORD for a temporary password (until the user changes it)
            live = {
                **live,
                "requiredActions": [a for a in live.get("requiredActions") or [] if a != UPDATE_PASSWORD],
            }
        if "attributes" in desired:
            desired = {**desired, "attributes": stored_attributes(desired["attributes"])}
        return diff_declared(desired, live, self.rules)

    def update_reason(self, key: str, diffs: list[FieldDiff], live: Obj) -> str:
        hint = verify_hint(diffs)
        reason = super().update_reason(key, diffs, live)
        return f"{reason} (if an apply did not fix it: {hint})" if hint else reason

    # -- writes ------------------------------------------------------------------------------------
    def add_to_realm_import(self, realm: DesiredRealm, body: Obj) -> list[str]:
        """Declared users that the import makes as ``create`` would (``user_import.py``), with their
        groups, roles and password; an email only once (a second one is the POST's to refuse)."""
        if not realm_allows(realm.spec):
            return []
        roles = body.get("roles") or {}
        realm_roles = {r["name"] for r in roles.get("realm") or []} | {default_role(realm.name)}
        client_roles = {(cid, r["name"]) for cid, reps in (roles.get("client") or {}).items() for r in reps}
        groups = {path for path, _ in flatten(body.get("groups"))}
        carried: list[Obj] = []
        emails: set[str] = set()
        for spec in self.declared(realm).values():
            rep = import_user(spec, realm.name, realm.spec, groups, realm_roles, client_roles)
            if rep is None or rep.get("email") in emails:
                continue
            if rep.get("email"):
                emails.add(rep["email"])
            carried.append(rep)
        if carried:
            body["users"] = [*(body.get("users") or []), *carried]
        return [u["username"] for u in carried]

    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        if desired.get(SA_CLIENT):
            current = self._read_service_account(ctx, desired)
            if current is None:
                raise KcrError(
                    f"{self.address(ctx.realm, key)}: client {desired[SA_CLIENT]!r} has no service-account "
                    "user: declare serviceAccountsEnabled: true on that client (kcr never creates "
                    "service-account users)"
                )
            self.update(ctx, key, desired, current, self.compare(key, desired, current, ctx))
            ctx.live.of(self.name)[key] = current
            return
        body: dict[str, Any] = {k: desired[k] for k in PROFILE_FIELDS if k in desired}
        body["username"] = key
        if "attributes" in desired:
            body["attributes"] = {k: str_list(v) for k, v in (desired["attributes"] or {}).items()}
        for field in ("requiredActions", "credentials", "groups"):
            if field in desired:
                body[field] = desired[field]
        user_id = ctx.api.create(f"{_realm_path(ctx)}/users", body)
        if "requiredActions" in desired:
            self._settle_required_actions(ctx, user_id, desired)
        if "groups" in desired and ctx.lookup.realm_rep().get("defaultGroups"):
            self._settle_groups(ctx, user_id, desired)
        live: Obj = {
            "username": key,
            "id": user_id,
            "groups": list(desired.get("groups") or []),
            "realmRoles": [],
            "clientRoles": {},
        }
        self._write_roles(ctx, user_id, desired, live)
        ctx.live.of(self.name)[key] = live

    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        user_id = str(live["id"])
        base = f"{_realm_path(ctx)}/users/{user_id}"
        if {d.path.split(".", 1)[0] for d in diffs} & REP_FIELDS:
            rep: dict[str, Any] = ctx.api.get(base)
            for field in PROFILE_FIELDS:
                if field in desired:
                    rep[field] = desired[field]
            if "requiredActions" in desired:
                rep["requiredActions"] = declared_actions(desired, rep)
            if "attributes" in desired:
                # a PUT replaces the attribute map: keep the attributes nobody declared
                merged = dict(rep.get("attributes") or {})
                merged.update({k: str_list(v) for k, v in (desired["attributes"] or {}).items()})
                rep["attributes"] = merged
            rep.pop("credentials", None)  # a PUT with credentials resets the password
            ctx.api.put(base, rep)
        if "groups" in desired:
            want, have = set(desired["groups"] or []), set(live.get("groups") or [])
            for path in sorted(want - have):
                ctx.api.put(f"{base}/groups/{ctx.lookup.group_id(path)}")
            for path in sorted(have - want):
                ctx.api.delete(f"{base}/groups/{ctx.lookup.group_id(path)}")
        self._write_roles(ctx, user_id, desired, live)

    def _settle_groups(self, ctx: Context, user_id: str, desired: Obj) -> None:
        """Keycloak's POST also joins the realm's default groups; a declared ``groups`` is the whole set."""
        extra = set(self._groups_of(ctx, user_id)) - set(desired.get("groups") or [])
        for path in sorted(extra):
            ctx.api.delete(f"{_realm_path(ctx)}/users/{user_id}/groups/{ctx.lookup.group_id(path)}")

    def _settle_required_actions(self, ctx: Context, user_id: str, desired: Obj) -> None:
        """A new user gets the realm's default actions on top of the declared ones (Keycloak 26.7):
        a PUT makes the declared list the whole list."""
        base = f"{_realm_path(ctx)}/users/{user_id}"
        rep: dict[str, Any] = ctx.api.get(base)
        actions = declared_actions(desired, rep)
        if sorted(rep.get("requiredActions") or []) != sorted(actions):
            rep["requiredActions"] = actions
            rep.pop("credentials", None)  # a PUT with credentials resets the password
            ctx.api.put(base, rep)

    def _write_roles(self, ctx: Context, user_id: str, desired: Obj, live: Obj) -> None:
        """Add and remove role mappings with explicit lists (a DELETE without a body removes all)."""
        base = f"{_realm_path(ctx)}/users/{user_id}/role-mappings"
        if "realmRoles" in desired:
            default = ctx.lookup.default_role()
            want = set(desired["realmRoles"] or [])
            have = set(live.get("realmRoles") or [])
            if default not in want:
                have.discard(default)
            _send(ctx, "POST", f"{base}/realm", ctx.lookup.role_reps(None, want - have))
            _send(ctx, "DELETE", f"{base}/realm", ctx.lookup.role_reps(None, have - want))
        live_clients = live.get("clientRoles") or {}
        for cid, names in (desired.get("clientRoles") or {}).items():
            want = set(str_list(names or []))
            have = set(live_clients.get(cid) or [])
            if want == have:
                continue
            path = f"{base}/clients/{ctx.lookup.require_client_uuid(cid)}"
            _send(ctx, "POST", path, ctx.lookup.role_reps(cid, want - have))
            _send(ctx, "DELETE", path, ctx.lookup.role_reps(cid, have - want))

    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        if live.get(SA_CLIENT):
            raise KcrError(
                f"{self.address(ctx.realm, key)} is a service-account user: it goes away with "
                f"serviceAccountsEnabled: false on client {live[SA_CLIENT]!r}, never on its own"
            )
        ctx.api.delete(f"{_realm_path(ctx)}/users/{live['id']}")

    # -- export ----------------------------------------------------------------------------------
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        default_role = live_default_role(live)
        users = live.of(self.name)
        people = [
            export_user(obj, default_role) for _, obj in sorted(users.items()) if not obj.get(SA_CLIENT)
        ]
        return {
            "service-accounts.yaml": {"users": export_service_accounts(users, default_role)},
            "users.yaml": {"users": people if include_users else []},
        }

    def unstored_hint(self, diffs: list[FieldDiff]) -> str:
        if any(d.path.startswith("attributes.") for d in diffs):
            return (
                "User attributes that the realm's user profile does not declare are dropped "
                "silently: declare them in the user profile, or set unmanagedAttributePolicy to "
                "ADMIN_EDIT or ENABLED."
            )
        return ""


def _send(ctx: Context, method: str, path: str, roles: list[dict[str, str]]) -> None:
    if roles:  # never an empty DELETE: Keycloak reads a missing body as "every mapping"
        ctx.api.request(method, path, json=roles)


def verify_hint(diffs: Iterable[FieldDiff]) -> str | None:
    """What to do when declared attributes are missing in Keycloak after a write: with the default
    user profile (unmanaged attributes DISABLED) Keycloak accepts them and silently drops them."""
    missing = [
        d.path.split(".", 1)[1] for d in diffs if d.path.startswith("attributes.") and d.before in (None, [])
    ]
    if not missing:
        return None
    return UNSTORED_HINT.format(names=", ".join(missing))


# -- export ------------------------------------------------------------------------------------------
def _export_memberships(live: Mapping[str, Any], default_role: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if live.get("groups"):
        out["groups"] = sorted(live["groups"])
    realm_roles = sorted(r for r in live.get("realmRoles") or [] if r != default_role)
    if realm_roles:
        out["realmRoles"] = realm_roles
    client_roles = role_map(live.get("clientRoles"))
    if client_roles:
        out["clientRoles"] = client_roles
    return out


def export_user(live: Mapping[str, Any], default_role: str) -> dict[str, Any]:
    out: dict[str, Any] = {"username": live["username"]}
    for field in ("email", "firstName", "lastName", "enabled", "emailVerified"):
        value = live.get(field)
        if not empty(value) and defaults.USER.get(field) != value:
            out[field] = value
    attributes = list_map(live.get("attributes"))
    if attributes:
        out["attributes"] = attributes
    if live.get("requiredActions"):
        out["requiredActions"] = sorted(live["requiredActions"])
    out.update(_export_memberships(live, default_role))
    password = env_name(str(live["username"]), "PASSWORD")
    # kcr sets a declared password when it creates the user, never later (credentials are write-only)
    out["credentials"] = Hint(f'[{{type: password, value: "${{env:{password}}}", temporary: true}}]')
    return out


def export_service_accounts(users: Mapping[str, Obj], default_role: str) -> list[dict[str, Any]]:
    out = []
    for _, obj in sorted(users.items(), key=lambda item: str(item[1].get(SA_CLIENT) or "")):
        if not obj.get(SA_CLIENT):
            continue
        account = {SA_CLIENT: obj[SA_CLIENT], **_export_memberships(obj, default_role)}
        attributes = list_map(obj.get("attributes"))
        if attributes:
            account["attributes"] = attributes
        if len(account) > 1:
            out.append(account)
    return out
