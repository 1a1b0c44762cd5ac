"""The ``kcr`` command line. Thin: parses options, calls the library, maps errors to exit codes.

Exit codes: 0 success; 1 error (including usage errors, unlike click's default 2); 2 changes present
(only with ``--detailed-exitcode`` and for ``drift``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reconciler.__about__ import __version__
from reconciler.errors import ApplyError, ApplyInterrupted, DesiredStateError, KcrError
from reconciler.keycloak.settings import ConnectionSettings

if TYPE_CHECKING:
    from reconciler.observe import Observer

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_PATH = "desired-state"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
FORMATS = click.Choice(["text", "markdown", "json"])  # render.FORMATS, without importing the renderers


class KcrGroup(click.Group):
    """A click group whose usage errors exit 1: exit 2 means "changes present" in kcr."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
                click.echo("Interrupted.", err=True)
                sys.exit(EXIT_INTERRUPTED)
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
        except ApplyInterrupted as exc:
            from reconciler.apply import format_report

            click.echo(format_report(exc.report), err=True)
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except ApplyError as exc:
            from reconciler.apply import format_report

            click.echo(format_report(exc.report), err=True)
            fail(str(exc))
        except KcrError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)

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
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False),
            help="CA bundle to verify Keycloak's TLS certificate [env KEYCLOAK_CA_BUNDLE]",
        ),
        click.option(
            "--insecure",
            is_flag=True,
            default=None,
            help="Do not verify TLS certificates (never in production)",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 32),
            help="Requests in flight: reads, and bulk writes of independent objects [default 6]",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def make_settings(kwargs: dict[str, Any]) -> ConnectionSettings:
    insecure = kwargs.pop("insecure", None)
    settings = ConnectionSettings.from_env(
        url=kwargs.pop("url", None),
        login_realm=kwargs.pop("login_realm", None),
        client_id=kwargs.pop("client_id", None),
        client_secret=kwargs.pop("client_secret", None),
        username=kwargs.pop("username", None),
        password=kwargs.pop("password", None),
        ca_bundle=kwargs.pop("ca_bundle", None),
        concurrency=kwargs.pop("concurrency", None),
        verify_tls=False if insecure else None,
    )
    if not settings.verify_tls:
        click.secho(
            "Warning: TLS certificate verification is OFF (--insecure or KEYCLOAK_TLS_INSECURE): anyone "
            "between kcr and Keycloak can read and change what they exchange, admin credentials included. "
            "Use --ca-bundle / KEYCLOAK_CA_BUNDLE for a private CA instead.",
            fg="yellow",
            err=True,
        )
    return settings


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
@click.option(
    "--allow-unset-env",
    is_flag=True,
    hidden=True,
    help="Accepted for older hooks: validate never needs a variable's value (an unset one is a note)",
)
@handle_errors
def validate(paths: tuple[str, ...], allow_unset_env: bool) -> None:
    """Check the desired state offline; exit 0 when valid, 1 with every error found.

    Needs no secret: an unset ${env:...} is a note (plan and apply need its value)."""
    from reconciler.desired import load

    state = load(resolve_paths(paths), need_values=False)
    for warning in state.warnings:
        click.echo(f"warning: {warning}", err=True)
    for note in state.notes:
        click.echo(f"note: {note}", err=True)
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
    # Kind names already plural ("default-client-scopes") take no second "s".
    return (
        ", ".join(f"{n} {k}{'s' if n != 1 and not k.endswith('s') else ''}" for k, n in totals.items())
        or "no objects"
    )


@main.command()
@click.option("--out", type=click.Path(dir_okay=False), help="Write the schema to a file")
@handle_errors
def schema(out: str | None) -> None:
    """Print the JSON Schema of the desired-state language (for editors)."""
    from reconciler.desired.schema import json_schema

    write_output(json.dumps(json_schema(), indent=2) + "\n", out)


def _load(paths: tuple[str, ...]) -> Any:
    from reconciler.desired import load

    state = load(resolve_paths(paths))
    for warning in getattr(state, "warnings", []):
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    return state


def _select_realms(state: Any, realms: tuple[str, ...]) -> list[str] | None:
    if not realms:
        return None
    unknown = [r for r in realms if r not in state.realms]
    if unknown:
        fail(
            f"--realm {', '.join(unknown)}: not declared in the desired state "
            f"(declared: {', '.join(state.realms) or 'none'})"
        )
    return list(realms)


