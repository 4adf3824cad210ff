"""The "Balas" (Reply) relay's use cases: when a relayed message may go out, and queueing it.

``handlers/alerts.py`` checks who may reply (`storage.survey_alerts`) and calls
`reply_to_citizen` or `answer_to_unit` in one transaction: each stores the
relayed message and queues it, or raises `NotRelayed` so that the caller's
transaction rolls back and nothing is stored. The texts are
``scheduler/messages/alerts.py``'s. A relay is an outbox row of kind
``relay`` at `PRIORITY_REPLY` and keeps the alert window (07:00–21:00).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.messages import alerts as alert_texts
from scheduler.quiet_hours import next_allowed
from storage import cases, survey_alerts
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPLY
from storage.preferences import language_of_chat
from storage.survey_alerts import RELAY_KIND, AlertCase

# (chat id, employee id or None, language) of one recipient of an alert.
Recipient = tuple[int, int | None, str]


class NotRelayed(Exception):
    """Nothing may be stored: ``reason`` says why ("gone", "not_queued", "answered").

    Raised inside the caller's transaction, so that it rolls back.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def relay_not_before(now: datetime, settings: Settings) -> datetime:
    """Relays keep the alert window too: nobody hears from an office at midnight."""
    return next_allowed(now, "alerts", settings)


async def queue_relay(
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    buttons: list[list[dict[str, str]]] | None,
    dedupe_key: str,
    not_before: datetime,
    employee_id: int | None = None,
) -> bool:
    return await enqueue(
        session,
        chat_id=chat_id,
        kind=RELAY_KIND,
        text=text,
        buttons=buttons,
        dedupe_key=dedupe_key,
        priority=PRIORITY_REPLY,
        not_before=not_before,
        employee_id=employee_id,
    )


async def reply_to_citizen(
    session: AsyncSession,
    case: AlertCase,
    text: str,
    *,
    employee_id: int | None,
    dedupe_key: str,
    now: datetime,
    not_before: datetime,
    settings: Settings,
) -> None:
    """Store the unit's reply and queue it for the citizen (with their one Reply button
    while they have not answered). `NotRelayed`: "gone" when the relay cannot be
    stored, "not_queued" when the outbox takes nothing (a duplicate, or unreachable)."""
    relay_id = await survey_alerts.insert_relay(
        session, case, survey_alerts.TO_CITIZEN, text, employee_id, now
    )
    if relay_id is None:
        raise NotRelayed("gone")
    # A reply through the relay is the case's first response (a new case: "ditangani").
    await cases.record_reply(session, case.response_id, employee_id, now)
    can_answer = not await survey_alerts.citizen_has_answered(session, case.response_id)
    queued = await queue_relay(
        session,
        chat_id=case.contact_chat_id,
        text=alert_texts.relay_to_citizen_text(case, text, settings),
        buttons=alert_texts.citizen_answer_buttons(case) if can_answer else None,
        dedupe_key=dedupe_key,
        not_before=not_before,
    )
    if not queued:
        raise NotRelayed("not_queued")


async def recipients(session: AsyncSession, settings: Settings, case: AlertCase) -> list[Recipient]:
    """Everyone who got the alert, each with the language to write to them in."""
    found = []
    for chat_id, employee_id in await survey_alerts.alert_recipients(session, case):
        found.append((chat_id, employee_id, await language_of_chat(session, settings, chat_id)))
    return found


async def answer_to_unit(
    session: AsyncSession,
    case: AlertCase,
    text: str,
    to: list[Recipient],
    *,
    now: datetime,
    not_before: datetime,
) -> None:
    """Store the citizen's answer and queue it for every recipient, with a Reply button.
    `NotRelayed("answered")` when they had answered already (a second device, a
    double send)."""
    relay_id = await survey_alerts.insert_relay(
        session, case, survey_alerts.FROM_CITIZEN, text, None, now
    )
    if relay_id is None:
        raise NotRelayed("answered")
    for chat_id, employee_id, language in to:
        await queue_relay(
            session,
            chat_id=chat_id,
            text=alert_texts.relay_to_head_text(case, text, language),
            buttons=alert_texts.alert_buttons(case.token, language),
            dedupe_key=f"relay:{case.token}:answer:{chat_id}",
            not_before=not_before,
            employee_id=employee_id,
        )
