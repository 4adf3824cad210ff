"""Job ``rollup``: citizen scores into the daily and monthly tables, closed cycles into results.

The work is storage's (`storage.rollup`: the SQL, the triggers, the
incremental run and the full rebuild); the job decides only whether there is
anything to do; the scores are brought up to date in short steps (a rebuild
commits after each), the closed cycles in one transaction.
"""

from __future__ import annotations

from scheduler.jobs.specs import JobContext
from storage.rollup.progress import RollupStats
from storage.rollup.refresh import needs_refresh, refresh_reviews, refresh_scores_in_steps


async def run(ctx: JobContext) -> str:
    """The scheduled job (and ``ulasan job run rollup [--full]``): a one-line summary."""
    tz = ctx.settings.tz
    m = ctx.settings.min_anonymous_raters
    if not ctx.full:
        # A cheap look first, without the write lock: nothing to do writes nothing.
        async with ctx.sessions() as session:
            if not await needs_refresh(session, tz, m):
                return RollupStats().summary()
    # A rebuild commits after every short step, so citizens' presses never wait long.
    stats = await refresh_scores_in_steps(ctx.sessions, tz=tz, full=ctx.full, progress=ctx.progress)
    async with ctx.sessions.begin() as session:
        stats = await refresh_reviews(
            session,
            min_raters=m,
            now=ctx.now,
            full=ctx.full,
            stats=stats,
            progress=ctx.progress,
            min_values=ctx.settings.recommendation_min_values,
        )
    return stats.summary()
