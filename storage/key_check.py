"""Does this database belong to this secret key? Read and record its check value.

`inspect_database` looks before anything is created: a SQLite file that does not
exist is reported missing without being opened (opening would create it), and a
database without Alembic's revision counts as missing too (an empty PostgreSQL
database, a zero-byte file). The rules built on it (which command may create a
database, which must stop) are in ``bot/cli/home_check.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection, make_url

from storage.crypto import keyed_hash
from storage.db import create_engine, session_factory
from storage.key_check_models import KeyCheck


@dataclass(frozen=True)
class DatabaseState:
    exists: bool  # migrated at least once
    check_value: str | None  # recorded check value of its key, None before the first record


def check_value(secret: bytes) -> str:
    """The check value of a key: an HMAC of a fixed text (the key cannot be derived from it)."""
    return keyed_hash(secret, "key-check", "ulasan")


def describe(url: str) -> str:
    """The database as an operator knows it: the SQLite file, or the URL without password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path)
    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database))


async def inspect_database(url: str) -> DatabaseState:
    """Whether the database exists (is migrated) and the check value it recorded."""
    path = sqlite_file(url)
    if path is not None and (not path.is_file() or path.stat().st_size == 0):
        return DatabaseState(exists=False, check_value=None)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_state)
    finally:
        await engine.dispose()


def _state(connection: Connection) -> DatabaseState:
    # Alembic's version table read directly, as MigrationContext.get_current_revision()
    # reads it: importing Alembic (and Mako, Pygments) costs every command ~0.2 s.
    inspector = inspect(connection)
    if not inspector.has_table("alembic_version") or (
        connection.execute(text("SELECT version_num FROM alembic_version")).first() is None
    ):
        return DatabaseState(exists=False, check_value=None)
    if not inspector.has_table(KeyCheck.__tablename__):
        return DatabaseState(exists=True, check_value=None)
    value = connection.execute(select(KeyCheck.check_value).where(KeyCheck.id == 1)).scalar()
    return DatabaseState(exists=True, check_value=value)


async def record_check_value(url: str, value: str, now: datetime) -> None:
    """Record the key's check value (only where none is recorded yet)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            if await session.get(KeyCheck, 1) is None:
                session.add(KeyCheck(id=1, check_value=value, recorded_at=now))
    finally:
        await engine.dispose()
