"""Test configuration. The Keycloak fixtures come from the package's own pytest plugin
(``reconciler.testing.plugin``, registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import os
import signal

from hypothesis import settings

# In CI, property tests replay the same examples on every run (a red CI then means a change broke
# something, not that the search found a new example); locally they keep exploring.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# A run started in the background by a non-interactive shell (`make test-matrix &`) inherits SIGINT
# ignored, and so would every kcr and pytest the tests start: the Ctrl-C tests (exit 130, no java
# left behind) need it delivered. A Python handler here gives the children the default disposition.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
