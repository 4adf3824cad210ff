"""The rollup's entry points: is anything to do, and bring the tables up to date.

`refresh` runs in the caller's (fresh) transaction: the SKM score tables
(`refresh_scores`: incremental, or a full rebuild when it must), then the
closed 360° cycles (`refresh_reviews`). `needs_refresh` is the cheap look,
without the lock, that lets a run with nothing to do write nothing. How it
works is the package docstring (`storage.rollup`).
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import false, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.progress import QUIET, Progress
from scheduler.scoring.review_recommendation import MIN_VALUES
from storage import review_result_store as stored_results
from storage.db import dialect_name
from storage.rollup import incremental, rebuild, triggers
from storage.rollup.progress import (
    RollupStats,
    Watermark,
    read_watermark,
    tz_key,
    write_watermark,
)
from storage.rollup.sql import RETRACTIONS, SERVICE_UNITS, SR

log = logging.getLogger(__name__)

# -- is there anything to do? (cheap reads, no lock) ---------------------------------------


async def _exists(session: AsyncSession, statement: Any) -> bool:
    return (await session.execute(statement.limit(1))).first() is not None


async def scores_need_refresh(session: AsyncSession, tz: tzinfo) -> bool:
    """Whether the score tables are behind: a handful of indexed reads."""
    mark = await read_watermark(session)
    if mark is None or mark.timezone != tz_key(tz):
        return True
    if not await triggers.triggers_present(session):
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
    return await _exists(session, incremental.moved_services_query()) or await _exists(
        session, incremental.gone_services_query()
    )


async def needs_refresh(session: AsyncSession, tz: tzinfo, min_raters: int | None) -> bool:
    if await scores_need_refresh(session, tz):
        return True
    if min_raters is None:
        return False
    stale, dropped = await stored_results.cycles_to_materialise(session, min_raters=min_raters)
    return bool(stale or dropped)


# -- lock ------------------------------------------------------------------------------------


async def _lock(session: AsyncSession, *, writers_too: bool) -> None:
    """Serialise rollup runs; with ``writers_too`` also hold off writes to the responses.

    SQLite: any write takes the database's single write lock until commit, so a
    no-op UPDATE is enough (and later reads see a stable database). PostgreSQL:
    a table lock that only other rollup runs ask for, plus, for a rebuild, SHARE
    on survey_responses (readers go on; submissions wait until the commit).
    """
    if dialect_name(session) == "postgresql":
        await session.execute(text("LOCK TABLE skm_rollup_service_units IN EXCLUSIVE MODE"))
        if writers_too:
            await session.execute(text("LOCK TABLE survey_responses IN SHARE MODE"))
    else:
        await session.execute(
            update(SERVICE_UNITS).where(false()).values(unit_id=SERVICE_UNITS.c.unit_id)
        )


# -- refreshing ------------------------------------------------------------------------------


async def refresh_scores(
    session: AsyncSession,
    *,
    tz: tzinfo,
    full: bool = False,
    stats: RollupStats | None = None,
    progress: Progress = QUIET,
) -> RollupStats:
    """Bring the SKM score tables up to date inside the caller's transaction.

    Starts with a write (see `_lock`): call it first in a fresh transaction.
    Incremental unless ``full``, the first run, a changed TIMEZONE, missing
    triggers or an inconsistency found on the way make it a rebuild.
    """
    stats = stats or RollupStats()
    await _lock(session, writers_too=full)
    mark = await read_watermark(session)
    zone = tz_key(tz)
    reasons = await _rebuild_reasons(session, mark, zone, full=full)
    if not reasons:
        try:
            last = await incremental.refresh(session, tz, stats)
        except incremental.Inconsistent as exc:
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
        last = await rebuild.rebuild(session, tz, stats, reset=reset, progress=progress)
    elif not stats.changed:
        return stats
    previous = mark.last_id if mark and mark.timezone == zone and not stats.full else 0
    new_mark = Watermark(zone, max(previous, last))
    if stats.full or new_mark != mark:
        await write_watermark(session, new_mark)
    stats.watermark = new_mark.encode()
    return stats


async def _rebuild_reasons(
    session: AsyncSession, mark: Watermark | None, zone: str, *, full: bool
) -> list[str]:
    """Why this run must rebuild everything (none: incremental); recreates lost triggers."""
    reasons = []
    if full:
        reasons.append("requested")
    if mark is None:
        reasons.append("first run")
    elif mark.timezone != zone:
        reasons.append(f"TIMEZONE changed from {mark.timezone}")
    if not await triggers.triggers_present(session):
        await triggers.create_triggers(session)
        reasons.append("triggers were missing")
    return reasons


async def refresh_reviews(
    session: AsyncSession,
    *,
    min_raters: int,
    now: datetime,
    full: bool = False,
    stats: RollupStats | None = None,
    progress: Progress = QUIET,
    min_values: int = MIN_VALUES,
) -> RollupStats:
    """Materialise closed cycles not yet materialised (all of them with ``full``)."""
    stats = stats or RollupStats()
    stale, dropped = await stored_results.cycles_to_materialise(
        session, min_raters=min_raters, everything=full
    )
    for cycle_id in dropped:
        await stored_results.drop_materialised(session, cycle_id)
    if stale:
        progress.stage("rollup: 360° cycle results", len(stale))
    for cycle_id in stale:
        await stored_results.materialise_cycle(
            session, cycle_id, min_raters=min_raters, now=now, min_values=min_values
        )
        progress.advance()
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
    progress: Progress = QUIET,
    min_values: int = MIN_VALUES,
) -> RollupStats:
    """Scores and reviews, in the caller's (fresh) transaction."""
    stats = await refresh_scores(session, tz=tz, full=full, progress=progress)
    return await refresh_reviews(
        session,
        min_raters=min_raters,
        now=now,
        full=full,
        stats=stats,
        progress=progress,
        min_values=min_values,
    )
