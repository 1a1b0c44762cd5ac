"""The registry of resource kinds, in one table. Adding a kind: one module, one line here."""

from __future__ import annotations

from reconciler.kinds.base import Context, Kind, LiveRealm
from reconciler.kinds.client import ClientKind
from reconciler.kinds.client_scope import ClientScopeKind, DefaultClientScopesKind
from reconciler.kinds.group import GroupKind
from reconciler.kinds.organization import OrganizationKind
from reconciler.kinds.realm import RealmKind
from reconciler.kinds.role import RoleKind
from reconciler.kinds.user import UserKind

# In phase order. Each kind module registers nothing itself: this table is the one list.
REGISTRY: list[Kind] = [
    RealmKind(),
    ClientScopeKind(),
    DefaultClientScopesKind(),
    ClientKind(),
    RoleKind(),
    GroupKind(),
    UserKind(),
    OrganizationKind(),
]


def by_name(name: str) -> Kind:
    for kind in REGISTRY:
        if kind.name == name:
            return kind
    raise KeyError(name)


__all__ = ["REGISTRY", "Context", "Kind", "LiveRealm", "by_name"]
