"""The scheduled jobs: what each is, when it runs, and the context it runs with.

Every job is an ``async def run(ctx: JobContext) -> str`` in its own module,
``scheduler/jobs/<name>.py``, that returns a one-line summary of what it did.
Jobs are idempotent: a second run in a row queues and writes nothing new
(outbox dedupe keys, watermarks).
The runner (`scheduler.runner`) records each run in `JobRun`, runs a missed run
once at start, and serves ``ulasan job list``/``ulasan job run`` and ``/status``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.progress import QUIET, Progress
from bot.core.settings import Settings
from storage.db import SessionFactory

# Which quiet-hours window a job's messages respect ("work": working days and
# hours; "alerts": the wider alert window; None: sends nothing, runs any time).
Window = Literal["work", "alerts"] | None


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    sessions: SessionFactory
    now: datetime  # aware UTC; injected so tests control the clock
    force: bool = False  # `--force`: ignore quiet hours (and cadence where it applies)
    full: bool = False  # `--full`: rebuild instead of incremental (rollup)
    # Where long work reports its stages: a bar on the CLI's terminal, else nothing.
    progress: Progress = QUIET


JobFunc = Callable[[JobContext], Awaitable[str]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    schedule_setting: str  # the Settings attribute holding its cron expression
    window: Window
    description: str

    def schedule(self, settings: Settings) -> str:
        return str(getattr(settings, self.schedule_setting))


JOB_SPECS: tuple[JobSpec, ...] = (
    JobSpec(
        "review_reminders",
        "schedule_review_reminders",
        "work",
        "remind raters with pending reviews in open cycles",
    ),
    JobSpec(
        "supervisor_nudges",
        "schedule_supervisor_nudges",
        "work",
        "tell supervisors their pending reviews and team completion",
    ),
    JobSpec(
        "low_score_alerts",
        "schedule_low_score_alerts",
        "alerts",
        "alert unit heads to low scores, free-service levies and comments",
    ),
    JobSpec(
        "case_followup",
        "schedule_case_followup",
        "alerts",
        "remind owners of cases past the first-response target; pass cases past it twice up",
    ),
    JobSpec(
        "praise_notes",
        "schedule_praise_notes",
        "work",
        "send officers and their supervisors the day's praise from citizens",
    ),
    JobSpec(
        "rtl_followup",
        "schedule_rtl_followup",
        "work",
        "remind owners of follow-up (RTL) lines before their target date; pass long overdue up",
    ),
    JobSpec(
        "skm_periods",
        "schedule_skm_periods",
        "work",
        "close ended SKM periods; ask each unit head to approve, remind them, pass late units up",
    ),
    JobSpec(
        "feedback_cards",
        "schedule_feedback_cards",
        "work",
        "give each supervisor a feedback card per subordinate for the period that ended",
    ),
    JobSpec(
        "expectation_reminders",
        "schedule_expectation_reminders",
        "work",
        "ask supervisors for the year's special expectations; remind unanswered ones",
    ),
    JobSpec(
        "development_checkins",
        "schedule_development_checkins",
        "work",
        "ask owners of approved development plans for this month's check-in",
    ),
    JobSpec("rollup", "schedule_rollup", None, "aggregate scores into daily and monthly tables"),
    JobSpec(
        "weekly_digest",
        "schedule_weekly_digest",
        "work",
        "send each unit head last week's IKM digest",
    ),
    JobSpec(
        "housekeeping",
        "schedule_housekeeping",
        None,
        "abandon stale survey drafts; remove old pseudonyms and contact chats",
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in JOB_SPECS}