def _render(plan: Any, fmt: str, *, drift: bool = False) -> str:
    from reconciler.render import render, render_drift

    return render_drift(plan, fmt) if drift else render(plan, fmt)


realm_option = click.option(
    "--realm",
    "realms",
    multiple=True,
    metavar="NAME",
    help="Only this realm (repeatable); default: every declared realm",
)


@main.command()
@paths_argument
@realm_option
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Save the plan as JSON (no secrets) for `kcr apply --plan` and `kcr show`",
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when there are no changes, 2 when there are, 1 on error"
)
@connection_options
@handle_errors
def plan(
    paths: tuple[str, ...],
    realms: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    **conn: Any,
) -> None:
    """Show what `kcr apply` would change (reads Keycloak, never writes)."""
    the_plan = _plan_read_only(paths, realms, conn, progress=fmt != "json")
    if out:
        Path(out).write_text(the_plan.dumps(), encoding="utf-8")
    click.echo(_render(the_plan, fmt), nl=False)
    if detailed_exitcode and the_plan.has_changes:
        sys.exit(2)


def _plan_read_only(
    paths: tuple[str, ...], realms: tuple[str, ...], conn: dict[str, Any], *, progress: bool
) -> Any:
    """The plan of the desired state against Keycloak, for `plan` and `drift` (GET requests only);
    ``progress`` on a terminal (not for JSON output)."""
    from reconciler.early_reads import guess_realms, start_early_reads
    from reconciler.engine import make_plan
    from reconciler.errors import KcrError
    from reconciler.keycloak.client import AdminClient

    try:
        settings = make_settings(conn)
    except KcrError:
        _load(paths)  # the files' problems are reported before the connection settings'
        raise
    with AdminClient(settings) as api:
        # Keycloak reads the realms the files seem to declare while kcr loads them.
        early = start_early_reads(api, guess_realms(resolve_paths(paths)))
        state = _load(paths)
        with _progress(progress) as observer:
            version = _server_version(api)
            the_plan, _ = make_plan(
                api, state, realms=_select_realms(state, realms), observer=observer, early_reads=early
            )
    the_plan.server_version = version
    return the_plan


@contextlib.contextmanager
def _progress(wanted: bool) -> Iterator[Observer]:
    """A progress display on stderr when it is a terminal (see reconciler.progress), else a no-op."""
    from reconciler.observe import NOTHING
    from reconciler.progress import TerminalProgress, shown

    if not shown(sys.stderr, wanted=wanted):
        yield NOTHING
        return
    display = TerminalProgress(sys.stderr)
    try:
        yield display
    finally:
        display.close()


def _server_version(api: Any) -> str:
    """The server's version ("" when it does not tell this account), warning when kcr does not
    support it or cannot check it."""
    from reconciler.versions import providers_warning, version_warning

    info = api.server_info()
    for warning in (version_warning(info), providers_warning(info)):
        if warning:
            click.secho(f"Warning: {warning}", fg="yellow", err=True)
    return str(api.server_version())


@main.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@handle_errors
def show(plan_file: str, fmt: str) -> None:
    """Render a saved plan without contacting Keycloak."""
    from reconciler.plan import Plan

    click.echo(_render(Plan.load(plan_file), fmt), nl=False)


@main.command()
@paths_argument
@realm_option
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(dir_okay=False),
    help="Apply exactly this saved plan (refused when stale); no confirmation asked",
)
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation (for CI)")
@click.option(
    "--allow-mass-delete", is_flag=True, help="Allow a plan that deletes more objects than policy.maxDeletes"
)
@click.option(
    "--audit-log", type=click.Path(dir_okay=False), help="Append one JSON line per write to this file"
)
@click.option(
    "--break-lease",
    is_flag=True,
    help="Take the realm's apply lease even from an apply that holds it (only one you know was killed)",
)
@connection_options
@handle_errors
def apply(
    paths: tuple[str, ...],
    realms: tuple[str, ...],
    plan_file: str | None,
    auto_approve: bool,
    allow_mass_delete: bool,
    audit_log: str | None,
    break_lease: bool,
    **conn: Any,
) -> None:
    """Plan, confirm, and apply the desired state to Keycloak."""
    from reconciler.audit import git_commit
    from reconciler.keycloak.client import AdminClient
    from reconciler.plan import Plan
    from reconciler.workflow import apply_desired

    saved = Plan.load(plan_file) if plan_file else None
    if saved is not None and not paths:
        paths = tuple(saved.sources)
    state = _load(paths)
    selected = None if saved is not None else _select_realms(state, realms)
    symbols = {"create": "+", "update": "~", "delete": "-"}

    with AdminClient(make_settings(conn)) as api, _progress(True) as observer:
        _server_version(api)  # warns when kcr does not support it

        def progress(change: Any, result: str) -> None:
            mark = symbols.get(change.action.value, "?")
            status = "done" if result == "ok" else click.style("FAILED", fg="red")
            with observer.printing():  # above the progress bar, if one is shown
                click.echo(f"  {mark} {change.address}: {status}")

        outcome = apply_desired(
            api,
            state,
            saved=saved,
            realms=selected,
            allow_mass_delete=allow_mass_delete,
            show=lambda p: click.echo(_render(p, "text"), nl=False),
            approve=None if auto_approve else _confirm,
            audit_path=audit_log,
            commit=git_commit(list(state.sources) or resolve_paths(paths)),
            on_change=progress,
            break_lease=break_lease,
            observer=observer,
        )
    click.echo(outcome.summary)
    click.echo(f"{outcome.audit_summary}; {outcome.requests} requests in {outcome.seconds:.1f} s.")


