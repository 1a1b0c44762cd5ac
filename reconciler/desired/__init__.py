"""The desired-state language: loading, checking and describing it.

``load(paths)`` reads YAML/JSON files (directories recursively), substitutes ``${env:...}`` and
``${file:...}``, checks structure, merges documents by realm and checks references; it returns a
``DesiredState`` or raises ``DesiredStateError`` with every problem found. ``schema.json_schema()``
describes the language for editors.

The per-realm ``policy`` block (a kcr extension, taken out of ``spec`` into ``DesiredRealm.policy``)::

    policy:
      prune: [clients, groups]      # collections whose kcr-managed, no-longer-declared objects are deleted
      pruneUnmanaged:               # hand-made objects that may be deleted too: collection -> glob patterns
        groups: ["/legacy/*"]
      maxDeletes: 10                # a plan deleting more objects needs --allow-mass-delete

Collections: clients, clientScopes, roles, groups, users, organizations.
"""

from __future__ import annotations

from reconciler.desired.loader import load
from reconciler.desired.state import DesiredRealm, DesiredState, Policy

__all__ = ["DesiredRealm", "DesiredState", "Policy", "load"]
