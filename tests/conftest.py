"""Test configuration. The Keycloak fixtures come from the package's own pytest plugin
(``reconciler.testing.plugin``, registered through the ``pytest11`` entry point)."""
