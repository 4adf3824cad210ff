"""The rollup's entry points: is anything to do, and bring the tables up to date.

`refresh` runs in the caller's (fresh) transaction: the SKM score tables
(`refresh_scores`: incremental, or a full rebuild when it must), then the
closed 360° cycles (`refresh_reviews`). `needs_refresh` is the cheap look,
without the lock, that lets a run with nothing to do write nothing. How it
works is the package docstring (`storage.rollup`).

The review side (`storage.review_result_store` and the 360° maths under it) is
imported inside the functions that use it: ``ulasan report ikm`` asks only
whether the scores are stale (`scores_need_refresh`), and importing the review
side at module level was ~60 ms of that command.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import false, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.progress import QUIET, Progress
from storage.db import SessionFactory, dialect_name, one_connection
from storage.rollup import incremental, rebuild, triggers
from storage.rollup.progress import (
    RollupStats,
    Watermark,
    read_watermark,
    tz_key,
)
from storage.rollup.sql import RETRACTIONS, SERVICE_UNITS, SR, latest_number

log = logging.getLogger(__name__)

# -- is there anything to do? (cheap reads, no lock) ---------------------------------------


async def _exists(session: AsyncSession, statement: Any) -> bool:
    return (await session.execute(statement.limit(1))).first() is not None


async def scores_need_refresh(session: AsyncSession, tz: tzinfo) -> bool:
    """Whether the score tables are behind: a handful of indexed reads."""
    mark = await read_watermark(session)
    if mark is None or mark.rebuilding or mark.timezone != tz_key(tz):
        return True
    if not await triggers.triggers_present(session):
        return True
    if await latest_number(session) > mark.counted_upto:
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
    from storage import review_result_store as stored_results

    stale, dropped = await stored_results.cycles_to_materialise(session, min_raters=min_raters)
    return bool(stale or dropped)


# -- lock ------------------------------------------------------------------------------------


async def lock(session: AsyncSession) -> None:
    """Serialise rollup runs and hold off writes to the responses until commit.

    SQLite: any write takes the database's single write lock until commit, so a
    no-op UPDATE is enough (and later reads see a stable database). PostgreSQL:
    a table lock that only other rollup runs ask for, plus SHARE on
    survey_responses (readers go on; submissions wait until the commit). SHARE
    also waits for the submissions in flight, so every submission number up to
    the highest read afterwards is committed.
    """
    if dialect_name(session) == "postgresql":
        await session.execute(text("LOCK TABLE skm_rollup_service_units IN EXCLUSIVE MODE"))
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

    Starts with a write (see `lock`): call it first in a fresh transaction.
    Incremental unless ``full``, the first run, a changed TIMEZONE, missing
    triggers or an inconsistency found on the way make it a rebuild, which then
    runs in this one transaction (the job rebuilds in steps instead:
    `refresh_scores_in_steps`). While the job's rebuild is under way this does
    nothing: the tables are the job's until it finishes.
    """
    stats = stats or RollupStats()
    await lock(session)
    mark = await read_watermark(session)
    if mark is not None and mark.rebuilding and not full:
        return stats
    zone = tz_key(tz)
    reasons = await _rebuild_reasons(session, mark, zone, full=full)
    if not reasons:
        assert mark is not None
        try:
            upto = await _incremental(session, tz, stats, mark)
        except incremental.Inconsistent as exc:
            # What the incremental part wrote is about to be replaced wholesale:
            # the rebuild reads nothing but survey_responses, so no savepoint needed.
            log.warning("rollup: %s; rebuilding everything", exc)
            reasons.append("inconsistency")
            stats = RollupStats()
    if reasons:
        stats.full = True
        stats.reason = ", ".join(reasons)
        plan = await rebuild.rebuild(
            session, tz, zone, stats, reset=_restamp(mark, zone), progress=progress
        )
        stats.watermark = Watermark(zone, plan.upto).encode()
    elif stats.changed or (mark is not None and upto != mark.counted_upto):
        await rebuild.write_counted_upto(session, zone, upto)
        stats.watermark = Watermark(zone, upto).encode()
    return stats


async def _incremental(
    session: AsyncSession, tz: tzinfo, stats: RollupStats, mark: Watermark
) -> int:
    """The incremental run from ``mark``; the number counted up to afterwards."""
    upto = max(mark.counted_upto, await latest_number(session))
    await incremental.refresh(session, tz, stats, after=mark.counted_upto, upto=upto)
    return upto


