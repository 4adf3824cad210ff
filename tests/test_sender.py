"""The outbox sender against the fake Bot API server over HTTP.

Telegram pushing back (429 with retry_after, 5xx, 403, 400, the network going
away), the limits (overall rate, per chat, priority), the 403 → user writes →
reachable again round trip through the real Application, and a SIGKILL of a
sender process halfway through a send followed by a restart.

Waits are checked on an injected clock where the point is the length of a
wait (`FakeClock`: sleeping advances it at once), and on the fake server's
arrival times where the point is what Telegram would see. Rate assertions are
upper bounds the design guarantees, never speed goals (the benchmarks measure
speed).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import utcnow
from bot.core.settings import Settings
from scheduler.sender import CATCH_UP, OutboxSender, RateLimiter
from scheduler.services import services_of
from storage import outbox
from storage.db import SessionFactory
from storage.models import TelegramAccount
from storage.outbox_models import (
    CANCELLED,
    FAILED,
    PRIORITY_ALERT,
    PRIORITY_DIGEST,
    PRIORITY_NOTICE,
    PRIORITY_REMINDER,
    PRIORITY_REPORT,
    QUEUED,
    SENT,
    UNREACHABLE,
    OutboxMessage,
)
from tests.support.fakebot import FakeBotApi
from tests.support.outbox import clear_outbox, linked_account

# PTB itself warns while building a RetryAfter (retry_after becomes a timedelta in v23).
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

BLOCKED_USER = 4242
LINKED_IDS = (BLOCKED_USER, 4343)


class FakeClock:
    """Monotonic and wall time that only move when the sender sleeps (or the test says)."""

    def __init__(self) -> None:
        self.mono = 1000.0
        # A minute ahead: rows queued by the test (at the real time) are due.
        self.start = utcnow() + timedelta(minutes=1)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.mono

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.mono - 1000.0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.mono += seconds


@pytest.fixture
async def db(sessions: SessionFactory) -> AsyncIterator[SessionFactory]:
    await clear_outbox(sessions, LINKED_IDS)
    yield sessions
    await clear_outbox(sessions, LINKED_IDS)


@pytest.fixture
async def senders(settings: Settings, db: SessionFactory) -> AsyncIterator[Callable[..., Any]]:
    """Build senders against the fake server; every one is stopped at the end."""
    made: list[OutboxSender] = []

    def make(
        *,
        clock: FakeClock | None = None,
        rate: int = 1000,
        interval: float = 0.0,
        max_attempts: int = 8,
        batch: int = 50,
        **options: Any,
    ) -> OutboxSender:
        tuned = settings.model_copy(
            update={
                "outbox_rate_per_second": rate,
                "outbox_per_chat_interval_seconds": interval,
                "outbox_max_attempts": max_attempts,
                "outbox_batch_size": batch,
            }
        )
        options.setdefault("rng", random.Random(7))
        sender = OutboxSender.from_settings(tuned, db, clock=clock, **options)
        made.append(sender)
        return sender

    yield make
    for sender in made:
        await sender.stop()


async def queue(
    sessions: SessionFactory,
    chat_id: int,
    text: str,
    priority: int = PRIORITY_REMINDER,
    **extra: Any,
) -> bool:
    async with sessions.begin() as session:
        return await outbox.enqueue(
            session,
            chat_id=chat_id,
            kind="test",
            text=text,
            dedupe_key=extra.pop("dedupe_key", text),
            priority=priority,
            **extra,
        )


async def rows_by_text(sessions: SessionFactory) -> dict[str, OutboxMessage]:
    async with sessions() as session:
        found = (await session.scalars(select(OutboxMessage))).all()
    return {outbox_text(row): row for row in found}


def outbox_text(row: OutboxMessage) -> str:
    import json

    return json.loads(row.content)["text"]


def sends(api: FakeBotApi, method: str = "sendMessage") -> list[Any]:
    return [call for call in api.calls if call.method == method]


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.05)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most arrivals in any window (t - window, t]."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


# -- Telegram pushing back -----------------------------------------------------------------


async def test_429_pauses_everything_for_exactly_retry_after_and_loses_nothing(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    clock = FakeClock()
    seen: list[tuple[int, float]] = []

    def fault(method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        if method != "sendMessage":
            return None
        seen.append((int(params["chat_id"]), clock.monotonic()))
        if len(seen) == 3:
            return 429, "Too Many Requests: retry after 7", 7
        return None

    fake_api.fault = fault
    for chat_id in range(1, 6):
        await queue(db, chat_id, f"pengingat {chat_id}")

    report = await senders(clock=clock).send_pending_once()

    assert (report.sent, report.rate_limited, report.failed) == (5, 1, 0)
    limited_chat, limited_at = seen[2]
    retried_chat, retried_at = seen[3]
    assert retried_chat == limited_chat  # the same message, first in line
    assert retried_at - limited_at == pytest.approx(7.0)  # nothing sent in between
    assert [chat for chat, _ in seen] == [1, 2, 3, 3, 4, 5]
    assert fake_api.delivered_to() == Counter({1: 1, 2: 1, 3: 1, 4: 1, 5: 1})
    stored = await rows_by_text(db)
    assert {row.status for row in stored.values()} == {SENT}
    assert stored["pengingat 3"].attempts == 1  # a 429 is not the message's failure


async def test_429_with_a_real_one_second_retry_after(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    limited = False

    def fault(method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        nonlocal limited
        if method == "sendMessage" and not limited:
            limited = True
            return 429, "Too Many Requests: retry after 1", 1
        return None

    fake_api.fault = fault
    for chat_id in (11, 12):
        await queue(db, chat_id, f"nudge {chat_id}")

    report = await senders().send_pending_once()

    first, second, third = sends(fake_api)
    assert second.at - first.at >= 1.0
    assert third.at >= second.at
    assert report.sent == 2 and report.rate_limited == 1
    assert fake_api.delivered() == Counter({"nudge 11": 1, "nudge 12": 1})


async def test_5xx_is_retried_with_growing_backoff_and_counted(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    clock = FakeClock()
    attempts_at: list[float] = []

    def fault(method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        if method == "sendMessage" and int(params["chat_id"]) == 21:
            attempts_at.append(clock.monotonic())
            if len(attempts_at) <= 2:
                return 502, "Bad Gateway", None
        return None

    fake_api.fault = fault
    await queue(db, 21, "alert 21", PRIORITY_ALERT)
    await queue(db, 22, "reminder 22")
    sender = senders(clock=clock)

    first = await sender.send_pending_once()
    assert (first.sent, first.retried) == (1, 1)  # chat 22 is not held up by chat 21
    row = (await rows_by_text(db))["alert 21"]
    assert (row.status, row.attempts, row.last_error) == (QUEUED, 1, "NetworkError: Bad Gateway")
    assert 0.5 <= (row.not_before - clock.now()).total_seconds() < 1.0

    assert (await sender.send_pending_once()).sent == 0  # not due yet: nothing sent
    clock.advance(1.0)
    second = await sender.send_pending_once()
    assert second.retried == 1
    row = (await rows_by_text(db))["alert 21"]
    assert row.attempts == 2
    assert 1.0 <= (row.not_before - clock.now()).total_seconds() < 2.0

    clock.advance(2.0)
    third = await sender.send_pending_once()
    assert third.sent == 1
    row = (await rows_by_text(db))["alert 21"]
    assert (row.status, row.attempts) == (SENT, 3)
    assert attempts_at[1] - attempts_at[0] >= 0.5
    assert attempts_at[2] - attempts_at[1] >= 1.0
    assert fake_api.delivered() == Counter({"alert 21": 1, "reminder 22": 1})


async def test_5xx_until_max_attempts_fails_with_the_last_error(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    clock = FakeClock()
    fake_api.fault = lambda method, params: (
        (500, "Internal Server Error", None) if method == "sendMessage" else None
    )
    await queue(db, 31, "digest 31", PRIORITY_DIGEST)
    sender = senders(clock=clock, max_attempts=3)

    for _ in range(5):
        await sender.send_pending_once()
        clock.advance(400)  # past any backoff (capped at 300 s)

    row = (await rows_by_text(db))["digest 31"]
    assert (row.status, row.attempts) == (FAILED, 3)
    assert row.last_error == "NetworkError: Internal Server Error"
    assert len(sends(fake_api)) == 3


async def test_bad_request_fails_at_once(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    fake_api.fault = lambda method, params: (
        (400, "Bad Request: chat not found", None) if int(params.get("chat_id", 0)) == 41 else None
    )
    await queue(db, 41, "lost")
    await queue(db, 42, "fine")

    report = await senders().send_pending_once()

    assert (report.failed, report.sent, report.retried) == (1, 1, 0)
    row = (await rows_by_text(db))["lost"]
    assert (row.status, row.attempts) == (FAILED, 1)
    assert row.last_error == "BadRequest: Chat not found"  # PTB capitalises the first letter
    assert len(fake_api.calls_to(41, "sendMessage")) == 1


async def test_403_marks_the_chat_unreachable_and_cancels_its_queue(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    await linked_account(db, BLOCKED_USER)
    fake_api.fault = lambda method, params: (
        (403, "Forbidden: bot was blocked by the user", None)
        if int(params.get("chat_id", 0)) == BLOCKED_USER
        else None
    )
    await queue(db, BLOCKED_USER, "alert", PRIORITY_ALERT)
    await queue(db, BLOCKED_USER, "reminder")
    await queue(db, 51, "other chat")

    report = await senders(interval=1.0).send_pending_once()

    assert (report.unreachable, report.cancelled, report.sent) == (1, 1, 1)
    stored = await rows_by_text(db)
    assert stored["alert"].status == UNREACHABLE
    assert stored["alert"].last_error == "Forbidden: bot was blocked by the user"
    assert stored["reminder"].status == CANCELLED
    assert stored["other chat"].status == SENT
    assert len(fake_api.calls_to(BLOCKED_USER, "sendMessage")) == 1
    assert not await queue(db, BLOCKED_USER, "refused")
    async with db() as session:
        reachable = await session.scalar(
            select(TelegramAccount.reachable).where(
                TelegramAccount.telegram_user_id == BLOCKED_USER
            )
        )
    assert reachable is False


async def test_network_outage_is_retried_until_the_server_is_back(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    sender = senders(backoff_base=0.05, max_attempts=30, poll_interval=0.05)
    await sender.start()
    await fake_api.wait_for_calls(lambda calls: any(c.method == "getMe" for c in calls))
    await fake_api.stop()
    for chat_id in (61, 62, 63):
        await queue(db, chat_id, f"saat gangguan {chat_id}")
    sender.wake()

    async def failed_at_least_twice() -> bool:
        return (await rows_by_text(db))["saat gangguan 61"].attempts >= 2

    await eventually(failed_at_least_twice, what="two failed attempts")
    await fake_api.reopen()

    async def all_sent() -> bool:
        return {row.status for row in (await rows_by_text(db)).values()} == {SENT}

    await eventually(all_sent, timeout=15, what="delivery after the outage")
    await sender.stop()
    assert fake_api.delivered() == Counter(
        {"saat gangguan 61": 1, "saat gangguan 62": 1, "saat gangguan 63": 1}
    )
    assert (await rows_by_text(db))["saat gangguan 61"].last_error.startswith("NetworkError")


# -- limits and order -------------------------------------------------------------------


async def test_higher_priority_kinds_go_first(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    await queue(db, 71, "digest", PRIORITY_DIGEST)
    await queue(db, 72, "reminder", PRIORITY_REMINDER)
    await queue(db, 73, "report", PRIORITY_REPORT)
    await queue(db, 74, "notice", PRIORITY_NOTICE)
    await queue(db, 75, "alert", PRIORITY_ALERT)
    await queue(db, 76, "second reminder", PRIORITY_REMINDER)

    await senders().send_pending_once()

    assert [c.text for c in sends(fake_api)] == [
        "alert",
        "notice",
        "reminder",
        "second reminder",
        "report",
        "digest",
    ]


async def test_wake_lets_an_alert_overtake_claimed_reminders(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    for n in range(40):
        await queue(db, 1000 + n, f"reminder {n}")
    sender = senders(rate=20, poll_interval=5.0)  # only a wake() claims early
    await sender.start()
    await fake_api.wait_for_calls(lambda calls: len(fake_api.messages) >= 3)
    await queue(db, 999, "ALERT", PRIORITY_ALERT)
    sent_at_wake = len(fake_api.messages)
    sender.wake()
    await fake_api.wait_for_calls(lambda calls: any(c.text == "ALERT" for c in calls))
    position = [c.text for c in sends(fake_api)].index("ALERT")
    assert position <= sent_at_wake + 3
    await sender.stop()
    assert len(sends(fake_api)) < 41  # reminders were still waiting when the alert went


async def test_per_chat_interval_between_messages_to_one_chat(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    for n in range(3):
        await queue(db, 81, f"chat 81 #{n}")
    for chat_id in range(82, 88):
        await queue(db, chat_id, f"chat {chat_id}")
    sender = senders(interval=0.3, poll_interval=0.05)
    await sender.start()
    await fake_api.wait_for_calls(lambda calls: len(fake_api.messages) >= 9)
    await sender.stop()

    busy = fake_api.calls_to(81, "sendMessage")
    assert [c.text for c in busy] == ["chat 81 #0", "chat 81 #1", "chat 81 #2"]
    assert busy[1].at - busy[0].at >= 0.3
    assert busy[2].at - busy[1].at >= 0.3
    others = [c for c in sends(fake_api) if c.chat_id != 81]
    assert max(c.at for c in others) < busy[1].at  # the busy chat held up nobody
    assert {row.status for row in (await rows_by_text(db)).values()} == {SENT}


async def test_per_chat_interval_when_sending_once(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    clock = FakeClock()
    times: list[float] = []

    def record(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage":
            times.append(clock.monotonic())

    fake_api.fault = record
    for n in range(3):
        await queue(db, 91, f"once #{n}")

    report = await senders(clock=clock, interval=1.0).send_pending_once()

    assert report.sent == 3
    assert [b - a for a, b in itertools.pairwise(times)] == [
        pytest.approx(1.0),
        pytest.approx(1.0),
    ]


async def test_overall_rate_stays_within_the_limit(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    rate, total = 40, 90
    for n in range(total):
        await queue(db, 2000 + n, f"bulk {n}")

    started = time.monotonic()
    report = await senders(rate=rate).send_pending_once()
    elapsed = time.monotonic() - started

    assert report.sent == total
    arrivals = [c.at for c in sends(fake_api)]
    assert max_in_window(arrivals) <= rate  # as the server counts, in any one second
    assert elapsed >= (total - rate) / rate  # it did wait, not burst
    assert sorted(fake_api.delivered_to().values()) == [1] * total


async def test_photo_with_caption_and_buttons(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    chart = b"\x89PNG\r\n\x1a\n fake chart"
    buttons = [[{"text": "Buka laporan", "callback_data": "digest:open:7"}]]
    await queue(db, 95, "Ringkasan mingguan", PRIORITY_DIGEST, image=chart, buttons=buttons)
    await queue(db, 96, "Teks biasa", buttons=[[{"text": "Situs", "url": "https://x.go.id"}]])

    await senders().send_pending_once()

    photo = fake_api.chat_messages(95)[0]
    assert (photo.kind, photo.text, photo.file) == ("photo", "Ringkasan mingguan", chart)
    assert photo.buttons() == [{"text": "Buka laporan", "callback_data": "digest:open:7"}]
    text = fake_api.chat_messages(96)[0]
    assert text.kind == "text" and text.buttons() == [{"text": "Situs", "url": "https://x.go.id"}]


async def test_stop_gives_claimed_rows_back(
    senders: Callable[..., OutboxSender], db: SessionFactory, fake_api: FakeBotApi
):
    for n in range(4):
        await queue(db, 97, f"slow chat #{n}")
    sender = senders(interval=30.0)
    await sender.start()
    await fake_api.wait_for_calls(lambda calls: len(fake_api.messages) >= 1)
    await sender.stop()
    statuses = Counter(row.status for row in (await rows_by_text(db)).values())
    assert statuses == Counter({SENT: 1, QUEUED: 3})  # none left 'sending'


# -- through the real Application --------------------------------------------------------


async def test_blocked_user_is_reachable_again_after_writing_to_the_bot(
    bot: BotApplication, db: SessionFactory, fake_api: FakeBotApi
):
    await linked_account(db, BLOCKED_USER)
    fake_api.fault = lambda method, params: (
        (403, "Forbidden: bot was blocked by the user", None)
        if method == "sendMessage" and int(params.get("chat_id", 0)) == BLOCKED_USER
        else None
    )
    assert services_of(bot).sender.running
    await queue(db, BLOCKED_USER, "pengingat 1")
    await queue(db, BLOCKED_USER, "pengingat 2")
    services_of(bot).wake()

    async def settled() -> bool:
        stored = await rows_by_text(db)
        return stored["pengingat 1"].status == UNREACHABLE

    await eventually(settled, what="the 403 to be recorded")
    assert (await rows_by_text(db))["pengingat 2"].status == CANCELLED
    assert not await queue(db, BLOCKED_USER, "while blocked")

    fake_api.fault = None
    user = fake_api.user(BLOCKED_USER)
    reply = await user.send("halo")  # the user unblocked the bot and writes again
    assert reply.calls  # the ordinary reply still comes (group 0 ran too)
    async with db() as session:
        assert not await outbox.is_unreachable(session, BLOCKED_USER)
        account = await session.scalar(
            select(TelegramAccount).where(TelegramAccount.telegram_user_id == BLOCKED_USER)
        )
    assert account is not None and account.reachable

    assert await queue(db, BLOCKED_USER, "selamat datang kembali")
    services_of(bot).wake()

    async def delivered() -> bool:
        return (await rows_by_text(db))["selamat datang kembali"].status == SENT

    await eventually(delivered, what="delivery after the user came back")
    assert fake_api.delivered()["selamat datang kembali"] == 1


async def test_blocking_the_bot_marks_unreachable_at_once(
    bot: BotApplication, db: SessionFactory, fake_api: FakeBotApi
):
    await queue(db, 4343, "queued before the block", not_before=utcnow() + timedelta(hours=1))

    def member_update(old: str, new: str) -> dict[str, Any]:
        user = {"id": 4343, "is_bot": False, "first_name": "Sari"}
        bot_user = {"id": 777000, "is_bot": True, "first_name": "Ulasan"}
        return {
            "my_chat_member": {
                "chat": {"id": 4343, "type": "private", "first_name": "Sari"},
                "from": user,
                "date": int(time.time()),
                "old_chat_member": {"status": old, "user": bot_user, "until_date": 0},
                "new_chat_member": {"status": new, "user": bot_user, "until_date": 0},
            }
        }

    await fake_api.wait_processed(fake_api.push_update(member_update("member", "kicked")))
    async with db() as session:
        assert await outbox.is_unreachable(session, 4343)
    assert (await rows_by_text(db))["queued before the block"].status == CANCELLED

    await fake_api.wait_processed(fake_api.push_update(member_update("kicked", "member")))
    async with db() as session:
        assert not await outbox.is_unreachable(session, 4343)


# -- the rate limiter alone --------------------------------------------------------------


def simulate(limiter: RateLimiter, count: int, stalls: dict[int, float]) -> list[float]:
    """Start ``count`` requests as early as the limiter allows, each answered 2 ms later;
    request n starts ``stalls[n]`` s late (the event loop or the machine was busy)."""
    now, starts = 0.0, []
    for n in range(count):
        now += limiter.wait(now) + stalls.get(n, 0.0)
        limiter.started(now)
        starts.append(now)
        now += 0.002
        limiter.answered(now)
    return starts


def test_rate_limiter_makes_up_stalls_within_the_one_second_rule():
    rate = 30
    steady = simulate(RateLimiter(rate), 300, {})
    stalls = {n: 0.2 for n in (50, 100, 150, 200, 250)}  # 1 s of stalls in all
    stalled = simulate(RateLimiter(rate), 300, stalls)
    for starts in (steady, stalled):
        # The server sees a request between its start and its answer: any window counts.
        assert max_in_window(starts) <= rate
        assert max_in_window([at + 0.002 for at in starts]) <= rate
        assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.5 / rate - 1e-9
    # Even pacing when nothing goes wrong: ≥ 99% of the limit at a 2 ms round trip.
    assert max(b - a for a, b in itertools.pairwise(steady)) < 1.2 / rate
    assert (len(steady) - 1) / (steady[-1] - steady[0]) >= 0.99 * rate
    # The stalls are made up, not added up (the limiter before CATCH_UP lost all 1 s).
    assert stalled[-1] - steady[-1] <= CATCH_UP + 1e-9


def test_rate_limiter_does_not_burst_after_a_lull_or_a_long_stall():
    limiter = RateLimiter(30)
    simulate(limiter, 5, {})
    starts = simulate(limiter, 60, {0: 100.0, 30: CATCH_UP + 0.1})
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps[:29]) >= 1 / 30 - 1e-9  # evenly paced from the first one
    assert min(gaps[30:]) >= 1 / 30 - 1e-9  # a long stall is not made up


# -- crash and restart -------------------------------------------------------------------


def sender_process(
    tmp_path: Path, settings: Settings, fake_api: FakeBotApi, log_name: str
) -> Awaitable[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BASE_URL": fake_api.base_url,
        "BOT_TOKEN": fake_api.token,
        "SECRET_KEY": "crash-test-secret-0123456789",
        "DATA_DIR": str(tmp_path / "data"),
        "OUTBOX_RATE_PER_SECOND": "60",
        "OUTBOX_PER_CHAT_INTERVAL_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / log_name).open("w")
    return asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "outbox",
        "send",
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=log,
    )


async def test_sigkill_mid_send_repeats_at_most_the_one_in_flight(
    settings: Settings, db: SessionFactory, fake_api: FakeBotApi, tmp_path: Path
):
    """The first sender process is killed the moment its 30th message reaches the server,
    so that message is delivered but never marked sent: the worst case, on purpose."""
    total = 100
    expected = {f"pesan {n:03d}" for n in range(total)}
    for n in range(total):
        await queue(db, 3000 + n, f"pesan {n:03d}")
    arrivals: list[str] = []
    first: asyncio.subprocess.Process | None = None

    def kill_in_flight(method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage":
            return
        arrivals.append(str(params["text"]))
        if len(arrivals) == 30 and first is not None and first.returncode is None:
            os.kill(first.pid, signal.SIGKILL)  # before the server even answers

    fake_api.fault = kill_in_flight
    first = await sender_process(tmp_path, settings, fake_api, "first.log")
    try:
        await asyncio.wait_for(first.wait(), timeout=30)
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert first.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()
    in_flight = arrivals[29]
    before_restart = fake_api.delivered()
    assert sum(before_restart.values()) == 30 and in_flight in before_restart
    claimed = {t for t, row in (await rows_by_text(db)).items() if row.status == "sending"}
    assert in_flight in claimed and len(claimed) > 1  # claimed in a batch, most not sent

    second = await sender_process(tmp_path, settings, fake_api, "second.log")
    try:

        async def all_sent() -> bool:
            return {row.status for row in (await rows_by_text(db)).values()} == {SENT}

        await eventually(all_sent, timeout=30, what="delivery after the restart")
    finally:
        second.send_signal(signal.SIGTERM)
        code = await second.wait()
    assert code == 0, (tmp_path / "second.log").read_text()

    delivered = fake_api.delivered()
    assert set(delivered) == expected  # nothing lost
    # Repeated: only the message in flight at the kill, once.
    assert {text: count for text, count in delivered.items() if count > 1} == {in_flight: 2}
