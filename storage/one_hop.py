"""Core statements of the hottest paths, each run in one thread hop on aiosqlite.

Through SQLAlchemy's aiosqlite adapter one statement that returns rows costs
four hand-offs to aiosqlite's thread (make a cursor, execute, fetch, close the
cursor), and every hand-off waits for a turn of the event loop; with the bot's
single SQLite connection (`storage.db.create_engine`, ``one_sqlite_connection``)
a transaction holds that connection for all of them, so under a burst of
citizens the hand-offs queue behind each other. aiosqlite's own
``execute_fetchall`` executes and fetches in one hand-off.

`fetch` runs a statement that way on SQLite: the statement is compiled once per
shape (the caller names the shape with ``key`` and builds the statement with
``bindparam`` for every value that varies), its parameters and results pass
through the same type processors SQLAlchemy would use (so dates and times are
stored exactly as the ORM stores them), and it runs on the session's own
connection inside the session's transaction (SQLite's driver opens the
transaction implicitly at the first write; the session commits it). On any
other database (PostgreSQL) it is an ordinary ``session.execute``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeEngine

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    binds: tuple[tuple[str, Processor, Any], ...]  # name, processor, value if not given
    results: tuple[Processor, ...]


_PLANS: dict[tuple[str, Hashable], _Plan] = {}


def _plan(
    dialect: Any,
    key: Hashable,
    build: Callable[[], Executable],
    result_types: Sequence[TypeEngine[Any]],
) -> _Plan:
    plan = _PLANS.get((dialect.name, key))
    if plan is None:
        compiled = build().compile(dialect=dialect)  # type: ignore[attr-defined]
        binds = tuple(
            (
                name,
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                compiled.binds[name].effective_value,
            )
            for name in compiled.positiontup
        )
        results = tuple(
            t.dialect_impl(dialect).result_processor(dialect, None) for t in result_types
        )
        plan = _Plan(str(compiled), binds, results)
        _PLANS[(dialect.name, key)] = plan
    return plan


def _uses_aiosqlite(session: AsyncSession) -> bool:
    dialect = session.get_bind().dialect
    return dialect.name == "sqlite" and dialect.driver == "aiosqlite"


async def fetch(
    session: AsyncSession,
    key: Hashable,
    build: Callable[[], Executable],
    params: Mapping[str, Any],
    result_types: Sequence[TypeEngine[Any]] = (),
) -> list[tuple[Any, ...]]:
    """Run the statement ``build`` makes (one per ``key``) with ``params``; its rows as
    tuples, each value converted by the matching entry of ``result_types`` (one per
    column; none for a statement that returns no rows)."""
    if not _uses_aiosqlite(session):
        result = await session.execute(build(), dict(params))
        return [tuple(row) for row in result] if result_types else []
    plan = _plan(session.get_bind().dialect, key, build, result_types)
    arguments = []
    for name, process, default in plan.binds:
        value = params.get(name, default)
        arguments.append(process(value) if process is not None else value)
    connection = await (await session.connection()).get_raw_connection()
    rows = await connection.driver_connection.execute_fetchall(plan.sql, arguments)  # type: ignore[union-attr]
    processors = plan.results
    return [
        tuple(
            process(value) if process is not None else value
            for process, value in zip(processors, row, strict=True)
        )
        for row in rows
    ]
