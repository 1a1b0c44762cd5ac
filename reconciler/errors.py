"""The exception tree of keycloak-reconciler.

Every error a user can cause or meet is one of these; the CLI maps them to a message and exit code 1,
never to a traceback::

    KcrError
    ├── DesiredStateError          the YAML is invalid; carries every Problem found (file:line:col)
    ├── KeycloakError              talking to Keycloak failed
    │   ├── SettingsError          the connection settings cannot be used (a bad CA bundle)
    │   ├── KeycloakUnreachable    connect error / timeout after retries
    │   ├── AuthenticationFailed   the token request failed (refused, or the token endpoint broke)
    │   └── ApiError               a non-2xx answer of the Admin API; typed by status below
    │       ├── BadRequest         400
    │       ├── Unauthorized       401 (after one token renewal)
    │       ├── Forbidden          403 (missing permission)
    │       ├── NotFound           404
    │       │   └── MissingReference  a declared reference names an object Keycloak does not have
    │       ├── Conflict           409
    │       └── ServerError        5xx
    ├── PlanError                  a plan cannot be made or used (stale saved plan, mass delete refused)
    └── ApplyError                 an apply stopped; carries what was applied, failed and not attempted
        └── ApplyInterrupted       stopped by Ctrl-C or SIGTERM (the CLI exits 130)

Messages never contain a request body, a token, a password or a client secret: bodies are not kept on
errors at all, and Keycloak's own error message is the only server text shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class KcrError(Exception):
    """Base of every error keycloak-reconciler raises on purpose."""


@dataclass(frozen=True)
class SourceLocation:
    """Where a value was written: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One mistake in the desired state."""

    message: str
    location: SourceLocation | None = None
    path: str = ""  # dotted path inside the document, e.g. "clients[2].redirectUris[0]"
    hint: str = ""  # what to do about it

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        at = f"{self.path}: " if self.path else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{at}{self.message}{hint}"


class DesiredStateError(KcrError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class KeycloakError(KcrError):
    pass


class SettingsError(KeycloakError):
    pass


class KeycloakUnreachable(KeycloakError):
    pass


class AuthenticationFailed(KeycloakError):
    pass


class ApiError(KeycloakError):
    """A non-2xx answer. ``message`` is Keycloak's own error text, never our request body."""

    status: int = 0

    def __init__(self, status: int, method: str, path: str, message: str) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.message = message
        super().__init__(
            f"{method} {path} -> HTTP {status}: {message}" if message else f"{method} {path} -> HTTP {status}"
        )


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class MissingReference(NotFound):
    """At apply time, a name the desired state refers to (a client, role, group or client scope)
    does not exist in Keycloak: the one error every kind raises for it."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(404, "GET", path, message)


class Conflict(ApiError):
    pass


class ServerError(ApiError):
    pass


def api_error_for(status: int, method: str, path: str, message: str) -> ApiError:
    cls: type[ApiError] = {
        400: BadRequest,
        401: Unauthorized,
        403: Forbidden,
        404: NotFound,
        409: Conflict,
    }.get(status, ServerError if status >= 500 else ApiError)
    return cls(status, method, path, message)


class PlanError(KcrError):
    pass


@dataclass
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address, message)
    not_attempted: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class ApplyError(KcrError):
    def __init__(self, message: str, report: ApplyReport) -> None:
        self.report = report
        super().__init__(message)


class ApplyInterrupted(ApplyError):
    pass
