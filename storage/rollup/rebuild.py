"""The full rebuild: every score table from ``survey_responses``, a run of days at a time.

``ulasan job run rollup --full``, the first run, a changed TIMEZONE, lost
triggers, an interrupted rebuild or an inconsistency found by the incremental
run. See "Full rebuild" in the package docstring (`storage.rollup`).

The work is cut into steps that each fit in a short transaction, so that the
job (`storage.rollup.refresh.refresh_scores_in_steps`) can commit after every
step and a citizen's press waits for one step at most, never for the whole
rebuild; a caller that must rebuild inside its own transaction runs the same
steps one after the other (`rebuild`):

1. `start`: the watermark says "rebuilding" (other runs then leave the tables
   alone), the retractions are emptied, and the highest submission number
   given so far (``upto``) is read under the lock. The rebuild counts the
   responses numbered up to it (and those without a number).
2. `stamp_chunk`, once per id range of ``CHUNK_IDS`` responses, and only when
   some response lacks its local day (submitted before the marks existed, or
   changed since) or TIMEZONE changed (then every day is computed again).
   Normally there is nothing to stamp: the submission wrote the day.
3. Once per month (`day_runs`), for every month that holds a counted response
   and every month the score tables hold: `read_days` counts the run's days
   into a temporary table — from the rollup's index
   (``ix_survey_responses_rollup_cells``: the complete submitted responses in
   (day, service, officer) order, with every column summed, so neither a sort
   nor a table row), grouped per (day, service, officer) with the profile
   counted in the same pass, and the comments from the index of the commented
   ones — with no write lock; then `write_run`, under the lock, replaces the
   days' rows of every day table with them and sums the month's rows from
   its day rows.
4. `finish`: the service → unit snapshot and the watermark (``upto``).

Exact under concurrent writes: a response submitted during the rebuild has a
number above ``upto`` and is left to the next incremental run. A response
erased or changed leaves a retraction with its old day; a run of days drops
the retractions of its days, because its counts hold those days' rows as they
are now (an erased row is gone, a changed one has lost its day and waits for
the next incremental run's stamp) — the writing half checks that no
retraction of its days appeared since the counting began, and counts again
under the lock if one did; a retraction of a day already written is kept and
the next incremental run subtracts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateTable

from bot.core.clock import first_of_month, next_month
from bot.core.progress import QUIET, Progress
from storage.db import dialect_name
from storage.rollup.local_days import IdRange, in_range, stamp_pending
from storage.rollup.progress import RollupStats, Watermark, write_watermark
from storage.rollup.sql import (
    COUNTED_UPTO,
    KNOWN_VALUES,
    OFFICER_DAILY,
    OFFICER_MONTHLY,
    PROFILE_COUNTS,
    PROFILE_DAILY,
    PROFILE_FIELDS,
    PROFILE_MONTHLY,
    RETRACTIONS,
    SERVICE_DAILY,
    SERVICE_MEASURES,
    SERVICE_MONTHLY,
    SERVICE_UNITS,
    SERVICES,
    SR,
    UNIT_DAILY,
    UNIT_MONTHLY,
    UNSUR,
    indexed_by,
    latest_number,
    sums,
)
from storage.rollup_models import MEASURES, PROFILE_COLUMNS
from storage.survey_models import ROLLUP_CELLS_WHERE, ROLLUP_COMMENTED_WHERE

# Responses per stamping step (an id range), when some lack their local day.
CHUNK_IDS = 10_000


# The profile's 23 counts, four to a 64-bit sum in slots of 15 bits: one CASE
# per field and six sums per response instead of 23 conditional counts (the
# profile was three fifths of the scan's cost; this takes a third of that off).
# The cells keep them packed, and the service's day rows unpack their sums: a
# service's day of up to 32,767 responses cannot carry one slot into the next
# (a larger one is counted value by value: `_exact_service_days`).
SLOT_BITS = 15
SLOTS_PER_SUM = 4
SLOT_MAX = (1 << SLOT_BITS) - 1
PACKED = tuple(f"packed_{i}" for i in range(-(-len(PROFILE_COLUMNS) // SLOTS_PER_SUM)))


@dataclass(frozen=True)
class Plan:
    """What the steps of one rebuild share."""

    zone: str
    reset: bool  # a new TIMEZONE: every local day is stamped again
    upto: int  # the highest submission number counted
    ranges: tuple[IdRange, ...]  # the id ranges to stamp (none: nothing lacks its day)


# -- 1. start --------------------------------------------------------------------------------


async def start(session: AsyncSession, zone: str, *, reset: bool, chunk: int = CHUNK_IDS) -> Plan:
    """Step 1 (under the rollup's lock): mark the rebuild, clear, and plan the stamping."""
    await write_watermark(session, Watermark(zone, 0, rebuilding=True))
    await session.execute(delete(RETRACTIONS))
    upto = await latest_number(session)
    # From the small partial index: usually nothing lacks its day (the submission
    # wrote it), and there is nothing to stamp.
    pending = await session.scalar(
        select(func.min(SR.c.submitted_at)).where(
            SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None)
        )
    )
    ranges: tuple[IdRange, ...] = ()
    if reset or pending is not None:
        low, high = (await session.execute(select(func.min(SR.c.id), func.max(SR.c.id)))).one()
        if low is not None:
            ranges = tuple((a, min(a + chunk, high + 1)) for a in range(low, high + 1, chunk))
    return Plan(zone, reset, upto, ranges)


