"""The outbox: every message that is not a direct reply is a row first, then sent.

One sender claims due rows in priority order and delivers them within
Telegram's limits; the dedupe key makes enqueueing idempotent, so a job that
runs twice queues nothing new. `JobRun` remembers each scheduled job's last
run for ``ulasan job list`` and for catching up after downtime.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime

# OutboxMessage.status
QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNREACHABLE = "unreachable"
CANCELLED = "cancelled"

# Lower number = delivered first.
PRIORITY_ALERT = 0
PRIORITY_REPLY = 1
PRIORITY_NOTICE = 3
PRIORITY_REMINDER = 5
PRIORITY_REPORT = 7
PRIORITY_DIGEST = 9


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    kind: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(SmallInteger, default=PRIORITY_REMINDER)
    # JSON: {"text", "buttons": rows of {"text", "callback_data" or "url"}, "parse_mode",
    # "file_name" (with ``image``: the bytes go as a document of that name, e.g. a report)}
    content: Mapped[str] = mapped_column(Text)
    # A picture sent with the text as caption (charts), or a document's bytes when the content
    # names a file_name; None for plain text.
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    telegram_message_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_outbox_due", "status", "priority", "not_before"),)


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_result: Mapped[str | None] = mapped_column(Text)
    # For incremental jobs (rollup): how far they have processed.
    watermark: Mapped[str | None] = mapped_column(String(64))


class UnreachableChat(Base):
    """A chat that answered 403 (the user blocked the bot); nothing is queued for it
    until the user writes to the bot again."""

    __tablename__ = "unreachable_chats"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
