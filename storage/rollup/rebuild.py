"""The full rebuild: every score table from ``survey_responses``, a chunk at a time.

``ulasan job run rollup --full``, the first run, a changed TIMEZONE, lost
triggers, an interrupted rebuild or an inconsistency found by the incremental
run. See "Full rebuild" in the package docstring (`storage.rollup`).

The work is cut into steps that each fit in a short transaction, so that the
job (`storage.rollup.refresh.refresh_scores_in_steps`) can commit after every
step and a citizen's press waits for one step at most, never for the whole
rebuild; a caller that must rebuild inside its own transaction runs the same
steps one after the other (`rebuild`):

1. `start`: the watermark says "rebuilding" (other runs then leave the tables
   alone), the retractions and the work tables are emptied, and the highest
   submission number given so far (``upto``) is read under the lock. The
   rebuild counts the responses numbered up to it (and those without a number).
2. `count_chunk`, once per id range of ``CHUNK_IDS`` responses: stamps the
   range's missing local days (all of them after a TIMEZONE change), drops the
   retractions of the range (this chunk reads the rows as they are now), and
   appends the range's sums per (day, service, officer), each with its profile
   counts as columns, to the work table `SkmRebuildCell`: one scan of the range,
   grouped, with the profile counted by conditional counts in the same pass.
   Profile values outside the instrument's lists (older data; normally none)
   go to `SkmRebuildProfile` as rows of their own.
3. `write_step`, five times per month found in the work tables or the score
   tables (`month_steps`: four runs of days, then the month rows): replaces
   those rows of every score table with the work tables' sums, the profile's
   columns unpivoted into rows once per (service, day) or service.
4. `finish`: the service → unit snapshot, the watermark (``upto``) and the
   empty work tables.

Exact under concurrent writes: a response submitted during the rebuild has a
number above ``upto`` and is left to the next incremental run; one erased or
changed in a range not yet read is simply not read, and its retraction is
dropped with the range's; one erased or changed in a range already read keeps
its retraction, which the next incremental run subtracts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from functools import cache
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateTable

from bot.core.clock import first_of_month, next_month
from bot.core.progress import QUIET, Progress
from storage.rollup.local_days import IdRange, in_range, stamp_pending
from storage.rollup.progress import RollupStats, Watermark, write_watermark
from storage.rollup.sql import (
    COUNTED_UPTO,
    KNOWN_VALUES,
    OFFICER_DAILY,
    OFFICER_MONTHLY,
    PROFILE_DAILY,
    PROFILE_FIELDS,
    PROFILE_MONTHLY,
    REBUILD_CELLS,
    REBUILD_PROFILE,
    RETRACTIONS,
    SCORE_TABLES,
    SERVICE_DAILY,
    SERVICE_MONTHLY,
    SERVICE_UNITS,
    SERVICES,
    SR,
    UNIT_DAILY,
    UNIT_MONTHLY,
    UNSUR,
    counted,
    has_comment,
    latest_number,
    month_start,
    profile_value,
    sums,
)
from storage.rollup_models import MEASURES, PROFILE_CELL_COLUMNS

# Responses per chunk (an id range): 25–45 ms of CPU on the 1M benchmark at load
# 1–2 (BENCHMARKS.md, Rollup). 20,000 saved ~15 % of the chunks' CPU but doubled
# the step; kept at 10,000 for the presses. A press in this process waits for one
# step at most; one in another process must also catch a pause between steps
# (see refresh.STEP_PAUSE).
CHUNK_IDS = 10_000


@dataclass(frozen=True)
class Plan:
    """What the steps of one rebuild share."""

    zone: str
    reset: bool  # a new TIMEZONE: every local day is stamped again
    stamp: bool  # some responses have no local day yet (or reset)
    upto: int  # the highest submission number counted
    ranges: tuple[IdRange, ...]


# -- 1. start --------------------------------------------------------------------------------


async def start(session: AsyncSession, zone: str, *, reset: bool, chunk: int = CHUNK_IDS) -> Plan:
    """Step 1 (under the rollup's lock): mark the rebuild, clear, and plan the chunks."""
    await write_watermark(session, Watermark(zone, 0, rebuilding=True))
    for table in (RETRACTIONS, REBUILD_CELLS, REBUILD_PROFILE):
        await session.execute(delete(table))
    upto = await latest_number(session)
    low, high = (await session.execute(select(func.min(SR.c.id), func.max(SR.c.id)))).one()
    ranges: tuple[IdRange, ...] = ()
    if low is not None:
        ranges = tuple((a, min(a + chunk, high + 1)) for a in range(low, high + 1, chunk))
    # From the small partial index: usually nothing lacks its day (the submission
    # wrote it), and the chunks then skip stamping. A response submitted later
    # without one is numberless and stamped by the next incremental run.
    pending = await session.scalar(
        select(func.min(SR.c.submitted_at)).where(
            SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None)
        )
    )
    return Plan(zone, reset, reset or pending is not None, upto, ranges)


