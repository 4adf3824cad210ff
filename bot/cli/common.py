"""What every ``ulasan`` command shares: one-line failures, the settings, the clock,
running the command's database work, and the operator's name in the audit log.

Every command reads the one settings object; a bad or missing setting prints
one line naming it and exits with code 2. Time comes from the `Clock` in the
click context's ``obj`` (tests invoke the CLI with a `ManualClock`), else the
system clock. The heavy libraries (SQLAlchemy, pydantic, python-telegram-bot)
are imported inside the functions, so that ``ulasan --help`` stays fast.
"""

from __future__ import annotations

import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.clock import Clock
    from bot.core.settings import Settings

T = TypeVar("T")

log = logging.getLogger("ulasan")


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr (any token-shaped text hidden), then exit ``code``."""
    from bot.core.redaction import redact

    click.echo(redact(message), err=True)
    sys.exit(code)


def get_settings(*, verify_database: bool = True, **overrides: Any) -> Settings:
    """The settings (a bad one exits 2); with ``verify_database`` also a database that
    exists and belongs to the key in use (bot/cli/home_check.py), else one line, exit 2."""
    from bot.core.settings import SettingsError, load_settings

    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)
    configure_logging(settings)
    if verify_database:
        from bot.cli import home_check

        try:
            home_check.verify_database(settings)
        except home_check.HomeError as exc:
            fail(str(exc), 2)
    return settings


def configure_logging(settings: Settings) -> None:
    """Log lines on stderr (journald takes them as they are), never with the token."""
    from bot.core.redaction import install

    secrets = [settings.bot_token.get_secret_value()] if settings.bot_token else []
    install(settings.log_level, "%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    for noisy in ("httpx", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def require_token(settings: Settings) -> None:
    """BOT_TOKEN must be set (exit 2 naming it otherwise)."""
    from bot.core.settings import SettingsError

    try:
        settings.token()
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)


def bot_username(settings: Settings) -> str:
    """BOT_USERNAME, else Telegram's getMe; exit 2 naming the setting when neither works."""
    from bot.core.settings import SettingsError
    from scheduler.bot_identity import resolve_bot_username

    try:
        return run_async(lambda: resolve_bot_username(settings))
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)


def clock() -> Clock:
    """The clock handed in as the click context's ``obj``, else the system clock."""
    from bot.core.clock import Clock

    context = click.get_current_context(silent=True)
    found = context.find_object(Clock) if context is not None else None
    return found if found is not None else Clock()


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


def unusable_database(exc: SQLAlchemyError) -> str:
    """One line for a database a writing command cannot use (exit 2, like a setting)."""
    reason = getattr(exc, "orig", None) or exc
    return f"Database error: {reason}. Is DATABASE_URL right and migrated (`ulasan db upgrade`)?"


def run_reading(
    command: str,
    work: Coroutine[Any, Any, T],
    refusals: tuple[type[Exception], ...] = (),
) -> T:
    """Run a command's database work; an unreachable or unmigrated database, or one of
    the command's own ``refusals`` (its message is the line), is one line naming the
    command, exit 1, no traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        return asyncio.run(work)
    except refusals as exc:
        fail(f"{command}: {exc}")
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}")
    except DBAPIError as exc:
        fail(f"{command}: {database_error(exc)}")


def actor() -> str:
    """Who ran the command, for the audit log: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli:unknown"


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on a database opened for this command only."""
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def run_in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` in one transaction; a database that cannot be used exits 2, like a setting.

    The command's own errors (raised by ``work``) pass through to the command.
    """
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return run_async(lambda: in_transaction(settings, work))
    except SQLAlchemyError as exc:
        fail(unusable_database(exc), 2)


def write_document(path: Path, write: Callable[[Path], None]) -> None:
    """``write(path)`` (an XLSX report, say), then print the path; a failure is one line."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        fail(f"--out: cannot write {path}: {exc.strerror}")
    click.echo(str(path))


def emit_text(text: str, out: Path | None) -> None:
    """A text report on stdout, or into ``--out`` (then only its path is printed)."""
    if out is None:
        click.echo(text, nl=False)
        return

    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write_document(out, write)
