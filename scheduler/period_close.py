"""An SKM period's close in Telegram: who hears of it, and the three messages of each unit.

The ``skm_periods`` job (`scheduler.jobs.skm_periods`) calls these for each unit
of a period that was cut (`scheduler.periods.cut_period`), counting in working
days (``WORK_DAYS`` minus the loaded holidays, `storage.holidays.work_calendar`):

- **the close message** (`send_close`), on the first working day after the
  period's last day: the unit's IKM (konversi and mutu), n against the
  Krejcie–Morgan minimum, the three weakest unsur with NRR, the change from
  the previous period, the possible-levy signals, how the last follow-up plan
  ended (when there was one), and the buttons Per layanan, Setujui & umumkan
  (`handlers.period_approval`) and, for a head, Susun RTL (``/rtl`` for this period). It goes
  to the unit's own linked head (the roster's head of exactly this unit), else
  to the unit's admins, else to the city-wide admins (`recipients`). A unit
  approved early (before the period ended) is marked and not asked.
- **the reminder** (`send_reminder`), ``PERIOD_REMINDER_WORKING_DAYS`` working
  days after the end, to the same people, while the unit is not approved;
- **the escalation** (`send_escalation`), ``PERIOD_ESCALATION_WORKING_DAYS``
  after the end: the head of the parent unit (the nearest linked head above),
  and for the top unit (or nobody linked above) the unit's admins, else the
  city-wide admins (`above`).

Each step is claimed once per unit and period with a conditional UPDATE of its
column (`storage.periods.mark`) as the first write of its transaction, and the
rows are queued in the outbox in the same transaction with a dedupe key per
period, unit, step and chat: a second run, a restart or two processes queue
nothing twice. A unit gets at most one step per local day, in order (close,
reminder, escalation): a bot that was down for weeks catches up one step a day
instead of sending all three at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler import rtl as plans
from scheduler.documents import period_snapshot as snap
from scheduler.messages import periods as texts
from scheduler.messages import rtl as rtl_texts
from storage import outbox, periods
from storage.directory import nearest_linked_head
from storage.models import TelegramAccount, Unit
from storage.outbox_models import PRIORITY_NOTICE, PRIORITY_REMINDER
from storage.period_models import SkmPeriod
from storage.preferences import language_of_chat
from storage.unit_admins import unit_admin_chats

CLOSE_KIND = "period_close"
REMINDER_KIND = "period_reminder"
ESCALATION_KIND = "period_escalation"


@dataclass(frozen=True)
class Audience:
    """Who a unit's close message goes to; ``head`` False: its admins stand in."""

    chats: list[int]
    head: bool


async def recipients(session: AsyncSession, settings: Settings, unit_id: int) -> Audience:
    """The unit's own linked head, else the unit's admins, else the city-wide admins."""
    head = await nearest_linked_head(session, unit_id)
    if head is not None and head.unit_id == unit_id:
        return Audience([head.chat_id], True)
    return Audience(await unit_admin_chats(session, unit_id) or list(settings.admin_ids), False)


async def above(session: AsyncSession, settings: Settings, unit_id: int) -> list[int]:
    """The head of the parent unit (nearest linked head above), else for the top unit (or
    nobody linked above) the unit's admins, else the city-wide admins."""
    parent_id = await session.scalar(select(Unit.parent_id).where(Unit.id == unit_id))
    if parent_id is not None:
        higher = await nearest_linked_head(session, parent_id)
        if higher is not None:
            return [higher.chat_id]
    return await unit_admin_chats(session, unit_id) or list(settings.admin_ids)


async def _employee_of(session: AsyncSession, chat_id: int) -> int | None:
    return await session.scalar(
        select(TelegramAccount.employee_id).where(TelegramAccount.telegram_user_id == chat_id)
    )


async def _outcome(session: AsyncSession, period: SkmPeriod, unit_id: int, language: str) -> str:
    result = await plans.outcome_of_previous(session, period, unit_id)
    return rtl_texts.outcome_text(result, language) if result is not None else ""