# -- 2. stamping (when some response lacks its day) ------------------------------------------


async def stamp_chunk(session: AsyncSession, tz: tzinfo, plan: Plan, ids: IdRange) -> None:
    """Step 2 for the responses with ids in ``ids``: their missing local days."""
    if plan.reset:  # another TIMEZONE: every local day must be computed again
        await session.execute(
            update(SR).where(*in_range(ids), SR.c.rollup_day.is_not(None)).values(rollup_day=None)
        )
    await stamp_pending(session, tz, ids)


# -- 3. month by month into the score tables -------------------------------------------------


_MONTHLY = (SERVICE_MONTHLY, UNIT_MONTHLY, OFFICER_MONTHLY, PROFILE_MONTHLY)
# The runs of days of a month (whole months: a run's write holds the lock ~50 ms
# per 85,000 responses; half months cost a tenth more CPU in statements and
# commits for no gain in the presses' waits); the last also writes the month's rows.
MONTH_PARTS: tuple[tuple[int, int | None], ...] = ((1, None),)


async def months_to_write(session: AsyncSession) -> list[date]:
    """Every month that holds a counted response, and every month the score tables
    hold (old months may have to go)."""
    # Each an end of the rollup's index (one lookup, not a scan).
    r = _BY_DAY.c
    first = await session.scalar(select(func.min(r.rollup_day)).where(_COMPLETE))
    last = await session.scalar(select(func.max(r.rollup_day)).where(_COMPLETE))
    found = {
        first_of_month(_as_date(m))
        for m in await session.scalars(
            union(*(select(table.c.month).distinct() for table in _MONTHLY))
        )
    }
    if first is not None:
        # The months between that hold a response: one indexed look each (a year
        # without any costs nothing but its looks).
        month, end = first_of_month(_as_date(first)), _as_date(last)
        while month <= end:
            if month in found or await _any_response_in(session, month):
                found.add(month)
            month = next_month(month)
    return sorted(found)


async def _any_response_in(session: AsyncSession, month: date) -> bool:
    r = _BY_DAY.c
    some = (
        select(r.rollup_day)
        .where(_COMPLETE, r.rollup_day >= month, r.rollup_day < next_month(month))
        .limit(1)
    )
    return (await session.execute(some)).first() is not None


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class DayRun:
    """One step of 3: the days [first, end), and the month it completes (if any)."""

    first: date
    end: date
    completes: date | None


def day_runs(months: Sequence[date]) -> list[DayRun]:
    """The runs of days of ``months``, in order (`MONTH_PARTS`)."""
    out: list[DayRun] = []
    for m in months:
        for a, b in MONTH_PARTS:
            end = m.replace(day=b) if b else next_month(m)
            out.append(DayRun(m.replace(day=a), end, None if b else m))
    return out


async def write_run(
    session: AsyncSession, plan: Plan, stats: RollupStats, run: DayRun, seen: Fingerprint
) -> None:
    """One step of 3, its writing half: the run's day rows (`write_days`), then the
    rows of the month it completes."""
    await write_days(session, plan, stats, run.first, run.end, seen)
    if run.completes is not None:
        await _month_rows(session, run.completes)


