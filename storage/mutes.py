"""Which kinds of alerts and notes a Telegram user chose not to receive (``/pengaturan``).

Kinds:

- ``cases``: a new case in a unit one administers (or of a unit below one's
  own, as its head above); **never** the cases one owns: a head cannot mute
  them, and `muted` is not even asked for an owner;
- ``comments``: a suggestion or complaint on an otherwise good survey (a note,
  no case);
- ``escalations``: a case past its target twice, sent to the head above (for
  the top unit, its admins);
- ``praise``: the daily praise notes, about oneself or one's team.

Stored per Telegram user id (staff and admins only; citizens receive none of
these). Setting a kind is idempotent (set on/off, never a toggle), so a
double tap or a redelivered press changes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import NotificationMute
from storage.outbox import insert_ignore

CASES = "cases"
COMMENTS = "comments"
ESCALATIONS = "escalations"
PRAISE = "praise"
KINDS = (CASES, COMMENTS, ESCALATIONS, PRAISE)

MUTES = NotificationMute.__table__


async def muted_kinds(session: AsyncSession, telegram_user_id: int) -> set[str]:
    rows = await session.scalars(
        select(NotificationMute.kind).where(NotificationMute.telegram_user_id == telegram_user_id)
    )
    return {str(kind) for kind in rows}


async def muted_chats(session: AsyncSession, kind: str, chats: Iterable[int]) -> set[int]:
    """Which of these Telegram users muted ``kind``."""
    wanted = list(set(chats))
    if not wanted:
        return set()
    rows = await session.scalars(
        select(NotificationMute.telegram_user_id).where(
            NotificationMute.kind == kind, NotificationMute.telegram_user_id.in_(wanted)
        )
    )
    return {int(chat) for chat in rows}


async def set_muted(
    session: AsyncSession, telegram_user_id: int, kind: str, muted: bool, now: datetime
) -> None:
    """Mute or unmute one kind (idempotent). ValueError for an unknown kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if muted:
        await session.execute(
            insert_ignore(session, MUTES, ["telegram_user_id", "kind"]).values(
                telegram_user_id=telegram_user_id, kind=kind, muted_at=now
            )
        )
    else:
        await session.execute(
            delete(NotificationMute).where(
                NotificationMute.telegram_user_id == telegram_user_id,
                NotificationMute.kind == kind,
            )
        )
