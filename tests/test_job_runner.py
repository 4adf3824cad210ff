"""The job runner with a clock the tests control: schedules, due jobs, catch-up after
downtime, the ``job_runs`` bookkeeping, failures that stay one line, one run at a time,
and ``ulasan job list`` / ``ulasan job run`` through click's CliRunner.

Jobs are fakes handed to the runner as a loader (``scheduler.<name>.run`` stand-ins),
except in the CLI tests, which run the real ``housekeeping`` and ``review_reminders``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update

from bot.cli.main import cli, register_commands
from bot.core.settings import Settings
from scheduler.jobs.specs import JOB_SPECS, SPECS_BY_NAME, JobContext, JobFunc
from scheduler.runner import (
    BUSY,
    ERROR,
    NEW,
    OK,
    RUNNING,
    JobRunner,
    UnknownJob,
    crontab_trigger,
    due_jobs,
    is_due,
    job_overview,
    next_run,
    run_job,
)
from storage.db import SessionFactory
from storage.migrate import upgrade
from storage.outbox_models import JobRun

WIB = ZoneInfo("Asia/Jakarta")
NAMES = [spec.name for spec in JOB_SPECS]


def wib(*args: int) -> datetime:
    return datetime(*args, tzinfo=WIB)


class FakeJobs:
    """A loader whose jobs count their runs; some fail or wait on request."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.contexts: list[JobContext] = []
        self.failing = failing or set()
        self.gates: dict[str, asyncio.Event] = {}
        self.started: dict[str, asyncio.Event] = {}

    def __call__(self, name: str) -> JobFunc:
        async def run(ctx: JobContext) -> str:
            self.calls[name] += 1
            self.contexts.append(ctx)
            self.started.setdefault(name, asyncio.Event()).set()
            if name in self.gates:
                await self.gates[name].wait()
            if name in self.failing:
                raise RuntimeError("boom\nwith a second line")
            return f"{name} did its work\n(twice as fast)"

        return run


async def rows(sessions: SessionFactory) -> dict[str, JobRun]:
    async with sessions() as session:
        return {row.name: row for row in (await session.scalars(select(JobRun))).all()}


async def set_rows(sessions: SessionFactory, **values: object) -> None:
    async with sessions.begin() as session:
        await session.execute(update(JobRun).values(**values))


# -- schedules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 8 * * 1", wib(2030, 1, 8, 12, 0), wib(2030, 1, 14, 8, 0)),  # 1 = Monday, as in cron
        ("0 8 * * 0", wib(2030, 1, 8, 12, 0), wib(2030, 1, 13, 8, 0)),  # 0 = Sunday
        ("0 8 * * 7", wib(2030, 1, 8, 12, 0), wib(2030, 1, 13, 8, 0)),  # 7 = Sunday too
        ("0 8 * * 1-5", wib(2030, 1, 11, 9, 0), wib(2030, 1, 14, 8, 0)),  # Fri → Mon
        ("0 8 * * */2", wib(2030, 1, 7, 9, 0), wib(2030, 1, 8, 8, 0)),  # Sun, Tue, Thu, Sat
        ("0 8 * * sat,sun", wib(2030, 1, 7, 9, 0), wib(2030, 1, 12, 8, 0)),
        ("*/15 * * * *", wib(2030, 1, 7, 9, 7), wib(2030, 1, 7, 9, 15)),
    ],
)
def test_cron_expressions_use_crontab_weekdays(expression, after, expected):
    fired = crontab_trigger(expression, WIB).get_next_fire_time(None, after)
    assert fired == expected


def test_next_run_is_strictly_after_and_in_timezone(settings: Settings):
    spec = SPECS_BY_NAME["review_reminders"]  # "30 8 * * *" in Asia/Jakarta
    assert next_run(spec, settings, wib(2030, 1, 7, 8, 29, 59)) == wib(2030, 1, 7, 8, 30)
    # Started exactly on its slot: the next slot is tomorrow's, not the same one again.
    assert next_run(spec, settings, wib(2030, 1, 7, 8, 30)) == wib(2030, 1, 8, 8, 30)
    assert next_run(spec, settings, wib(2030, 1, 7, 8, 30)).tzinfo == UTC


