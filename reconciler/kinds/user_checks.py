"""Offline checks of declared users that are not plain references: a user is named by ``username``
or, for a client's service account, by ``serviceAccountClientId``; usernames compare in lower case
(Keycloak stores them so); a service account needs its client's service account enabled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.desired.declared import Declared, Findings, Names, Origin, at, shown
from reconciler.desired.positions import Document
from reconciler.errors import Problem

SA_CLIENT = "serviceAccountClientId"


def user_names(users: Iterable[Declared], found: Findings) -> Names:
    """Usernames (lower case) that references may use; empty and duplicate users are reported."""
    names = Names()
    seen: dict[str, Origin] = {}
    for user in users:
        spec, origin = user.spec, user.origin
        username, sa_client = spec.get("username"), spec.get(SA_CLIENT)
        if isinstance(username, str) and not username.strip():
            found.error(origin, ("username",), "user username must not be empty", "give the user a username")
            continue
        key, sub = (
            (f"username:{username.lower()}", "username")
            if isinstance(username, str)
            else (f"service-account:{sa_client}", SA_CLIENT)
        )
        if key in seen:
            found.error(
                origin,
                (sub,),
                f"user {shown(origin, spec.get(sub), sub)} is declared twice (also at {at(seen[key], sub)})",
                "declare it once",
            )
            continue
        seen[key] = origin
        if isinstance(username, str):
            (names.absent if spec.get("state") == "absent" else names.present).add(("", username.lower()))
    return names


def check_service_accounts(users: Iterable[Declared], clients: Iterable[Declared], found: Findings) -> None:
    """A service account of a client declared with ``serviceAccountsEnabled: false``."""
    disabled = {c.name for c in clients if c.spec.get("serviceAccountsEnabled") is False}
    for user in users:
        sa_client = user.spec.get(SA_CLIENT)
        if isinstance(sa_client, str) and sa_client in disabled:
            found.error(
                user.origin,
                (SA_CLIENT,),
                f"client {sa_client!r} has serviceAccountsEnabled: false",
                "set serviceAccountsEnabled: true on the client",
            )


def drop_hashed_credentials(spec: dict[str, Any], doc: Document, warnings: list[tuple[str, Problem]]) -> None:
    """An export's hashed credentials carry no ``value``: kcr cannot set them, so they are dropped."""
    for i, user in enumerate(spec.get("users") or []):
        creds = user.get("credentials")
        if not creds:
            continue
        kept = [c for c in creds if c.get("value") is not None]
        if len(kept) != len(creds):
            warnings.append(
                (
                    "users[].credentials",
                    Problem(
                        "a credential without 'value' (a hashed export) is not managed by kcr: ignored",
                        doc.location(("users", i, "credentials"), key=True),
                        f"users[{i}].credentials",
                        "declare the password as value: ${env:...} to manage it",
                    ),
                )
            )
            if kept:
                user["credentials"] = kept
            else:
                del user["credentials"]
