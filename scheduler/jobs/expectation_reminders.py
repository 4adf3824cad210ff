"""Job ``expectation_reminders``: klarifikasi ekspektasi is asked for, and answered.

Runs daily (``SCHEDULE_EXPECTATION_REMINDERS``, 09:15) and acts on working
days only (``WORK_DAYS`` minus the loaded holidays; ``--force`` ignores that
and quiet hours). Stating an expectation is the supervisor's choice, so each
person hears about each pair at most twice a year:

- **Supervisors.** For every active subordinate the roster names now without
  an expectation from that supervisor for the year (`storage.expectation_prompts`):
  a first prompt on the first working day of the year, or on the first
  working day after the roster names a new subordinate; one reminder
  ``EXPECTATION_REMINDER_DAYS`` (7) days later if still none; then nothing.
  In December no first prompts go out (the year is nearly over; January
  asks for the new one). One message per supervisor per day names everyone
  due (``expectation_prompt:<supervisor>:<day>``); the prompt rows are written
  with it, so a second run the same day, or the next day, sends nothing new.
  A supervisor without a linked account (or who blocked the bot) gets
  nothing and no row: they are asked once they can be reached. Each name is
  a button (``ex:e:<employee>``, ``/ekspektasi``'s own step, which checks the
  roster again) that goes straight to what the expectation is about.
- **Employees.** An expectation stated while the employee had no linked
  account goes out on the first working day after they link (``sent_at``).
  One neither understood nor asked about ``EXPECTATION_REMINDER_DAYS`` after
  it went out comes once more, with the same two buttons (``reminded_at``;
  ``expect-again:<token>``). Both are kept on the expectation, not only in
  the outbox, whose old rows housekeeping prunes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.clock import local_day
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler import expectations
from scheduler.jobs.review_reminders import delivery
from scheduler.jobs.specs import JobContext
from scheduler.messages import expectation_reminders as texts
from storage import expectation_prompts as prompts
from storage.directory import accounts_by_employee
from storage.holidays import work_calendar
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REMINDER
from storage.preferences import language_of

KIND = "expectation_prompt"
NO_FIRST_PROMPTS_IN = 12  # December: the year is nearly over


def is_due(item: prompts.Missing, today: date, settings: Settings) -> str | None:
    """ "first", "again" or None: what the supervisor hears about this subordinate today."""
    if item.prompt is None:
        return None if today.month == NO_FIRST_PROMPTS_IN else "first"
    if item.prompt.reminded_at is not None:
        return None
    asked = local_day(item.prompt.prompted_at, settings.tz)
    return "again" if today >= asked + timedelta(days=settings.expectation_reminder_days) else None


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    today = local_day(ctx.now, settings.tz)
    async with ctx.sessions() as session:
        calendar = await work_calendar(session, settings)
    if not ctx.force and not calendar(today):
        return "not a working day: expectation reminders wait for the next one"
    send_at = delivery(ctx)
    supervisors, named = await _prompt_supervisors(ctx, today, send_at)
    answered = await _remind_employees(ctx, today, send_at)
    return (
        f"{today.year}: {supervisors} supervisor prompt(s) naming {named} subordinate(s); "
        f"{answered} expectation(s) sent late or reminded to employees"
    )


async def _prompt_supervisors(ctx: JobContext, today: date, send_at: datetime) -> tuple[int, int]:
    """(messages queued, subordinates named)."""
    settings = ctx.settings
    queued = named = 0
    async with ctx.sessions.begin() as session:
        due: dict[int, list[tuple[str, prompts.Missing]]] = {}
        for item in await prompts.missing(session, today.year):
            step = is_due(item, today, settings)
            if step is not None:
                due.setdefault(item.supervisor_id, []).append((step, item))
        accounts = await accounts_by_employee(session, list(due))
        for boss_id, items in due.items():
            account = accounts.get(boss_id)
            if account is None:
                continue
            _ = gettext_for(language_of(account, settings))
            first = [i.employee_name for step, i in items if step == "first"]
            again = [i.employee_name for step, i in items if step == "again"]
            if not await enqueue(
                session,
                chat_id=account.telegram_user_id,
                kind=KIND,
                text=texts.prompt_text(_, today.year, first, again),
                buttons=texts.prompt_buttons([(i.employee_id, i.employee_name) for _s, i in items]),
                dedupe_key=f"{KIND}:{boss_id}:{today.isoformat()}",
                priority=PRIORITY_REMINDER,
                not_before=send_at,
                employee_id=boss_id,
                now=ctx.now,
            ):
                continue
            queued += 1
            named += len(items)
            for _step, item in items:
                await prompts.record_prompt(session, item, today.year, ctx.now)
    return queued, named


async def _remind_employees(ctx: JobContext, today: date, send_at: datetime) -> int:
    """Send expectations never received (not linked when stated) and remind unanswered ones
    ``EXPECTATION_REMINDER_DAYS`` after they went out; how many messages."""
    settings = ctx.settings
    before = ctx.now - timedelta(days=settings.expectation_reminder_days)
    queued = 0
    async with ctx.sessions.begin() as session:
        for item in await prompts.unanswered(session, today.year):
            if item.sent_at is None:
                queued += await expectations.deliver_late(session, settings, item, ctx.now, send_at)
            elif item.sent_at <= before:
                queued += await expectations.remind(session, settings, item, ctx.now, send_at)
    return queued
