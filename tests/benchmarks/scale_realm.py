"""The realm of the scale benchmark: realm roles (some composite), clients with client roles, a
two-level group tree with attributes and role mappings, and N users, each in one subgroup.

One dict serves three consumers: it is kcr's desired state (Keycloak's realm representation), the
body of ``POST /admin/realms`` (Keycloak's own import) and, split up, of ``partialImport``.
Sizes come from the environment: ``KCR_BENCH_USERS`` (comma-separated), ``KCR_BENCH_GROUPS``,
``KCR_BENCH_CLIENTS``, ``KCR_BENCH_ROLES``. ``make bench`` sets the issue's sizes (200, 2,000 and
10,000 users; 1,000 groups, 500 clients, 200 realm roles); without them (the whole suite) the sizes
are tiny, a check that the benchmark works.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

SUBGROUPS = 4  # per top-level group: GROUPS / (SUBGROUPS + 1) top-level groups
CLIENT_ROLES = ("read", "write")
COMPOSITE_SHARE = 10  # one realm role in ten is a composite


@dataclass(frozen=True)
class Sizes:
    groups: int
    clients: int
    roles: int

    @property
    def top_groups(self) -> int:
        return max(1, self.groups // (SUBGROUPS + 1))


def sizes_from_env() -> tuple[Sizes, list[int]]:
    env = os.environ
    users = [int(n) for n in env.get("KCR_BENCH_USERS", "20").split(",") if n.strip()]
    sizes = Sizes(
        groups=int(env.get("KCR_BENCH_GROUPS", "10")),
        clients=int(env.get("KCR_BENCH_CLIENTS", "4")),
        roles=int(env.get("KCR_BENCH_ROLES", "10")),
    )
    return sizes, users


def user_group(u: int, sizes: Sizes) -> str:
    top = u % sizes.top_groups
    return f"/team-{top:04d}/squad-{(u // sizes.top_groups) % SUBGROUPS}"


def user(u: int, sizes: Sizes, last_name: str | None = None) -> dict[str, Any]:
    return {
        "username": f"user-{u:05d}",
        "email": f"user-{u:05d}@example.com",
        "firstName": "User",
        "lastName": last_name or f"Number {u}",
        "enabled": True,
        "groups": [user_group(u, sizes)],
    }


def realm(name: str, users: int, sizes: Sizes) -> dict[str, Any]:
    """The realm as Keycloak's realm representation (and kcr's desired state)."""
    roles: list[dict[str, Any]] = [
        {"name": f"role-{r:03d}", "description": f"Role {r}"} for r in range(sizes.roles)
    ]
    for r in range(0, sizes.roles, COMPOSITE_SHARE):
        # a composite of the next role (itself never composite)
        if r + 1 < sizes.roles:
            roles[r]["composites"] = {"realm": [f"role-{r + 1:03d}"]}
    clients = [
        {
            "clientId": f"app-{c:04d}",
            "name": f"Application {c}",
            "publicClient": True,
            "redirectUris": [f"https://app-{c:04d}.example.com/*"],
            "webOrigins": [f"https://app-{c:04d}.example.com"],
        }
        for c in range(sizes.clients)
    ]
    client_roles = {c["clientId"]: [{"name": n} for n in CLIENT_ROLES] for c in clients}
    groups = [
        {
            "name": f"team-{t:04d}",
            "attributes": {"cost-centre": [str(1000 + t)]},
            "realmRoles": [f"role-{t % sizes.roles:03d}"] if sizes.roles else [],
            "subGroups": [
                {
                    "name": f"squad-{s}",
                    "clientRoles": {f"app-{(t * SUBGROUPS + s) % sizes.clients:04d}": ["read"]}
                    if sizes.clients
                    else {},
                }
                for s in range(SUBGROUPS)
            ],
        }
        for t in range(sizes.top_groups)
    ]
    return {
        "realm": name,
        "enabled": True,
        "roles": {"realm": roles, "client": client_roles},
        "clients": clients,
        "groups": groups,
        "users": [user(u, sizes) for u in range(users)],
    }