def test_due_when_the_slot_after_the_last_start_has_come(settings: Settings):
    spec = SPECS_BY_NAME["review_reminders"]
    last = wib(2030, 1, 7, 8, 30, 5)
    assert not is_due(spec, settings, last, wib(2030, 1, 8, 8, 29))
    assert is_due(spec, settings, last, wib(2030, 1, 8, 8, 30))
    assert is_due(spec, settings, last, wib(2030, 1, 20, 3, 0))  # many slots missed: due
    assert not is_due(spec, settings, None, wib(2030, 1, 20, 3, 0))  # not registered yet


# -- the tick ----------------------------------------------------------------------------------


async def test_first_tick_registers_every_job_and_runs_none(
    settings: Settings, sessions: SessionFactory
):
    jobs = FakeJobs()
    runner = JobRunner(settings, sessions, loader=jobs)
    start = wib(2030, 1, 7, 10, 0)
    assert await runner.tick(start) == []
    registered = await rows(sessions)
    assert sorted(registered) == sorted(NAMES)
    assert {row.last_status for row in registered.values()} == {NEW}
    assert {row.last_started_at for row in registered.values()} == {start}
    # Restarting before the first slot does not move the baseline.
    assert (
        await JobRunner(settings, sessions, loader=jobs).tick(start + timedelta(seconds=30)) == []
    )
    assert (await rows(sessions))["rollup"].last_started_at == start
    # The first slot after the first start: every minute for alerts, a quarter hour for
    # the case follow-up and the rollup.
    assert await runner.tick(wib(2030, 1, 7, 10, 1)) == ["low_score_alerts"]
    await runner.wait()
    assert await runner.tick(wib(2030, 1, 7, 10, 15)) == [
        "low_score_alerts",
        "case_followup",
        "rollup",
    ]
    await runner.wait()
    assert jobs.calls == Counter({"low_score_alerts": 2, "case_followup": 1, "rollup": 1})


async def test_after_downtime_a_missed_run_runs_once(settings: Settings, sessions: SessionFactory):
    jobs = FakeJobs()
    runner = JobRunner(settings, sessions, loader=jobs)
    await runner.tick(wib(2030, 1, 1, 9, 0))
    # The bot was down for a week: every job missed many slots.
    await set_rows(sessions, last_started_at=wib(2030, 1, 1, 9, 0), last_status=OK)
    back = wib(2030, 1, 8, 11, 0, 7)
    assert sorted(await runner.tick(back)) == sorted(NAMES)
    await runner.wait()
    assert jobs.calls == Counter(dict.fromkeys(NAMES, 1))
    assert {ctx.now for ctx in jobs.contexts} == {back}
    # The next ticks find nothing due until the next slots.
    assert await runner.tick(back + timedelta(seconds=15)) == []
    assert await runner.tick(wib(2030, 1, 8, 11, 1)) == ["low_score_alerts"]
    await runner.wait()


async def test_job_runs_are_recorded(settings: Settings, sessions: SessionFactory):
    jobs = FakeJobs()
    now = wib(2030, 1, 7, 10, 0)
    outcome = await run_job("housekeeping", settings, sessions, now, loader=jobs)
    assert outcome.ok and outcome.status == OK
    assert outcome.result == "housekeeping did its work (twice as fast)"  # one line
    row = (await rows(sessions))["housekeeping"]
    assert row.last_started_at == now
    assert row.last_finished_at is not None and row.last_finished_at >= now
    assert (row.last_status, row.last_result) == (OK, outcome.result)
    assert row.watermark is None  # the job's own column is left alone
    # force and full reach the job.
    await run_job("rollup", settings, sessions, now, force=True, full=True, loader=jobs)
    assert (jobs.contexts[-1].force, jobs.contexts[-1].full) == (True, True)