def _confirm(plan: Any) -> bool:
    if not sys.stdin.isatty():
        fail(
            "kcr apply asks for confirmation, and there is no terminal to ask on. Review the plan "
            "and pass --auto-approve (CI), or apply a reviewed saved plan with --plan FILE."
        )
    answer = click.prompt(
        "Do you want to perform these actions? Only 'yes' will be accepted", default="", show_default=False
    )
    return bool(answer.strip() == "yes")


@main.command()
@paths_argument
@realm_option
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Also save the plan behind the report as JSON (no secrets), as `kcr plan --out` does",
)
@click.option(
    "--fail-on-unmanaged",
    is_flag=True,
    help="Also exit 2 when Keycloak holds objects that git does not declare",
)
@connection_options
@handle_errors
def drift(
    paths: tuple[str, ...],
    realms: tuple[str, ...],
    fmt: str,
    out: str | None,
    fail_on_unmanaged: bool,
    **conn: Any,
) -> None:
    """Report how Keycloak differs from git (read-only): exit 0 in sync, 2 drifted, 1 error."""
    the_plan = _plan_read_only(paths, realms, conn, progress=fmt != "json")
    if out:
        Path(out).write_text(the_plan.dumps(), encoding="utf-8")
    click.echo(_render(the_plan, fmt, drift=True), nl=False)
    if the_plan.has_changes or (fail_on_unmanaged and the_plan.unmanaged):
        sys.exit(2)


@main.command()
@click.option("--realm", "realm", required=True, metavar="NAME", help="The realm to export")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Write one file per kind under DIR/<realm>/; default: one YAML stream on stdout",
)
@click.option(
    "--include-users", is_flag=True, help="Also export users (without credentials) and organization members"
)
@connection_options
@handle_errors
def export(realm: str, out: str | None, include_users: bool, **conn: Any) -> None:
    """Write a live realm as desired-state YAML, to adopt it (reads Keycloak, never writes).

    Secrets are left out, with a comment showing the line to add; ids, built-ins and values that
    Keycloak fills in anyway are left out too. `kcr plan` on the export shows no changes.
    """
    from reconciler.export.files import export_realm, render_stream, write_files
    from reconciler.keycloak.client import AdminClient

    with AdminClient(make_settings(conn)) as api:
        files = export_realm(api, realm, include_users=include_users)
    if out is None:
        click.echo(render_stream(files, realm), nl=False)
        return
    written = write_files(files, realm, out)
    click.echo(f"Exported realm {realm} to {Path(out) / realm}: {', '.join(p.name for p in written)}.")
    hints = sum(f.hints for f in files)
    if hints:
        click.echo(f"{hints} secret(s) left out: each has a comment showing the line to add.", err=True)


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the completion script for SHELL: commands, options, their choices and paths.

    \b
    bash:  eval "$(kcr completion bash)"     (in ~/.bashrc)
    zsh:   eval "$(kcr completion zsh)"      (in ~/.zshrc)
    fish:  kcr completion fish > ~/.config/fish/completions/kcr.fish
    """
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    assert completer is not None  # click ships all three
    click.echo(completer(main, {}, "kcr", "_KCR_COMPLETE").source())


if __name__ == "__main__":  # pragma: no cover
    main()
