"""Queries of a unit's public Telegram channel (``ulasan unit set-channel``).

Optional per unit: where an approved SKM period is announced (the poster and a
link to its public page). The @name is kept as the operator gave it (what
people know), the numeric chat id is what the outbox sends to. Every change is
written to the audit log. Takes a session, never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, Unit

ACTION_SET = "unit.channel"


async def set_channel(
    session: AsyncSession,
    unit: Unit,
    *,
    name: str | None,
    chat_id: int | None,
    actor: str,
    now: datetime,
) -> None:
    unit.public_channel, unit.public_channel_id = name, chat_id
    detail = f"{unit.code}: {name} ({chat_id})" if name else f"{unit.code}: none"
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_SET, detail=detail))
    await session.flush()


async def channels(session: AsyncSession) -> list[Unit]:
    """Units with a channel, by code."""
    rows = await session.scalars(
        select(Unit).where(Unit.public_channel_id.is_not(None)).order_by(Unit.code)
    )
    return list(rows.all())
