"""Test support: a real Keycloak for the tests (``server``), the pytest plugin (``plugin``), and
``python -m reconciler.testing up|down|status|run`` for a local Keycloak by hand.

Modules: ``server`` (where the Keycloak comes from, readiness), ``distribution`` (the cached server
distribution), ``java`` (finding a JDK >= 21), ``processes`` (process groups, never an orphaned java).
"""
