"""Job ``skm_periods``: close ended SKM periods and ask, remind and escalate each unit's head.

Every day (``SCHEDULE_SKM_PERIODS``), counting working days (``WORK_DAYS`` minus
the holidays loaded with ``ulasan holidays import``) after each period's last
local day:

- from the **first working day after** it: the close is made if nobody made it
  yet (`scheduler.periods.cut_period`, one moment for every unit) and each
  unit's head gets the close message (`scheduler.period_close.send_close`);
- from ``PERIOD_REMINDER_WORKING_DAYS`` (10): a unit not approved reminds its head;
- from ``PERIOD_ESCALATION_WORKING_DAYS`` (15): a unit still not approved goes to
  the head of the parent unit (the top unit: its admins, else the city-wide admins).

A unit takes at most one step a day, each once (see `scheduler.period_close`).
Messages keep the "work" window (working days and hours) unless ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.clock import local_day
from scheduler import period_close as close
from scheduler.jobs.specs import JobContext
from scheduler.periods import cut_period
from scheduler.quiet_hours import next_allowed
from scheduler.scoring.skm_periods import close_day, escalation_day, reminder_day
from scheduler.scoring.working_days import WorkCalendar
from storage import holidays, periods
from storage.period_models import SkmPeriod, SkmPeriodUnit


@dataclass
class _Tally:
    closed: int = 0
    asked: int = 0
    reminded: int = 0
    escalated: int = 0
    queued: int = 0

    def count(self, what: str, queued: int | None) -> None:
        if queued is not None:
            setattr(self, what, getattr(self, what) + 1)
            self.queued += queued

    def summary(self) -> str:
        return (
            f"{self.closed} period(s) closed, {self.asked} unit(s) asked, "
            f"{self.reminded} reminded, {self.escalated} escalated, {self.queued} message(s) queued"
        )


async def run(ctx: JobContext) -> str:
    today = local_day(ctx.now, ctx.settings.tz)
    async with ctx.sessions() as session:
        calendar = await holidays.work_calendar(session, ctx.settings)
        ended = await periods.periods_ended_by(session, today)
    tally = _Tally()
    for period in ended:
        if today < close_day(period.last_day, calendar):
            continue
        if period.cut_at is None:
            async with ctx.sessions.begin() as session:
                fresh = await session.get(SkmPeriod, period.id)
                assert fresh is not None
                tally.closed += int(await cut_period(session, fresh, ctx.settings, ctx.now))
        await _units(ctx, period, calendar, today, tally)
    return tally.summary()


def _before(moment: datetime | None, today: date, ctx: JobContext) -> bool:
    """A step taken on an earlier local day (so the next one may follow today)."""
    return moment is not None and local_day(moment, ctx.settings.tz) < today


async def _units(
    ctx: JobContext, period: SkmPeriod, calendar: WorkCalendar, today: date, tally: _Tally
) -> None:
    settings = ctx.settings
    not_before = None if ctx.force else next_allowed(ctx.now, "work", settings)
    remind_on = reminder_day(period.last_day, calendar, settings.period_reminder_working_days)
    escalate_on = escalation_day(period.last_day, calendar, settings.period_escalation_working_days)
    async with ctx.sessions() as session:
        rows: list[SkmPeriodUnit] = list((await periods.period_units(session, period.id)).values())
    for row in sorted(rows, key=lambda r: r.unit_id):
        step, what = None, ""
        if row.close_sent_at is None:
            step, what = close.send_close, "asked"
        elif row.version > 0:
            continue
        elif (
            row.reminded_at is None
            and today >= remind_on
            and _before(row.close_sent_at, today, ctx)
        ):
            step, what = close.send_reminder, "reminded"
        elif (
            row.escalated_at is None
            and today >= escalate_on
            and _before(row.reminded_at, today, ctx)
        ):
            step, what = close.send_escalation, "escalated"
        if step is None:
            continue
        async with ctx.sessions.begin() as session:
            queued = await step(
                session, settings, period, row.unit_id, now=ctx.now, not_before=not_before
            )
        tally.count(what, queued)