async def _rebuild_reasons(
    session: AsyncSession, mark: Watermark | None, zone: str, *, full: bool
) -> list[str]:
    """Why this run must rebuild everything (none: incremental); recreates lost triggers."""
    reasons = []
    if full:
        reasons.append("requested")
    if mark is None:
        reasons.append("first run")
    elif mark.rebuilding:
        reasons.append("a rebuild was interrupted")
    elif mark.timezone != zone:
        reasons.append(f"TIMEZONE changed from {mark.timezone}")
    if not await triggers.triggers_present(session):
        await triggers.create_triggers(session)
        reasons.append("triggers were missing")
    return reasons


def _restamp(mark: Watermark | None, zone: str) -> bool:
    """Whether a rebuild must stamp every local day again: a new TIMEZONE, or an
    interrupted rebuild (which may have been stamping a new one)."""
    return mark is not None and (mark.rebuilding or mark.timezone != zone)


class RebuildTakenOver(Exception):
    """Another run rebuilt the tables while this one was between two steps."""


Between = Callable[[str], Awaitable[None]]

# Between two steps that hold the write lock, it is left free at least STEP_PAUSE.
# A press in another process that found it taken waits in SQLite's busy handler,
# which retries after sleeps of 1, 2, 5, 10, 15, 20, then 25 ms until it has
# waited ~0.13 s (then 50, then 100 ms): with no gap the next step takes the lock
# again before the press retries, step after step. A press that waited through a
# step of up to ~0.13 s retries at most 25 ms apart, so a gap of 30 ms lets it
# in, and every other press waiting with it; after a longer step the gap is as
# long as the step, up to 0.1 s (the retries are further apart then). The
# counting half of a run of days needs no lock: it is (most of) the gap, and the
# job sleeps only for what is left of it.
STEP_PAUSE = 0.03
LONG_STEP = 0.13


class _Gap:
    """The time the write lock is left free between two steps that hold it."""

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self.taken = 0.0  # when the last step that held the lock started
        self.released: float | None = None  # and when it committed

    async def before_lock(self) -> None:
        if self.pause and self.released is not None:
            held = self.released - self.taken
            wanted = self.pause if held < LONG_STEP else max(self.pause, min(held, 0.1))
            free = time.perf_counter() - self.released
            if free < wanted:
                await asyncio.sleep(wanted - free)
        self.taken = time.perf_counter()

    def after_lock(self) -> None:
        self.released = time.perf_counter()


async def refresh_scores_in_steps(
    sessions: SessionFactory,
    *,
    tz: tzinfo,
    full: bool = False,
    progress: Progress = QUIET,
    chunk: int = rebuild.CHUNK_IDS,
    pause: float = STEP_PAUSE,
    between: Between | None = None,
) -> RollupStats:
    """The job's `refresh_scores`: a rebuild commits after every step (`storage.rollup.rebuild`).

    Each step that writes is its own short transaction under `lock`, so a
    citizen's press waits for one step at most; a run of days counts its
    responses first in a transaction that takes no lock. Incremental runs are
    one transaction, as in `refresh_scores`. Afterwards one incremental run
    counts what was submitted, erased or changed while the rebuild went on.
    ``chunk``: responses per stamping step; ``pause``: the least time the lock is
    left free between two steps; ``between`` is awaited after every committed
    step, with the step's name (the tests write there what citizens would write
    meanwhile).
    """
    zone = tz_key(tz)
    stats = RollupStats()
    try:
        async with sessions.begin() as session:
            await lock(session)
            mark = await read_watermark(session)
            reasons = await _rebuild_reasons(session, mark, zone, full=full)
            if not reasons:
                assert mark is not None
                upto = await _incremental(session, tz, stats, mark)
                if stats.changed or upto != mark.counted_upto:
                    await rebuild.write_counted_upto(session, zone, upto)
                    stats.watermark = Watermark(zone, upto).encode()
                return stats
            plan = await rebuild.start(session, zone, reset=_restamp(mark, zone), chunk=chunk)
    except incremental.Inconsistent as exc:  # rolled back: rebuild from a clean state
        log.warning("rollup: %s; rebuilding everything", exc)
        reasons = ["inconsistency"]
        stats = RollupStats()
        async with sessions.begin() as session:
            await lock(session)
            plan = await rebuild.start(session, zone, reset=False, chunk=chunk)
    stats.full = True
    stats.reason = ", ".join(reasons)
    await _rebuild_in_steps(sessions, tz, plan, stats, progress, pause, between)
    async with sessions.begin() as session:
        after = await refresh_scores(session, tz=tz)
    stats.claimed += after.claimed
    stats.retracted += after.retracted
    if after.full:  # the closing pass found the rebuilt tables inconsistent
        stats.reason += f"; rebuilt again in one transaction ({after.reason})"
    stats.watermark = after.watermark or Watermark(zone, plan.upto).encode()
    return stats