# -- 2. one chunk ----------------------------------------------------------------------------


def _profile_columns() -> tuple[tuple[str, str, str | None], ...]:
    """(cell column, field, value) for every known value and "not answered" (None)."""
    return PROFILE_CELL_COLUMNS


def _chunk_table(name: str, keys: Sequence[str]) -> Table:
    """A temporary table of per-cell sums of one chunk (emptied at the chunk's end).

    Created once per connection and reused by the following chunks rather than
    created and dropped in every chunk: each CREATE/DROP changes the connection's
    schema, which SQLite then reads again and every prepared statement is
    prepared again. PostgreSQL empties it at each commit.
    """
    columns: list[Column[Any]] = [Column(key, Date if key == "day" else Integer) for key in keys]
    columns += [Column(m, Integer) for m in MEASURES]
    columns += [Column(column, Integer) for column, _f, _v in _profile_columns()]
    return Table(
        name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DELETE ROWS"
    )


_CELLS = _chunk_table("rollup_chunk_cells", ("day", "service_id", "employee_id"))
# A chunk's id range and ``upto``, bound at each execution: the chunk's statements
# are built once (`_chunk_statements`) instead of once per chunk (building them and
# their cache keys was several ms of Python per chunk).
_LOW = bindparam("chunk_low", type_=Integer)
_END = bindparam("chunk_end", type_=Integer)
_UPTO = bindparam("chunk_upto", type_=Integer)


async def count_chunk(
    session: AsyncSession, tz: tzinfo, plan: Plan, ids: IdRange, stats: RollupStats
) -> None:
    """Step 2 for the responses with ids in ``ids`` (under the lock that holds off writers)."""
    if plan.reset:  # another TIMEZONE: every local day must be computed again
        await session.execute(
            update(SR).where(*in_range(ids), SR.c.rollup_day.is_not(None)).values(rollup_day=None)
        )
    if plan.stamp:
        await stamp_pending(session, tz, ids)
    st = _chunk_statements()
    bound = {"chunk_low": ids[0], "chunk_end": ids[1], "chunk_upto": plan.upto}
    # This chunk reads the rows as they are now: what was erased or changed in the
    # range before is not read, so there is nothing to subtract for it later.
    await session.execute(st.drop_retractions, bound)
    for create in st.create:
        await session.execute(create)
    for empty in st.empty:  # left over by a chunk rolled back midway
        await session.execute(empty)
    await session.execute(st.scan, bound)
    stats.claimed += int(await session.scalar(st.claimed) or 0)
    await session.execute(st.append_cells)
    # Profile values outside the instrument's lists (older data): counted exactly,
    # in a pass of their own over the range; normally there are none.
    if await session.scalar(st.unknown):
        await _append_unknown_profile_values(session, plan.upto, ids)
    for empty in st.empty:
        await session.execute(empty)


@dataclass(frozen=True)
class _ChunkStatements:
    drop_retractions: Any
    create: tuple[Any, ...]
    empty: tuple[Any, ...]
    scan: Any
    claimed: Any
    append_cells: Any
    unknown: Any


