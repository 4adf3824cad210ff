"""Feedback lines and the dialogue after them: the writes and the messages they cause.

`give` stores a supervisor's feedback line on a card and queues it to the
employee (with "Sudah didiskusikan" and "Tulis tanggapan"); `discussed`
records the performance dialogue's date (once) and tells the supervisor;
`reply` keeps the employee's written answer and passes it to the supervisor.
Messages to the other person go through the outbox (they are not replies to
the one who pressed). Each runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages import feedback_cards as texts
from storage import feedback_cards as cards
from storage.directory import accounts_by_employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.performance_models import FeedbackCard, FeedbackEntry, SkpLine
from storage.preferences import language_of

KIND = "feedback_dialogue"


async def give(
    session: AsyncSession,
    settings: Settings,
    card: FeedbackCard,
    *,
    skp_line: SkpLine | None,
    value_code: str | None,
    rating: int,
    text: str,
    now: datetime,
) -> tuple[FeedbackEntry, bool]:
    """Store the line; queue it to the employee. (entry, whether it was queued)."""
    entry = await cards.add_entry(
        session,
        card,
        skp_line_id=skp_line.id if skp_line else None,
        value_code=value_code,
        rating=rating,
        text=text,
        now=now,
    )
    account = (await accounts_by_employee(session, [card.employee_id])).get(card.employee_id)
    if account is None:
        return entry, False
    language = language_of(account, settings)
    about = texts.target_label(skp_line, value_code, gettext_for(language))
    queued = await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=KIND,
        text=texts.delivered_text(card.supervisor.name, card.period, entry, about, language),
        buttons=texts.delivered_buttons(card.token, language),
        dedupe_key=f"fbentry:{entry.id}",
        priority=PRIORITY_NOTICE,
        employee_id=card.employee_id,
        now=now,
    )
    if queued:
        card.delivered_at = card.delivered_at or now
    return entry, queued


async def _tell_supervisor(
    session: AsyncSession,
    settings: Settings,
    card: FeedbackCard,
    key: str,
    text_of: Callable[[str], str],
    now: datetime,
) -> bool:
    account = (await accounts_by_employee(session, [card.supervisor_id])).get(card.supervisor_id)
    if account is None:
        return False
    language = language_of(account, settings)
    return await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=KIND,
        text=text_of(language),
        dedupe_key=key,
        priority=PRIORITY_NOTICE,
        employee_id=card.supervisor_id,
        now=now,
    )


async def discussed(
    session: AsyncSession, settings: Settings, card: FeedbackCard, now: datetime
) -> bool:
    """Record the dialogue's date (False if it was recorded before) and tell the supervisor."""
    if card.discussed_at is not None:
        return False
    card.discussed_at = now
    day = local_day(now, settings.tz)
    await _tell_supervisor(
        session,
        settings,
        card,
        f"fbdiscussed:{card.token}",
        lambda language: texts.discussed_text(card.employee.name, card.period, day, language),
        now,
    )
    return True


async def reply(
    session: AsyncSession, settings: Settings, card: FeedbackCard, text: str, now: datetime
) -> None:
    """Keep the employee's reply (a later one is added below) and pass it on."""
    card.reply = f"{card.reply}\n{text}" if card.reply else text
    card.replied_at = now
    count = card.reply.count("\n") + 1
    await _tell_supervisor(
        session,
        settings,
        card,
        f"fbreply:{card.token}:{count}",
        lambda language: texts.reply_text(card.employee.name, card.period, text, language),
        now,
    )
