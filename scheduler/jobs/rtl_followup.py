"""Job ``rtl_followup``: owners of follow-up lines are reminded; lines long overdue go up.

Every day (``SCHEDULE_RTL_FOLLOWUP``), for each line still belum mulai or
berjalan with an owner and a target date (local days in TIMEZONE):

- **first reminder** ``RTL_FIRST_REMINDER_DAYS`` (14) days before the target
  date, and **last reminder** ``RTL_LAST_REMINDER_DAYS`` (3) days before: one
  message each to the owner (kind ``rtl_reminder``). A line that enters the
  window late (added with a near date, or the bot was down) gets only the
  reminder that fits now; the last one claims the first too.
- **escalation** ``RTL_ESCALATION_DAYS`` (14) days past the target date: once,
  to the head above the head of the line's unit (the nearest linked head up
  the tree), and for the top unit (or nobody linked above) to the unit's
  admins, else the city-wide admins (kind ``rtl_escalation``).

Overdue lines also appear in the head's weekly digest
(``scheduler/jobs/weekly_digest.py``). Each reminder and escalation is claimed
with one conditional UPDATE as its transaction's first write, so a second run
queues nothing. Messages keep the "work" window (working days and hours)
unless ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.settings import Settings
from scheduler.jobs.specs import JobContext
from scheduler.messages import rtl as texts
from scheduler.quiet_hours import next_allowed
from storage import rtl
from storage.directory import accounts_by_employee, nearest_linked_head
from storage.models import TelegramAccount, Unit
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REMINDER
from storage.preferences import language_of_chat
from storage.rtl import LineView
from storage.unit_admins import unit_admin_chats

REMINDER_KIND = "rtl_reminder"
ESCALATION_KIND = "rtl_escalation"


@dataclass
class _Tally:
    reminded: int = 0
    escalated: int = 0
    queued: int = 0

    def summary(self) -> str:
        return (
            f"{self.reminded} reminder(s), {self.escalated} escalation(s), "
            f"{self.queued} message(s) queued"
        )


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    today = local_day(ctx.now, settings.tz)
    not_before = None if ctx.force else next_allowed(ctx.now, "work", settings)
    horizon = today + timedelta(days=settings.rtl_first_reminder_days)
    async with ctx.sessions() as session:
        lines = await rtl.open_lines_due_by(session, horizon)
    tally = _Tally()
    for line in lines:
        assert line.due_date is not None
        days_left = (line.due_date - today).days
        if -days_left >= settings.rtl_escalation_days:
            await _escalate(ctx, line, -days_left, not_before, tally)
        elif 0 <= days_left <= settings.rtl_last_reminder_days:
            await _remind(ctx, line, days_left, "reminded_last_at", not_before, tally)
        elif settings.rtl_last_reminder_days < days_left:
            await _remind(ctx, line, days_left, "reminded_first_at", not_before, tally)
    return tally.summary()


async def _remind(
    ctx: JobContext,
    line: LineView,
    days_left: int,
    column: str,
    not_before: datetime | None,
    tally: _Tally,
) -> None:
    async with ctx.sessions.begin() as session:
        if not await rtl.claim(session, line.id, column, ctx.now):
            return
        if column == "reminded_last_at":
            await rtl.claim(session, line.id, "reminded_first_at", ctx.now)
        assert line.owner_employee_id is not None
        account = (await accounts_by_employee(session, [line.owner_employee_id])).get(
            line.owner_employee_id
        )
        if account is None:
            return
        language = await language_of_chat(session, ctx.settings, account.telegram_user_id)
        added = await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=REMINDER_KIND,
            text=texts.reminder(line, days_left, language),
            buttons=texts.open_button(line, language),
            dedupe_key=f"rtl:remind:{line.id}:{column}",
            priority=PRIORITY_REMINDER,
            not_before=not_before,
            employee_id=line.owner_employee_id,
            now=ctx.now,
        )
    tally.reminded += 1
    tally.queued += int(added)


async def above(session: AsyncSession, settings: Settings, unit_id: int) -> list[int]:
    """Chats of those an overdue line goes up to: the head above the line's head, else
    the unit's admins, else the city-wide admins."""
    head = await nearest_linked_head(session, unit_id)
    level = head.unit_id if head is not None else unit_id
    parent_id = await session.scalar(select(Unit.parent_id).where(Unit.id == level))
    if parent_id is not None:
        higher = await nearest_linked_head(session, parent_id)
        if higher is not None:
            return [higher.chat_id]
    return await unit_admin_chats(session, unit_id) or list(settings.admin_ids)


async def _escalate(
    ctx: JobContext, line: LineView, days_late: int, not_before: datetime | None, tally: _Tally
) -> None:
    async with ctx.sessions.begin() as session:
        if not await rtl.claim(session, line.id, "escalated_at", ctx.now):
            return
        for chat in await above(session, ctx.settings, line.unit_id):
            language = await language_of_chat(session, ctx.settings, chat)
            employee_id = await session.scalar(
                select(TelegramAccount.employee_id).where(TelegramAccount.telegram_user_id == chat)
            )
            tally.queued += int(
                await enqueue(
                    session,
                    chat_id=chat,
                    kind=ESCALATION_KIND,
                    text=texts.escalation(line, days_late, language),
                    dedupe_key=f"rtl:escalate:{line.id}:{chat}",
                    priority=PRIORITY_REMINDER,
                    not_before=not_before,
                    employee_id=employee_id,
                    now=ctx.now,
                )
            )
    tally.escalated += 1


def overdue(lines: list[LineView], unit_ids: list[int], today: date) -> list[LineView]:
    """The lines of these units past their target date (for the weekly digest)."""
    wanted = set(unit_ids)
    return [
        line
        for line in lines
        if line.unit_id in wanted and line.due_date is not None and line.due_date < today
    ]