@cache
def _chunk_statements() -> _ChunkStatements:
    cells = _CELLS
    keys = ("day", "service_id", "employee_id")
    counts = [column for column, _f, _v in _profile_columns()]
    known = sum((cells.c[c] for c in counts), literal(0))
    return _ChunkStatements(
        drop_retractions=delete(RETRACTIONS).where(
            RETRACTIONS.c.response_id >= _LOW, RETRACTIONS.c.response_id < _END
        ),
        create=(CreateTable(cells, if_not_exists=True),),
        empty=(delete(cells),),
        scan=_scan(cells),
        claimed=select(func.coalesce(func.sum(cells.c.n), 0)),
        append_cells=insert(REBUILD_CELLS).from_select(
            [*keys, *MEASURES, *counts],
            select(*(cells.c[c] for c in (*keys, *MEASURES, *counts))),
        ),
        # How many answers hold a value outside the instrument's lists.
        unknown=select(func.sum(cells.c.n * len(PROFILE_FIELDS) - known)),
    )


def _scan(cells: Table) -> Any:
    """The one pass over the range: sums per (day, service, officer), into ``cells``."""
    conditional = []
    for _column, name, value in _profile_columns():
        column = SR.c[name]
        if value is None:
            condition = or_(column.is_(None), column == "")
        else:
            condition = column == value
        # count(*) FILTER (WHERE …): a fifth cheaper than sum(CASE …) on SQLite.
        conditional.append(func.count().filter(condition))
    scan = (
        select(
            SR.c.rollup_day,
            SR.c.service_id,
            SR.c.employee_id,
            func.count(),
            func.sum(has_comment(SR.c.comment)),
            *(func.sum(SR.c[u]) for u in UNSUR),
            *conditional,
        )
        .where(SR.c.id >= _LOW, SR.c.id < _END, *counted(_UPTO))
        .group_by(SR.c.rollup_day, SR.c.service_id, SR.c.employee_id)
    )
    names = ["day", "service_id", "employee_id", *MEASURES]
    names += [column for column, _f, _v in _profile_columns()]
    return insert(cells).from_select(names, scan)


def _profile_pairs() -> tuple[list[tuple[str, str, str]], Any]:
    """The (field, value, cell column) pairs, and them as a constant table ``k``."""
    pairs = sorted(
        ((name, profile_value(value), column) for column, name, value in _profile_columns()),
        key=lambda pair: pair[:2],
    )
    constants = union_all(
        *(
            select(
                literal(index, Integer).label("k"),
                literal(name, String).label("field"),
                literal(value, String).label("value"),
            )
            for index, (name, value, _column) in enumerate(pairs)
        )
    ).subquery("profile_pairs")
    return pairs, constants


def _unpivot(grouped: Any, keys: Sequence[str]) -> Any:
    """The profile rows (keys, field, value, n > 0) of ``grouped``'s summed cell columns.

    ``grouped`` (keys, then every profile column) comes in key order; joined as
    the outer loop with a constant list of the (field, value) pairs in key order,
    the rows come out in the key order the profile tables want, with no sort.
    """
    pairs, constants = _profile_pairs()
    count = case(
        {index: grouped.c[column] for index, (_n, _v, column) in enumerate(pairs)},
        value=constants.c.k,
    )
    rows = (
        select(*(grouped.c[k].label(k) for k in keys), constants.c.field, constants.c.value)
        .add_columns(count.label("n"))
        # LEFT JOIN (every row matches all the pairs, so the same rows as a JOIN):
        # SQLite keeps the written order, the grouped rows outside.
        .select_from(grouped.outerjoin(constants, literal(True)))
        .subquery()
    )
    return select(*(rows.c[k] for k in (*keys, "field", "value", "n"))).where(rows.c.n > 0)


def _summed_profile(where: Sequence[Any], keys: Sequence[str]) -> Any:
    """The work cells' profile columns summed per ``keys``, in key order."""
    cells = REBUILD_CELLS
    key_columns = [cells.c[k] for k in keys]
    counts = [column for column, _f, _v in _profile_columns()]
    return (
        select(*key_columns, *(func.sum(cells.c[c]).label(c) for c in counts))
        .where(*where)
        .group_by(*key_columns)
        .order_by(*key_columns)
        .subquery()
    )


