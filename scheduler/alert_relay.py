"""The "Balas" (Reply) relay's use cases: when a relayed message may go out, and queueing it.

``handlers/alerts.py`` checks who may reply (`storage.survey_alerts`), stores
the relayed message and calls `queue_relay` in the same transaction; the texts
are ``scheduler/messages/alerts.py``'s. A relay is an outbox row of kind
``relay`` at `PRIORITY_REPLY` and keeps the alert window (07:00–21:00).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.quiet_hours import next_allowed
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPLY
from storage.survey_alerts import RELAY_KIND


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
