"""The webhook inbox: every update a webhook worker receives is a row before it is applied.

Webhook mode (``ulasan run --webhook``, ``bot/webhook_inbox.py``) answers Telegram
only after the update is stored here, so an update Telegram was told "200 OK" for
survives a worker that dies the next moment. ``update_id`` is the key: a webhook
Telegram retries is not stored twice, and a stored update is applied once
(``done_at`` set after it was applied). ``chat_key`` orders and serialises one chat's
updates across workers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime


class InboxUpdate(Base):
    __tablename__ = "webhook_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # The chat (else the user, else 0) whose updates are applied one at a time, in order.
    chat_key: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[str] = mapped_column(Text)  # the update's JSON as Telegram posted it
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # How many times a worker began applying it (a worker that dies mid-update leaves 1).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_webhook_inbox_chat_pending", "chat_key", "done_at", "update_id"),)