# The days [first, end) and ``upto``, bound at each execution.
_FIRST = bindparam("days_first", type_=Date)
_END = bindparam("days_end", type_=Date)
_UPTO = bindparam("days_upto", type_=Integer)

# The retractions of a run's days as the counting saw them: (how many, highest id).
Fingerprint = tuple[int, int]


def _bound(plan: Plan, first: date, end: date) -> dict[str, Any]:
    return {
        "days_first": first,
        "days_end": end,
        "days_upto": plan.upto,
    }


async def read_days(session: AsyncSession, plan: Plan, first: date, end: date) -> Fingerprint:
    """Step 3 for the days [first, end), its reading half: count them into the cells.

    Needs no write lock (the cells are a temporary table of this connection), so
    the job runs it in a transaction of its own while citizens' presses write.
    Returns the days' retractions as they were before the counting: if more come
    before `write_days` (a response of these days erased or changed meanwhile),
    it counts again under the lock.
    """
    st = _days_statements(dialect_name(session))
    bound = _bound(plan, first, end)
    await session.execute(st.create)
    await session.execute(st.empty)  # left by a step that failed after its reading
    seen = (await session.execute(st.fingerprint, bound)).one()
    await _count(session, st, bound)
    return int(seen[0]), int(seen[1])


async def _count(session: AsyncSession, st: _DaysStatements, bound: dict[str, Any]) -> None:
    await session.execute(st.scan, bound)
    await session.execute(st.comments, bound)


async def write_days(
    session: AsyncSession, plan: Plan, stats: RollupStats, first: date, end: date, seen: Fingerprint
) -> None:
    """Step 3 for the days [first, end), its writing half (under the lock): every day
    table's rows from the cells `read_days` counted (counted again if the days'
    responses changed since)."""
    st = _days_statements(dialect_name(session))
    bound = _bound(plan, first, end)
    now = (await session.execute(st.fingerprint, bound)).one()
    if (int(now[0]), int(now[1])) != seen:
        await session.execute(st.empty)
        await _count(session, st, bound)
    # The cells hold these days as they are now: what was erased or changed in
    # them before is not in them, so there is nothing to subtract for it later.
    await session.execute(st.drop_retractions, bound)
    for statement in st.deletes:
        await session.execute(statement, bound)
    # The profile's packed counts, summed per (service, day), fit their slots
    # unless a service had more responses in a day than a slot holds: then the
    # day rows are counted value by value instead (`_exact_service_days`).
    largest = await session.scalar(st.largest_service_day)
    fits = largest is None or largest <= SLOT_MAX
    await session.execute(st.service_days if fits else st.exact_service_days, bound)
    for statement in st.officer_and_unit_days:
        await session.execute(statement, bound)
    claimed, unknown = (await session.execute(st.claimed_unknown, bound)).one()
    stats.claimed += int(claimed)
    # Profile values outside the instrument's lists (older data): counted exactly,
    # in a pass of their own over the days; normally there are none.
    if unknown:
        await _unknown_profile_values(session, bound)
    await session.execute(st.empty)


def _cells_table() -> Table:
    """A temporary table of one run of days' sums per (day, service, officer).

    Keyed in the order the scan writes it (``employee_id`` 0: no officer, as a
    key has no NULL), so that the service and officer rows are read from it in
    order, unsorted. It keeps its rows from the reading half of a step to the
    writing half (two transactions on one connection). Created once per
    connection and reused by the following steps rather than created and dropped
    in every step: each CREATE/DROP changes the connection's schema, which SQLite
    then reads again and every prepared statement is prepared again.
    """
    return Table(
        "rollup_day_cells",
        MetaData(),
        Column("day", Date, primary_key=True),
        Column("service_id", Integer, primary_key=True),
        Column("employee_id", Integer, primary_key=True),
        *(Column(m, Integer, nullable=False) for m in MEASURES),
        *(Column(p, BigInteger, nullable=False) for p in PACKED),
        prefixes=["TEMPORARY"],
        sqlite_with_rowid=False,
    )


_CELLS = _cells_table()
_KEYS = ("day", "service_id", "employee_id")
NO_OFFICER = 0  # the cells' employee_id of responses that name no officer


