"""Offline checks of declared organizations that are not references: names and aliases are unique in
a realm, and a domain is a host name that belongs to one organization only."""

from __future__ import annotations

import re
from collections.abc import Iterable

from reconciler.desired.declared import Declared, Findings, Origin, at, shown, unresolved

_DOMAIN = re.compile(
    r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def check_organizations(organizations: Iterable[Declared], found: Findings) -> None:
    names: dict[str, Origin] = {}
    aliases: dict[str, Origin] = {}
    domains: dict[str, tuple[Origin, int]] = {}
    for org in organizations:
        spec, origin = org.spec, org.origin
        for key, seen in (("name", names), ("alias", aliases)):
            value = spec.get(key)
            if not isinstance(value, str):
                continue
            if not value.strip():
                found.error(
                    origin, (key,), f"organization {key} must not be empty", f"give the organization a {key}"
                )
            elif value in seen:
                found.error(
                    origin,
                    (key,),
                    f"organization {key} {shown(origin, value, key)} is declared "
                    f"twice (also at {at(seen[value], key)})",
                    "declare it once",
                )
            else:
                seen[value] = origin
        for i, domain in enumerate(spec.get("domains") or []):
            name = domain.get("name")
            if not isinstance(name, str):
                continue
            if not _DOMAIN.fullmatch(name) and not unresolved(origin, "domains", i, "name"):
                found.error(
                    origin,
                    ("domains", i),
                    f"{shown(origin, name, 'domains', i)} is not a domain name",
                    "write a host name such as example.com (or *.example.com)",
                )
            elif name in domains:
                first, j = domains[name]
                found.error(
                    origin,
                    ("domains", i),
                    f"domain {shown(origin, name, 'domains', i)} belongs to "
                    f"two organizations (also at {at(first, 'domains', j)})",
                    "a domain can belong to one organization of a realm only",
                )
            else:
                domains[name] = (origin, i)
