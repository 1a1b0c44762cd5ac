"""A realm merged from its documents, with where each part was written, and the vocabulary of the
offline checks that the kinds share (``desired/checks.py`` and each kind's ``check_declared``).

A leaf module: the kinds import it, so it imports no kind and nothing that does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.desired.positions import DocPath, Document, dotted
from reconciler.desired.state import LiveReference
from reconciler.errors import Problem, SourceLocation

Origin = tuple[Document, DocPath]
Sub = tuple[str | int, ...]
# An object's name as references use it: (scope, name). The scope is "" except for names that live
# inside another object (a client role: ("web", "view")).
Name = tuple[str, str]


@dataclass
class MergedRealm:
    name: str
    origin: Origin
    spec: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Origin] = field(default_factory=dict)
    # collection ("clients", "roles.realm", "roles.client.<clientId>", ...) -> origin of each item
    items: dict[str, list[Origin]] = field(default_factory=dict)
    # a map of lists inside an object section ("roles.client") -> map key -> where it was written
    map_keys: dict[str, dict[str, list[Origin]]] = field(default_factory=dict)

    def listed(self, collection: str) -> list[tuple[Any, Origin]]:
        """The items of a list collection ("clients", "roles.realm", "roles.client.<clientId>",
        "components.<providerType>"), each with where it was written."""
        return list(zip(self._items_of(collection), self.items.get(collection, []), strict=True))

    def _items_of(self, collection: str) -> list[Any]:
        # A clientId or a provider type ("components.org.keycloak.keys.KeyProvider") may hold dots:
        # at each level the longest key that matches wins.
        node: Any = self.spec
        rest = collection
        while isinstance(node, dict):
            if rest in node:
                return list(node[rest] or [])
            step, dot, rest = rest.partition(".")
            if not dot:
                return []
            node = node.get(step)
        return []


@dataclass(frozen=True)
class Declared:
    """One declared object for the offline checks: its name (``None`` if it has none), its spec and
    where it was written."""

    name: str | None
    spec: dict[str, Any]
    origin: Origin
    collection: str  # the list it is an item of, as ``MergedRealm.items`` names it ("roles.realm")
    scope: str = ""  # the object it lives in, if its name is only unique there (a client role's client)


@dataclass
class Names:
    """The names of one kind's objects that references may use: declared, declared ``state: absent``,
    and built in (made by Keycloak with every realm). Names are normalised (``Kind.normalise``)."""

    present: set[Name] = field(default_factory=set)
    absent: set[Name] = field(default_factory=set)
    builtin: set[Name] = field(default_factory=set)


@dataclass
class Findings:
    """What the offline checks found: problems (the realm is refused), warnings, and the references
    that the plan checks against the live realm."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    live: list[LiveReference] = field(default_factory=list)

    def error(self, origin: Origin, sub: Sub, message: str, hint: str = "", *, key: bool = False) -> None:
        self.problems.append(problem(origin, sub, message, hint, key=key))

    def listed_twice(self, realm: MergedRealm, key: str, what: str) -> None:
        """A name listed twice in the names section ``key`` (``defaultGroups``): an error."""
        seen: set[Any] = set()
        for name, origin in realm.listed(key):
            if name in seen:
                self.error(
                    origin, (), f"{what} {shown(origin, name)} is listed twice in {key}", "list it once"
                )
            seen.add(name)


def at(origin: Origin, *sub: str | int, key: bool = False) -> SourceLocation:
    doc, path = origin
    return doc.location((*path, *sub), key=key)


def path_of(origin: Origin, *sub: str | int) -> str:
    return dotted((*origin[1], *sub))


def shown(origin: Origin, value: Any, *sub: str | int) -> str:
    """A value for a message: quoted, unless ${...} substitution produced it (it may be secret)."""
    doc, path = origin
    if doc.is_substituted((*path, *sub)):
        return "(substituted value)"
    return repr(value)


def unresolved(origin: Origin, *sub: str | int) -> bool:
    """An unset ${env:...} under ``kcr validate``: checked by plan, once it has a value."""
    doc, path = origin
    return doc.is_unresolved((*path, *sub))


def problem(origin: Origin, sub: Sub, message: str, hint: str = "", *, key: bool = False) -> Problem:
    return Problem(message, at(origin, *sub, key=key), path_of(origin, *sub), hint)


def say(what: str, name: str) -> str:
    """("realm role", "'x'") -> "realm role 'x'"; ("role {} of client 'web'", "'x'") -> "role 'x' of ..."."""
    return what.replace("{}", name) if "{}" in what else f"{what} {name}"


def twice(
    what: str, origin: Origin, first: Origin, name: str, key: str, hint: str = "declare it once"
) -> Problem:
    """The same object declared a second time."""
    return problem(
        origin,
        (key,),
        f"{say(what, shown(origin, name, key))} is declared twice (also at {at(first, key)})",
        hint,
    )
