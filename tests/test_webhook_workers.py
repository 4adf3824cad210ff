"""Two webhook workers on one PostgreSQL database behind a "proxy", as processes.

Each worker is ``ulasan run --webhook --multi-worker`` in a process of its own; the
fake Bot API posts every update round-robin to the two (the proxy), one chat's in
order, and posts again to the next worker when one does not answer 200 (Telegram's
retry and the proxy's next upstream). Citizens then burst in, webhooks are
delivered twice, a worker is killed mid-burst and the outbox leader mid-send:
nothing is lost, nothing applied twice, and each chat's replies keep their order.

PostgreSQL only (advisory locks; SQLite refuses several workers, tested in
test_webhook.py): these run in the PostgreSQL pass (``make test-pg``) and are
skipped only when the suite runs on SQLite.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from itertools import groupby, pairwise
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.core.settings import Settings
from storage import outbox
from storage.db import SessionFactory, create_engine, session_factory
from storage.outbox_models import OutboxMessage
from storage.webhook_models import InboxUpdate
from tests.support.app import make_settings
from tests.support.bot_process import BotProcess
from tests.support.fakebot import FakeBotApi
from tests.support.fuzz import text_update
from tests.support.pg import is_postgresql
from tests.support.webhook import free_port, worker_env

COMMANDS = ("/start", "/help", "/privacy", "/start", "/help", "/privacy")

needs_postgresql = pytest.mark.skipif(
    not is_postgresql(os.environ.get("ULASAN_TEST_DATABASE_URL") or "sqlite://"),
    reason="several workers need PostgreSQL: runs in the PostgreSQL pass (make test-pg)",
)
pytestmark = needs_postgresql


class Workers:
    """Two worker processes and the proxy's view of them."""

    def __init__(self, tmp_path: Path, settings: Settings, api: FakeBotApi) -> None:
        self.api = api
        self.ports = [free_port(), free_port()]
        self.processes = []
        for index, port in enumerate(self.ports):
            home = tmp_path / f"worker{index}"
            home.mkdir()
            self.processes.append(
                BotProcess(
                    home,
                    settings,
                    api,
                    env=worker_env(port),
                    args=("--webhook", "--multi-worker"),
                )
            )
        self.client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))

    async def start(self) -> None:
        for process in self.processes:
            await process.start()
        for port in self.ports:
            await self._healthy(port)
        self.api.webhook_targets = [f"http://127.0.0.1:{port}/telegram/hook" for port in self.ports]

    async def _healthy(self, port: int, timeout: float = 30.0) -> dict[str, bool]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                async with self.client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return dict(await response.json())
            except (aiohttp.ClientError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker on {port} not up:\n{self.logs()}")
            await asyncio.sleep(0.1)

    async def leader(self, timeout: float = 15.0) -> int:
        """The index of the one live worker that leads (waits for an election)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leading = []
            for index, process in enumerate(self.processes):
                if process.process is not None and process.process.returncode is None:
                    if (await self._healthy(self.ports[index]))["leader"]:
                        leading.append(index)
            assert len(leading) <= 1, "two leaders at once"
            if leading:
                return leading[0]
            await asyncio.sleep(0.1)
        raise TimeoutError(f"no leader:\n{self.logs()}")

    def kill(self, index: int) -> None:
        self.processes[index].kill_now()

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.processes if p.runs)

    async def stop(self) -> None:
        for process in self.processes:
            await process.stop()
        await self.client.close()


@pytest.fixture
async def pg_sessions(migrated: str) -> AsyncIterator[SessionFactory]:
    assert is_postgresql(migrated), "the PostgreSQL pass must run these tests"
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def workers(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> AsyncIterator[Workers]:
    settings = make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url)
    running = Workers(tmp_path, settings, fake_api)
    await running.start()
    yield running
    await running.stop()


def replies(api: FakeBotApi, chat_id: int) -> list[str]:
    return [str(call.params.get("text")) for call in api.calls_to(chat_id, "sendMessage")]


async def probe(api: FakeBotApi) -> list[str]:
    """What one chat is answered to COMMANDS, sent one at a time: the expected sequence."""
    user = api.user(4999)
    for count, command in enumerate(COMMANDS, start=1):
        api.push_update(text_update(user, command))
        await api.wait_for_calls(
            lambda _, count=count: len(replies(api, user.id)) >= count, timeout=20
        )
    expected = replies(api, user.id)
    assert len(expected) == len(COMMANDS)
    assert all(a != b for a, b in pairwise(expected))
    return expected


def burst(api: FakeBotApi, chats: range) -> None:
    """Every chat sends COMMANDS; all chats at once, each chat's in order."""
    users = [api.user(chat) for chat in chats]
    for command in COMMANDS:
        for user in users:
            api.push_update(text_update(user, command))


async def inbox_state(sessions: SessionFactory) -> tuple[int, int, int]:
    """(stored, still pending, most attempts at one update)."""
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(InboxUpdate))
        pending = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
        )
        attempts = await session.scalar(select(func.max(InboxUpdate.attempts)))
    return int(stored or 0), int(pending or 0), int(attempts or 0)


