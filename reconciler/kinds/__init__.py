"""The registry of resource kinds, in one table. Adding a kind: one module, one line here, its tests.

Everything that depends on the set of kinds walks this table: the language (``desired/language.py``),
planning, applying, the export, and the permission hints of the Admin API client.
"""

from __future__ import annotations

from reconciler.kinds.authentication_flow import AuthenticationFlowKind
from reconciler.kinds.authenticator_config import AuthenticatorConfigKind
from reconciler.kinds.authorization import AuthorizationKind
from reconciler.kinds.base import Access, Context, Kind, LiveRealm
from reconciler.kinds.client import ClientKind
from reconciler.kinds.client_policies import ClientPoliciesKind
from reconciler.kinds.client_scope import ClientScopeKind, DefaultClientScopesKind
from reconciler.kinds.component import ComponentKind
from reconciler.kinds.default_groups import DefaultGroupsKind
from reconciler.kinds.flow_binding import FlowBindingKind
from reconciler.kinds.group import GroupKind
from reconciler.kinds.identity_provider import IdentityProviderKind, IdentityProviderMapperKind
from reconciler.kinds.localization import LocalizationKind
from reconciler.kinds.organization import OrganizationKind
from reconciler.kinds.realm import RealmKind
from reconciler.kinds.required_action import RequiredActionKind
from reconciler.kinds.role import RoleKind
from reconciler.kinds.scope_mapping import ScopeMappingKind
from reconciler.kinds.user import UserKind
from reconciler.kinds.user_profile import UserProfileKind

# In phase order. Each kind module registers nothing itself: this table is the one list.
REGISTRY: list[Kind] = [
    RealmKind(),
    UserProfileKind(),
    LocalizationKind(),
    RequiredActionKind(),
    AuthenticationFlowKind(),
    AuthenticatorConfigKind(),
    FlowBindingKind(),
    ClientScopeKind(),
    DefaultClientScopesKind(),
    ClientKind(),
    ClientPoliciesKind(),
    IdentityProviderKind(),
    IdentityProviderMapperKind(),
    RoleKind(),
    ScopeMappingKind(),
    GroupKind(),
    ComponentKind(),
    DefaultGroupsKind(),
    UserKind(),
    AuthorizationKind(),
    OrganizationKind(),
]


# The realm-management roles of every Admin API path, longest path first (the first match wins; the
# realm kind's "" matches everything else).
ACCESS: tuple[Access, ...] = tuple(
    sorted((a for kind in REGISTRY for a in kind.access), key=lambda a: len(a.path), reverse=True)
)


def by_name(name: str) -> Kind:
    for kind in REGISTRY:
        if kind.name == name:
            return kind
    raise KeyError(name)


__all__ = ["ACCESS", "REGISTRY", "Context", "Kind", "LiveRealm", "by_name"]
