"""The home's rules: which command may create a database and a secret key, which must stop.

- ``ulasan db upgrade`` / ``ulasan run`` on a database that does not exist yet
  create it, and a new secret key with it when the home has none. When a key
  already exists (DATA_DIR/secret_key or SECRET_KEY) but the database does not,
  they stop: the database was most likely lost or DATABASE_URL points elsewhere,
  and a new empty database would silently start a second deployment. Starting
  one on purpose takes ``--new-database``.
- Every other command needs the database to exist: it never creates one.
- A key whose check value differs from the one the database recorded stops
  every command (a wrong ULASAN_HOME, DATABASE_URL or SECRET_KEY); so does a
  database whose key is missing.

Each refusal is a `HomeError` whose message is one line naming what to do; the
commands print it and exit with code 2 (like a bad setting).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.key_check import DatabaseState


class HomeError(Exception):
    """The home, its key and its database do not fit together; one line for the operator."""


def fail(message: str) -> NoReturn:
    raise HomeError(message)


def database_state(settings: Settings) -> DatabaseState:
    """Inspect the database without creating it; an unreachable one exits 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.key_check import inspect_database

    try:
        return asyncio.run(inspect_database(settings.database_url))
    except (OSError, SQLAlchemyError) as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"DATABASE_URL: cannot open the database: {reason}")


def key_source(settings: Settings) -> str:
    """Where the key in use came from, for the messages."""
    path = settings.secret_key_file
    try:
        from_file = path.read_text(encoding="utf-8").strip()
    except OSError:
        from_file = None
    if settings.secret_key is not None and from_file == settings.secret_key.get_secret_value():
        return str(path)
    return "SECRET_KEY"


def verify_database(settings: Settings) -> None:
    """The database exists and belongs to the key in use (else one line, exit 2)."""
    from storage.key_check import describe

    state = database_state(settings)
    if not state.exists:
        fail(
            f"No database at {describe(settings.database_url)} (home {settings.home}): "
            "create it with `ulasan db upgrade`, or restore a backup with "
            "`ulasan db restore FILE`."
        )
    compare_key(settings, state)


def compare_key(settings: Settings, state: DatabaseState) -> None:
    from storage.key_check import check_value, describe

    where = describe(settings.database_url)
    if settings.secret_key is None:
        fail(
            f"The database {where} exists but its secret key does not "
            f"({settings.secret_key_file} is missing and SECRET_KEY is not set): restore the "
            "key from the backup (`ulasan db restore FILE`) or set SECRET_KEY."
        )
    if state.check_value is not None and state.check_value != check_value(settings.secret_bytes()):
        fail(
            f"The secret key ({key_source(settings)}) is not the key of the database {where}: "
            "check ULASAN_HOME, DATABASE_URL and SECRET_KEY, or restore the key from the "
            "database's backup."
        )


def prepare_upgrade(settings: Settings, new_database: bool) -> Settings:
    """Before migrating: a new database gets a new key; a key without a database stops."""
    from bot.core.settings import SettingsError, create_secret_key
    from storage.key_check import describe

    state = database_state(settings)
    if state.exists:
        compare_key(settings, state)
        return settings
    if settings.secret_key is not None and not new_database:
        fail(
            f"A secret key exists ({key_source(settings)}) but there is no database at "
            f"{describe(settings.database_url)}: restore the backup made with this key "
            "(`ulasan db restore FILE`) or correct DATABASE_URL; to start a new, empty "
            "database with this key, run `ulasan db upgrade --new-database`."
        )
    if settings.secret_key is None:
        try:
            return create_secret_key(settings)
        except SettingsError as exc:
            fail(f"Setting error: {exc}")
    return settings


def record_key(settings: Settings, now: datetime) -> None:
    """After migrating: record the key's check value if the database has none yet."""
    from storage.key_check import check_value, record_check_value

    value = check_value(settings.secret_bytes())
    asyncio.run(record_check_value(settings.database_url, value, now))
