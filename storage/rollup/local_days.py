"""Stamping ``survey_responses.rollup_day`` where the submission did not: the local day.

See "Bucketing" in the package docstring (`storage.rollup`). A submission
writes its own day (`storage.rollup.marks`); a response submitted before that
existed, one whose counted columns changed (the trigger clears its day), or
every response after a change of TIMEZONE has none, and is stamped here. The
incremental run claims those one local day at a time (`claim_pending`, which
also hands the claimed rows to the run's `Deltas`); a chunk of the full
rebuild stamps its id range at once on SQLite (`stamp_pending`). The responses
submitted with their marks are counted by number (`counted_by_number`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from sqlalchemy import Date, case, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import ColumnElement

from bot.core.clock import day_bounds, local_day
from storage.db import dialect_name
from storage.rollup.deltas import Deltas
from storage.rollup.sql import PROFILE_FIELDS, SR, UNSUR, has_comment
from storage.survey_models import SUBMITTED

_CLAIM_RETURNS = (
    SR.c.id,
    SR.c.status,
    SR.c.service_id,
    SR.c.employee_id,
    has_comment(SR.c.comment).label("has_comment"),
    *(SR.c[u] for u in UNSUR),
    *(SR.c[name] for name in PROFILE_FIELDS),
)


IdRange = tuple[int, int]  # [first id, end id)


def in_range(ids: IdRange | None) -> list[ColumnElement[bool]]:
    if ids is None:
        return []
    return [SR.c.id >= ids[0], SR.c.id < ids[1]]


async def claim_pending(
    session: AsyncSession, tz: tzinfo, deltas: Deltas | None, ids: IdRange | None = None
) -> tuple[int, int]:
    """Set rollup_day on every response with submitted_at and none yet, one local day at a time.

    Adds the counted ones to ``deltas`` (when given); returns how many rows
    were claimed and the highest id claimed. ``ids``: only that id range.
    """
    claimed = 0
    last_id = 0
    after: datetime | None = None
    while True:
        query = select(func.min(SR.c.submitted_at)).where(
            SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None), *in_range(ids)
        )
        if after is not None:
            query = query.where(SR.c.submitted_at >= after)
        first = await session.scalar(query)
        if first is None:
            break
        day = local_day(first, tz)
        start, end = day_bounds(day, tz)
        start = min(start, first)  # never skip a row, whatever the zone does at midnight
        statement = (
            update(SR)
            .where(
                SR.c.rollup_day.is_(None),
                SR.c.submitted_at.is_not(None),
                SR.c.submitted_at >= start,
                SR.c.submitted_at < end,
                *in_range(ids),
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


def offset_segments(first: datetime, last: datetime, tz: tzinfo) -> list[tuple[datetime, int]]:
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


async def stamp_pending(session: AsyncSession, tz: tzinfo, ids: IdRange | None = None) -> int:
    """The rebuild's stamp: set rollup_day on every response of ``ids`` without one; how many.

    On SQLite, one ``UPDATE`` for all of them: the local day is
    ``date(submitted_at, '<offset> seconds')``, the offset chosen by a CASE on
    the zone's offset changes between the first and the last pending instant
    (none for a zone without daylight saving). That is the day
    ``submitted_at.astimezone(tz).date()``, the same as the per-day claim, and
    one pass over the table instead of an indexed pass per day. PostgreSQL
    (and absurd spans) use the per-day claim.
    """
    if dialect_name(session) != "sqlite":
        return (await claim_pending(session, tz, None, ids))[0]
    pending = (SR.c.rollup_day.is_(None), SR.c.submitted_at.is_not(None), *in_range(ids))
    first, last = (
        await session.execute(
            select(func.min(SR.c.submitted_at), func.max(SR.c.submitted_at)).where(*pending)
        )
    ).one()
    if first is None:
        return 0
    if last - first > timedelta(days=STAMP_SPAN_DAYS):
        return (await claim_pending(session, tz, None, ids))[0]
    segments = offset_segments(first, last, tz)
    modifier: Any = literal(f"{segments[-1][1]:+d} seconds")
    if len(segments) > 1:
        modifier = case(
            *(
                (SR.c.submitted_at < start, literal(f"{offset:+d} seconds"))
                for (_s, offset), (start, _o) in pairwise(segments)
            ),
            else_=modifier,
        )
    # A plain scan of the id range (the coalesce keeps SQLite off the pending
    # index, which would mean lookups in submitted_at order): most rows are pending.
    result = await session.execute(
        update(SR)
        .where(
            func.coalesce(SR.c.rollup_day, None).is_(None),
            SR.c.submitted_at.is_not(None),
            *in_range(ids),
        )
        .values(rollup_day=func.date(SR.c.submitted_at, modifier, type_=Date))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def counted_by_number(
    session: AsyncSession, after: int, upto: int, deltas: Deltas
) -> tuple[int, int]:
    """Add the responses numbered (after, upto] that have their day to ``deltas``.

    Their submission wrote the day and the number (`storage.rollup.marks`):
    counting them is a read, through the number's index. Returns how many rows
    were read and the highest id among them.
    """
    if upto <= after:
        return 0, 0
    result = await session.execute(
        select(*_CLAIM_RETURNS, SR.c.rollup_day).where(
            SR.c.rollup_seq > after, SR.c.rollup_seq <= upto, SR.c.rollup_day.is_not(None)
        )
    )
    rows = [tuple(row) for row in result]
    last_id = 0
    for row in rows:
        last_id = max(last_id, row[0])
        if row[1] == SUBMITTED and None not in row[5:14]:
            deltas.add(1, row[2], row[3], row[18], int(row[4]), row[5:14], row[14:18])
    return len(rows), last_id
