"""The one error the test launcher raises: Keycloak could not be started, and why."""

from __future__ import annotations

from reconciler.errors import KcrError


class KeycloakLaunchError(KcrError):
    """A test Keycloak could not be started; the message names the cause and what to do about it."""
