"""What the scale benchmark compares kcr with: the fewest reads that give a realm's state, Keycloak's
own realm import, and partialImport. Each returns its figures: seconds and requests (Admin API
requests, token requests not counted).

The minimal reads run as a script of their own, like kcr (a new process that logs in):

    python -m tests.benchmarks.floor FIGURES.json REALM
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import KcrError
from reconciler.keycloak.client import AdminClient, seg
from reconciler.keycloak.settings import ConnectionSettings

PAGE = 500


@dataclass
class Figures:
    seconds: float
    requests: int
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": round(self.seconds, 2), "requests": self.requests, "error": self.error}


def _group_ids(groups: list[dict[str, Any]]) -> Iterator[str]:
    for group in groups:
        yield str(group["id"])
        yield from _group_ids(group.get("subGroups") or [])


def minimal_reads(api: AdminClient, realm: str) -> Figures:
    """The partial export (realm, scopes, clients with roles, roles with composites, the group
    tree), the user pages (with attributes) and each group's members: what a plan of the benchmark
    realm needs, in the fewest requests the API allows, with kcr's concurrency."""
    started, before = time.monotonic(), api.request_count
    base = f"/{seg(realm)}"
    export = api.request(
        "POST", f"{base}/partial-export", params={"exportClients": "true", "exportGroupsAndRoles": "true"}
    ).json()
    users = api.get_paged(f"{base}/users", {"briefRepresentation": "false"}, page_size=PAGE)
    members = api.map(
        lambda gid: api.get_paged(
            f"{base}/groups/{gid}/members", {"briefRepresentation": "true"}, page_size=PAGE
        ),
        list(_group_ids(export.get("groups") or [])),
    )
    assert users, "no user read"
    assert members, "no group member list read"
    return Figures(time.monotonic() - started, api.request_count - before)


def realm_import(api: AdminClient, rep: dict[str, Any]) -> Figures:
    """``POST /admin/realms`` with the whole realm: Keycloak's own import, in one transaction."""
    started, before = time.monotonic(), api.request_count
    try:
        api.post("", rep)
    except KcrError as exc:
        return Figures(time.monotonic() - started, api.request_count - before, str(exc)[:200])
    return Figures(time.monotonic() - started, api.request_count - before)


def _with_paths(groups: list[dict[str, Any]], parent: str = "") -> list[dict[str, Any]]:
    # partialImport looks each group up by its path after creating it: without one it fails with a
    # NullPointerException (HTTP 500) on Keycloak 26.7.
    out = []
    for group in groups:
        path = f"{parent}/{group['name']}"
        out.append({**group, "path": path, "subGroups": _with_paths(group.get("subGroups") or [], path)})
    return out


def partial_import(api: AdminClient, rep: dict[str, Any]) -> Figures:
    """An empty realm, then ``partialImport`` of its clients, roles, groups and users (SKIP)."""
    started, before = time.monotonic(), api.request_count
    try:
        api.post("", {"realm": rep["realm"], "enabled": True})
        body = {
            "ifResourceExists": "SKIP",
            **{k: rep[k] for k in ("clients", "roles", "users")},
            "groups": _with_paths(rep["groups"]),
        }
        api.post(f"/{seg(rep['realm'])}/partialImport", body)
    except KcrError as exc:
        return Figures(time.monotonic() - started, api.request_count - before, str(exc)[:200])
    return Figures(time.monotonic() - started, api.request_count - before)


def main(figures: Path, realm: str) -> None:
    """The minimal reads from a new process, with kcr's connection settings (KEYCLOAK_*)."""
    started = time.monotonic()
    with AdminClient(ConnectionSettings.from_env()) as api:
        reads = minimal_reads(api, realm)
    result = {**reads.as_dict(), "seconds": round(time.monotonic() - started, 2)}
    figures.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
