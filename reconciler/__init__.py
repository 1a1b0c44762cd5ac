"""keycloak-reconciler: declarative GitOps reconciler for Keycloak.

The public API, in the order data flows::

    state = load(["desired-state/"])                 # YAML -> DesiredState (raises DesiredStateError)
    with AdminClient(ConnectionSettings.from_env()) as api:
        plan, lives = make_plan(api, state)          # GET only
        apply_plan(api, plan, state, lives)          # writes, checked one by one
        # or, as `kcr apply` does: plan, guard, approve, apply, report
        outcome = apply_desired(api, state, approve=lambda plan: True)

``make_plan(..., observer=...)`` and ``apply_desired(..., observer=...)`` report progress to an
``Observer`` (no-op hooks to override; the CLI's terminal display is one).

Names are imported on first use, so ``import reconciler`` stays cheap for the CLI and pytest plugin.
"""

from __future__ import annotations

import importlib
from typing import Any

from reconciler.__about__ import __version__

_EXPORTS = {
    "AdminClient": "reconciler.keycloak.client",
    "ConnectionSettings": "reconciler.keycloak.settings",
    "Observer": "reconciler.observe",
    "Plan": "reconciler.plan",
    "apply_desired": "reconciler.workflow",
    "apply_plan": "reconciler.apply",
    "load": "reconciler.desired",
    "make_plan": "reconciler.engine",
    "read_live": "reconciler.live",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'reconciler' has no attribute {name!r}")


__all__ = [
    "AdminClient",
    "ConnectionSettings",
    "Observer",
    "Plan",
    "__version__",
    "apply_desired",
    "apply_plan",
    "load",
    "make_plan",
    "read_live",
]