@dataclass(frozen=True)
class _DaysStatements:
    drop_retractions: Any
    fingerprint: Any
    create: Any
    empty: Any
    scan: Any
    comments: Any
    deletes: tuple[Any, ...]
    largest_service_day: Any
    service_days: Any
    exact_service_days: Any
    officer_and_unit_days: tuple[Any, ...]
    claimed_unknown: Any


@cache
def _days_statements(dialect: str) -> _DaysStatements:
    """`read_days`' and `write_days`' statements, built once per database kind (the
    days bound at each execution; the comments' upsert is spelled by each dialect)."""
    cells, sd = _CELLS, SERVICE_DAILY
    in_days = (sd.c.day >= _FIRST, sd.c.day < _END)
    known = sum((sd.c[c] for c in PROFILE_COUNTS), literal(0))
    per_service_day = (
        select(func.sum(cells.c.n).label("n")).group_by(cells.c.day, cells.c.service_id).subquery()
    )
    return _DaysStatements(
        drop_retractions=delete(RETRACTIONS).where(
            RETRACTIONS.c.day >= _FIRST, RETRACTIONS.c.day < _END
        ),
        fingerprint=select(func.count(), func.coalesce(func.max(RETRACTIONS.c.id), 0)).where(
            RETRACTIONS.c.day >= _FIRST, RETRACTIONS.c.day < _END
        ),
        create=CreateTable(cells, if_not_exists=True),
        empty=delete(cells),
        scan=_scan(cells),
        comments=_comments(cells, dialect),
        deletes=_day_deletes(),
        largest_service_day=select(func.max(per_service_day.c.n)),
        service_days=_service_days(cells),
        exact_service_days=_exact_service_days(cells),
        officer_and_unit_days=_officer_and_unit_days(cells),
        # How many responses, and how many answers hold a value outside the lists.
        claimed_unknown=select(
            func.coalesce(func.sum(sd.c.n), 0),
            func.coalesce(func.sum(sd.c.n * len(PROFILE_FIELDS) - known), 0),
        ).where(*in_days),
    )


def _counted_in_days() -> list[Any]:
    """The counted responses of the days [first, end): complete and submitted
    (`_COMPLETE`), with their day, numbered up to ``upto`` or without a number
    (counted before numbers existed, or stamped); read through the rollup's index
    (`_BY_DAY`), in the terms of its condition."""
    c = _BY_DAY.c
    return [
        _COMPLETE,
        c.rollup_day >= _FIRST,
        c.rollup_day < _END,
        func.coalesce(c.rollup_seq, 0) <= _UPTO,
    ]


# The rollup indexes' own conditions, as the queries that read them must contain
# them: SQLite reads a partial index only for a query whose condition contains the
# index's, literal for literal (and then does not test it again per row).
_COMPLETE = text(ROLLUP_CELLS_WHERE)
_COMPLETE_COMMENTED = text(ROLLUP_COMMENTED_WHERE)


# The complete submitted responses through the rollup's indexes (`storage.survey_models`):
# all of them, and those with a comment.
_BY_DAY = indexed_by(SR, "ix_survey_responses_rollup_cells")
_COMMENTED = indexed_by(SR, "ix_survey_responses_rollup_commented")


def _scan(cells: Table) -> Any:
    """The days' responses from the rollup's index: sums per (day, service, officer)
    in the index's order, the profile counted in the same pass, packed."""
    r = _BY_DAY.c
    grouped = (
        select(
            r.rollup_day,
            r.service_id,
            func.coalesce(r.employee_id, NO_OFFICER),
            func.count(),
            literal(0),  # the comments: `_comments`
            *(func.sum(r[u]) for u in UNSUR),
            *_packed_profile(r),
        )
        .where(*_counted_in_days())
        .group_by(r.rollup_day, r.service_id, r.employee_id)
    )
    return insert(cells).from_select([*_KEYS, *MEASURES, *PACKED], grouped)


def _packed_profile(r: Any) -> list[Any]:
    """The profile's counts, `SLOTS_PER_SUM` slots of `SLOT_BITS` bits to a sum."""
    out = []
    for group in range(0, len(PROFILE_COLUMNS), SLOTS_PER_SUM):
        slots = PROFILE_COLUMNS[group : group + SLOTS_PER_SUM]
        total: Any = None
        for name in PROFILE_FIELDS:
            mine = [(k, value) for k, (_c, f, value) in enumerate(slots) if f == name]
            if not mine:
                continue
            field = r[name]
            if any(value is None for _k, value in mine):  # "not answered": NULL or ""
                field = func.coalesce(field, "")
            weights = {value or "": 1 << (SLOT_BITS * k) for k, value in mine}
            term = case(weights, value=field, else_=0)
            total = term if total is None else total + term
        # PostgreSQL sums a bigint into a numeric: back to a bigint.
        out.append(cast(func.sum(total), BigInteger))
    return out