async def _claim(
    session: AsyncSession, period: SkmPeriod, unit_id: int, column: str, now: datetime
) -> snap.Figures | None:
    """Claim the step (its column, once) and return the figures to tell; None when it was
    claimed before or the unit is approved already (nothing to ask)."""
    row = await periods.period_unit(session, period.id, unit_id)
    if row is None or not await periods.mark(session, row.id, column, now):
        return None
    await session.refresh(row)
    if row.version > 0 or row.draft is None:
        return None
    return snap.loads(row.draft)


@dataclass(frozen=True)
class _Queue:
    """Where the step's rows go: its kind, dedupe key stem, priority and times."""

    kind: str
    key: str  # the dedupe key without the chat
    priority: int
    now: datetime
    not_before: datetime | None

    async def add(
        self,
        session: AsyncSession,
        chat: int,
        text: str,
        buttons: list[list[outbox.Button]] | None = None,
    ) -> int:
        return int(
            await outbox.enqueue(
                session,
                chat_id=chat,
                kind=self.kind,
                text=text,
                buttons=buttons,
                dedupe_key=f"{self.key}:{chat}",
                priority=self.priority,
                not_before=self.not_before,
                employee_id=await _employee_of(session, chat),
                now=self.now,
            )
        )


async def send_close(
    session: AsyncSession,
    settings: Settings,
    period: SkmPeriod,
    unit_id: int,
    *,
    now: datetime,
    not_before: datetime | None,
) -> int | None:
    """Claim and queue the unit's close message; None when nobody was asked (claimed
    before, or approved already), else how many rows were queued (0: nobody to tell, or
    the chats are unreachable)."""
    figures = await _claim(session, period, unit_id, "close_sent_at", now)
    if figures is None:
        return None
    audience = await recipients(session, settings, unit_id)
    queue = _Queue(CLOSE_KIND, f"period:close:{period.id}:{unit_id}", PRIORITY_NOTICE, now,
                   not_before)  # fmt: skip
    queued = 0
    for chat in audience.chats:
        language = await language_of_chat(session, settings, chat)
        outcome = await _outcome(session, period, unit_id, language)
        queued += await queue.add(
            session,
            chat,
            texts.close_message(figures, outcome, language),
            texts.close_buttons(period.id, unit_id, language, with_plan=audience.head),
        )
    return queued


async def send_reminder(
    session: AsyncSession,
    settings: Settings,
    period: SkmPeriod,
    unit_id: int,
    *,
    now: datetime,
    not_before: datetime | None,
) -> int | None:
    """Claim and queue the reminder to the unit's head (or admins); None: claimed before
    or approved meanwhile."""
    figures = await _claim(session, period, unit_id, "reminded_at", now)
    if figures is None:
        return None
    days = settings.period_reminder_working_days
    queue = _Queue(REMINDER_KIND, f"period:remind:{period.id}:{unit_id}", PRIORITY_REMINDER,
                   now, not_before)  # fmt: skip
    queued = 0
    for chat in (await recipients(session, settings, unit_id)).chats:
        language = await language_of_chat(session, settings, chat)
        queued += await queue.add(
            session,
            chat,
            texts.reminder(figures, days, language),
            texts.approve_buttons(period.id, unit_id, language),
        )
    return queued


async def send_escalation(
    session: AsyncSession,
    settings: Settings,
    period: SkmPeriod,
    unit_id: int,
    *,
    now: datetime,
    not_before: datetime | None,
) -> int | None:
    """Claim and queue the escalation to those above the unit; None: claimed before or
    approved meanwhile."""
    figures = await _claim(session, period, unit_id, "escalated_at", now)
    if figures is None:
        return None
    days = settings.period_escalation_working_days
    head_known = (await recipients(session, settings, unit_id)).head
    queue = _Queue(ESCALATION_KIND, f"period:escalate:{period.id}:{unit_id}",
                   PRIORITY_REMINDER, now, not_before)  # fmt: skip
    queued = 0
    for chat in await above(session, settings, unit_id):
        language = await language_of_chat(session, settings, chat)
        queued += await queue.add(
            session, chat, texts.escalation(figures, days, head_known, language)
        )
    return queued
