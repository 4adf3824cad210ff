"""Job ``feedback_cards``: each supervisor gets one card per subordinate after a period ends.

Runs daily (``SCHEDULE_FEEDBACK_CARDS``, 09:00) and acts on working days only
(``WORK_DAYS`` minus the loaded holidays). In the first `BUILD_WORKING_DAYS`
working days of a period it builds the cards of the period that just ended
(``FEEDBACK_CADENCE_MONTHS``) for every active employee with an active
supervisor, and sends those whose people are linked
(`scheduler.feedback_cards.hand_out`). On any working day it sends waiting
cards whose employee and supervisor have linked their accounts since. Cards
are unique per employee and period and sent with a dedupe key, so a second
run builds and sends nothing new. ``--force`` ignores the working-day window
and quiet hours.
"""

from __future__ import annotations

from bot.core.clock import local_day
from scheduler.feedback_cards import hand_out
from scheduler.jobs.specs import JobContext
from scheduler.quiet_hours import next_allowed
from scheduler.scoring.performance_periods import closed_period, period_of
from scheduler.scoring.working_days import working_days_between
from storage.holidays import work_calendar

BUILD_WORKING_DAYS = 5


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    today = local_day(ctx.now, settings.tz)
    async with ctx.sessions() as session:
        calendar = await work_calendar(session, settings)
    if not ctx.force and not calendar(today):
        return "not a working day: cards wait for the next one"
    cadence = settings.feedback_cadence_months
    period = closed_period(today, cadence)
    start = period_of(today, cadence).first_day
    # Today is the n-th working day of the new period (1 on its first working day).
    nth = working_days_between(start, today, calendar)
    building = ctx.force or nth <= BUILD_WORKING_DAYS
    not_before = None if ctx.force else next_allowed(ctx.now, "work", settings)
    async with ctx.sessions.begin() as session:
        built, sent, waiting = await hand_out(
            session, settings, period, ctx.now, not_before, build=building
        )
    return f"period {period.label}: {built} card(s) built, {sent} sent, {waiting} waiting"