def _unpacked(packed_sums: Sequence[Any]) -> list[Any]:
    """Each packed sum split back into its counts (in `PROFILE_COLUMNS` order)."""
    counts = []
    for index in range(len(PROFILE_COLUMNS)):
        packed = cast(packed_sums[index // SLOTS_PER_SUM], BigInteger)
        shift = SLOT_BITS * (index % SLOTS_PER_SUM)
        # (PostgreSQL shifts a bigint by an integer only.)
        counts.append(packed.bitwise_rshift(literal(shift, Integer)).bitwise_and(SLOT_MAX))
    return counts


def _service_days(cells: Table) -> Any:
    """The days' service rows: the cells summed per (day, service), in the cells'
    (and the table's key) order, the profile unpacked."""
    packed_sums = [func.sum(cells.c[p]) for p in PACKED]
    return insert(SERVICE_DAILY).from_select(
        ["day", "service_id", *MEASURES, *PROFILE_COUNTS],
        select(
            cells.c.day, cells.c.service_id, *sums(cells, MEASURES), *_unpacked(packed_sums)
        ).group_by(cells.c.day, cells.c.service_id),
    )


def _exact_service_days(cells: Table) -> Any:
    """The same, the profile counted value by value from the rollup's index (one
    conditional count per value): for a run of days with a service's day too
    large for a slot."""
    r = _BY_DAY.c
    profile = []
    for _column, name, value in PROFILE_COLUMNS:
        field = r[name]
        condition = or_(field.is_(None), field == "") if value is None else field == value
        profile.append(func.count().filter(condition))
    counted = (
        select(r.rollup_day, r.service_id, *profile)
        .where(*_counted_in_days())
        .group_by(r.rollup_day, r.service_id)
        .subquery()
    )
    scores = (
        select(cells.c.day, cells.c.service_id, *(func.sum(cells.c[m]).label(m) for m in MEASURES))
        .group_by(cells.c.day, cells.c.service_id)
        .subquery()
    )
    key = (counted.c.rollup_day == scores.c.day, counted.c.service_id == scores.c.service_id)
    return insert(SERVICE_DAILY).from_select(
        ["day", "service_id", *MEASURES, *PROFILE_COUNTS],
        select(
            scores.c.day,
            scores.c.service_id,
            *(scores.c[m] for m in MEASURES),
            *(counted.c[i + 2] for i in range(len(PROFILE_COLUMNS))),
        ).select_from(scores.join(counted, and_(*key))),
    )


def _comments(cells: Table, dialect: str) -> Any:
    """The days' commented responses, counted into their cells, from the rollup's
    index of commented responses (`_COMMENTED`): its condition is every test on
    the comment, so SQLite reads no table row."""
    c = _COMMENTED.c
    commented = (
        select(c.rollup_day, c.service_id, func.coalesce(c.employee_id, NO_OFFICER), func.count())
        .where(
            _COMPLETE_COMMENTED,
            c.rollup_day >= _FIRST,
            c.rollup_day < _END,
            func.coalesce(c.rollup_seq, 0) <= _UPTO,
        )
        .group_by(c.rollup_day, c.service_id, c.employee_id)
    )
    # Every commented response counted is in a cell the scan wrote: only its
    # ``comments`` is set (the other measures are required, hence the zeros).
    values = [*_KEYS, "comments", *(m for m in (*MEASURES, *PACKED) if m != "comments")]
    source = commented.add_columns(*([literal(0)] * (len(values) - 4)))
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(cells)
    statement = statement.from_select(values, source)
    return statement.on_conflict_do_update(
        index_elements=list(_KEYS), set_={"comments": statement.excluded.comments}
    )


def _day_deletes() -> tuple[Any, ...]:
    """The days' old rows: one range of each day table's key (migration 0035; the
    profile table's by its index on ``day``). Readers meanwhile see every day
    either old or rebuilt."""
    return tuple(
        delete(table).where(table.c.day >= _FIRST, table.c.day < _END)
        for table in (SERVICE_DAILY, OFFICER_DAILY, PROFILE_DAILY, UNIT_DAILY)
    )


def _officer_and_unit_days(cells: Table) -> tuple[Any, ...]:
    """The days' new officer rows (from the cells, in their order, the table's key's)
    and unit rows (from the service rows just written)."""
    sd = SERVICE_DAILY
    officer = cells.c.employee_id
    return (
        insert(OFFICER_DAILY).from_select(
            [*_KEYS, *MEASURES],
            select(*(cells.c[k] for k in _KEYS), *(cells.c[m] for m in MEASURES)).where(
                officer != NO_OFFICER
            ),
        ),
        insert(UNIT_DAILY).from_select(
            ["unit_id", "day", *MEASURES],
            select(SERVICES.c.unit_id, sd.c.day, *sums(sd))
            .select_from(sd.join(SERVICES, SERVICES.c.id == sd.c.service_id))
            .where(sd.c.day >= _FIRST, sd.c.day < _END)
            .group_by(sd.c.day, SERVICES.c.unit_id),
        ),
    )


async def _unknown_profile_values(session: AsyncSession, bound: dict[str, Any]) -> None:
    r = _BY_DAY.c
    for name in PROFILE_FIELDS:
        column = r[name]
        await session.execute(
            insert(PROFILE_DAILY).from_select(
                ["service_id", "day", "field", "value", "n"],
                select(r.service_id, r.rollup_day, literal(name), column, func.count())
                .where(*_counted_in_days(), column.is_not(None), column != "")
                .where(column.not_in(KNOWN_VALUES[name]))
                .group_by(r.service_id, r.rollup_day, column),
            ),
            bound,
        )


async def _month_rows(session: AsyncSession, month: date) -> None:
    """The month's rows, summed from its day rows (one range of each day table's key)."""
    end = next_month(month)
    for monthly, daily, keys, measures in (
        (SERVICE_MONTHLY, SERVICE_DAILY, ("service_id",), SERVICE_MEASURES),
        (UNIT_MONTHLY, UNIT_DAILY, ("unit_id",), MEASURES),
        (OFFICER_MONTHLY, OFFICER_DAILY, ("employee_id", "service_id"), MEASURES),
        (PROFILE_MONTHLY, PROFILE_DAILY, ("service_id", "field", "value"), ("n",)),
    ):
        await session.execute(delete(monthly).where(monthly.c.month == month))
        key_columns = [daily.c[k] for k in keys]
        await session.execute(
            insert(monthly).from_select(
                [*keys, "month", *measures],
                select(*key_columns, literal(month, Date), *sums(daily, measures))
                .where(daily.c.day >= month, daily.c.day < end)
                .group_by(*key_columns),
            )
        )


# -- 4. finish -------------------------------------------------------------------------------


async def finish(session: AsyncSession, plan: Plan) -> None:
    """Step 4: the service → unit snapshot and the watermark."""
    await session.execute(delete(SERVICE_UNITS))
    await session.execute(
        insert(SERVICE_UNITS).from_select(
            ["service_id", "unit_id"], select(SERVICES.c.id, SERVICES.c.unit_id)
        )
    )
    await write_counted_upto(session, plan.zone, plan.upto)


async def write_counted_upto(session: AsyncSession, zone: str, upto: int) -> None:
    """The watermark, and the same number where the submitting UPDATE reads it."""
    await write_watermark(session, Watermark(zone, upto))
    await session.execute(delete(COUNTED_UPTO))
    await session.execute(insert(COUNTED_UPTO).values(upto=upto))


# The two stages a terminal's progress bar shows (`bot.cli.progress`).
STAMPING = "rollup: giving the responses their local days"
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
    if plan.ranges:
        progress.stage(STAMPING, len(plan.ranges))
        for ids in plan.ranges:
            await stamp_chunk(session, tz, plan, ids)
            progress.advance()
    runs = day_runs(await months_to_write(session))
    progress.stage(WRITING, len(runs) + 1)  # and the finishing step
    for run in runs:
        seen = await read_days(session, plan, run.first, run.end)
        await write_run(session, plan, stats, run, seen)
        progress.advance()
    await finish(session, plan)
    progress.advance()
    return plan
