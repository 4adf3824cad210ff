"""The ``rollup`` job: citizen scores into daily/monthly tables, closed 360° cycles into results.

Tables: `storage.rollup_models`. Reports read them (`storage.ikm_report`,
`storage.review_results`), so they stay fast however many responses there are.

Bucketing. A response counts on the local day, in TIMEZONE, on which it was
*submitted* (the IKM report's rule). Computing a local date in SQL is not
portable (SQLite has no time-zone database), so the rollup writes it once per
response into ``survey_responses.rollup_day``: it finds the earliest response
with ``submitted_at`` but no ``rollup_day`` (a small partial index), turns its
local day into the UTC instants [00:00, next 00:00) in Python (zoneinfo, so
any zone, daylight saving included), and sets ``rollup_day`` for every such
response in that range with one ``UPDATE … RETURNING``; then the next pending
day, and so on. Afterwards everything groups by a plain date column on both
databases.

Incremental run. ``rollup_day`` doubles as the per-response watermark: NULL on
a submitted response means "not counted yet". That is exact where a
high-water mark is not: ids are given when a survey is *started*, so a survey
started before others can be submitted after them, and submission times are
not commit order. A run:

1. claims the retractions (``DELETE … RETURNING`` on ``skm_rollup_retractions``)
   and the pending responses (the ``UPDATE … RETURNING`` above), each row
   exactly once, even with two runs at a time;
2. adds them up in Python per (service, day), (officer, service, day) and
   (service, day, profile field, value), and adds those deltas to the day rows
   with one upsert each (``n = n + excluded.n``), deleting rows that reach 0;
3. recomputes from the day rows, with set-based ``INSERT … SELECT … GROUP BY``,
   every derived row a delta touched: the unit day rows of the touched
   services' units and months, and the month rows of the touched months;
4. notices services that moved to another unit since the unit rows were built
   (``skm_rollup_service_units``) and recomputes both units from scratch.

Why it equals a full rebuild: every table is a sum over the same set of
counted responses (status submitted, nine answers, ``rollup_day`` set); each
response enters that set once (its claim) and leaves it once (its retraction),
and integer sums do not depend on the order of additions; derived rows are
recomputed by the same statements the full rebuild uses. The tests compare
every row of every table after random inserts, late submissions, deletions
and changes.

Deletions and changes. ``/hapusdata`` deletes rows, and later code may change
one. Triggers on ``survey_responses`` (migration 0007) copy the values a
rolled-up, counted response had into ``skm_rollup_retractions`` when it is
deleted, or when a counted column changes (then they also clear its
``rollup_day``, so the new values are claimed again). They run in the
deleting transaction, so no code path can forget them; the retraction holds
scores and service/officer/day only, never the pseudonym. Housekeeping that
strips pseudonyms and chat ids touches no counted column and fires nothing.
A SQLite migration that rebuilds ``survey_responses`` would drop the
triggers: every run checks that they exist and, if not, recreates them and
rebuilds everything (deletions in between cannot be known otherwise).

Full rebuild (``--full``, the first run, or a changed TIMEZONE): on SQLite the
pending responses get ``rollup_day`` from one ``UPDATE`` (``date(submitted_at,
'<offset> seconds')``, the offset picked by a CASE on the zone's offset changes,
see `_stamp_pending`; PostgreSQL keeps the per-day claim); then one scan of
``survey_responses`` grouped by (day, service, officer) into a temporary
table, with the profile counted by conditional sums in the same pass, then
every table from that small table. Profile values outside the instrument's
lists (older data) get an extra exact pass. On PostgreSQL the rebuild locks
``survey_responses`` against writers for its duration (what SQLite's single
writer does anyway), so no deletion can slip between the scan and clearing the
retractions.

Reviews: every CLOSED cycle not yet materialised (or materialised under another
minimum of anonymous raters, instrument or closing time) is written once
through `storage.review_results.materialise_cycle`, which stores only what
`scheduler.scoring.review_math.aggregate` released.

Concurrency: a run starts with a write (SQLite: the single write lock; on
PostgreSQL a lock that only other rollup runs wait for), so two runs never
interleave, and everything it decides on is read after that. The JobRun row
``rollup`` keeps the watermark ``<TIMEZONE>#<highest response id counted>``;
a run that finds nothing to do writes nothing at all.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable, DropTable
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from scheduler.scoring.skm_instrument import PROFILE
from storage import review_results
from storage.models import Service
from storage.outbox_models import JobRun
from storage.rollup_models import (
    MEASURES,
    NOT_ANSWERED,
    SkmOfficerDaily,
    SkmOfficerMonthly,
    SkmProfileDaily,
    SkmProfileMonthly,
    SkmRollupRetraction,
    SkmRollupServiceUnit,
    SkmServiceDaily,
    SkmServiceMonthly,
    SkmUnitDaily,
    SkmUnitMonthly,
)
from storage.survey_models import SUBMITTED, SurveyResponse

log = logging.getLogger(__name__)

JOB_NAME = "rollup"
UNSUR: tuple[str, ...] = tuple(f"u{i}" for i in range(1, 10))
PROFILE_FIELDS: tuple[str, ...] = ("age_group", "gender", "education", "occupation")
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    name: tuple(value for value, _label in PROFILE[name]) for name in PROFILE_FIELDS
}
# Below this many ids an IN list is one statement; above, it is chunked (SQLite's
# limit on bound parameters, and plans that stay simple).
CHUNK = 500

SR = SurveyResponse.__table__
RETRACTIONS = SkmRollupRetraction.__table__
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

# -- the triggers (the same DDL as migration 0007; recreated here if lost) --------------

TRIGGER_NAMES: tuple[str, ...] = ("skm_rollup_retract_on_delete", "skm_rollup_retract_on_update")
_WATCHED = ("status", "service_id", "employee_id", "submitted_at", "comment", *UNSUR)
_WATCHED += PROFILE_FIELDS
_RETRACTION_COLUMNS = (
    "service_id, employee_id, day, comments, u1, u2, u3, u4, u5, u6, u7, u8, u9, "
    "age_group, gender, education, occupation"
)
_OLD_VALUES = (
    "OLD.service_id, OLD.employee_id, OLD.rollup_day, "
    "CASE WHEN OLD.comment IS NOT NULL AND OLD.comment <> '' THEN 1 ELSE 0 END, "
    + ", ".join(f"OLD.{u}" for u in UNSUR)
    + ", OLD.age_group, OLD.gender, OLD.education, OLD.occupation"
)
_OLD_COUNTED = "OLD.status = 'submitted' AND " + " AND ".join(f"OLD.{u} IS NOT NULL" for u in UNSUR)


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in _WATCHED)


SQLITE_TRIGGERS: tuple[str, ...] = (
    f"""CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND {_OLD_COUNTED}