async def _append_unknown_profile_values(session: AsyncSession, upto: int, ids: IdRange) -> None:
    for name in PROFILE_FIELDS:
        column = SR.c[name]
        await session.execute(
            insert(REBUILD_PROFILE).from_select(
                ["service_id", "day", "field", "value", "n"],
                select(SR.c.service_id, SR.c.rollup_day, literal(name), column, func.count())
                .where(*in_range(ids), *counted(upto), column.is_not(None), column != "")
                .where(column.not_in(KNOWN_VALUES[name]))
                .group_by(SR.c.service_id, SR.c.rollup_day, column),
            )
        )


# -- 3. month by month into the score tables -------------------------------------------------


async def months_to_write(session: AsyncSession) -> list[date]:
    """Every month the work tables or the score tables hold (old months may have to go)."""
    found = union(
        select(month_start(REBUILD_CELLS.c.day)).distinct(),
        select(month_start(REBUILD_PROFILE.c.day)).distinct(),
        *(select(table.c.month).distinct() for table in _MONTHLY),
    )
    return sorted(first_of_month(_as_date(m)) for m in (await session.scalars(found)))


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_MONTHLY = (SERVICE_MONTHLY, UNIT_MONTHLY, OFFICER_MONTHLY, PROFILE_MONTHLY)
# Each month in five steps: four runs of days, then the month rows.
MONTH_PARTS: tuple[tuple[int, int | None], ...] = ((1, 8), (8, 16), (16, 24), (24, None))


def month_steps(months: Sequence[date]) -> list[tuple[date, date | None, date | None]]:
    """(month, first day, end day) of each step of 3; (month, None, None): its month rows."""
    out: list[tuple[date, date | None, date | None]] = []
    for m in months:
        out += [
            (m, m.replace(day=a), m.replace(day=b) if b else next_month(m)) for a, b in MONTH_PARTS
        ]
        out.append((m, None, None))
    return out


async def write_step(
    session: AsyncSession, month: date, first: date | None, end: date | None
) -> None:
    """One step of 3 (see `month_steps`)."""
    if first is None or end is None:
        await _month_rows(session, month)
    else:
        await write_days(session, first, end)


_FIRST = bindparam("days_first", type_=Date)
_DAYS_END = bindparam("days_end", type_=Date)


async def write_days(session: AsyncSession, first: date, end: date) -> None:
    """Step 3 for the days [first, end): every day table's rows from the work tables."""
    for statement in _days_statements():
        await session.execute(statement, {"days_first": first, "days_end": end})


@cache
def _days_statements() -> tuple[Any, ...]:
    """`write_days`' statements, built once (the days bound at each execution)."""
    cells, profile, sd = REBUILD_CELLS, REBUILD_PROFILE, SERVICE_DAILY
    in_days = (cells.c.day >= _FIRST, cells.c.day < _DAYS_END)
    # The days' old rows, found by each day table's index on ``day`` (migration
    # 0031; without it each run of days read the whole table, ``day`` leading no
    # key). Readers meanwhile see every day either old or rebuilt.
    deletes = tuple(
        delete(table).where(table.c.day >= _FIRST, table.c.day < _DAYS_END)
        for table in SCORE_TABLES
        if table not in _MONTHLY
    )
    return (
        *deletes,
        _grouped(SERVICE_DAILY, cells, ("service_id", "day"), in_days),
        _grouped(
            OFFICER_DAILY,
            cells,
            ("employee_id", "service_id", "day"),
            (*in_days, cells.c.employee_id.is_not(None)),
        ),
        insert(PROFILE_DAILY).from_select(
            ["service_id", "day", "field", "value", "n"],
            _unpivot(_summed_profile(in_days, ("service_id", "day")), ("service_id", "day")),
        ),
        # Values outside the instrument's lists (normally none): keys of their own.
        _grouped(
            PROFILE_DAILY,
            profile,
            ("service_id", "day", "field", "value"),
            (profile.c.day >= _FIRST, profile.c.day < _DAYS_END),
            ("n",),
        ),
        insert(UNIT_DAILY).from_select(
            ["unit_id", "day", *MEASURES],
            select(SERVICES.c.unit_id, sd.c.day, *sums(sd))
            .select_from(sd.join(SERVICES, SERVICES.c.id == sd.c.service_id))
            .where(sd.c.day >= _FIRST, sd.c.day < _DAYS_END)
            .group_by(SERVICES.c.unit_id, sd.c.day),
        ),
    )