async def test_a_failing_job_is_one_line_and_the_others_still_run(
    settings: Settings, sessions: SessionFactory, caplog: pytest.LogCaptureFixture
):
    jobs = FakeJobs(failing={"supervisor_nudges"})
    runner = JobRunner(settings, sessions, loader=jobs)
    await runner.tick(wib(2030, 1, 1, 9, 0))
    await set_rows(sessions, last_started_at=wib(2030, 1, 1, 9, 0), last_status=OK)
    await runner.tick(wib(2030, 1, 3, 9, 0))
    outcomes = {o.name: o for o in await runner.wait()}
    assert outcomes["supervisor_nudges"].status == ERROR
    assert outcomes["supervisor_nudges"].result == "RuntimeError: boom with a second line"
    assert all(o.ok for name, o in outcomes.items() if name != "supervisor_nudges")
    recorded = await rows(sessions)
    assert recorded["supervisor_nudges"].last_status == ERROR
    assert "\n" not in recorded["supervisor_nudges"].last_result
    assert recorded["review_reminders"].last_status == OK
    # The traceback went to the log.
    assert any(r.exc_info for r in caplog.records if "supervisor_nudges" in r.getMessage())


async def test_a_broken_module_does_not_stop_the_others(
    settings: Settings, sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
):
    # The real loader: a module without run() (as if half-written) fails alone.
    module = types.ModuleType("scheduler.jobs.rollup")
    monkeypatch.setitem(sys.modules, "scheduler.jobs.rollup", module)
    now = datetime.now(UTC)
    broken = await run_job("rollup", settings, sessions, now)
    assert broken.status == ERROR and "scheduler.jobs.rollup has no run" in broken.result
    fine = await run_job("housekeeping", settings, sessions, now)
    assert fine.ok, fine.result


async def test_unknown_job_is_refused(settings: Settings, sessions: SessionFactory):
    with pytest.raises(UnknownJob, match="unknown job 'nope'; the jobs are: review_reminders"):
        await run_job("nope", settings, sessions, wib(2030, 1, 1, 9, 0))


async def test_never_two_runs_of_one_job_at_once(settings: Settings, sessions: SessionFactory):
    jobs = FakeJobs()
    jobs.gates["rollup"] = gate = asyncio.Event()
    jobs.started["rollup"] = started = asyncio.Event()
    runner = JobRunner(settings, sessions, loader=jobs)
    await runner.tick(wib(2030, 1, 7, 10, 0))
    assert "rollup" in await runner.tick(wib(2030, 1, 7, 10, 15))
    await started.wait()
    # Still running at the next slot: not started again, here or from another process.
    assert "rollup" not in await runner.tick(wib(2030, 1, 7, 10, 30))
    other = await run_job("rollup", settings, sessions, wib(2030, 1, 7, 10, 31), loader=jobs)
    assert other.status == BUSY and "already running" in other.result
    assert (await rows(sessions))["rollup"].last_status == RUNNING
    gate.set()
    await runner.wait()
    assert jobs.calls["rollup"] == 1
    assert (await rows(sessions))["rollup"].last_status == OK


async def test_a_stale_claim_is_taken_over_and_a_dead_bots_claim_released(
    settings: Settings, sessions: SessionFactory
):
    jobs = FakeJobs()
    now = wib(2030, 1, 7, 10, 0)
    await run_job("rollup", settings, sessions, now - timedelta(hours=3), loader=jobs)
    # A CLI run killed two hours ago left its claim.
    await set_rows(sessions, last_status=RUNNING, last_started_at=now - timedelta(hours=2))
    taken = await run_job("rollup", settings, sessions, now, loader=jobs)
    assert taken.ok
    # A bot killed during a run: the next bot's first tick releases the claim and catches up.
    await set_rows(sessions, last_status=RUNNING, last_started_at=now - timedelta(minutes=20))
    runner = JobRunner(settings, sessions, loader=jobs)
    started = await runner.tick(now)
    await runner.wait()
    assert "rollup" in started
    assert (await rows(sessions))["rollup"].last_status == OK