BEGIN
    INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS}) VALUES ({_OLD_VALUES});
END""",
    f"""CREATE TRIGGER skm_rollup_retract_on_update
AFTER UPDATE OF {", ".join(_WATCHED)} ON survey_responses FOR EACH ROW
WHEN OLD.rollup_day IS NOT NULL AND ({_changed("IS NOT")})
BEGIN
    INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS})
        SELECT {_OLD_VALUES} WHERE {_OLD_COUNTED};
    UPDATE survey_responses SET rollup_day = NULL WHERE id = NEW.id;
END""",
)
POSTGRESQL_TRIGGERS: tuple[str, ...] = (
    f"""CREATE OR REPLACE FUNCTION skm_rollup_retract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF {_OLD_COUNTED} THEN
        INSERT INTO skm_rollup_retractions ({_RETRACTION_COLUMNS}) VALUES ({_OLD_VALUES});
    END IF;
    IF TG_OP = 'UPDATE' THEN
        NEW.rollup_day := NULL;
        RETURN NEW;
    END IF;
    RETURN OLD;
END
$$""",
    """CREATE TRIGGER skm_rollup_retract_on_delete
AFTER DELETE ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL)
EXECUTE FUNCTION skm_rollup_retract()""",
    f"""CREATE TRIGGER skm_rollup_retract_on_update
