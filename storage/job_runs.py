"""The ``job_runs`` table: one row per scheduled job, its claim and its last run.

Query functions that take a session and never commit; the runner
(``scheduler/runner.py``) holds the transaction boundary and the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox import insert_ignore
from storage.outbox_models import JobRun

# JobRun.last_status
NEW = "new"  # registered at the bot's first start, never run
RUNNING = "running"
OK = "ok"
ERROR = "error"

JOB_RUNS = JobRun.__table__


async def by_name(session: AsyncSession) -> dict[str, JobRun]:
    return {row.name: row for row in (await session.scalars(select(JobRun))).all()}


async def register(session: AsyncSession, names: Iterable[str], now: datetime) -> int:
    """Give every job that never ran its baseline ``now``; returns how many."""
    # Writes first: on SQLite the transaction takes the write lock at once.
    for name in names:
        await session.execute(insert_ignore(session, JOB_RUNS, ["name"]).values(name=name))
    result = await session.execute(
        update(JOB_RUNS)
        .where(JOB_RUNS.c.last_started_at.is_(None))
        .values(last_started_at=now, last_status=NEW)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def release_interrupted(session: AsyncSession, now: datetime) -> int:
    """Runs left 'running' by a process that died become errors."""
    result = await session.execute(
        update(JOB_RUNS)
        .where(JOB_RUNS.c.last_status == RUNNING)
        .values(
            last_status=ERROR,
            last_finished_at=now,
            last_result="interrupted: the process stopped during the run",
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim(session: AsyncSession, name: str, now: datetime, *, stale_before: datetime) -> bool:
    """Mark the job running from ``now`` unless a claim younger than ``stale_before`` holds."""
    await session.execute(insert_ignore(session, JOB_RUNS, ["name"]).values(name=name))
    claimed = await session.execute(
        update(JOB_RUNS)
        .where(
            JOB_RUNS.c.name == name,
            or_(
                JOB_RUNS.c.last_status.is_(None),
                JOB_RUNS.c.last_status != RUNNING,
                JOB_RUNS.c.last_started_at.is_(None),
                JOB_RUNS.c.last_started_at < stale_before,
            ),
        )
        .values(last_started_at=now, last_status=RUNNING)
    )
    return int(claimed.rowcount or 0) == 1  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    name: str,
    started: datetime,
    finished: datetime,
    status: str,
    result: str,
) -> None:
    """Record the outcome of our own claim only: a run that was taken over as stale does
    not overwrite the newer one."""
    await session.execute(
        update(JOB_RUNS)
        .where(JOB_RUNS.c.name == name, JOB_RUNS.c.last_started_at == started)
        .values(last_finished_at=finished, last_status=status, last_result=result)
    )


async def running_since(session: AsyncSession, name: str) -> datetime | None:
    row = await session.get(JobRun, name)
    return row.last_started_at if row is not None else None
