"""Making someone a unit admin from Telegram (``/admin``), or stopping it, and telling them.

The grant itself is `storage.unit_admins` (the same as ``ulasan admin add``,
audit log included); this use case adds the message to the person, in the
outbox (kind ``admin_notice``), within the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.messages import admins as texts
from storage import unit_admins
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.preferences import language_of_chat
from storage.unit_admins import Grant, Granted

KIND = "admin_notice"


async def grant(
    session: AsyncSession,
    settings: Settings,
    telegram_user_id: int,
    unit_code: str,
    *,
    actor: str,
    now: datetime,
) -> Granted:
    done = await unit_admins.grant(session, telegram_user_id, unit_code, actor=actor, now=now)
    if done.created:
        language = await language_of_chat(session, settings, telegram_user_id)
        await enqueue(
            session,
            chat_id=telegram_user_id,
            kind=KIND,
            text=texts.granted_text(done.unit_code, done.unit_name, language),
            dedupe_key=f"admin:{telegram_user_id}:{done.unit_code}:granted:{now.isoformat()}",
            priority=PRIORITY_NOTICE,
            now=now,
        )
    return done


async def revoke(
    session: AsyncSession, settings: Settings, grant_id: int, *, actor: str, now: datetime
) -> Grant | None:
    gone = await unit_admins.revoke_grant(session, grant_id, actor=actor, now=now)
    if gone is not None:
        language = await language_of_chat(session, settings, gone.telegram_user_id)
        await enqueue(
            session,
            chat_id=gone.telegram_user_id,
            kind=KIND,
            text=texts.revoked_text(gone.unit_code, gone.unit_name, language),
            dedupe_key=f"admin:{gone.telegram_user_id}:{gone.unit_code}:revoked:{now.isoformat()}",
            priority=PRIORITY_NOTICE,
            now=now,
        )
    return gone