BEFORE UPDATE OF {", ".join(_WATCHED)} ON survey_responses FOR EACH ROW
WHEN (OLD.rollup_day IS NOT NULL AND ({_changed("IS DISTINCT FROM")}))
EXECUTE FUNCTION skm_rollup_retract()""",
)


async def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def triggers_present(session: AsyncSession) -> bool:
    if await _dialect(session) == "postgresql":
        query = text(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
            " AND tgrelid = 'survey_responses'::regclass AND tgname IN :names"
        )
    else:
        query = text(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name = 'survey_responses' AND name IN :names"
        )
    query = query.bindparams(bindparam("names", expanding=True))
    found = await session.scalar(query, {"names": list(TRIGGER_NAMES)})
    return int(found or 0) == len(TRIGGER_NAMES)


async def create_triggers(session: AsyncSession) -> None:
    """(Re)create the retraction triggers (drops any half-present set first)."""
    postgres = await _dialect(session) == "postgresql"
    for name in TRIGGER_NAMES:
        suffix = " ON survey_responses" if postgres else ""
        await session.execute(text(f"DROP TRIGGER IF EXISTS {name}{suffix}"))
    for statement in POSTGRESQL_TRIGGERS if postgres else SQLITE_TRIGGERS:
        await session.execute(text(statement))


# -- small SQL helpers ---------------------------------------------------------------------


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


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def day_bounds(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """UTC instants of the local day: [00:00, next day 00:00), as the IKM report uses."""
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC)
    return start, end


def _chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    ordered = sorted(values)
    for index in range(0, len(ordered), size):
        yield ordered[index : index + size]


def _upsert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not written for {dialect}")  # pragma: no cover


def _has_comment(column: Any) -> ColumnElement[int]:
    return case((and_(column.is_not(None), column != ""), 1), else_=0)


def _counted() -> list[ColumnElement[bool]]:
    """The responses every table sums: submitted, all nine answers, rolled up.

    For the full scans only: ``coalesce`` (a no-op on this NOT NULL column)
    keeps SQLite from reading a million rows in random order through the
    (status, submitted_at) index when one sequential scan is several times
    cheaper; PostgreSQL scans sequentially anyway.
    """
    return [
        func.coalesce(SR.c.status, "") == SUBMITTED,
        SR.c.rollup_day.is_not(None),
        *(SR.c[u].is_not(None) for u in UNSUR),
    ]


def _tz_key(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


# -- the result of a run --------------------------------------------------------------------


@dataclass
class RollupStats:
    full: bool = False
    reason: str = ""  # why a rebuild happened
    claimed: int = 0  # responses newly rolled up
    retracted: int = 0  # rolled-up responses deleted or changed
    moved_services: int = 0
    cycles: int = 0  # review cycles materialised
    cycles_dropped: int = 0
    watermark: str | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.full
            or self.claimed
            or self.retracted
            or self.moved_services
            or self.cycles
            or self.cycles_dropped
        )

    def summary(self) -> str:
        if not self.changed:
            return "rollup: up to date"
        parts = []
        if self.full:
            parts.append(f"full rebuild ({self.reason})" if self.reason else "full rebuild")
        parts.append(f"{self.claimed} responses added, {self.retracted} retracted")
        if self.moved_services:
            parts.append(f"{self.moved_services} services moved unit")
        if self.cycles or self.cycles_dropped:
            parts.append(f"{self.cycles} review cycles materialised")
        if self.cycles_dropped:
            parts.append(f"{self.cycles_dropped} dropped")
        return "rollup: " + "; ".join(parts)


class _Inconsistent(Exception):
    """A retraction for a row the tables do not hold: only a rebuild can repair that."""


# -- the watermark ------------------------------------------------------------------------


@dataclass(frozen=True)
class Watermark:
    timezone: str
    last_id: int

    def encode(self) -> str:
        return f"{self.timezone}#{self.last_id}"

    @classmethod
    def decode(cls, value: str | None) -> Watermark | None:
        if not value or "#" not in value:
            return None
        zone, _, number = value.rpartition("#")
        return cls(zone, int(number)) if number.isdigit() and zone else None


async def read_watermark(session: AsyncSession) -> Watermark | None:
    value = await session.scalar(select(JobRun.watermark).where(JobRun.name == JOB_NAME))
    return Watermark.decode(value)


async def _write_watermark(session: AsyncSession, mark: Watermark) -> None:
    table = JobRun.__table__
    statement = _upsert(await _dialect(session), table).values(
        name=JOB_NAME, watermark=mark.encode()
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"watermark": statement.excluded.watermark}
        )
    )


# -- is there anything to do? (cheap reads, no lock) ---------------------------------------


async def _exists(session: AsyncSession, statement: Any) -> bool:
    return (await session.execute(statement.limit(1))).first() is not None


def _moved_services_query() -> Any:
    snap = SERVICE_UNITS
    return (
        select(SERVICES.c.id, SERVICES.c.unit_id, snap.c.unit_id)
        .select_from(SERVICES.outerjoin(snap, snap.c.service_id == SERVICES.c.id))
        .where(or_(snap.c.unit_id.is_(None), snap.c.unit_id != SERVICES.c.unit_id))
    )


def _gone_services_query() -> Any:
    return select(SERVICE_UNITS.c.service_id).where(
        ~select(SERVICES.c.id).where(SERVICES.c.id == SERVICE_UNITS.c.service_id).exists()
    )


async def scores_need_refresh(session: AsyncSession, tz: tzinfo) -> bool:
    """Whether the score tables are behind: a handful of indexed reads."""
    mark = await read_watermark(session)
    if mark is None or mark.timezone != _tz_key(tz):
        return True
    if not await triggers_present(session):
        return True
    # min() over the partial index's own column: SQLite answers it from the small
    # "pending" index whatever its statistics say (a bare "LIMIT 1" was planned as a
    # table scan once ANALYZE had seen the first run's million pending rows).
    pending = select(func.min(SR.c.submitted_at)).where(
        SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None)
    )
    if await session.scalar(pending) is not None:
        return True
    if await _exists(session, select(RETRACTIONS.c.id)):
        return True
    return await _exists(session, _moved_services_query()) or await _exists(
        session, _gone_services_query()
    )


async def needs_refresh(session: AsyncSession, tz: tzinfo, min_raters: int | None) -> bool:
    if await scores_need_refresh(session, tz):
        return True
    if min_raters is None:
        return False
    stale, dropped = await review_results.cycles_to_materialise(session, min_raters=min_raters)
    return bool(stale or dropped)


# -- lock ------------------------------------------------------------------------------------


async def _lock(session: AsyncSession, *, writers_too: bool) -> None:
    """Serialise rollup runs; with ``writers_too`` also hold off writes to the responses.

    SQLite: any write takes the database's single write lock until commit, so a
    no-op UPDATE is enough (and later reads see a stable database). PostgreSQL:
    a table lock that only other rollup runs ask for, plus, for a rebuild, SHARE
    on survey_responses (readers go on; submissions wait until the commit).
    """
    if await _dialect(session) == "postgresql":
        await session.execute(text("LOCK TABLE skm_rollup_service_units IN EXCLUSIVE MODE"))
        if writers_too:
            await session.execute(text("LOCK TABLE survey_responses IN SHARE MODE"))
    else:
        await session.execute(
            update(SERVICE_UNITS).where(false()).values(unit_id=SERVICE_UNITS.c.unit_id)
        )


# -- claiming pending responses ------------------------------------------------------------

_CLAIM_RETURNS = (
    SR.c.id,
    SR.c.status,
    SR.c.service_id,
    SR.c.employee_id,
    _has_comment(SR.c.comment).label("has_comment"),
    *(SR.c[u] for u in UNSUR),
    *(SR.c[name] for name in PROFILE_FIELDS),
)


async def _claim_pending(
    session: AsyncSession, tz: tzinfo, deltas: _Deltas | None
) -> tuple[int, int]:
    """Set rollup_day on every response with submitted_at and none yet, one local day at a time.

    Adds the counted ones to ``deltas`` (when given); returns how many rows
    were claimed and the highest id claimed.
    """
    claimed = 0
    last_id = 0
    after: datetime | None = None
    while True:
        query = select(func.min(SR.c.submitted_at)).where(
            SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None)
        )
        if after is not None:
            query = query.where(SR.c.submitted_at >= after)
        first = await session.scalar(query)
        if first is None:
            break
        day = first.astimezone(tz).date()
        start, end = day_bounds(day, tz)
        start = min(start, first)  # never skip a row, whatever the zone does at midnight
        statement = (
            update(SR)
            .where(
                SR.c.rollup_day.is_(None),
                SR.c.submitted_at.is_not(None),
                SR.c.submitted_at >= start,
                SR.c.submitted_at < end,
            )
            .values(rollup_day=day)
        )
        if deltas is not None:
            result = await session.execute(statement.returning(*_CLAIM_RETURNS))
            # Plain tuples by position: attribute access on a million Row objects
            # was most of an incremental run's time.
            rows = [tuple(row) for row in result]
            claimed += len(rows)
            for row in rows:
                last_id = max(last_id, row[0])
                # Claimed (no longer pending) but never counted unless complete and submitted.
                if row[1] == SUBMITTED and None not in row[5:14]:
                    deltas.add(1, row[2], row[3], day, int(row[4]), row[5:14], row[14:18])
        else:
            result = await session.execute(statement)
            claimed += int(result.rowcount or 0)  # type: ignore[attr-defined]
        after = end
    return claimed, last_id


def _offset_at(moment: datetime, tz: tzinfo) -> timedelta:
    return moment.astimezone(tz).utcoffset() or timedelta(0)


def _offset_segments(first: datetime, last: datetime, tz: tzinfo) -> list[tuple[datetime, int]]:
    """[(from, offset seconds)]: the zone's UTC offset from each instant on, over [first, last].

    Found by stepping six hours at a time and bisecting each change to the
    microsecond; a zone without daylight saving gives one segment.
    """
    segments = [(first, int(_offset_at(first, tz).total_seconds()))]
    here = first
    while here < last:
        step = min(here + timedelta(hours=6), last)
        if _offset_at(step, tz) != _offset_at(here, tz):
            low, high = here, step  # offset(low) != offset(high): find the first instant
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if _offset_at(middle, tz) == _offset_at(low, tz):
                    low = middle
                else:
                    high = middle
            segments.append((high, int(_offset_at(high, tz).total_seconds())))
        here = step
    return segments


# Beyond this many days between the first and last pending response the per-day
# claim is used (a guard against absurd timestamps, not a real limit).
STAMP_SPAN_DAYS = 366 * 50


async def _stamp_pending(session: AsyncSession, tz: tzinfo) -> int:
    """The rebuild's claim: set rollup_day on every pending response; how many.

    On SQLite, one ``UPDATE`` for all of them: the local day is
    ``date(submitted_at, '<offset> seconds')``, the offset chosen by a CASE on
    the zone's offset changes between the first and the last pending instant
    (none for a zone without daylight saving). That is the day
    ``submitted_at.astimezone(tz).date()``, the same as the per-day claim, and
    one pass over the table instead of an indexed pass per day. PostgreSQL
    (and absurd spans) use the per-day claim.
    """
    if await _dialect(session) != "sqlite":
        return (await _claim_pending(session, tz, None))[0]
    pending = (SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None))
    first, last = (
        await session.execute(
            select(func.min(SR.c.submitted_at), func.max(SR.c.submitted_at)).where(*pending)
        )
    ).one()
    if first is None:
        return 0
    if last - first > timedelta(days=STAMP_SPAN_DAYS):
        return (await _claim_pending(session, tz, None))[0]
    segments = _offset_segments(first, last, tz)
    modifier: Any = literal(f"{segments[-1][1]:+d} seconds")
    if len(segments) > 1:
        modifier = case(
            *(
                (SR.c.submitted_at < start, literal(f"{offset:+d} seconds"))
                for (_s, offset), (start, _o) in pairwise(segments)
            ),
            else_=modifier,
        )
    # A plain table scan (the coalesce keeps SQLite off the pending index, which
    # would mean a million lookups in submitted_at order): most rows are pending.
    result = await session.execute(
        update(SR)
        .where(func.coalesce(SR.c.rollup_day, None).is_(None), SR.c.submitted_at.is_not(None))
        .values(rollup_day=func.date(SR.c.submitted_at, modifier, type_=Date))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _claim_retractions(session: AsyncSession, deltas: _Deltas) -> int:
    """Take every retraction (each exactly once) and subtract it in ``deltas``."""
    table = RETRACTIONS
    result = await session.execute(
        delete(table).returning(
            table.c.service_id,
            table.c.employee_id,
            table.c.day,
            table.c.comments,
            *(table.c[u] for u in UNSUR),
            *(table.c[name] for name in PROFILE_FIELDS),
        )
    )
    count = 0
    for row in result:
        values = tuple(row)
        deltas.add(-1, values[0], values[1], values[2], int(values[3]), values[4:13], values[13:])
        count += 1
    return count


# -- applying deltas to the day rows --------------------------------------------------------


def _profile_value(value: str | None) -> str:
    return value if value not in (None, "") else NOT_ANSWERED


def _plus(target: dict[Any, list[int]], key: Any, values: Sequence[int]) -> None:
    current = target.get(key)
    if current is None:
        target[key] = list(values)
    else:
        target[key] = [a + b for a, b in zip(current, values, strict=True)]


@dataclass
class _Deltas:
    """What entered (+1) and left (−1) the counted set, summed per day row."""

    service: dict[tuple[int, date], list[int]] = field(default_factory=dict)
    officer: dict[tuple[int, int, date], list[int]] = field(default_factory=dict)
    profile: dict[tuple[int, date, str, str], list[int]] = field(default_factory=dict)
    # Keys that lost a response: they may reach 0 (delete) or below (inconsistent).
    shrinking: dict[str, set[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(set))

    def add(
        self,
        sign: int,
        service_id: int,
        employee_id: int | None,
        day: date,
        comment: int,
        scores: Sequence[int],
        profile: Sequence[str | None],
    ) -> None:
        if sign == 1:
            values = [1, comment, *scores]
        else:
            values = [-1, -comment, *(-int(s) for s in scores)]
        service_key = (service_id, day)
        _plus(self.service, service_key, values)
        officer_key = None
        if employee_id is not None:
            officer_key = (employee_id, service_id, day)
            _plus(self.officer, officer_key, values)
        profile_keys = [
            (service_id, day, name, _profile_value(value))
            for name, value in zip(PROFILE_FIELDS, profile, strict=True)
        ]
        for key in profile_keys:
            current = self.profile.get(key)
            self.profile[key] = [sign] if current is None else [current[0] + sign]
        if sign < 0:
            self.shrinking["service"].add(service_key)
            if officer_key is not None:
                self.shrinking["officer"].add(officer_key)
            self.shrinking["profile"].update(profile_keys)


async def _add_to_days(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    measures: Sequence[str],
    deltas: Mapping[tuple[Any, ...], list[int]],
    shrinking: set[tuple[Any, ...]],
) -> None:
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(measures, values, strict=True))}
        for key, values in deltas.items()
        if any(values)
    ]
    if rows:
        statement = _upsert(await _dialect(session), table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={m: table.c[m] + statement.excluded[m] for m in measures},
        )
        await session.execute(statement, rows)
    if not shrinking:
        return
    key_columns = tuple_(*(table.c[k] for k in keys))
    for chunk in _chunks(shrinking):
        negative = await session.scalar(
            select(func.count()).where(key_columns.in_(chunk), table.c.n < 0)
        )
        if negative:
            raise _Inconsistent(f"{table.name}: a retraction below zero")
        await session.execute(delete(table).where(key_columns.in_(chunk), table.c.n == 0))


# -- recomputing derived rows -----------------------------------------------------------------


def _sums(table: Table, measures: Sequence[str] = MEASURES) -> list[Any]:
    return [func.sum(table.c[m]) for m in measures]


async def _monthly_from_daily(
    session: AsyncSession,
    monthly: Table,
    daily: Table,
    keys: Sequence[str],
    by: str,
    ids: Iterable[int],
    month: date,
    measures: Sequence[str] = MEASURES,
) -> None:
    """Recompute the month rows of ``month`` for the given ids of column ``by``."""
    end = next_month(month)
    for chunk in _chunks(set(ids)):
        await session.execute(
            delete(monthly).where(monthly.c.month == month, monthly.c[by].in_(chunk))
        )
        source = (
            select(*(daily.c[k] for k in keys), literal(month, Date), *_sums(daily, measures))
            .where(daily.c[by].in_(chunk), daily.c.day >= month, daily.c.day < end)
            .group_by(*(daily.c[k] for k in keys))
        )
        await session.execute(insert(monthly).from_select([*keys, "month", *measures], source))


async def _unit_days(
    session: AsyncSession, unit_ids: Iterable[int], first: date | None, end: date | None
) -> None:
    """Recompute unit day rows from service day rows (current service → unit mapping)."""
    sd = SERVICE_DAILY
    for chunk in _chunks(set(unit_ids)):
        removal = delete(UNIT_DAILY).where(UNIT_DAILY.c.unit_id.in_(chunk))
        source = (
            select(SERVICES.c.unit_id, sd.c.day, *_sums(sd))
            .select_from(sd.join(SERVICES, SERVICES.c.id == sd.c.service_id))
            .where(SERVICES.c.unit_id.in_(chunk))
            .group_by(SERVICES.c.unit_id, sd.c.day)
        )
        if first is not None and end is not None:
            removal = removal.where(UNIT_DAILY.c.day >= first, UNIT_DAILY.c.day < end)
            source = source.where(sd.c.day >= first, sd.c.day < end)
        await session.execute(removal)
        await session.execute(insert(UNIT_DAILY).from_select(["unit_id", "day", *MEASURES], source))


async def _unit_of(session: AsyncSession, service_ids: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(set(service_ids)):
        rows = await session.execute(
            select(SERVICES.c.id, SERVICES.c.unit_id).where(SERVICES.c.id.in_(chunk))
        )
        out.update({service: unit for service, unit in rows})
    return out


async def _moved_units(session: AsyncSession) -> tuple[set[int], int]:
    """Units to rebuild because a service moved (or appeared), and the snapshot fixed."""
    units: set[int] = set()
    moved = 0
    rows = (await session.execute(_moved_services_query())).all()
    dialect = await _dialect(session)
    for service_id, unit_id, old_unit in rows:
        if old_unit is not None:
            moved += 1
            units.update((unit_id, old_unit))
        # A service new to the snapshot has no rows counted under another unit:
        # recording it is enough (its new rows are recomputed as they come).
        statement = _upsert(dialect, SERVICE_UNITS).values(service_id=service_id, unit_id=unit_id)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["service_id"], set_={"unit_id": statement.excluded.unit_id}
            )
        )
    gone = (await session.scalars(_gone_services_query())).all()
    if gone:
        await session.execute(delete(SERVICE_UNITS).where(SERVICE_UNITS.c.service_id.in_(gone)))
    return units, moved


async def _rebuild_units(session: AsyncSession, unit_ids: set[int]) -> None:
    """All day and month rows of these units, from the service rows."""
    if not unit_ids:
        return
    await _unit_days(session, unit_ids, None, None)
    for chunk in _chunks(unit_ids):
        await session.execute(delete(UNIT_MONTHLY).where(UNIT_MONTHLY.c.unit_id.in_(chunk)))
        ud = UNIT_DAILY
        month = month_start(ud.c.day)
        source = (
            select(ud.c.unit_id, month, *_sums(ud))
            .where(ud.c.unit_id.in_(chunk))
            .group_by(ud.c.unit_id, month)
        )
        await session.execute(
            insert(UNIT_MONTHLY).from_select(["unit_id", "month", *MEASURES], source)
        )


async def _incremental(session: AsyncSession, tz: tzinfo, stats: RollupStats) -> int:
    """Steps 1–4 of the module docstring; the highest response id claimed (0 if none)."""
    deltas = _Deltas()
    stats.retracted = await _claim_retractions(session, deltas)
    stats.claimed, last_id = await _claim_pending(session, tz, deltas)

    await _add_to_days(
        session,
        SERVICE_DAILY,
        ("service_id", "day"),
        MEASURES,
        deltas.service,
        deltas.shrinking["service"],
    )
    await _add_to_days(
        session,
        OFFICER_DAILY,
        ("employee_id", "service_id", "day"),
        MEASURES,
        deltas.officer,
        deltas.shrinking["officer"],
    )
    await _add_to_days(
        session,
        PROFILE_DAILY,
        ("service_id", "day", "field", "value"),
        ("n",),
        deltas.profile,
        deltas.shrinking["profile"],
    )

    # Derived rows of what was touched, month by month.
    services_by_month: dict[date, set[int]] = defaultdict(set)
    for service_id, day in deltas.service:
        services_by_month[first_of_month(day)].add(service_id)
    officers_by_month: dict[date, set[int]] = defaultdict(set)
    for employee_id, _service_id, day in deltas.officer:
        officers_by_month[first_of_month(day)].add(employee_id)
    moved_units, stats.moved_services = await _moved_units(session)
    unit_of = await _unit_of(session, {s for ids in services_by_month.values() for s in ids})
    for month, service_ids in sorted(services_by_month.items()):
        await _monthly_from_daily(
            session,
            SERVICE_MONTHLY,
            SERVICE_DAILY,
            ("service_id",),
            "service_id",
            service_ids,
            month,
        )
        await _monthly_from_daily(
            session,
            PROFILE_MONTHLY,
            PROFILE_DAILY,
            ("service_id", "field", "value"),
            "service_id",
            service_ids,
            month,
            ("n",),
        )
        units = {unit_of[s] for s in service_ids if s in unit_of} - moved_units
        if units:
            await _unit_days(session, units, month, next_month(month))
            await _monthly_from_daily(
                session, UNIT_MONTHLY, UNIT_DAILY, ("unit_id",), "unit_id", units, month
            )
    for month, employee_ids in sorted(officers_by_month.items()):
        await _monthly_from_daily(
            session,
            OFFICER_MONTHLY,
            OFFICER_DAILY,
            ("employee_id", "service_id"),
            "employee_id",
            employee_ids,
            month,
        )
    await _rebuild_units(session, moved_units)
    return last_id


# -- the full rebuild ----------------------------------------------------------------------------


def _profile_columns() -> list[tuple[str, str, str | None]]:
    """(temporary column, field, value) for every known value and "not answered" (None)."""
    out: list[tuple[str, str, str | None]] = []
    for name in PROFILE_FIELDS:
        for index, value in enumerate(KNOWN_VALUES[name]):
            out.append((f"p_{name}_{index}", name, value))
        out.append((f"p_{name}_na", name, None))
    return out


def _cell_table(name: str, keys: Sequence[Column[Any]]) -> Table:
    """A temporary table of per-cell sums (dropped at commit on PostgreSQL)."""
    columns = [*keys, *(Column(m, Integer) for m in MEASURES)]
    columns += [Column(column, Integer) for column, _f, _v in _profile_columns()]
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


async def _rebuild(session: AsyncSession, tz: tzinfo, stats: RollupStats, *, reset: bool) -> int:
    """Every score table from survey_responses; the highest counted response id."""
    if reset:  # another TIMEZONE: every local day must be computed again
        await session.execute(
            update(SR).where(SR.c.rollup_day.is_not(None)).values(rollup_day=None)
        )
    await session.execute(delete(RETRACTIONS))
    stats.claimed = await _stamp_pending(session, tz)
    for table in (*SCORE_TABLES, SERVICE_UNITS):
        await session.execute(delete(table))

    profile = _profile_columns()
    cells = _cell_table(
        "rollup_cells",
        [Column("day", Date), Column("service_id", Integer), Column("employee_id", Integer)],
    )
    service_cells = _cell_table(
        "rollup_service_cells", [Column("day", Date), Column("service_id", Integer)]
    )
    month_cells = _cell_table(
        "rollup_month_cells", [Column("month", Date), Column("service_id", Integer)]
    )
    temporary = (cells, service_cells, month_cells)
    for table in temporary:
        await session.execute(DropTable(table, if_exists=True))
        await session.execute(CreateTable(table))
    try:
        await _fill_cells(session, cells, service_cells, month_cells, profile)
        await _tables_from_cells(session, cells, service_cells, month_cells, profile)
    finally:
        for table in temporary:
            await session.execute(DropTable(table, if_exists=True))
    await session.execute(
        insert(SERVICE_UNITS).from_select(
            ["service_id", "unit_id"], select(SERVICES.c.id, SERVICES.c.unit_id)
        )
    )
    last = await session.scalar(select(func.max(SR.c.id)).where(SR.c.rollup_day.is_not(None)))
    return int(last or 0)


async def _fill_cells(
    session: AsyncSession,
    cells: Table,
    service_cells: Table,
    month_cells: Table,
    profile: Sequence[tuple[str, str, str | None]],
) -> None:
    # The one pass over survey_responses. Grouping by the day first keeps
    # SQLite on a plain table scan and one sort (an index on service_id would
    # turn it into a million random lookups).
    conditional = []
    for _column, name, value in profile:
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
            func.sum(_has_comment(SR.c.comment)),
            *(func.sum(SR.c[u]) for u in UNSUR),
            *conditional,
        )
        .where(*_counted())
        .group_by(SR.c.rollup_day, SR.c.service_id, SR.c.employee_id)
    )
    names = ["day", "service_id", "employee_id", *MEASURES, *(c for c, _f, _v in profile)]
    await session.execute(insert(cells).from_select(names, scan))
    per_service = select(
        cells.c.day,
        cells.c.service_id,
        *(func.sum(cells.c[name]) for name in names[3:]),
    ).group_by(cells.c.service_id, cells.c.day)  # (service, day) order: see the profile
    await session.execute(
        insert(service_cells).from_select(["day", *names[1:2], *names[3:]], per_service)
    )
    month = month_start(service_cells.c.day)
    per_month = select(
        month, service_cells.c.service_id, *(func.sum(service_cells.c[n]) for n in names[3:])
    ).group_by(service_cells.c.service_id, month)
    await session.execute(
        insert(month_cells).from_select(["month", *names[1:2], *names[3:]], per_month)
    )


async def _tables_from_cells(
    session: AsyncSession,
    cells: Table,
    service_cells: Table,
    month_cells: Table,
    profile: Sequence[tuple[str, str, str | None]],
) -> None:
    sc, mc = service_cells, month_cells
    for target, source, period in ((SERVICE_DAILY, sc, "day"), (SERVICE_MONTHLY, mc, "month")):
        await session.execute(
            insert(target).from_select(
                ["service_id", period, *MEASURES],
                select(source.c.service_id, source.c[period], *(source.c[m] for m in MEASURES)),
            )
        )
    await session.execute(
        insert(OFFICER_DAILY).from_select(
            ["employee_id", "service_id", "day", *MEASURES],
            select(
                cells.c.employee_id,
                cells.c.service_id,
                cells.c.day,
                *(cells.c[m] for m in MEASURES),
            ).where(cells.c.employee_id.is_not(None)),
        )
    )
    # The profile: one row per (field, value) with a count, unpivoted from the
    # per-service cells (a few thousand rows) rather than re-read from the responses:
    # each cell joined with a constant list of the (field, value) pairs in key
    # order. The cells were written in (service, period) order, so with the cells
    # as the outer loop the rows arrive in the b-tree's key order without a sort
    # (appending in order costs half of inserting at random; a sort of the
    # 400,000 rows cost as much again). The order only affects the speed.
    pairs = sorted(
        ((name, _profile_value(value), column) for column, name, value in profile),
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
    for target, source, period in ((PROFILE_DAILY, sc, "day"), (PROFILE_MONTHLY, mc, "month")):
        count = case(
            {index: source.c[column] for index, (_n, _v, column) in enumerate(pairs)},
            value=constants.c.k,
        )
        rows = (
            select(
                source.c.service_id.label("service_id"),
                source.c[period].label("period"),
                constants.c.field,
                constants.c.value,
                count.label("n"),
            )
            # LEFT JOIN (every cell matches all the pairs, so the same rows as a
            # JOIN): SQLite keeps the written order, the cells outside.
            .select_from(source.outerjoin(constants, literal(True)))
            .subquery()
        )
        await session.execute(
            insert(target).from_select(
                ["service_id", period, "field", "value", "n"],
                select(
                    rows.c.service_id, rows.c.period, rows.c.field, rows.c.value, rows.c.n
                ).where(rows.c.n > 0),
            )
        )
    await _unknown_profile_values(session, sc)
    await session.execute(
        insert(UNIT_DAILY).from_select(
            ["unit_id", "day", *MEASURES],
            select(SERVICES.c.unit_id, sc.c.day, *_sums(sc))
            .select_from(sc.join(SERVICES, SERVICES.c.id == sc.c.service_id))
            .group_by(SERVICES.c.unit_id, sc.c.day),
        )
    )
    for monthly, daily, keys in (
        (UNIT_MONTHLY, UNIT_DAILY, ("unit_id",)),
        (OFFICER_MONTHLY, OFFICER_DAILY, ("employee_id", "service_id")),
    ):
        month = month_start(daily.c.day)
        source = select(*(daily.c[k] for k in keys), month, *_sums(daily)).group_by(
            *(daily.c[k] for k in keys), month
        )
        await session.execute(insert(monthly).from_select([*keys, "month", *MEASURES], source))


async def _unknown_profile_values(session: AsyncSession, service_cells: Table) -> None:
    """Profile values outside the instrument's lists: counted exactly, in passes of their own.

    Normally none (the bot accepts only the listed values), so this is one
    cheap check per field; older data with other values costs one scan each.
    """
    sc = service_cells
    pd = PROFILE_DAILY
    for name in PROFILE_FIELDS:
        columns = [c for c, f, _v in _profile_columns() if f == name]
        unknown = await session.scalar(
            select(func.sum(sc.c.n - sum((sc.c[c] for c in columns), literal(0))))
        )
        if not unknown:
            continue
        column = SR.c[name]
        await session.execute(
            insert(pd).from_select(
                ["service_id", "day", "field", "value", "n"],
                select(SR.c.service_id, SR.c.rollup_day, literal(name), column, func.count())
                .where(*_counted(), column.is_not(None), column != "")
                .where(column.not_in(KNOWN_VALUES[name]))
                .group_by(SR.c.service_id, SR.c.rollup_day, column),
            )
        )
        month = month_start(pd.c.day)
        await session.execute(
            insert(PROFILE_MONTHLY).from_select(
                ["service_id", "month", "field", "value", "n"],
                select(pd.c.service_id, month, pd.c.field, pd.c.value, func.sum(pd.c.n))
                .where(
                    pd.c.field == name,
                    pd.c.value != NOT_ANSWERED,
                    pd.c.value.not_in(KNOWN_VALUES[name]),
                )
                .group_by(pd.c.service_id, month, pd.c.field, pd.c.value),
            )
        )


# -- entry points ------------------------------------------------------------------------------


async def refresh_scores(
    session: AsyncSession, *, tz: tzinfo, full: bool = False, stats: RollupStats | None = None
) -> RollupStats:
    """Bring the SKM score tables up to date inside the caller's transaction.

    Starts with a write (see `_lock`): call it first in a fresh transaction.
    Incremental unless ``full``, the first run, a changed TIMEZONE, missing
    triggers or an inconsistency found on the way make it a rebuild.
    """
    stats = stats or RollupStats()
    await _lock(session, writers_too=full)
    mark = await read_watermark(session)
    zone = _tz_key(tz)
    reasons = []
    if full:
        reasons.append("requested")
    if mark is None:
        reasons.append("first run")
    elif mark.timezone != zone:
        reasons.append(f"TIMEZONE changed from {mark.timezone}")
    if not await triggers_present(session):
        await create_triggers(session)
        reasons.append("triggers were missing")
    if not reasons:
        try:
            last = await _incremental(session, tz, stats)
        except _Inconsistent as exc:
            # What the incremental part wrote is about to be replaced wholesale:
            # the rebuild reads nothing but survey_responses, so no savepoint needed.
            log.warning("rollup: %s; rebuilding everything", exc)
            reasons.append("inconsistency")
            stats = RollupStats()
    if reasons:
        if not full:
            await _lock(session, writers_too=True)
        stats.full = True
        stats.reason = ", ".join(reasons)
        reset = mark is not None and mark.timezone != zone
        last = await _rebuild(session, tz, stats, reset=reset)
    elif not stats.changed:
        return stats
    previous = mark.last_id if mark and mark.timezone == zone and not stats.full else 0
    new_mark = Watermark(zone, max(previous, last))
    if stats.full or new_mark != mark:
        await _write_watermark(session, new_mark)
    stats.watermark = new_mark.encode()
    return stats


async def refresh_reviews(
    session: AsyncSession,
    *,
    min_raters: int,
    now: datetime,
    full: bool = False,
    stats: RollupStats | None = None,
) -> RollupStats:
    """Materialise closed cycles not yet materialised (all of them with ``full``)."""
    stats = stats or RollupStats()
    stale, dropped = await review_results.cycles_to_materialise(
        session, min_raters=min_raters, everything=full
    )
    for cycle_id in dropped:
        await review_results.drop_materialised(session, cycle_id)
    for cycle_id in stale:
        await review_results.materialise_cycle(session, cycle_id, min_raters=min_raters, now=now)
    stats.cycles += len(stale)
    stats.cycles_dropped += len(dropped)
    return stats


async def refresh(
    session: AsyncSession,
    *,
    tz: tzinfo,
    now: datetime,
    min_raters: int,
    full: bool = False,
) -> RollupStats:
    """Scores and reviews, in the caller's (fresh) transaction."""
    stats = await refresh_scores(session, tz=tz, full=full)
    return await refresh_reviews(session, min_raters=min_raters, now=now, full=full, stats=stats)


__all__ = [
    "JOB_NAME",
    "RollupStats",
    "Watermark",
    "create_triggers",
    "day_bounds",
    "needs_refresh",
    "read_watermark",
    "refresh",
    "refresh_reviews",
    "refresh_scores",
    "scores_need_refresh",
    "triggers_present",
]
