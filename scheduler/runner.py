"""Runs the scheduled jobs: when each is due, one run at a time, every run recorded.

Each `JobSpec` of ``scheduler.jobs.specs`` names a module ``scheduler.jobs.<name>``
with an ``async def run(ctx: JobContext) -> str``. Modules are imported lazily, when the
job runs, so one broken module (a syntax error, a missing import) is recorded
as that job's error and never stops the others.

When a job is due
    Schedules are cron expressions (minute hour day month weekday, weekday
    0 or 7 = Sunday as in crontab) in TIMEZONE, one setting per job. A job is
    due when the first slot strictly after its last start is at or before now.
    After downtime that is one run at start however many slots were missed,
    and a manual ``ulasan job run`` counts as the run of its slot.

    A job that never ran is *registered* by the bot's first tick: its row in
    ``job_runs`` gets ``last_started_at`` = that moment and status ``new``, so
    its first run is the first slot after the bot's first start. A fresh
    install therefore does not send a weekly digest on a Wednesday afternoon;
    the baseline is kept in the database, so restarting the bot before that
    slot does not push it back.

One run at a time
    The bot runs due jobs from ONE repeating PTB JobQueue tick (`TICK_SECONDS`,
    a generous ``misfire_grace_time`` so a busy event loop delays the tick
    instead of silently skipping it); each due job runs as its own task, and a
    job still running is not started again. Across processes (the bot and
    ``ulasan job run``) a run first claims its row (status ``running``) with
    one conditional UPDATE; a second run of the same job is refused while the
    claim is younger than `STALE_RUNNING`. A claim left by a bot that died in
    the middle of a job is released at the bot's next start (one bot per
    database, as for the outbox sender); one left by a killed CLI run expires.

Recording
    ``job_runs`` keeps per job: last start, last finish, status (``ok``,
    ``error``, ``running``, ``new``) and a one-line result; the job's own
    ``watermark`` column is never touched here. An exception is logged with its
    traceback and recorded as one line (``error``); it never reaches a user.

Time is injected everywhere (``now``), so tests drive the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.clock import Clock, SystemClock
from bot.core.progress import QUIET, Progress
from bot.core.settings import Settings
from scheduler.jobs.specs import JOB_SPECS, SPECS_BY_NAME, JobContext, JobFunc, JobSpec
from scheduler.schedules import crontab_trigger, is_due, next_run
from storage import job_runs
from storage.db import SessionFactory
from storage.job_runs import ERROR, NEW, OK, RUNNING
from storage.outbox_models import JobRun

log = logging.getLogger(__name__)

BUSY = "busy"  # (outcome only) refused: the job is running elsewhere

TICK_SECONDS = 15.0
TICK_FIRST_SECONDS = 1.0
# A tick that comes late (a busy event loop, a suspended laptop) still runs;
# APScheduler's default of 1 s would silently skip it.
TICK_MISFIRE_GRACE_SECONDS = 3600
# A claim older than this is taken over: its process is assumed dead.
STALE_RUNNING = timedelta(hours=1)
RESULT_MAX = 500

Loader = Callable[[str], JobFunc]


class UnknownJob(LookupError):
    """No job of that name; ``str()`` is one line naming the known jobs."""

    def __init__(self, name: str) -> None:
        self.name = name
        known = ", ".join(spec.name for spec in JOB_SPECS)
        super().__init__(f"unknown job '{name}'; the jobs are: {known}")


@dataclass(frozen=True)
class JobOutcome:
    name: str
    status: str  # ok | error | busy
    result: str  # one line
    started_at: datetime
    finished_at: datetime

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class JobInfo:
    """One job as ``ulasan job list`` and ``/status`` show it."""

    name: str
    description: str
    schedule: str
    last_started_at: datetime | None  # None: never ran
    last_finished_at: datetime | None
    last_status: str | None  # None or "new": never ran
    last_result: str | None
    next_run_at: datetime | None  # None: the schedule is not a valid cron expression

    @property
    def running(self) -> bool:
        return self.last_status == RUNNING

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "name": self.name,
            "schedule": self.schedule,
            "last_started_at": iso(self.last_started_at),
            "last_finished_at": iso(self.last_finished_at),
            "last_status": self.last_status or NEW,
            "last_result": self.last_result,
            "next_run_at": iso(self.next_run_at),
        }


def one_line(text: object, limit: int = RESULT_MAX) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


async def _rows(sessions: SessionFactory) -> dict[str, JobRun]:
    async with sessions() as session:
        return await job_runs.by_name(session)


async def register_jobs(sessions: SessionFactory, now: datetime) -> int:
    """Give every job that never ran its baseline (the bot's first start); returns how many."""
    async with sessions.begin() as session:
        return await job_runs.register(session, [spec.name for spec in JOB_SPECS], now)


async def release_interrupted(sessions: SessionFactory, now: datetime) -> int:
    """At the bot's start: runs a dead bot left 'running' become errors (they may run again)."""
    async with sessions.begin() as session:
        return await job_runs.release_interrupted(session, now)


async def due_jobs(settings: Settings, sessions: SessionFactory, now: datetime) -> list[JobSpec]:
    """The jobs whose next slot after their last start has come (in `JOB_SPECS` order).

    A job running right now is not due; a job with a broken schedule is never due
    (``job list`` shows it without a next run).
    """
    rows = await _rows(sessions)
    due = []
    for spec in JOB_SPECS:
        row = rows.get(spec.name)
        if row is None or (row.last_status == RUNNING and not _stale(row, now)):
            continue
        try:
            if is_due(spec, settings, row.last_started_at, now):
                due.append(spec)
        except ValueError as exc:
            log.error("job %s: %s", spec.name, exc)
    return due


def _upcoming(spec: JobSpec, settings: Settings, row: JobRun | None, now: datetime) -> datetime:
    if row is None or row.last_started_at is None:
        # Not registered yet (the bot has not started): the next slot from now.
        return next_run(spec, settings, now)
    upcoming = next_run(spec, settings, row.last_started_at)
    if upcoming < now and row.last_status != RUNNING:
        return now  # overdue: the bot's next tick runs it
    return upcoming


def _stale(row: JobRun, now: datetime) -> bool:
    return row.last_started_at is None or row.last_started_at < now - STALE_RUNNING


async def job_overview(
    settings: Settings, sessions: SessionFactory, now: datetime
) -> list[JobInfo]:
    """Every job with its schedule, last run and next run (for ``job list`` and ``/status``)."""
    rows = await _rows(sessions)
    return [_info(spec, settings, rows.get(spec.name), now) for spec in JOB_SPECS]


def _info(spec: JobSpec, settings: Settings, row: JobRun | None, now: datetime) -> JobInfo:
    never = row is None or row.last_status in (None, NEW)
    try:
        upcoming: datetime | None = _upcoming(spec, settings, row, now)
    except ValueError:
        upcoming = None
    return JobInfo(
        name=spec.name,
        description=spec.description,
        schedule=spec.schedule(settings),
        last_started_at=None if never or row is None else row.last_started_at,
        last_finished_at=None if never or row is None else row.last_finished_at,
        last_status=None if row is None else row.last_status,
        last_result=None if row is None else row.last_result,
        next_run_at=upcoming,
    )


async def _claim(sessions: SessionFactory, name: str, now: datetime) -> bool:
    async with sessions.begin() as session:
        return await job_runs.claim(session, name, now, stale_before=now - STALE_RUNNING)


async def _finish(
    sessions: SessionFactory,
    name: str,
    started: datetime,
    finished: datetime,
    status: str,
    result: str,
) -> None:
    async with sessions.begin() as session:
        await job_runs.finish(session, name, started, finished, status, result)


async def _running_since(sessions: SessionFactory, name: str) -> datetime | None:
    async with sessions() as session:
        return await job_runs.running_since(session, name)


# -- running ---------------------------------------------------------------------------------------


def load_job(name: str) -> JobFunc:
    """The ``run`` of module ``scheduler.jobs.<name>``, imported now (not at startup)."""
    module = importlib.import_module(f"scheduler.jobs.{name}")
    func = getattr(module, "run", None)
    if not callable(func):
        raise TypeError(f"scheduler.jobs.{name} has no run(ctx) function")
    return func  # type: ignore[no-any-return]


async def run_job(
    name: str,
    settings: Settings,
    sessions: SessionFactory,
    now: datetime,
    force: bool = False,
    full: bool = False,
    *,
    loader: Loader | None = None,
    progress: Progress = QUIET,
) -> JobOutcome:
    """Run one job now and record it; raises only `UnknownJob`.

    Returns status ``busy`` (and records nothing) when the job is running
    elsewhere. ``now`` is the run's start as the job sees it; the finish is
    ``now`` plus the time the run took.
    """
    if name not in SPECS_BY_NAME:
        raise UnknownJob(name)
    started = now.astimezone(UTC)
    clock = time.monotonic()
    if not await _claim(sessions, name, started):
        since = await _running_since(sessions, name)
        when = since.isoformat(timespec="seconds") if since else "?"
        return JobOutcome(name, BUSY, f"already running (since {when})", started, started)
    status, result = ERROR, "no result"
    try:
        func = (loader or load_job)(name)
        ctx = JobContext(
            settings=settings,
            sessions=sessions,
            now=started,
            force=force,
            full=full,
            progress=progress,
        )
        result = one_line(await func(ctx)) or "done"
        status = OK
    except asyncio.CancelledError:
        result = "cancelled: the bot stopped during the run"
        raise
    except Exception as exc:
        result = one_line(f"{type(exc).__name__}: {exc}")
        log.error("job %s failed: %s", name, result, exc_info=True)
    finally:
        finished = started + timedelta(seconds=time.monotonic() - clock)
        try:
            await _finish(sessions, name, started, finished, status, result)
        except Exception:
            # The database is what failed; the claim expires (or is released at start).
            log.exception("job %s: could not record the run", name)
    log.info("job %s: %s: %s", name, status, result)
    return JobOutcome(name, status, result, started, finished)


class JobRunner:
    """The bot's side: `tick` starts the due jobs, each as its own task, one run per job."""

    def __init__(
        self,
        settings: Settings,
        sessions: SessionFactory,
        *,
        clock: Clock | None = None,
        loader: Loader | None = None,
        on_finished: Callable[[JobOutcome], None] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock or SystemClock()
        self.loader = loader
        self.on_finished = on_finished
        self.tasks: dict[str, asyncio.Task[JobOutcome]] = {}
        self._started = False
        self._stopping = False
        self._tick_lock = asyncio.Lock()
        self._ticking: list[Any] = []

    def running(self) -> list[str]:
        return [name for name, task in self.tasks.items() if not task.done()]

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Start every due job that is not running here; returns the names started."""
        if self._stopping:
            return []
        async with self._tick_lock:
            now = now or self.clock.now()
            if not self._started:
                released = await release_interrupted(self.sessions, now)
                if released:
                    log.warning("jobs: %d run(s) were interrupted by the last stop", released)
                await register_jobs(self.sessions, now)
                self._started = True
            started = []
            for spec in await due_jobs(self.settings, self.sessions, now):
                if spec.name in self.running():
                    continue
                self.start(spec.name, now)
                started.append(spec.name)
            return started

    def start(self, name: str, now: datetime | None = None, *, force: bool = False) -> bool:
        """Run ``name`` now in the background unless it runs already; False if it does."""
        if name not in SPECS_BY_NAME:
            raise UnknownJob(name)
        if self._stopping or name in self.running():
            return False
        task = asyncio.create_task(
            self._run(name, now or self.clock.now(), force), name=f"job:{name}"
        )
        self.tasks[name] = task
        return True

    async def _run(self, name: str, now: datetime, force: bool) -> JobOutcome:
        outcome = await run_job(
            name, self.settings, self.sessions, now, force=force, loader=self.loader
        )
        if self.on_finished is not None:
            try:
                self.on_finished(outcome)
            except Exception:
                log.exception("jobs: the after-run hook of %s failed", name)
        return outcome

    async def wait(self) -> list[JobOutcome]:
        """Wait for the runs in progress (tests; shutdown)."""
        tasks = [task for task in self.tasks.values() if not task.done()]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return [r for r in results if isinstance(r, JobOutcome)]

    def start_ticking(self, job_queue: Any, *, interval: float = TICK_SECONDS) -> None:
        """Schedule the one repeating tick on python-telegram-bot's JobQueue."""
        if self._ticking:
            return
        if job_queue is None:
            log.error("jobs: no JobQueue (python-telegram-bot[job-queue]); nothing scheduled")
            return

        async def tick(_context: Any) -> None:
            try:
                await self.tick()
            except Exception:
                # The database may be down for a moment; the next tick tries again.
                log.exception("jobs: the scheduler tick failed")

        self._ticking.append(
            job_queue.run_repeating(
                tick,
                interval=interval,
                first=TICK_FIRST_SECONDS,
                name="ulasan-jobs-tick",
                job_kwargs={
                    "misfire_grace_time": TICK_MISFIRE_GRACE_SECONDS,
                    "coalesce": True,
                    "max_instances": 1,
                },
            )
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking; no new runs; give running ones ``timeout`` seconds, then cancel them."""
        for job in self._ticking:
            with contextlib.suppress(Exception):
                job.schedule_removal()
        self._ticking.clear()
        self._stopping = True
        tasks = [task for task in self.tasks.values() if not task.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


__all__ = [
    "BUSY",
    "ERROR",
    "NEW",
    "OK",
    "RUNNING",
    "JobInfo",
    "JobOutcome",
    "JobRunner",
    "UnknownJob",
    "crontab_trigger",
    "due_jobs",
    "is_due",
    "job_overview",
    "load_job",
    "next_run",
    "register_jobs",
    "release_interrupted",
    "run_job",
]