async def test_running_twice_in_a_row_records_two_runs(
    settings: Settings, sessions: SessionFactory
):
    jobs = FakeJobs()
    now = wib(2030, 1, 7, 10, 0)
    first = await run_job("review_reminders", settings, sessions, now, loader=jobs)
    second = await run_job(
        "review_reminders", settings, sessions, now + timedelta(seconds=5), loader=jobs
    )
    assert first.ok and second.ok
    assert (await rows(sessions))["review_reminders"].last_started_at == now + timedelta(seconds=5)


async def test_overview_shows_schedule_last_and_next_run(
    settings: Settings, sessions: SessionFactory
):
    jobs = FakeJobs(failing={"rollup"})
    now = wib(2030, 1, 7, 10, 0)
    before = {job.name: job for job in await job_overview(settings, sessions, now)}
    assert before["review_reminders"].last_started_at is None
    assert before["review_reminders"].next_run_at == wib(2030, 1, 8, 8, 30)
    await JobRunner(settings, sessions, loader=jobs).tick(now)
    await run_job("rollup", settings, sessions, now, loader=jobs)
    after = {job.name: job for job in await job_overview(settings, sessions, now)}
    assert after["review_reminders"].last_status == NEW
    assert after["review_reminders"].last_started_at is None  # registered, never run
    assert after["weekly_digest"].next_run_at == wib(2030, 1, 14, 8, 0)  # Monday
    assert after["rollup"].schedule == "*/15 * * * *"
    assert (after["rollup"].last_status, after["rollup"].last_result) == (
        ERROR,
        "RuntimeError: boom with a second line",
    )
    assert after["rollup"].next_run_at == wib(2030, 1, 7, 10, 15)
    # Overdue (the bot is down): shown as due now.
    later = {
        job.name: job for job in await job_overview(settings, sessions, now + timedelta(days=2))
    }
    assert later["rollup"].next_run_at == now + timedelta(days=2)
    due = [spec.name for spec in await due_jobs(settings, sessions, now + timedelta(days=2))]
    assert due == [name for name in NAMES if name != "weekly_digest"]  # Mondays only


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def run_cli(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch):
    asyncio.run(upgrade(database_url))
    monkeypatch.chdir(tmp_path)
    register_commands()
    env = {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
        "DEFAULT_LANGUAGE": "id",
        "LOG_LEVEL": "WARNING",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["job", *args], env=env, catch_exceptions=False)

    return invoke


def test_cli_job_list_and_run(run_cli):
    listed = run_cli("list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "SCHEDULE", "LAST"]
    for name in NAMES:
        assert any(line.startswith(name) for line in lines)
    assert "never run" in listed.stdout and "(times in Asia/Jakarta)" in listed.stdout

    ran = run_cli("run", "housekeeping")
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("housekeeping: ok in ")
    assert "stale drafts abandoned" in ran.stdout

    forced = run_cli("run", "review_reminders", "--force")
    assert forced.exit_code == 0, forced.output
    assert "0 reminders queued" in forced.stdout

    data = json.loads(run_cli("list", "--format", "json").stdout)
    assert [job["name"] for job in data] == NAMES
    by_name = {job["name"]: job for job in data}
    assert by_name["housekeeping"]["last_status"] == "ok"
    assert "stale drafts abandoned" in by_name["housekeeping"]["last_result"]
    assert by_name["housekeeping"]["next_run_at"] is not None
    assert by_name["rollup"]["last_status"] == "new"


def test_cli_unknown_job_is_one_line(run_cli):
    result = run_cli("run", "nope")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "job run: unknown job 'nope'; the jobs are: " + ", ".join(NAMES)
    ]


def test_cli_failing_job_is_one_line(run_cli, monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("scheduler.jobs.weekly_digest")

    async def run(ctx: JobContext) -> str:
        raise ValueError("chart library missing")

    module.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scheduler.jobs.weekly_digest", module)
    result = run_cli("run", "weekly_digest")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("weekly_digest: error in ")
    assert result.stderr.strip().endswith("ValueError: chart library missing")


def test_cli_bad_format_is_refused(run_cli):
    result = run_cli("list", "--format", "xml")
    assert result.exit_code == 1
    assert "not one of table, json" in result.stderr