async def _rebuild_in_steps(
    sessions: SessionFactory,
    tz: tzinfo,
    plan: rebuild.Plan,
    stats: RollupStats,
    progress: Progress,
    pause: float,
    between: Between | None,
) -> None:
    async def after(step: str) -> None:
        if between is not None:
            await between(step)

    gap = _Gap(pause)
    await after("start")
    # One connection for every step: a run's cells (a temporary table) go from
    # its counting half to its writing half.
    async with one_connection(sessions) as held:
        if plan.ranges:
            progress.stage(rebuild.STAMPING, len(plan.ranges))
        for ids in plan.ranges:
            await _step(held, plan, gap, lambda s, ids=ids: rebuild.stamp_chunk(s, tz, plan, ids))
            progress.advance()
            await after(f"ids {ids[0]}-{ids[1] - 1}")
        async with held() as session:
            runs = rebuild.day_runs(await rebuild.months_to_write(session))
        progress.stage(rebuild.WRITING, len(runs) + 1)  # and the finishing step
        for run in runs:
            async with held.begin() as session:
                seen = await rebuild.read_days(session, plan, run.first, run.end)
            await after(f"counted days from {run.first:%Y-%m-%d}")
            await _step(
                held,
                plan,
                gap,
                lambda s, r=run, seen=seen: rebuild.write_run(s, plan, stats, r, seen),
            )
            progress.advance()
            await after(f"days from {run.first:%Y-%m-%d}")
        await _step(held, plan, gap, lambda s: rebuild.finish(s, plan))
    progress.advance()
    await after("finish")


# A step that finds the SQLite write lock taken past the busy timeout (presses from
# another process, back to back) is rolled back whole and tried again, this often.
STEP_ATTEMPTS = 10


async def _step(
    sessions: SessionFactory,
    plan: rebuild.Plan,
    gap: _Gap,
    work: Callable[[AsyncSession], Awaitable[None]],
) -> None:
    """One step of the rebuild in its own transaction, again if the lock was not had."""
    for attempt in range(1, STEP_ATTEMPTS + 1):
        await gap.before_lock()
        try:
            async with sessions.begin() as session:
                await _resume(session, plan)
                await work(session)
            return
        except OperationalError as exc:
            if "locked" not in str(exc) or attempt == STEP_ATTEMPTS:
                raise
            log.warning("rollup: the database was locked; step tried again (%d)", attempt)
            await asyncio.sleep(0.05 * attempt)
        finally:
            gap.after_lock()


async def _resume(session: AsyncSession, plan: rebuild.Plan) -> None:
    """Take the lock again and check that the rebuild is still this one's."""
    await lock(session)
    mark = await read_watermark(session)
    if mark != Watermark(plan.zone, 0, rebuilding=True):
        raise RebuildTakenOver(f"rollup: the watermark became {mark} during the rebuild")


async def refresh_reviews(
    session: AsyncSession,
    *,
    min_raters: int,
    now: datetime,
    full: bool = False,
    stats: RollupStats | None = None,
    progress: Progress = QUIET,
    min_values: int | None = None,
) -> RollupStats:
    """Materialise closed cycles not yet materialised (all of them with ``full``);
    ``min_values`` defaults to the recommendation's `MIN_VALUES`."""
    from scheduler.scoring.review_recommendation import MIN_VALUES
    from storage import review_result_store as stored_results

    stats = stats or RollupStats()
    min_values = MIN_VALUES if min_values is None else min_values
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
    min_values: int | None = None,
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
