"""Query functions of the webhook inbox (``storage/webhook_models.py``); they never commit.

``bot/webhook_inbox.py`` holds the transaction boundaries and the rules: store on
receipt, apply a chat's oldest pending update under that chat's lock, mark it done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.outbox import insert_ignore
from storage.webhook_models import InboxUpdate

INBOX = InboxUpdate.__table__


async def add(
    session: AsyncSession, update_id: int, chat_key: int, payload: str, now: datetime
) -> bool:
    """Store an update unless its id is stored already; True when it is new."""
    result = await session.execute(
        insert_ignore(session, INBOX, ["update_id"]).values(
            update_id=update_id,
            chat_key=chat_key,
            payload=payload,
            received_at=now,
            attempts=0,
        )
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def oldest_pending(session: AsyncSession, chat_key: int) -> InboxUpdate | None:
    """The chat's pending update with the lowest ``update_id``."""
    return await session.scalar(
        select(InboxUpdate)
        .where(InboxUpdate.chat_key == chat_key, InboxUpdate.done_at.is_(None))
        .order_by(InboxUpdate.update_id)
        .limit(1)
    )


async def has_pending(session: AsyncSession, chat_key: int) -> bool:
    found = await session.scalar(
        select(InboxUpdate.update_id)
        .where(InboxUpdate.chat_key == chat_key, InboxUpdate.done_at.is_(None))
        .limit(1)
    )
    return found is not None


async def begin_attempt(session: AsyncSession, update_id: int) -> int:
    """Count one more attempt at applying the update; the attempts so far, this one included."""
    await session.execute(
        update(INBOX).where(INBOX.c.update_id == update_id).values(attempts=INBOX.c.attempts + 1)
    )
    attempts = await session.scalar(
        select(InboxUpdate.attempts).where(InboxUpdate.update_id == update_id)
    )
    return int(attempts or 0)


async def mark_done(session: AsyncSession, update_id: int, now: datetime) -> None:
    await session.execute(
        update(INBOX)
        .where(INBOX.c.update_id == update_id, INBOX.c.done_at.is_(None))
        .values(done_at=now)
    )


async def stalled_chats(session: AsyncSession, received_before: datetime, limit: int) -> list[int]:
    """Chats with a pending update received before ``received_before`` (a worker died)."""
    rows = await session.scalars(
        select(InboxUpdate.chat_key)
        .where(InboxUpdate.done_at.is_(None), InboxUpdate.received_at < received_before)
        .distinct()
        .limit(limit)
    )
    return list(rows.all())


async def pending_count(session: AsyncSession) -> int:
    counted = await session.scalar(
        select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
    )
    return int(counted or 0)


async def prune(session: AsyncSession, done_before: datetime) -> int:
    """Forget applied updates older than ``done_before`` (Telegram retries for hours, not days)."""
    result = await session.execute(
        delete(INBOX).where(INBOX.c.done_at.is_not(None), INBOX.c.done_at < done_before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
