"""``ulasan job list`` and ``ulasan job run NAME``: the scheduled jobs by hand.

``job list`` shows each job's schedule (cron, in TIMEZONE), its last run
(start, status, one-line result) and its next run, as a table or as JSON.

``job run NAME`` runs one job now in this process and records it like a
scheduled run (so the bot's next scheduled run is the slot after this one).
Messages it queues are delivered by the running bot's outbox sender, which
polls the outbox; with ``--force`` they are due at once, ignoring quiet
hours. ``--full`` asks an incremental job (``rollup``) to rebuild. It exits
with 1 when the job fails or is already running elsewhere; the failure is one
line here and the traceback goes to the log only at LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import clock, fail, format_option, get_settings, run_reading
from bot.cli.progress import terminal_progress

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from scheduler.runner import JobInfo, JobOutcome

FORMATS = ("table", "json")
RESULT_WIDTH = 70


def local_time(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return "-"
    return value.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")


async def load_jobs(settings: Settings, now: datetime) -> list[JobInfo]:
    from scheduler.runner import job_overview
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        return await job_overview(settings, session_factory(engine), now)
    finally:
        await engine.dispose()


async def run_now(
    settings: Settings, name: str, force: bool, full: bool, now: datetime | None = None
) -> JobOutcome:
    """Run the job ``name`` now in this process (``now``: the clock's, else the system's)."""
    from bot.core.clock import Clock
    from scheduler.runner import run_job
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        moment = now or Clock().now()
        with terminal_progress() as progress:
            return await run_job(
                name, settings, session_factory(engine), moment, force, full, progress=progress
            )
    finally:
        await engine.dispose()


def _status(job: JobInfo) -> str:
    if job.last_status in (None, "new"):
        return "never run"
    return job.last_status


def render_table(jobs: list[JobInfo], settings: Settings) -> str:
    header = ("NAME", "SCHEDULE", "LAST RUN", "STATUS", "NEXT RUN", "LAST RESULT")
    rows = [header]
    for job in jobs:
        result = job.last_result or "-"
        if len(result) > RESULT_WIDTH:
            result = result[: RESULT_WIDTH - 1] + "…"
        rows.append(
            (
                job.name,
                job.schedule,
                local_time(job.last_started_at, settings),
                _status(job),
                local_time(job.next_run_at, settings) if job.next_run_at else "invalid schedule",
                result,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    ]
    return "\n".join(lines) + f"\n(times in {settings.timezone})\n"


class _QuietTracebacks(logging.Filter):
    """Keep a job's traceback out of the operator's terminal unless LOG_LEVEL=DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


@click.group("job")
def job_group() -> None:
    """The scheduled jobs: list them, or run one now."""


@job_group.command("list")
@format_option(*FORMATS)
def list_jobs(output_format: str) -> None:
    """Each job: schedule, last run, status, next run and last result."""
    settings = get_settings()
    jobs = run_reading("job list", load_jobs(settings, clock().now()))
    if output_format == "json":
        data: list[dict[str, Any]] = [job.as_dict() for job in jobs]
        click.echo(json.dumps(data))
    else:
        click.echo(render_table(jobs, settings), nl=False)


@job_group.command("run")
@click.argument("name")
@click.option("--force", is_flag=True, help="Ignore quiet hours: messages are due now.")
@click.option("--full", is_flag=True, help="Rebuild instead of incremental (rollup).")
def run(name: str, force: bool, full: bool) -> None:
    """Run the job NAME now (its messages go out through the running bot)."""
    from scheduler.jobs.specs import JOB_SPECS
    from scheduler.runner import UnknownJob

    name = name.strip()
    if name not in {spec.name for spec in JOB_SPECS}:
        fail(f"job run: {UnknownJob(name)}")
    settings = get_settings()
    quiet = _QuietTracebacks()
    runner_log = logging.getLogger("scheduler.runner")
    if settings.log_level != "DEBUG":
        runner_log.addFilter(quiet)
    try:
        outcome = run_reading("job run", run_now(settings, name, force, full, clock().now()))
    finally:
        runner_log.removeFilter(quiet)
    line = f"{outcome.name}: {outcome.status} in {outcome.seconds:.1f} s: {outcome.result}"
    if not outcome.ok:
        fail(line)
    click.echo(line)
