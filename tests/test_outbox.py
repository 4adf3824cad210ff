"""The outbox's storage: idempotent enqueue, priority claims, crash recovery, unreachable chats.

Each test starts from an empty outbox (the suite may share one PostgreSQL
database between tests), and ``ulasan outbox status`` is run as the operator
runs it, in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.clock import utcnow
from storage import outbox
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import TelegramAccount
from storage.outbox_models import (
    CANCELLED,
    PRIORITY_ALERT,
    PRIORITY_DIGEST,
    PRIORITY_NOTICE,
    PRIORITY_REMINDER,
    QUEUED,
    SENDING,
    UNREACHABLE,
    OutboxMessage,
)
from tests.support.outbox import clear_outbox, linked_account

# Telegram ids these tests link to an employee (removed before and after each test).
TEST_ACCOUNTS = (555, 777)


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    sessions = session_factory(engine)
    await clear_outbox(sessions, TEST_ACCOUNTS)
    yield sessions
    await clear_outbox(sessions, TEST_ACCOUNTS)
    await engine.dispose()


async def queue(
    sessions: SessionFactory,
    chat_id: int,
    key: str,
    priority: int = PRIORITY_REMINDER,
    **extra: object,
) -> bool:
    async with sessions.begin() as session:
        return await outbox.enqueue(
            session,
            chat_id=chat_id,
            kind="reminder",
            text=f"pesan {key}",
            dedupe_key=key,
            priority=priority,
            **extra,  # type: ignore[arg-type]
        )


async def rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def claim(sessions: SessionFactory, limit: int = 100) -> list[OutboxMessage]:
    async with sessions.begin() as session:
        return await outbox.claim_due(session, utcnow(), limit)


async def account_reachable(sessions: SessionFactory, telegram_user_id: int) -> bool:
    async with sessions() as session:
        value = await session.scalar(
            select(TelegramAccount.reachable).where(
                TelegramAccount.telegram_user_id == telegram_user_id
            )
        )
    assert value is not None
    return value


async def test_enqueue_twice_with_one_dedupe_key_queues_once(db: SessionFactory):
    assert await queue(db, 101, "review:7:2026-11-23")
    assert not await queue(db, 101, "review:7:2026-11-23")
    assert not await queue(db, 999, "review:7:2026-11-23")  # the key decides, not the chat
    stored = await rows(db)
    assert len(stored) == 1
    row = stored[0]
    assert (row.chat_id, row.status, row.attempts) == (101, QUEUED, 0)
    assert json.loads(row.content) == {"text": "pesan review:7:2026-11-23"}


async def test_content_keeps_buttons_image_and_parse_mode(db: SessionFactory):
    buttons = [
        [{"text": "Lanjutkan", "callback_data": "rv:go"}],
        [{"text": "Web", "url": "https://x.id"}],
    ]
    assert await queue(db, 5, "chart", image=b"\x89PNG...", buttons=buttons, parse_mode="HTML")
    row = (await rows(db))[0]
    assert row.image == b"\x89PNG..."
    assert json.loads(row.content) == {
        "text": "pesan chart",
        "buttons": buttons,
        "parse_mode": "HTML",
    }


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("  ", {}, "needs text"),
        ("x" * 4097, {}, "longer than 4096"),
        ("x" * 1025, {"image": b"png"}, "caption longer than 1024"),
        ("ok", {"buttons": [[{"text": "b", "callback_data": "x" * 65}]]}, "1-64 bytes"),
        ("ok", {"buttons": [[{"text": "b"}]]}, "callback_data or url"),
        ("ok", {"dedupe_key": ""}, "dedupe_key"),
    ],
)
async def test_enqueue_refuses_what_telegram_would_refuse(
    db: SessionFactory, text: str, extra: dict[str, object], message: str
):
    values: dict[str, object] = {
        "chat_id": 1,
        "kind": "notice",
        "text": text,
        "dedupe_key": "k",
        "priority": PRIORITY_NOTICE,
    }
    values.update(extra)
    async with db.begin() as session:
        with pytest.raises(ValueError, match=message):
            await outbox.enqueue(session, **values)  # type: ignore[arg-type]
    assert await rows(db) == []


async def test_claim_takes_due_rows_by_priority_then_age(db: SessionFactory):
    await queue(db, 1, "digest", PRIORITY_DIGEST)
    await queue(db, 2, "reminder-a", PRIORITY_REMINDER)
    await queue(db, 3, "later", PRIORITY_ALERT, not_before=utcnow() + timedelta(hours=1))
    await queue(db, 4, "alert", PRIORITY_ALERT)
    await queue(db, 5, "reminder-b", PRIORITY_REMINDER)

    first = await claim(db, limit=3)
    assert [r.dedupe_key for r in first] == ["alert", "reminder-a", "reminder-b"]
    assert all(r.status == SENDING and r.claimed_at is not None for r in first)
    second = await claim(db)
    assert [r.dedupe_key for r in second] == ["digest"]  # "later" is not due
    assert await claim(db) == []


async def test_concurrent_claimers_never_share_a_row(db: SessionFactory, migrated: str):
    for n in range(60):
        await queue(db, 1000 + n, f"bulk-{n}")
    # Four claimers on four engines: as if four processes raced for the same rows.
    engines = [create_engine(migrated) for _ in range(4)]
    try:
        claimers = [session_factory(engine) for engine in engines]

        async def claim_all(sessions: SessionFactory) -> list[int]:
            mine: list[int] = []
            while batch := await claim(sessions, limit=7):
                mine.extend(r.id for r in batch)
                await asyncio.sleep(0)
            return mine

        results = await asyncio.gather(*(claim_all(s) for s in claimers))
    finally:
        for engine in engines:
            await engine.dispose()
    claimed = [row_id for result in results for row_id in result]
    assert len(claimed) == len(set(claimed)) == 60
    assert {r.status for r in await rows(db)} == {SENDING}


async def test_recover_in_flight_queues_crashed_claims_again(db: SessionFactory):
    for n in range(3):
        await queue(db, 10 + n, f"r{n}")
    claimed = await claim(db)
    async with db.begin() as session:
        await outbox.mark_sent(session, claimed[0].id, telegram_message_id=77)
    async with db.begin() as session:
        assert await outbox.recover_in_flight(session) == 2
    stored = {r.dedupe_key: r for r in await rows(db)}
    assert stored["r0"].status == "sent" and stored["r0"].telegram_message_id == 77
    assert stored["r0"].attempts == 1
    assert stored["r1"].status == stored["r2"].status == QUEUED
    assert stored["r1"].claimed_at is None
    assert [r.dedupe_key for r in await claim(db)] == ["r1", "r2"]


async def test_recover_in_flight_can_spare_recent_claims(db: SessionFactory):
    await queue(db, 1, "fresh")
    await claim(db)
    async with db.begin() as session:
        assert (
            await outbox.recover_in_flight(session, claimed_before=utcnow() - timedelta(minutes=5))
            == 0
        )
    assert (await rows(db))[0].status == SENDING


async def test_retry_failed_and_release_settle_claimed_rows(db: SessionFactory):
    for key in ("retry", "fail", "release"):
        await queue(db, 1, key)
    retry, fail, release = await claim(db)
    later = utcnow() + timedelta(seconds=30)
    async with db.begin() as session:
        await outbox.mark_retry(session, retry.id, not_before=later, error="NetworkError: 502")
        await outbox.mark_failed(session, fail.id, error="BadRequest: " + "x" * 5000)
        assert await outbox.release(session, [release.id]) == 1
    stored = {r.dedupe_key: r for r in await rows(db)}
    assert stored["retry"].status == QUEUED and stored["retry"].attempts == 1
    assert stored["retry"].not_before == later
    assert stored["retry"].last_error == "NetworkError: 502"
    assert stored["fail"].status == "failed" and stored["fail"].attempts == 1
    assert stored["fail"].last_error is not None and len(stored["fail"].last_error) <= 1000
    assert stored["release"].status == QUEUED and stored["release"].attempts == 0
    assert [r.dedupe_key for r in await claim(db)] == ["release"]  # retry waits 30 s


async def test_defer_spreads_claimed_rows_over_time(db: SessionFactory):
    for n in range(3):
        await queue(db, 1, f"d{n}")
    claimed = await claim(db)
    now = utcnow()
    async with db.begin() as session:
        await outbox.defer(
            session, [(row.id, now + timedelta(seconds=i)) for i, row in enumerate(claimed)]
        )
    stored = await rows(db)
    assert [r.status for r in stored] == [QUEUED] * 3
    assert [r.not_before for r in stored] == [now + timedelta(seconds=i) for i in range(3)]
    assert [r.attempts for r in stored] == [0, 0, 0]
    assert [r.dedupe_key for r in await claim(db)] == ["d0"]


async def test_unreachable_chat_gets_nothing_until_it_writes_again(db: SessionFactory):
    employee_id = await linked_account(db, 555)
    await queue(db, 555, "first", employee_id=employee_id)
    await queue(db, 555, "second", employee_id=employee_id)
    await queue(db, 556, "someone-else")
    first = (await claim(db, limit=1))[0]

    async with db.begin() as session:
        cancelled = await outbox.mark_unreachable(
            session, 555, message_id=first.id, error="Forbidden: bot was blocked by the user"
        )
    assert cancelled == 1
    stored = {r.dedupe_key: r for r in await rows(db)}
    assert stored["first"].status == UNREACHABLE
    assert stored["first"].last_error == "Forbidden: bot was blocked by the user"
    assert stored["second"].status == CANCELLED
    assert stored["someone-else"].status == QUEUED
    assert not await account_reachable(db, 555)
    async with db() as session:
        assert await outbox.is_unreachable(session, 555)
        assert await outbox.unreachable_chat_ids(session) == {555}

    assert not await queue(db, 555, "refused")
    assert "refused" not in {r.dedupe_key for r in await rows(db)}

    async with db.begin() as session:
        assert await outbox.mark_reachable(session, 555)
    async with db.begin() as session:
        assert not await outbox.mark_reachable(session, 555)  # already reachable
    assert await account_reachable(db, 555)
    assert await queue(db, 555, "welcome-back")
    # What was cancelled stays cancelled; the jobs decide whether to queue it again.
    assert {r.dedupe_key: r.status for r in await rows(db)}["second"] == CANCELLED


async def test_an_account_marked_unreachable_alone_is_refused(db: SessionFactory):
    await linked_account(db, 777)
    async with db.begin() as session:
        await session.execute(
            TelegramAccount.__table__.update()
            .where(TelegramAccount.telegram_user_id == 777)
            .values(reachable=False)
        )
    assert not await queue(db, 777, "nope")
    async with db() as session:
        assert await outbox.unreachable_chat_ids(session) == {777}
    async with db.begin() as session:
        assert await outbox.mark_reachable(session, 777)
    assert await queue(db, 777, "yes")


async def test_mark_unreachable_twice_is_harmless(db: SessionFactory):
    async with db.begin() as session:
        await outbox.mark_unreachable(session, 42)
    async with db.begin() as session:
        await outbox.mark_unreachable(session, 42)
    async with db() as session:
        assert await outbox.unreachable_chat_ids(session) == {42}


async def test_status_counts_and_oldest_due(db: SessionFactory):
    long_ago = utcnow() - timedelta(minutes=10)
    await queue(db, 1, "old", not_before=long_ago)
    await queue(db, 2, "new")
    await queue(db, 3, "tomorrow", not_before=utcnow() + timedelta(days=1))
    await queue(db, 4, "sent")
    async with db.begin() as session:
        sent = await outbox.claim_due(session, utcnow(), 10)
        target = next(r for r in sent if r.dedupe_key == "sent")
        await outbox.release(session, [r.id for r in sent if r is not target])
        await outbox.mark_sent(session, target.id)
        await outbox.mark_unreachable(session, 9)
    async with db() as session:
        counts = await outbox.status_counts(session)
        status = await outbox.outbox_status(session)
    assert counts == {
        "queued": 3,
        "sending": 0,
        "sent": 1,
        "failed": 0,
        "unreachable": 0,
        "cancelled": 0,
    }
    assert status.due == 2
    assert status.oldest_due == long_ago
    assert status.unreachable_chats == 1


def run_cli(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
    }
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli.main import main; main()", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_cli_outbox_status_table_and_json(db: SessionFactory, migrated: str, tmp_path: Path):
    await queue(db, 1, "waiting", not_before=utcnow() - timedelta(seconds=90))
    await queue(db, 2, "scheduled", not_before=utcnow() + timedelta(hours=2))
    async with db.begin() as session:
        await outbox.mark_unreachable(session, 3)

    done = await asyncio.to_thread(
        run_cli, tmp_path, migrated, "outbox", "status", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {k: data[k] for k in outbox.STATUSES} == {
        "queued": 2,
        "sending": 0,
        "sent": 0,
        "failed": 0,
        "unreachable": 0,
        "cancelled": 0,
    }
    assert data["due"] == 1
    assert data["unreachable_chats"] == 1
    assert 90 <= data["oldest_queued_age_seconds"] < 600

    table = await asyncio.to_thread(run_cli, tmp_path, migrated, "outbox", "status")
    assert table.returncode == 0, table.stderr
    assert re.search(r"^queued\s+2$", table.stdout, re.MULTILINE)
    assert re.search(r"^unreachable chats\s+1$", table.stdout, re.MULTILINE)
    assert re.search(r"^oldest queued age\s+\d+ min \d+ s$", table.stdout, re.MULTILINE)

    bad = await asyncio.to_thread(
        run_cli, tmp_path, migrated, "outbox", "status", "--format", "xml"
    )
    assert bad.returncode == 1
    assert "--format: 'xml' is not one of table, json" in bad.stderr