async def _month_rows(session: AsyncSession, month: date) -> None:
    """The month's rows, from the work tables (read by their ``day`` index) and the
    small unit day table, in place of the old ones (month tables are small)."""
    end = next_month(month)
    cells, profile = REBUILD_CELLS, REBUILD_PROFILE
    for monthly, source, keys, measures, where in (
        (SERVICE_MONTHLY, cells, ("service_id",), MEASURES, ()),
        (UNIT_MONTHLY, UNIT_DAILY, ("unit_id",), MEASURES, ()),
        (
            OFFICER_MONTHLY,
            cells,
            ("employee_id", "service_id"),
            MEASURES,
            (cells.c.employee_id.is_not(None),),
        ),
        (PROFILE_MONTHLY, profile, ("service_id", "field", "value"), ("n",), ()),
    ):
        await session.execute(delete(monthly).where(monthly.c.month == month))
        key_columns = [source.c[k] for k in keys]
        await session.execute(
            insert(monthly).from_select(
                [*keys, "month", *measures],
                select(*key_columns, literal(month, Date), *sums(source, measures))
                .where(source.c.day >= month, source.c.day < end, *where)
                .group_by(*key_columns),
            )
        )
    # The profile's known values: the cells' columns, unpivoted (the rows of
    # ``profile`` above, values outside the lists, have keys of their own).
    in_month = (cells.c.day >= month, cells.c.day < end)
    known = _unpivot(_summed_profile(in_month, ("service_id",)), ("service_id",))
    await session.execute(
        insert(PROFILE_MONTHLY).from_select(
            ["service_id", "field", "value", "n", "month"],
            known.add_columns(literal(month, Date)),
        )
    )


def _grouped(
    target: Table,
    source: Table,
    keys: Sequence[str],
    where: Sequence[Any],
    measures: Sequence[str] = MEASURES,
) -> Any:
    """A chunk may have written a key once each: sum them (in key order) into ``target``."""
    key_columns = [source.c[k] for k in keys]
    return insert(target).from_select(
        [*keys, *measures],
        select(*key_columns, *sums(source, measures))
        .where(*where)
        .group_by(*key_columns)
        .order_by(*key_columns),
    )


# -- 4. finish -------------------------------------------------------------------------------


async def finish(session: AsyncSession, plan: Plan) -> None:
    """Step 4: the service → unit snapshot, the watermark, and empty work tables."""
    await session.execute(delete(SERVICE_UNITS))
    await session.execute(
        insert(SERVICE_UNITS).from_select(
            ["service_id", "unit_id"], select(SERVICES.c.id, SERVICES.c.unit_id)
        )
    )
    for table in (REBUILD_CELLS, REBUILD_PROFILE):
        await session.execute(delete(table))
    await write_counted_upto(session, plan.zone, plan.upto)


async def write_counted_upto(session: AsyncSession, zone: str, upto: int) -> None:
    """The watermark, and the same number where the submitting UPDATE reads it."""
    await write_watermark(session, Watermark(zone, upto))
    await session.execute(delete(COUNTED_UPTO))
    await session.execute(insert(COUNTED_UPTO).values(upto=upto))


# The two stages a terminal's progress bar shows (`bot.cli.progress`).
COUNTING = "rollup: counting the responses"
WRITING = "rollup: rebuilding the score tables"


# -- all steps in the caller's transaction ---------------------------------------------------


async def rebuild(
    session: AsyncSession,
    tz: tzinfo,
    zone: str,
    stats: RollupStats,
    *,
    reset: bool,
    progress: Progress = QUIET,
) -> Plan:
    """Every score table from survey_responses, inside the caller's transaction."""
    plan = await start(session, zone, reset=reset)
    progress.stage(COUNTING, len(plan.ranges))
    for ids in plan.ranges:
        await count_chunk(session, tz, plan, ids, stats)
        progress.advance()
    steps = month_steps(await months_to_write(session))
    progress.stage(WRITING, len(steps) + 1)  # and the finishing step
    for month, first, end in steps:
        await write_step(session, month, first, end)
        progress.advance()
    await finish(session, plan)
    progress.advance()
    return plan
