"""The tables the rollup reads and writes, and the small SQL pieces its steps share.

Core `Table` objects rather than ORM classes: the rollup's statements are
set-based (``INSERT … SELECT``, upserts over many rows), and the tables'
columns are addressed by name (``UNSUR``, ``MEASURES``, the profile fields).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, Table, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import Alias, ColumnElement, FunctionElement

from scheduler.scoring.skm_instrument import PROFILE
from storage.models import Service
from storage.rollup_models import (
    MEASURES,
    NOT_ANSWERED,
    PROFILE_COLUMNS,
    PROFILE_FIELDS,
    SkmOfficerDaily,
    SkmOfficerMonthly,
    SkmProfileDaily,
    SkmProfileMonthly,
    SkmRollupCounted,
    SkmRollupRetraction,
    SkmRollupServiceUnit,
    SkmServiceDaily,
    SkmServiceMonthly,
    SkmUnitDaily,
    SkmUnitMonthly,
)
from storage.survey_models import SurveyResponse

UNSUR: tuple[str, ...] = tuple(f"u{i}" for i in range(1, 10))
# The service tables' profile columns (`storage.rollup_models.PROFILE_COLUMNS`).
PROFILE_COUNTS: tuple[str, ...] = tuple(column for column, _f, _v in PROFILE_COLUMNS)
# What a service row sums: the scores, then the profile counts.
SERVICE_MEASURES: tuple[str, ...] = (*MEASURES, *PROFILE_COUNTS)
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    name: tuple(value for value, _label in PROFILE[name]) for name in PROFILE_FIELDS
}
# Below this many ids an IN list is one statement; above, it is chunked (SQLite's
# limit on bound parameters, and plans that stay simple).
CHUNK = 500

SR = SurveyResponse.__table__
RETRACTIONS = SkmRollupRetraction.__table__
COUNTED_UPTO = SkmRollupCounted.__table__
SERVICE_UNITS = SkmRollupServiceUnit.__table__
SERVICE_DAILY = SkmServiceDaily.__table__
SERVICE_MONTHLY = SkmServiceMonthly.__table__
UNIT_DAILY = SkmUnitDaily.__table__
UNIT_MONTHLY = SkmUnitMonthly.__table__
OFFICER_DAILY = SkmOfficerDaily.__table__
OFFICER_MONTHLY = SkmOfficerMonthly.__table__
PROFILE_DAILY = SkmProfileDaily.__table__
PROFILE_MONTHLY = SkmProfileMonthly.__table__
SCORE_TABLES: tuple[Table, ...] = (
    SERVICE_DAILY,
    SERVICE_MONTHLY,
    UNIT_DAILY,
    UNIT_MONTHLY,
    OFFICER_DAILY,
    OFFICER_MONTHLY,
    PROFILE_DAILY,
    PROFILE_MONTHLY,
)
SERVICES = Service.__table__


class month_start(FunctionElement[date]):
    """The first day of the month of a date column (one spelling per database)."""

    type = Date()
    inherit_cache = True


def _only(element: month_start) -> Any:
    return next(iter(element.clauses))


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler: Any, **kw: Any) -> str:
    # SQLite keeps dates as 'YYYY-MM-DD' text, which is what date() returns.
    return f"date({compiler.process(_only(element), **kw)}, 'start of month')"


@compiles(month_start, "postgresql")
def _month_start_postgresql(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(_only(element), **kw)}) AS DATE)"


class _IndexedBy(Alias):
    """A table read through one index: ``<table> AS <index> INDEXED BY <index>`` on
    SQLite (the alias is the index's name), a plain alias elsewhere."""

    inherit_cache = True


@compiles(_IndexedBy, "sqlite")
def _indexed_by_sqlite(element: _IndexedBy, compiler: Any, **kw: Any) -> str:
    text = compiler.visit_alias(element, **kw)
    return f"{text} INDEXED BY {element.name}" if kw.get("asfrom") else text


def indexed_by(table: Table, index: str) -> Alias:
    """``table`` as SQLite must read it: through ``index``. For a query its planner
    gets wrong without statistics (an equality on a column of one value looks
    more selective than a range of days)."""
    return _IndexedBy._construct(table, name=index)


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    ordered = sorted(values)
    for index in range(0, len(ordered), size):
        yield ordered[index : index + size]


def has_comment(column: Any) -> ColumnElement[int]:
    return case((and_(column.is_not(None), column != ""), 1), else_=0)


async def latest_number(session: AsyncSession) -> int:
    """The highest submission number given (read under the run's lock; 0 if none)."""
    return int(await session.scalar(select(func.max(SR.c.rollup_seq))) or 0)


def sums(table: Table, measures: Sequence[str] = MEASURES) -> list[Any]:
    return [func.sum(table.c[m]) for m in measures]


def profile_column(field: str, value: str | None) -> str | None:
    """The service rows' column that counts ``value`` of ``field`` (None: not a known value)."""
    return _COLUMN_OF.get((field, value if value not in (None, "") else None))


_COLUMN_OF = {(name, value): column for column, name, value in PROFILE_COLUMNS}


def profile_value(value: str | None) -> str:
    """A profile answer as the profile tables store it ("not answered" included)."""
    return value if value not in (None, "") else NOT_ANSWERED
