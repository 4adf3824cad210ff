"""The ``ulasan`` command line (click). ``python -m bot`` is ``ulasan run``.

Every command reads the one settings object; a bad or missing setting prints
one line naming it and exits with code 2. Feature modules add their commands
to the groups defined here (see `register_commands`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from bot.core.settings import Settings, SettingsError, load_settings

T = TypeVar("T")

log = logging.getLogger("ulasan")


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def get_settings(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return settings


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(factory())  # type: ignore[arg-type]


def format_option(*formats: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format`` as ``output_format``: one of ``formats`` in any case (the first is
    the default); anything else is one line naming the choices, exit 1."""

    def normalise(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
        value = value.strip().lower()
        if value not in formats:
            fail(f"--format: '{value}' is not one of {', '.join(formats)}")
        return value

    return click.option(
        "--format",
        "output_format",
        default=formats[0],
        show_default=True,
        metavar="|".join(formats),
        help="Output format.",
        callback=normalise,
    )


def database_error(exc: DBAPIError) -> str:
    """One line for a database that answers but cannot serve (e.g. not migrated)."""
    reason = str(exc.orig).splitlines()[0] if exc.orig else exc.__class__.__name__
    return f"cannot read the database ({reason}); is it migrated? Run 'ulasan db upgrade'"


def run_reading(
    command: str,
    work: Coroutine[Any, Any, T],
    refusals: tuple[type[Exception], ...] = (),
) -> T:
    """Run a command's database work; an unreachable or unmigrated database, or one of
    the command's own ``refusals`` (its message is the line), is one line naming the
    command, exit 1, no traceback."""
    try:
        return asyncio.run(work)
    except refusals as exc:
        fail(f"{command}: {exc}")
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}")
    except DBAPIError as exc:
        fail(f"{command}: {database_error(exc)}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ulasan")
def cli() -> None:
    """Ulasan: citizen satisfaction surveys (SKM) and 360° BerAKHLAK reviews on Telegram."""


@cli.command()
@click.option("--no-migrate", is_flag=True, help="Do not apply database migrations first.")
def run(no_migrate: bool) -> None:
    """Apply migrations and start the bot (long polling) until Ctrl+C."""
    settings = get_settings()
    try:
        settings.token()
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)
    if not no_migrate:
        _upgrade(settings)
    from bot.app import run_polling

    log.info("Starting the bot against %s", settings.telegram_base_url)
    run_polling(settings)


@cli.command()
@click.option("--require-token", is_flag=True, help="Also require BOT_TOKEN.")
def check(require_token: bool) -> None:
    """Check the settings and print a one-line summary (exit 2 on a bad setting)."""
    settings = get_settings()
    if require_token:
        try:
            settings.token()
        except SettingsError as exc:
            fail(f"Setting error: {exc}", 2)
    click.echo(
        f"Settings OK: database {settings.database_url}, time zone {settings.timezone}, "
        f"language {settings.default_language}, {len(settings.admin_ids)} admin(s)."
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


def _upgrade(settings: Settings) -> None:
    from storage.migrate import upgrade

    try:
        before, after = asyncio.run(upgrade(settings.database_url))
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}", 2)
    except Exception as exc:  # SQLAlchemy wraps driver errors (wrong host, password…)
        fail(f"DATABASE_URL: cannot migrate the database: {exc.__class__.__name__}: {exc}", 2)
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all Alembic migrations to DATABASE_URL."""
    _upgrade(get_settings())


@db.command("current")
def db_current() -> None:
    """Show the database's migration revision and the newest one."""
    from storage.migrate import current_revision, head_revision

    settings = get_settings()
    current = asyncio.run(current_revision(settings.database_url))
    click.echo(f"current: {current or 'empty'}; newest: {head_revision()}")


def register_commands() -> None:
    """Attach the feature commands (imported here to keep `ulasan --help` fast)."""
    from bot import (
        cli_accounts,
        cli_citizen,
        cli_cycles,
        cli_jobs,
        cli_outbox,
        cli_reports,
        cli_review_report,
        cli_roster,
    )

    cli_roster.register(cli)
    cli_accounts.register(cli)
    cli_citizen.register(cli)
    cli_reports.register(cli)
    cli_review_report.register(cli)
    cli_cycles.register(cli)
    cli_outbox.register(cli)
    cli_jobs.register(cli)


def main() -> None:
    register_commands()
    cli(prog_name="ulasan")


if __name__ == "__main__":
    main()
