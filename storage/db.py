"""Engine and session factory.

One `AsyncSession` per update or job; the transaction boundary is where the
session is opened (``async with sessions.begin() as session``), never inside a
query function. SQLite connections get WAL, foreign keys and a busy timeout on
every connect (and ``secure_delete``, so deleted rows leave no readable
trace in free pages), so the same queries behave on SQLite and PostgreSQL; where
the two spell something differently (upserts), `dialect_insert` picks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SessionFactory = async_sessionmaker[AsyncSession]


def _ensure_sqlite_folder(url: str) -> None:
    if _is_sqlite_file(url):
        Path(str(make_url(url).database)).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _is_sqlite_file(url: str) -> bool:
    parsed = make_url(url)
    return parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:")


def create_engine(
    url: str,
    *,
    busy_timeout_ms: int = 5000,
    foreign_keys: bool = True,
    one_sqlite_connection: bool = False,
    pool_size: int | None = None,
) -> AsyncEngine:
    """Create the async engine; on SQLite set the pragmas on every connection.

    ``one_sqlite_connection`` (the bot process): on a SQLite file, the pool holds
    one connection that the sessions of this process take in turn, first come
    first served. SQLite has one writer at a time anyway; with several
    connections, the writers of one process wait for each other in SQLite's busy
    handler, which polls with sleeps of up to 100 ms and serves nobody in order:
    under a burst of 200 citizens some waited past the busy timeout ("database
    is locked", see BENCHMARKS.md, survey load). The busy timeout still covers
    other processes (the CLI, a backup). A session must therefore not open a
    second session while it holds the first.
    """
    _ensure_sqlite_folder(url)
    kwargs: dict[str, Any] = {}
    if url.startswith("postgresql"):
        kwargs["pool_pre_ping"] = True
        if pool_size is not None:  # a pool of fixed size (the webhook workers' lock pool)
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = 0
    if one_sqlite_connection and _is_sqlite_file(url):
        kwargs["pool_size"] = 1
        kwargs["max_overflow"] = 0
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            # Deleted content is overwritten with zeros, not left in free pages: what a
            # citizen erases (/hapusdata) is gone from the file (storage/erasure.py).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    return engine


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def one_connection(sessions: SessionFactory) -> AsyncIterator[SessionFactory]:
    """Sessions like ``sessions``' that all use one connection of its engine, one
    transaction after another: what a connection holds between transactions (a
    temporary table) goes from one to the next."""
    engine: AsyncEngine = sessions.kw["bind"]
    async with engine.connect() as connection:
        yield async_sessionmaker(bind=connection, expire_on_commit=False)


def dialect_name(session: AsyncSession) -> str:
    """ "sqlite" or "postgresql": the database this session talks to."""
    return session.get_bind().dialect.name


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An ``INSERT`` in this session's database's own dialect, for ``on_conflict_do_*``.

    SQLAlchemy spells upserts alike on PostgreSQL and SQLite, but through each
    dialect's own ``insert``: this is the one place that picks it.
    """
    name = dialect_name(session)
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not written for {name}")  # pragma: no cover
