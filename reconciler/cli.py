"""The ``kcr`` command line. Thin: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success; 1 error (including usage errors, unlike click's default 2); 2 changes present
(only with ``--detailed-exitcode`` and for ``drift``).
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.__about__ import __version__
from reconciler.errors import ApplyError, DesiredStateError, KcrError
from reconciler.keycloak.client import AdminClient
from reconciler.keycloak.settings import ConnectionSettings

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_PATH = "desired-state"
FORMATS = click.Choice(["text", "markdown", "json"])


class KcrGroup(click.Group):
    """A click group whose usage errors exit 1: exit 2 means "changes present" in kcr."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)


def fail(message: str) -> None:
    click.secho(f"Error: {message}", fg="red", err=True)
    sys.exit(1)


def handle_errors(fn: F) -> F:
    """Our errors become a message and exit 1, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except DesiredStateError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            n = len(exc.problems)
            click.secho(f"{n} error{'s' if n != 1 else ''} in the desired state.", fg="red", err=True)
            sys.exit(1)
        except ApplyError as exc:
            from reconciler.apply import format_report

            click.echo(format_report(exc.report), err=True)
            fail(str(exc))
        except KcrError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def connection_options(fn: F) -> F:
    """Flags for reaching Keycloak; each falls back to its KEYCLOAK_* environment variable."""
    options = [
        click.option("--url", help="Keycloak base URL [env KEYCLOAK_URL]"),
        click.option("--login-realm", help="Realm to log in to [env KEYCLOAK_REALM, default master]"),
        click.option("--client-id", help="Client to log in with [env KEYCLOAK_CLIENT_ID, default admin-cli]"),
        click.option("--client-secret", help="Client secret [env KEYCLOAK_CLIENT_SECRET]"),
        click.option("--user", "username", help="Admin user [env KEYCLOAK_USER]"),
        click.option("--password", help="Admin password [env KEYCLOAK_PASSWORD]"),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False),
                     help="CA bundle to verify Keycloak's TLS certificate [env KEYCLOAK_CA_BUNDLE]"),
        click.option("--insecure", is_flag=True, default=None,
                     help="Do not verify TLS certificates (never in production)"),
        click.option("--concurrency", type=click.IntRange(1, 32), help="Parallel reads [default 6]"),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_settings(kwargs: dict[str, Any]) -> ConnectionSettings:
    insecure = kwargs.pop("insecure", None)
    return ConnectionSettings.from_env(
        url=kwargs.pop("url", None), login_realm=kwargs.pop("login_realm", None),
        client_id=kwargs.pop("client_id", None), client_secret=kwargs.pop("client_secret", None),
        username=kwargs.pop("username", None), password=kwargs.pop("password", None),
        ca_bundle=kwargs.pop("ca_bundle", None), concurrency=kwargs.pop("concurrency", None),
        verify_tls=False if insecure else None,
    )


def paths_argument(fn: F) -> F:
    return click.argument("paths", nargs=-1, type=click.Path())(fn)


def resolve_paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) if paths else [DEFAULT_PATH]


def write_output(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(cls=KcrGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kcr")
def main() -> None:
    """kcr: declarative GitOps reconciler for Keycloak.

    Declare realms, clients, roles, groups, users and organizations in YAML; validate them offline,
    plan the changes against a live Keycloak, apply them idempotently, and detect drift.
    """


@main.command()
@paths_argument
@handle_errors
def validate(paths: tuple[str, ...]) -> None:
    """Check the desired state offline; exit 0 when valid, 1 with every error found."""
    from reconciler.desired import load

    state = load(resolve_paths(paths))
    counts = _count_objects(state)
    click.echo(f"Valid: {len(state.sources)} file(s), {len(state.realms)} realm(s), {counts}.")


def _count_objects(state: Any) -> str:
    from reconciler.kinds import REGISTRY

    totals: dict[str, int] = {}
    for realm in state.realms.values():
        for kind in REGISTRY:
            if kind.name == "realm":
                continue
            totals[kind.name] = totals.get(kind.name, 0) + len(kind.declared(realm))
    return ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in totals.items()) or "no objects"


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema to a file")
@handle_errors
def schema(out: str | None) -> None:
    """Print the JSON Schema of the desired-state language (for editors)."""
    from reconciler.desired.schema import json_schema

    write_output(json.dumps(json_schema(), indent=2) + "\n", out)


if __name__ == "__main__":  # pragma: no cover
    main()
