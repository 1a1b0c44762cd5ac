"""What a resource kind is: one module per kind describes its part of the language, reads its live
objects, compares them with the declared ones, knows how to create, update and delete them, and builds
its part of ``kcr export``. Nothing else names a kind: the language (``desired/language.py``), the
offline checks (``desired/checks.py``), the planner, the applier, the export and the permission hints
walk the registry (``kinds/__init__.py``).

Offline checks. A kind that other kinds refer to by name says how messages call one of its objects
(``noun``, ``describe``) and which names Keycloak makes with every realm (``builtin_names``). A kind
whose objects name other kinds' objects declares each such field as a ``Reference``::

    references: ClassVar[tuple[Reference, ...]] = (
        Reference("defaultClientScopes[]", "client-scope"),   # each item names a client scope
        Reference("clientRoles.*", "client"),                 # each map key names a client
        Reference("clientRoles.*[]", "role", within=True),    # ... and its items roles of that client
        Reference("client.*", "client", section="roles"),     # a key of the document's roles.client
    )

``desired/checks.py`` resolves every reference of every kind against the declared names (and the
built-ins, unless ``builtins=False``) and reports each one that does not resolve, in one wording:
"client scope 'x' is not declared in realm 'acme' (declare it under clientScopes)", or "... is declared
with state: absent (remove the reference)". What is specific to one kind (a redirect URI's form,
composite-role cycles, a service account's client) is its ``check_declared`` hook.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

from reconciler.compare import FieldDiff, Rules, diff_declared, redact, scalar_to_str
from reconciler.desired.declared import Declared, Findings, MergedRealm, Name, Names, twice
from reconciler.desired.positions import Document
from reconciler.desired.representation import Model
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.keycloak.client import AdminClient
from reconciler.kinds.lookup import LiveIds, Lookup
from reconciler.versions import Fact, ServerInfo

Obj = dict[str, Any]

# Extension keys of the language that are never sent to Keycloak.
STATE_KEY = "state"  # state: absent  -> delete the object


@dataclass(frozen=True)
class Section:
    """A key of the realm document that holds a kind's objects.

    ``shape``: ``list`` (objects of ``model``, lists from several files are concatenated), ``names``
    (a list of strings, concatenated too), ``object`` (one object of ``model``; the lists inside it
    are concatenated item by item, its other fields may be declared once) or ``maplist`` (a map of
    lists of ``model`` objects, such as ``clientScopeMappings``; the lists under one map key are
    concatenated) or ``map`` (a map whose values are of type ``values``, such as
    ``localizationTexts``; declared once, like a realm setting).
    """

    key: str  # "clients"
    shape: Literal["list", "names", "object", "maplist", "map"]
    model: type[Model] | None = None  # None only for "names" and "map"
    values: Any = None  # the type of a "map" section's values


@dataclass(frozen=True)
class Reference:
    """A field of this kind's declared objects whose values name objects of another kind.

    ``field``: a path inside one declared object (``Kind.declared_objects``): field names joined by
    ".", ``[]`` for each item of a list, ``*`` for each key of a map ("identityProviderAlias",
    "groups[]", "clientRoles.*", "composites.client.*[]"); with ``section``, a path inside that realm
    document key instead: one of the kind's sections ("[]": each name of a names section; "client.*":
    the keys of ``roles.client``) or a realm setting ("": the value of ``browserFlow``).
    ``to``: the registry name of the kind whose objects' names the values are.
    ``within``: the values name objects inside the object that the map key above them names (the
    roles of a client: scope = that key); checked only when that key resolves.
    ``builtins``: a name Keycloak makes with every realm (``to``'s ``builtin_names``) resolves too.
    ``live_only``: the name may be of an object that exists only in Keycloak (made by hand): not
    checked offline beyond its form (``malformed``), but by the plan against the live realm, before
    any write (``live_checks.py``; only if ``to``'s ``read_lists_all``).

    A reference that resolves only as a built-in is checked by the plan too: Keycloak may lack it
    (deleted by hand, or a built-in of a later version).
    """

    field: str
    to: str
    section: str = ""
    within: bool = False
    builtins: bool = True
    live_only: bool = False


@dataclass(frozen=True)
class Access:
    """The realm-management client roles that Admin API paths starting with ``path`` need."""

    path: str  # under /admin/realms/{realm}: "/clients"; "" for the realm itself
    read: str  # "view-clients"
    write: str  # "manage-clients"


@dataclass
class LiveRealm:
    """Everything read from one realm, in the language's shape (plus ``id`` where Keycloak has one)."""

    name: str
    exists: bool
    objects: dict[str, dict[str, Obj]] = field(default_factory=dict)  # kind -> key -> object
    # collection ("clients", "groups", ...) -> keys that kcr recorded as managed (ownership record)
    managed: dict[str, set[str]] = field(default_factory=dict)
    # ids by name, recorded by the kinds that read them; asked through ``Context.lookup``
    ids: LiveIds = field(default_factory=LiveIds)
    # the server it was read from (its version picks what a new realm has built in; unknown: the newest)
    server: ServerInfo = field(default_factory=ServerInfo)

    def of(self, kind: str) -> dict[str, Obj]:
        return self.objects.setdefault(kind, {})


@dataclass(frozen=True)
class Cascade:
    """An object that Keycloak deletes as a side effect of a write of kcr's, and why."""

    kind: str  # registry name of its kind
    key: str
    why: str  # "a subgroup is deleted with its group"


@dataclass
class Context:
    """What a kind gets to read or write one realm."""

    api: AdminClient
    realm: str
    desired: DesiredRealm
    live: LiveRealm
    # Read every field of every object, as ``kcr export`` needs; plan reads only what the desired
    # state declares (memberships, role mappings, members and built-in composites cost requests).
    read_all: bool = False
    # Read configuration objects in bulk where Keycloak allows (kinds/bulk_read.py); off, every kind
    # reads object by object (the reference the bulk reads are tested against).
    bulk_reads: bool = True
    # What this context's reads fetched once for several kinds (the partial export). It lives as long
    # as the context: a re-read after writes gets a new context, so it never sees a stale export.
    shared_reads: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def lookup(self) -> Lookup:
        """Ids of live objects by name, for any kind: what was read, else one GET."""
        return Lookup(self.api, self.realm, self.live.ids)


class Kind(ABC):
    """A resource kind. Keys are the object's name in its kind (clientId, group path, username, ...).

    The class attributes describe the kind to the rest of the tool; ``tests/unit/kinds/test_registry.py``
    checks that every registered kind describes itself completely.
    """

    name: ClassVar[str]  # "client"; used in addresses and the registry
    phase: ClassVar[int]  # apply order: lower first; deletes run in reverse
    rules: ClassVar[Rules] = Rules()
    # -- its part of the language --
    model: ClassVar[type[Model]]  # one object as declared (its ``required`` key is checked offline)
    key_field: ClassVar[str | None] = None  # the field naming an object ("clientId"); None: one per realm
    sections: ClassVar[tuple[Section, ...]] = ()  # the realm document keys holding its objects
    collection: ClassVar[str | None] = None  # policy/ownership collection ("clients"); None: no pruning
    # -- its part of the offline checks (see the module docstring) --
    # "client scope": how messages name one object; "" if nothing refers to it. A kind with a noun has
    # its names collected (``declared_names``): an empty or duplicate name is an error.
    noun: ClassVar[str] = ""
    declare_hint: ClassVar[str] = ""  # "" -> "declare it under <its first section>"
    references: ClassVar[tuple[Reference, ...]] = ()
    # Fields holding text Keycloak stores in at most 255 characters (beyond, it fails with a bare HTTP
    # 500; ``desired/limits.py`` refuses them offline): "x[]" each item of list x, "x[].y" field y of
    # each item of x, "attributes{}" each key and value of a list map.
    text_limits: ClassVar[tuple[str, ...]] = ()
    # kcr addresses its objects by ``key_field`` in URL paths: a URL dot segment ("..") is refused.
    named_in_urls: ClassVar[bool] = False
    # Its ``read`` lists every object of the realm, not only the declared ones: the plan may judge a
    # reference to it by what was read (``live_checks.py``).
    read_lists_all: ClassVar[bool] = True
    # -- what it needs from Keycloak --
    access: ClassVar[tuple[Access, ...]]  # realm-management roles to read and write its endpoints
    # -- its part of ``kcr export``: the files it writes, in the order they are listed --
    export_files: ClassVar[tuple[str, ...]]
    # -- apply hooks --
    # Its one object is the realm itself: creating it makes objects of other kinds (built-in clients,
    # roles, scopes), so apply re-reads the realm; deleting it deletes the realm and all in it.
    is_realm: ClassVar[bool] = False
    # Writes of different objects of this kind touch nothing in common (no parent, no composite):
    # many of them may run concurrently (``apply.BULK_FROM``), never two on one object.
    parallel_writes: ClassVar[bool] = False
    # Its ``read`` reads the realm's partial export (``bulk_read.py``): ``read_live`` starts that
    # read ahead, in the background.
    reads_partial_export: ClassVar[bool] = False

    def start_reads(self, ctx: Context) -> None:  # noqa: B027 (an optional hook: most kinds start nothing)
        """Start, in the background, reads that need nothing but the realm's name: no other kind, no
        desired state (``bulk_read.in_background``), for ``read`` to collect. ``read_live`` asks every
        kind before the first reads in phase order, and ``early_reads`` before the files are even
        loaded, so that the server works on them alongside. Default: none."""

    # -- desired side ----------------------------------------------------------------------------
    @abstractmethod
    def declared(self, realm: DesiredRealm) -> dict[str, Obj]:
        """The declared objects of this kind, key -> spec, in dependency order (parents first)."""

    # -- offline checks (``desired/checks.py``) -----------------------------------------------------
    def declared_objects(self, realm: MergedRealm) -> Iterator[Declared]:
        """Each declared object with where it was written (named by ``key_field``): what references
        name and what this kind's ``references`` are read from."""
        for section in self.sections:
            if section.shape != "list":
                continue
            for spec, origin in realm.listed(section.key):
                if isinstance(spec, dict):
                    name = spec.get(self.key_field) if self.key_field else None
                    yield Declared(name if isinstance(name, str) else None, spec, origin, section.key)

    def declared_names(self, realm: MergedRealm, found: Findings) -> Names:
        """The names references may use (declared and built in); reports empty and duplicate names."""
        names = Names(builtin=set(self.builtin_names(realm.name)))
        seen: dict[Name, Declared] = {}
        key = self.key_field or "name"
        for obj in self.declared_objects(realm):
            if obj.name is None:
                continue
            if not obj.name.strip():
                found.error(obj.origin, (key,), f"{key} must not be empty", f"write the {key}")
                continue
            name = (obj.scope, self.normalise(obj.name))
            if name in seen:
                found.problems.append(
                    twice(self.describe(obj.scope)[0], obj.origin, seen[name].origin, obj.name, key)
                )
                continue
            seen[name] = obj
            (names.absent if obj.spec.get(STATE_KEY) == "absent" else names.present).add(name)
        return names

    def builtin_names(self, realm: str) -> Iterable[Name]:
        """Names of the objects Keycloak makes with every realm: references to them resolve."""
        return ()

    def normalise(self, name: str) -> str:
        """A name as Keycloak compares it (usernames are lower case)."""
        return name

    def describe(self, scope: str) -> tuple[str, str]:
        """How a message names one object ("{}" stands for its name) and where to declare it."""
        return self.noun, self.declare_hint or f"declare it under {self.sections[0].key}"

    def live_key(self, scope: str, name: str) -> str:
        """The key of the live object a referenced name (in ``scope``) names (``live_checks.py``)."""
        return self.normalise(name)

    def malformed(self, name: str) -> tuple[str, str] | None:
        """Why a referenced name can never name an object of this kind ("{}" stands for it), with
        what to do; None if it can."""
        return None

    def check_declared(  # noqa: B027 (an optional hook: most kinds have no such checks)
        self, realm: MergedRealm, names: Mapping[str, Names], found: Findings
    ) -> None:
        """Checks of this kind's declared objects that are not references (``names``: kind name ->
        the names that kind declares, for the kinds with a ``noun``)."""

    def from_export(
        self, spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]
    ) -> list[Problem]:
        """Turns what a Keycloak export writes for this kind into the declared form, in ``spec`` (the
        document's realm as validated): ids into names, values kcr cannot manage dropped with a
        warning (``(key, problem)``); returns problems that make the document invalid."""
        return []

    def check_live(self, desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
        """Checks of this kind's declared objects against the live realm that are not references,
        made by the plan before any write (``live_checks.py``); ``live`` holds what every kind read."""
        return []

    def address(self, realm: str, key: str) -> str:
        return f"{realm}/{self.name}/{key.lstrip('/')}"

    @abstractmethod
    def export(self, live: LiveRealm, *, include_users: bool) -> dict[str, Obj]:
        """This kind's part of ``kcr export`` from a realm read with ``read_all``: export file name ->
        document keys (``{"clients.yaml": {"clients": [...]}}``). Pure: no requests."""

    # -- live side -------------------------------------------------------------------------------
    @abstractmethod
    def read(self, ctx: Context) -> dict[str, Obj]:
        """All live objects of this kind in ``ctx.realm`` (GET requests only), key -> object."""

    def read_one(self, ctx: Context, key: str) -> Obj | None:
        """Re-read one object after a write. Kinds with many objects should override this."""
        return self.read(ctx).get(key)

    def is_builtin(self, key: str, live: Obj, realm: str) -> bool:
        """Objects Keycloak creates with every realm: never pruned, never reported as unmanaged."""
        return False

    # -- comparison ------------------------------------------------------------------------------
    def compare(self, key: str, desired: Obj, live: Obj, ctx: Context) -> list[FieldDiff]:
        return diff_declared(desired, live, self.rules)

    def redact(self, obj: Obj | None) -> Obj | None:
        return None if obj is None else redact(obj, self.rules)

    def deleted_with(self, ctx: Context, key: str, live: Obj) -> list[Cascade]:
        """Objects Keycloak deletes along with this one (subgroups, client roles, the accounts of
        managed organization members): the plan shows and counts each as a delete of its own.
        May read (GET) what it needs; the live objects of every kind are in ``ctx.live``."""
        return []

    def delete_note(self, key: str, live: Obj, cascades: list[Cascade]) -> str:
        """What the delete's own reason line says of what Keycloak deletes with it (``cascades``, from
        ``deleted_with``), for a reviewer who reads only that line ("deletes 3 users imported from
        LDAP provider corp"); "" for nothing."""
        return ""

    def deleted_by_update(self, key: str, diffs: list[FieldDiff], live: Obj) -> list[Cascade]:
        """Objects Keycloak deletes when this update is made (removing a managed organization
        member deletes the account)."""
        return []

    def update_reason(self, key: str, diffs: list[FieldDiff], live: Obj) -> str:
        return "declared fields differ from Keycloak"

    def unstored_hint(self, diffs: list[FieldDiff]) -> str:
        """Why Keycloak may have accepted a write of these fields without storing them ("" if unknown)."""
        return ""

    def fingerprint(self, live: Obj | None) -> str | None:
        """A stable hash of a live object (secrets included only through the hash)."""
        if live is None:
            return None
        canonical = json.dumps(live, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    # -- writes ----------------------------------------------------------------------------------
    # The first version whose realm import makes this kind's objects exactly as ``create`` does; on an
    # older server ``add_to_realm_import`` is not asked (None: every supported version).
    import_exact_since: ClassVar[Fact | None] = None

    def add_to_realm_import(self, realm: DesiredRealm, body: Obj) -> list[str]:
        """Add to ``body`` (the representation that creates a new realm, ``POST /admin/realms``) the
        declared objects of this kind that Keycloak's import makes exactly as ``create`` would, and
        return their keys; the rest are created one by one after it. ``body`` holds what earlier
        phases added. Default: nothing (a kind carries only what a test proved exact)."""
        return []

    @abstractmethod
    def create(self, ctx: Context, key: str, desired: Obj) -> None:
        """Create the object and everything declared on it; record its new id in ``ctx.live``."""

    @abstractmethod
    def update(self, ctx: Context, key: str, desired: Obj, live: Obj, diffs: list[FieldDiff]) -> None:
        """Make the declared fields true, touching nothing undeclared."""

    @abstractmethod
    def delete(self, ctx: Context, key: str, live: Obj) -> None:
        """Delete the object."""


def without_extensions(spec: Mapping[str, Any]) -> Obj:
    return {k: v for k, v in spec.items() if k != STATE_KEY}


def overlay(stored: Mapping[str, Any], desired: Mapping[str, Any], string_maps: tuple[str, ...] = ()) -> Obj:
    """A whole object for a PUT that replaces it: what is stored, with the declared fields over it;
    declared ``string_maps`` (``config``) are merged key by key, their values as Keycloak stores them."""
    out = dict(stored)
    for name, value in desired.items():
        if name in string_maps and isinstance(value, Mapping):
            out[name] = {**(stored.get(name) or {}), **{k: scalar_to_str(v) for k, v in value.items()}}
        else:
            out[name] = value
    return out
