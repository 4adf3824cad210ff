"""Queries of the outbox: enqueue, claim, settle, and the unreachable-chat bookkeeping.

Every message that is not a direct reply to the user's own update is a row in
``outbox`` first (`enqueue`), then delivered by the one sender in
``scheduler/sender.py``, which moves each row along::

    queued ──claim_due──▶ sending ──mark_sent──────▶ sent
      ▲                     │ ├──mark_retry────────▶ queued (later; attempts + 1)
      │                     │ ├──mark_failed───────▶ failed
      └──release / recover──┘ └──mark_unreachable──▶ unreachable (+ the chat's other rows cancelled)

Like every query module, these functions take an `AsyncSession` and never
commit: the caller owns the transaction. Each write is one statement, or
begins with a write, so that on SQLite the transaction takes the write lock
at its first statement and waits on the busy timeout instead of failing with
"database is locked" (a deferred transaction that reads first cannot upgrade
to a writer once another connection has committed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Insert,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    union,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from storage.db import dialect_insert, dialect_name
from storage.models import TelegramAccount
from storage.outbox_models import (
    CANCELLED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    UNREACHABLE,
    OutboxMessage,
    UnreachableChat,
)

STATUSES = (QUEUED, SENDING, SENT, FAILED, UNREACHABLE, CANCELLED)

# Telegram's own limits; checked when a row is queued, so a bad message fails in
# the code that built it instead of as a BadRequest minutes later.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DEDUPE_KEY = 200
MAX_ERROR = 1000

OUTBOX = OutboxMessage.__table__
UNREACHABLE_CHATS = UnreachableChat.__table__

Button = dict[str, str]


def insert_ignore(session: AsyncSession, table: Any, index_elements: Sequence[str]) -> Insert:
    """``INSERT … ON CONFLICT (index_elements) DO NOTHING`` for this session's database."""
    return dialect_insert(session, table).on_conflict_do_nothing(index_elements=index_elements)


def build_content(
    text: str,
    buttons: Sequence[Sequence[Button]] | None,
    parse_mode: str | None,
    *,
    caption: bool,
    file_name: str | None = None,
) -> str:
    """The JSON kept in ``outbox.content``; raises ValueError on what Telegram would refuse."""
    if not text.strip():
        raise ValueError("an outbox message needs text")
    limit = MAX_CAPTION if caption else MAX_TEXT
    if len(text) > limit:
        raise ValueError(f"{'caption' if caption else 'text'} longer than {limit} characters")
    content: dict[str, Any] = {"text": text}
    if buttons:
        rows = []
        for row in buttons:
            checked = []
            for button in row:
                if not button.get("text") or ("callback_data" in button) == ("url" in button):
                    raise ValueError(f"a button needs text and callback_data or url: {button!r}")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                    raise ValueError(f"callback_data must be 1-64 bytes: {data!r}")
                checked.append(dict(button))
            rows.append(checked)
        content["buttons"] = rows
    if parse_mode:
        content["parse_mode"] = parse_mode
    if file_name:
        content["file_name"] = file_name
    return json.dumps(content, ensure_ascii=False)


def _unreachable_clause(chat_id: Any) -> Any:
    """True when the chat answered 403 and has not written to the bot since."""
    return exists().where(UnreachableChat.chat_id == chat_id) | exists().where(
        TelegramAccount.telegram_user_id == chat_id, TelegramAccount.reachable.is_(False)
    )