async def test_a_burst_over_two_workers_with_every_webhook_delivered_twice(
    workers: Workers, fake_api: FakeBotApi, pg_sessions: SessionFactory
):
    expected = await probe(fake_api)
    fake_api.webhook_redeliver = True  # Telegram posts each update again, to the other worker
    chats = range(5000, 5030)
    burst(fake_api, chats)
    await fake_api.wait_for_calls(
        lambda _: all(len(replies(fake_api, c)) >= len(COMMANDS) for c in chats), timeout=60
    )
    await fake_api.webhook_idle()
    await asyncio.sleep(0.5)  # a doubled application would answer by now
    for chat in chats:
        assert replies(fake_api, chat) == expected, chat
    stored, pending, attempts = await inbox_state(pg_sessions)
    assert (stored, pending, attempts) == (len(COMMANDS) * (len(chats) + 1), 0, 1)
    posts = [fake_api.webhook_posts[u] for u in range(1, stored + 1)]
    assert min(posts[len(COMMANDS) :]) >= 2  # every burst update reached a worker twice


async def test_a_worker_killed_mid_burst_loses_nothing_and_keeps_each_chats_order(
    workers: Workers, fake_api: FakeBotApi, pg_sessions: SessionFactory
):
    expected = await probe(fake_api)
    chats = range(6000, 6040)
    total = len(chats) * len(COMMANDS)
    burst(fake_api, chats)
    await fake_api.wait_for_calls(
        lambda _: sum(len(replies(fake_api, c)) for c in chats) >= total // 3, timeout=60
    )
    workers.kill(0)
    await workers.processes[0].killed()
    await fake_api.wait_for_calls(
        lambda _: all(len(replies(fake_api, c)) >= len(COMMANDS) for c in chats), timeout=60
    )
    await fake_api.webhook_idle()
    await asyncio.sleep(0.5)
    doubled = 0
    for chat in chats:
        got = replies(fake_api, chat)
        # The one window: an update whose reply went out just before the kill, but
        # which was not marked done, is applied again: its reply repeats, in place.
        assert [text for text, _ in groupby(got)] == expected, (chat, got)
        assert len(got) - len(expected) <= 1, (chat, got)
        doubled += len(got) - len(expected)
    stored, pending, attempts = await inbox_state(pg_sessions)
    assert (stored, pending) == (total + len(COMMANDS), 0)
    assert attempts <= 2
    assert doubled <= 16  # at most one per chat the dead worker was applying


async def test_the_outbox_leader_killed_mid_send_is_replaced_within_seconds(
    workers: Workers, fake_api: FakeBotApi, pg_sessions: SessionFactory
):
    leader = await workers.leader()
    chats = list(range(7000, 7150))
    async with pg_sessions.begin() as session:
        for chat in chats:
            await outbox.enqueue(
                session,
                chat_id=chat,
                kind="test",
                text=f"pesan {chat}",
                dedupe_key=f"webhook-leader:{chat}",
                priority=5,
            )

    def sent() -> int:
        return sum(1 for c in chats if fake_api.calls_to(c, "sendMessage"))

    await fake_api.wait_for_calls(lambda _: sent() >= 40, timeout=30)
    workers.kill(leader)
    killed_at = time.monotonic()
    await workers.processes[leader].killed()
    successor = await workers.leader()
    assert successor != leader
    await fake_api.wait_for_calls(lambda _: sent() == len(chats), timeout=60)
    calls = [c for chat in chats for c in fake_api.calls_to(chat, "sendMessage")]
    resumed = min(c.at for c in calls if c.at > killed_at)
    assert resumed - killed_at < 5.0, "the next leader took over too late"
    # Nothing lost; at most the message in flight at the kill is sent twice.
    assert len(calls) - len(chats) <= 1
    # The overall limit held across the takeover (30 per second by default).
    times = sorted(c.at for c in calls)
    assert all(b - a >= 1.0 for a, b in zip(times, times[30:], strict=False))
    async with pg_sessions() as session:
        statuses = await session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.chat_id.in_(chats))
        )
        assert set(statuses.all()) == {"sent"}


async def test_a_leader_whose_connection_dies_steps_down_and_another_takes_over(
    migrated: str,
):
    """The leader's lock lives on its connection: when the server ends that connection,
    the leader stops its work on its next beat and the next worker's try wins."""
    from sqlalchemy import text

    from scheduler.leadership import AdvisoryLeaderLock, Leadership

    assert is_postgresql(migrated)
    engines = [create_engine(migrated), create_engine(migrated)]
    events: list[str] = []

    def hooks(name: str) -> tuple[Any, Any]:
        async def elected() -> None:
            events.append(f"{name} elected")

        async def deposed() -> None:
            events.append(f"{name} deposed")

        return elected, deposed

    first = Leadership(AdvisoryLeaderLock(engines[0]), *hooks("first"))
    second = Leadership(AdvisoryLeaderLock(engines[1]), *hooks("second"))
    try:
        assert await first.check() is True
        assert await second.check() is False
        lock = first.lock
        assert isinstance(lock, AdvisoryLeaderLock) and lock._connection is not None
        pid = await lock._connection.scalar(text("SELECT pg_backend_pid()"))
        await lock._connection.commit()
        async with engines[1].connect() as admin:
            await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await admin.commit()
        assert await first.check() is False
        assert await second.check() is True
        assert events == ["first elected", "first deposed", "second elected"]
    finally:
        await first.stop()
        await second.stop()
        for engine in engines:
            await engine.dispose()
