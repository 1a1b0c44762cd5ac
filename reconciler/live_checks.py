"""Checks of the desired state against the live realm, made at plan time before any write.

Offline, a reference to one of Keycloak's built-ins resolves without a declaration; the live realm
may lack it all the same (deleted by hand, or a built-in of a newer Keycloak version). Without this
check, an apply would stop in the middle, after earlier writes.
"""

from __future__ import annotations

from reconciler.builtins import BUILTIN_CLIENT_SCOPES
from reconciler.desired.state import DesiredRealm
from reconciler.errors import Problem
from reconciler.kinds.base import STATE_KEY, LiveRealm

SCOPE_KIND = "client-scope"
SCOPE_LISTS = ("defaultClientScopes", "optionalClientScopes")
REALM_SCOPE_LISTS = ("defaultDefaultClientScopes", "defaultOptionalClientScopes")


def _available_scopes(desired: DesiredRealm, live: LiveRealm) -> set[str] | None:
    """Client scopes that exist once the plan is applied; None when the scopes were not read."""
    declared = desired.spec.get("clientScopes") or []
    names = {s["name"] for s in declared if s.get(STATE_KEY) != "absent"}
    if not live.exists:
        return names | BUILTIN_CLIENT_SCOPES  # Keycloak makes its built-ins with the realm
    if SCOPE_KIND not in live.objects:
        return None
    absent = {s["name"] for s in declared if s.get(STATE_KEY) == "absent"}
    return names | (set(live.of(SCOPE_KIND)) - absent)


def check_live_references(desired: DesiredRealm, live: LiveRealm) -> list[Problem]:
    """Client scopes that clients and the realm defaults name, but that neither the desired state nor
    Keycloak has."""
    available = _available_scopes(desired, live)
    if available is None:
        return []
    problems: list[Problem] = []

    def check(names: list[str] | None, address: str, path: str) -> None:
        for name in names or []:
            if name not in available:
                problems.append(
                    Problem(
                        f"client scope {name!r} is not declared, and realm {desired.name!r} in Keycloak "
                        "has no such scope",
                        desired.locations.get(address),
                        path,
                        "declare it under clientScopes, or remove the reference",
                    )
                )

    for client in desired.spec.get("clients") or []:
        if client.get(STATE_KEY) == "absent":
            continue
        address = f"clients[{client['clientId']}]"
        for key in SCOPE_LISTS:
            check(client.get(key), address, f"{address}.{key}")
    for key in REALM_SCOPE_LISTS:
        check(desired.spec.get(key), key, key)
    return problems