async def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    text: str,
    buttons: Sequence[Sequence[Button]] | None = None,
    image: bytes | None = None,
    file_name: str | None = None,
    dedupe_key: str,
    priority: int,
    not_before: datetime | None = None,
    employee_id: int | None = None,
    parse_mode: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Queue one message; True if a row was added.

    False, and nothing queued, when a row with this ``dedupe_key`` exists
    already (so a job that runs twice queues nothing new) or when the chat is
    unreachable (it blocked the bot and has not written since). ``buttons`` are
    rows of ``{"text": …, "callback_data": …}`` or ``{"text": …, "url": …}``;
    with ``image`` the text becomes the photo's caption, and with ``file_name`` too the
    bytes go as a document of that name (a report) instead of a photo.
    """
    if file_name is not None and image is None:
        raise ValueError("a file_name needs the file's bytes (image)")
    if not dedupe_key or len(dedupe_key) > MAX_DEDUPE_KEY:
        raise ValueError(f"dedupe_key must be 1-{MAX_DEDUPE_KEY} characters")
    now = now or utcnow()
    values: dict[str, Any] = {
        "chat_id": chat_id,
        "employee_id": employee_id,
        "kind": kind,
        "priority": priority,
        "content": build_content(
            text, buttons, parse_mode, caption=image is not None, file_name=file_name
        ),
        "image": image,
        "dedupe_key": dedupe_key,
        "not_before": not_before or now,
        "status": QUEUED,
        "attempts": 0,
        "created_at": now,
    }
    # One statement (INSERT … SELECT … WHERE NOT unreachable ON CONFLICT DO
    # NOTHING): no read-then-write window, and one round trip.
    source = select(*(literal(value, OUTBOX.c[name].type) for name, value in values.items()))
    source = source.where(~_unreachable_clause(chat_id))
    statement = (
        insert_ignore(session, OUTBOX, ["dedupe_key"])
        .from_select(list(values), source)
        .returning(OUTBOX.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def queued_already(session: AsyncSession, dedupe_key: str) -> bool:
    """Whether a row with this dedupe key exists, whatever its status."""
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    return found is not None


async def queued_to(session: AsyncSession, kind: str) -> set[int]:
    """Employees with a message of ``kind`` still waiting in the outbox."""
    rows = await session.scalars(
        select(OutboxMessage.employee_id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.status == QUEUED,
            OutboxMessage.employee_id.is_not(None),
        )
        .distinct()
    )
    return {int(employee_id) for employee_id in rows.all()}


async def cancel_queued(session: AsyncSession, kind: str, employee_ids: Sequence[int]) -> int:
    """Cancel the waiting messages of ``kind`` to these employees (nothing left to do)."""
    cancelled = 0
    for start in range(0, len(employee_ids), 500):
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.status == QUEUED,
                OutboxMessage.employee_id.in_(list(employee_ids[start : start + 500])),
            )
            .values(status=CANCELLED, last_error="nothing left to do when its window opened")
            .execution_options(synchronize_session=False)
        )
        cancelled += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return cancelled


async def has_due(session: AsyncSession, now: datetime) -> bool:
    """Whether any queued row is due: a cheap read before taking the write lock to claim."""
    due = select(OUTBOX.c.id).where(OUTBOX.c.status == QUEUED, OUTBOX.c.not_before <= now)
    return (await session.execute(due.limit(1))).first() is not None


async def claim_due(session: AsyncSession, now: datetime, limit: int) -> list[OutboxMessage]:
    """Move up to ``limit`` due rows from queued to sending, and return them.

    Highest priority (lowest number) first, then oldest id. One statement, so
    two senders never claim the same row: on SQLite ``UPDATE … WHERE id IN
    (SELECT … LIMIT n) RETURNING`` runs under the database's single write lock;
    on PostgreSQL the select is a materialized CTE with ``FOR UPDATE SKIP
    LOCKED`` (inside ``IN (…)`` the planner may run a LIMIT subquery more than
    once, and with SKIP LOCKED each run skips the rows the last one locked, so
    more than ``limit`` rows were claimed in a test).
    """
    if limit <= 0:
        return []
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        chosen = due.with_for_update(skip_locked=True).cte("due").prefix_with("MATERIALIZED")
        condition = OutboxMessage.id == chosen.c.id
    else:
        condition = OutboxMessage.id.in_(due.scalar_subquery())
    statement = (
        update(OutboxMessage)
        .where(condition, OutboxMessage.status == QUEUED)
        .values(status=SENDING, claimed_at=now)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list((await session.scalars(statement)).all())
    # RETURNING gives no order guarantee.
    rows.sort(key=lambda row: (row.priority, row.id))
    return rows


def _error_text(error: str) -> str:
    return error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"


async def mark_sent(
    session: AsyncSession,
    message_id: int,
    *,
    telegram_message_id: int | None = None,
    sent_at: datetime | None = None,
) -> None:
    """The Bot API accepted the message."""
    await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id)
        .values(
            status=SENT,
            sent_at=sent_at or utcnow(),
            telegram_message_id=telegram_message_id,
            attempts=OUTBOX.c.attempts + 1,
        )
    )


async def mark_retry(
    session: AsyncSession, message_id: int, *, not_before: datetime, error: str
) -> None:
    """A transient failure (network, timeout, 5xx): queue again for ``not_before``."""
    await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id)
        .values(
            status=QUEUED,
            not_before=not_before,
            claimed_at=None,
            last_error=_error_text(error),
            attempts=OUTBOX.c.attempts + 1,
        )
    )


async def mark_failed(session: AsyncSession, message_id: int, *, error: str) -> None:
    """A permanent failure (BadRequest, or out of attempts): never sent."""
    await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == message_id)
        .values(status=FAILED, last_error=_error_text(error), attempts=OUTBOX.c.attempts + 1)
    )


async def release(
    session: AsyncSession, message_ids: Sequence[int], *, not_before: datetime | None = None
) -> int:
    """Give claimed rows back to the queue unsent (no attempt counted); returns how many."""
    if not message_ids:
        return 0
    values: dict[str, Any] = {"status": QUEUED, "claimed_at": None}
    if not_before is not None:
        values["not_before"] = not_before
    result = await session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(list(message_ids)), OUTBOX.c.status == SENDING)
        .values(**values)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def defer(session: AsyncSession, schedule: Sequence[tuple[int, datetime]]) -> None:
    """Give claimed rows back unsent, each with its own new ``not_before``.

    The sender spreads a chat's surplus rows one per-chat interval apart, so the
    next claims bring them back one at a time instead of all at once.
    """
    if not schedule:
        return
    statement = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id"), OUTBOX.c.status == SENDING)
        .values(status=QUEUED, claimed_at=None, not_before=bindparam("due_at"))
    )
    await session.execute(
        statement, [{"row_id": row_id, "due_at": due_at} for row_id, due_at in schedule]
    )


async def mark_unreachable(
    session: AsyncSession,
    chat_id: int,
    *,
    message_id: int | None = None,
    error: str = "Forbidden: the user blocked the bot",
) -> int:
    """The chat answered 403: remember it, and cancel what is waiting for it.

    Sets `UnreachableChat` and the linked account's ``reachable`` to False;
    ``message_id`` (the row that got the 403) becomes 'unreachable', the chat's
    other queued or claimed rows 'cancelled'. Returns how many were cancelled.
    """
    await session.execute(
        insert_ignore(session, UNREACHABLE_CHATS, ["chat_id"]).values(
            chat_id=chat_id, since=utcnow()
        )
    )
    await session.execute(
        update(TelegramAccount)
        .where(TelegramAccount.telegram_user_id == chat_id)
        .values(reachable=False)
        .execution_options(synchronize_session=False)
    )
    if message_id is not None:
        await session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == message_id)
            .values(
                status=UNREACHABLE, last_error=_error_text(error), attempts=OUTBOX.c.attempts + 1
            )
        )
    others = OUTBOX.c.chat_id == chat_id
    if message_id is not None:
        others &= OUTBOX.c.id != message_id
    result = await session.execute(
        update(OUTBOX)
        .where(others, OUTBOX.c.status.in_((QUEUED, SENDING)))
        .values(status=CANCELLED, last_error="cancelled: the chat is unreachable")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_reachable(session: AsyncSession, chat_id: int) -> bool:
    """The user wrote to the bot again; True if the chat was marked unreachable.

    Messages cancelled while the chat was unreachable stay cancelled: the jobs
    that queued them decide whether they are still worth sending.
    """
    removed = await session.execute(
        UNREACHABLE_CHATS.delete().where(UNREACHABLE_CHATS.c.chat_id == chat_id)
    )
    restored = await session.execute(
        update(TelegramAccount)
        .where(TelegramAccount.telegram_user_id == chat_id, TelegramAccount.reachable.is_(False))
        .values(reachable=True)
        .execution_options(synchronize_session=False)
    )
    return bool(removed.rowcount or restored.rowcount)  # type: ignore[attr-defined]


async def is_unreachable(session: AsyncSession, chat_id: int) -> bool:
    return bool(await session.scalar(select(_unreachable_clause(chat_id))))


async def unreachable_chat_ids(session: AsyncSession) -> set[int]:
    """Every chat marked unreachable (a small set: only people who blocked the bot)."""
    marked = union(
        select(UnreachableChat.chat_id),
        select(TelegramAccount.telegram_user_id).where(TelegramAccount.reachable.is_(False)),
    )
    return {int(chat_id) for chat_id in (await session.scalars(marked)).all()}


async def recover_in_flight(
    session: AsyncSession, *, claimed_before: datetime | None = None
) -> int:
    """At start: rows a crashed sender left in 'sending' go back to 'queued'.

    One of them may have reached Telegram before the crash and is then sent a
    second time; that is the documented at-most-one-duplicate window (see
    ``scheduler/sender.py``). Assumes one sender per database: another live
    sender's claimed rows would be queued again too, unless ``claimed_before``
    limits recovery to older claims.
    """
    condition = OUTBOX.c.status == SENDING
    if claimed_before is not None:
        condition &= OUTBOX.c.claimed_at < claimed_before
    result = await session.execute(
        update(OUTBOX).where(condition).values(status=QUEUED, claimed_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxStatus:
    counts: dict[str, int]
    due: int
    oldest_due: datetime | None
    unreachable_chats: int


async def status_counts(session: AsyncSession) -> dict[str, int]:
    """Rows per status, every status present (zero when none)."""
    rows = await session.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status))
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in rows.all():
        counts[status] = int(count)
    return counts


async def outbox_status(session: AsyncSession, now: datetime | None = None) -> OutboxStatus:
    """What ``ulasan outbox status`` prints: counts, due rows and how long the oldest waits."""
    now = now or utcnow()
    due = (
        await session.execute(
            select(func.count(), func.min(OUTBOX.c.not_before)).where(
                OUTBOX.c.status == QUEUED, OUTBOX.c.not_before <= now
            )
        )
    ).one()
    return OutboxStatus(
        counts=await status_counts(session),
        due=int(due[0]),
        oldest_due=due[1],
        unreachable_chats=len(await unreachable_chat_ids(session)),
    )


__all__ = [
    "STATUSES",
    "OutboxStatus",
    "build_content",
    "claim_due",
    "defer",
    "enqueue",
    "has_due",
    "insert_ignore",
    "is_unreachable",
    "mark_failed",
    "mark_reachable",
    "mark_retry",
    "mark_sent",
    "mark_unreachable",
    "outbox_status",
    "recover_in_flight",
    "release",
    "status_counts",
    "unreachable_chat_ids",
]


async def commit_without_flush_wait(session: AsyncSession) -> None:
    """On PostgreSQL, let this transaction commit without waiting for the WAL flush.

    SQLite's WAL with synchronous=NORMAL makes the same trade. Only a crash of the
    database server itself can lose the last fraction of a second of the sender's
    marks (those messages would be sent again); a crash of the bot loses nothing.
    Without it a commit waits for an fsync, ≈15 ms here, half of the 33 ms a message
    may take at 30/s.
    """
    if dialect_name(session) == "postgresql":
        await session.execute(text("SET LOCAL synchronous_commit TO OFF"))
