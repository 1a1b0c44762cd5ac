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

The collections are those of the registered kinds (``language.PRUNABLE_COLLECTIONS``).

Names are imported on first use: the kinds import ``desired.state`` and ``desired.representation``,
and the loader imports the kinds, so this package must not import the loader eagerly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.desired.loader import load
    from reconciler.desired.state import DesiredRealm, DesiredState, Policy

_EXPORTS = {
    "load": "reconciler.desired.loader",
    "DesiredRealm": "reconciler.desired.state",
    "DesiredState": "reconciler.desired.state",
    "Policy": "reconciler.desired.state",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'reconciler.desired' has no attribute {name!r}")


__all__ = ["DesiredRealm", "DesiredState", "Policy", "load"]
