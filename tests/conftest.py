"""Test configuration. The Keycloak fixtures come from the package's own pytest plugin
(``reconciler.testing.plugin``, registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import os

from hypothesis import settings

# In CI, property tests replay the same examples on every run (a red CI then means a change broke
# something, not that the search found a new example); locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
