"""Job ``case_followup``: cases nobody responded to are remembered, then passed up.

`scheduler.scoring.case_rules` defines the targets: a case must get its first
response by the end of the N-th working day after it opened
(``CASE_FIRST_RESPONSE_DAYS``, 2). This job, every 15 minutes:

- **past the target** (no first response by ``due_at``): reminds, once, the
  owner and, when the case was handed to a staff member, the head who owns
  it; a case without an owner reminds the unit's admins (or, without them,
  the city-wide admins). Outbox kind ``case_reminder``.
- **past the target twice** (still none by ``escalate_at``): passes the case,
  once, to the head above the responsible unit (the nearest linked head up
  the tree); for the top unit, or when no head above is linked, to the unit's
  admins (else the city-wide admins). They may mute escalations
  (``/pengaturan``). The owner is told that it went up. Kind ``case_escalation``.
  A case past both at once (the bot was down) is escalated without a reminder.

Each case is claimed with one conditional UPDATE (``reminded_at`` /
``escalated_at`` still NULL) as its transaction's first write, so two runs
never remind or escalate twice, and running the job again queues nothing.
Messages keep the alert window (07:00–21:00) unless ``--force``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.jobs.specs import JobContext
from scheduler.messages import cases as texts
from scheduler.quiet_hours import next_allowed
from storage import case_queries, cases, mutes
from storage.case_queries import CaseView
from storage.directory import accounts_by_employee, nearest_linked_head
from storage.models import TelegramAccount, Unit
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_ALERT
from storage.preferences import language_of_chat
from storage.unit_admins import unit_admin_chats

REMINDER_KIND = "case_reminder"
ESCALATION_KIND = "case_escalation"


@dataclass(frozen=True)
class _To:
    chat_id: int
    employee_id: int | None
    language: str


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
    not_before = None if ctx.force else next_allowed(ctx.now, "alerts", ctx.settings)
    async with ctx.sessions() as session:
        twice = await cases.past_target_twice(session, ctx.now)
        late = await cases.past_target(session, ctx.now)
    tally = _Tally()
    for case_id in twice:
        await _escalate(ctx, case_id, not_before, tally)
    for case_id in late:
        await _remind(ctx, case_id, not_before, tally)
    return tally.summary()


async def _to(session: AsyncSession, settings: Settings, chats: list[int]) -> list[_To]:
    found: list[_To] = []
    for chat in dict.fromkeys(chats):
        employee_id = await session.scalar(
            select(TelegramAccount.employee_id).where(TelegramAccount.telegram_user_id == chat)
        )
        found.append(_To(chat, employee_id, await language_of_chat(session, settings, chat)))
    return found


async def owners(session: AsyncSession, settings: Settings, view: CaseView) -> list[_To]:
    """Who answers for the case: its owner and the head who owns it (when it was handed
    over); an ownerless case's unit admins, else the city-wide admins."""
    chats: list[int] = []
    if view.owner_employee_id is not None:
        account = (await accounts_by_employee(session, [view.owner_employee_id])).get(
            view.owner_employee_id
        )
        if account is not None:
            chats.append(account.telegram_user_id)
    head = await nearest_linked_head(session, view.responsible_unit_id)
    if head is not None:
        chats.append(head.chat_id)
    if not chats:
        chats = await unit_admin_chats(session, view.unit_id) or list(settings.admin_ids)
    return await _to(session, settings, chats)


async def _queue(
    session: AsyncSession,
    ctx: JobContext,
    view: CaseView,
    to: _To,
    text: str,
    kind: str,
    key: str,
    not_before: datetime | None,
) -> int:
    added = await enqueue(
        session,
        chat_id=to.chat_id,
        kind=kind,
        text=text,
        buttons=[[texts.open_button(view.token, view.version, to.language)]],
        dedupe_key=f"case:{view.id}:{key}:{to.chat_id}",
        priority=PRIORITY_ALERT,
        not_before=not_before,
        employee_id=to.employee_id,
        now=ctx.now,
    )
    return int(added)


async def _remind(
    ctx: JobContext, case_id: int, not_before: datetime | None, tally: _Tally
) -> None:
    async with ctx.sessions.begin() as session:
        if not await cases.claim_reminder(session, case_id, ctx.now):
            return  # another run did, or it was answered meanwhile
        view = await case_queries.case_by_id(session, case_id)
        if view is None:
            return
        for to in await owners(session, ctx.settings, view):
            text = texts.reminder_text(view, ctx.settings, to.language, ctx.now)
            tally.queued += await _queue(
                session, ctx, view, to, text, REMINDER_KIND, "reminder", not_before
            )
    tally.reminded += 1


async def above(
    session: AsyncSession, settings: Settings, view: CaseView
) -> tuple[list[int], bool]:
    """(chats of those the case goes up to, whether it goes to the admins of the top)."""
    parent_id = await session.scalar(
        select(Unit.parent_id).where(Unit.id == view.responsible_unit_id)
    )
    if parent_id is not None:
        head = await nearest_linked_head(session, parent_id)
        if head is not None:
            return [head.chat_id], False
    return await unit_admin_chats(session, view.unit_id) or list(settings.admin_ids), True


async def _escalate(
    ctx: JobContext, case_id: int, not_before: datetime | None, tally: _Tally
) -> None:
    settings = ctx.settings
    async with ctx.sessions.begin() as session:
        if not await cases.claim_escalation(session, case_id, ctx.now):
            return
        await cases.claim_reminder(session, case_id, ctx.now)  # no reminder after this
        view = await case_queries.case_by_id(session, case_id)
        if view is None:
            return
        chats, top = await above(session, settings, view)
        muted = await mutes.muted_chats(session, mutes.ESCALATIONS, chats)
        for to in await _to(session, settings, [c for c in chats if c not in muted]):
            text = texts.escalation_text(view, settings, to.language, ctx.now, top_unit=top)
            tally.queued += await _queue(
                session, ctx, view, to, text, ESCALATION_KIND, "escalation", not_before
            )
        for to in await owners(session, settings, view):
            if to.chat_id in chats:
                continue
            text = texts.escalated_notice(view, to.language)
            tally.queued += await _queue(
                session, ctx, view, to, text, ESCALATION_KIND, "escalated", not_before
            )
    tally.escalated += 1
