"""``ulasan run --webhook`` with one worker: Telegram posts updates, the bot applies them.

The fake Bot API posts each update to the URL the worker gave in ``setWebhook``, with
the secret, over real HTTP, one chat's updates in order and again until answered 200
(Telegram's retries). The worker stores an update before it answers and applies it
once: a retried post is a no-op, a post without the secret is refused and never
applied. These run on SQLite in the SQLite pass and on PostgreSQL in ``make test-pg``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli.main import cli, register_commands
from bot.cli.run import SQLITE_ONE_WORKER
from bot.core.settings import Settings
from bot.webhook_server import WebhookWorker
from storage.db import SessionFactory, create_engine, session_factory
from storage.webhook_models import InboxUpdate
from tests.support.citizen import QR, complete, responses, seed_roster
from tests.support.fakebot import FakeBotApi
from tests.support.fuzz import text_update
from tests.support.webhook import PATH, start_worker, webhook_settings


@pytest.fixture
def hook_settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    return webhook_settings(tmp_path, migrated, fake_api)


@pytest.fixture
async def hook_sessions(hook_settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(hook_settings.database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def worker(hook_settings: Settings, fake_api: FakeBotApi) -> AsyncIterator[WebhookWorker]:
    running = await start_worker(hook_settings, fake_api)
    yield running
    await running.stop()


async def inbox_rows(sessions: SessionFactory) -> list[InboxUpdate]:
    async with sessions() as session:
        return list((await session.scalars(select(InboxUpdate))).all())


async def test_a_citizen_completes_the_survey_through_the_webhook(
    worker: WebhookWorker, fake_api: FakeBotApi, hook_sessions: SessionFactory
):
    assert fake_api.webhook is not None
    assert fake_api.webhook["url"].endswith(PATH)
    assert fake_api.webhook["secret_token"]  # derived from SECRET_KEY when not set
    await seed_roster(hook_sessions)
    user = fake_api.user(301)
    closing = await complete(user, scores=(4, 3, 4, 3, 4, 3, 4, 3, 4))
    assert "Terima kasih" in user.last.text, closing
    rows = await responses(hook_sessions)
    assert len(rows) == 1 and rows[0].status == "submitted"
    assert tuple(rows[0].answers().values()) == (4, 3, 4, 3, 4, 3, 4, 3, 4)
    stored = await inbox_rows(hook_sessions)
    assert stored and all(row.done_at is not None and row.attempts == 1 for row in stored)
    assert len(stored) == len(fake_api.processed_ids)  # every post stored and applied once


async def test_a_post_without_the_secret_is_refused_and_never_applied(
    worker: WebhookWorker, fake_api: FakeBotApi, hook_sessions: SessionFactory
):
    user = fake_api.user(302)
    update = text_update(user, "/help")
    update["update_id"] = 777001
    assert await fake_api.post_webhook(update, secret="not-the-secret") == 403
    assert await fake_api.post_webhook(update, secret="") == 403
    assert await inbox_rows(hook_sessions) == []
    assert fake_api.calls_to(user.id) == []
    # The same update with the secret is taken.
    assert await fake_api.post_webhook(update) == 200
    await fake_api.wait_processed(777001)
    assert len(fake_api.calls_to(user.id, "sendMessage")) == 1


async def test_a_retried_webhook_is_applied_once(
    worker: WebhookWorker, fake_api: FakeBotApi, hook_sessions: SessionFactory
):
    await seed_roster(hook_sessions)
    user = fake_api.user(303)
    update = text_update(user, f"/start {QR}")
    update["update_id"] = 777002
    assert await fake_api.post_webhook(update) == 200
    await fake_api.wait_processed(777002)
    for _ in range(3):  # Telegram did not hear our 200 and posts it again
        assert await fake_api.post_webhook(update) == 200
    await fake_api.webhook_idle()
    assert fake_api.processed_times[777002] == 1
    assert len(fake_api.calls_to(user.id, "sendMessage")) == 1
    async with hook_sessions() as session:
        count = await session.scalar(select(func.count()).select_from(InboxUpdate))
    assert count == 1


async def test_what_is_no_update_is_answered_400(worker: WebhookWorker, fake_api: FakeBotApi):
    assert await fake_api.post_webhook({"update_id": "x"}) == 400
    assert await fake_api.post_webhook({"no": "update"}) == 400


def run_cli(tmp_path: Path, *args: str, **env: str | None) -> tuple[int, str]:
    register_commands()
    environment: dict[str, str | None] = {
        "ULASAN_HOME": str(tmp_path / "home"),
        "DATA_DIR": None,
        "SECRET_KEY": "test-secret-key-0123456789",
        "BOT_TOKEN": "123456:TEST-TOKEN-0123456789abcdefghijklmn",
        **env,
    }
    result = CliRunner().invoke(cli, ["run", *args], env=environment, catch_exceptions=False)
    return result.exit_code, result.stderr.strip()


def test_sqlite_refuses_several_workers_with_one_line(tmp_path: Path):
    database = f"sqlite+aiosqlite:///{tmp_path / 'u.db'}"
    code, said = run_cli(
        tmp_path,
        "--webhook",
        "--multi-worker",
        DATABASE_URL=database,
        WEBHOOK_URL="https://bot.example.go.id/telegram/hook",
    )
    assert code == 2 and said == SQLITE_ONE_WORKER
    assert "\n" not in said


def test_webhook_mode_needs_its_url_and_multi_worker_needs_a_webhook(tmp_path: Path):
    database = f"sqlite+aiosqlite:///{tmp_path / 'u.db'}"
    code, said = run_cli(tmp_path, "--webhook", DATABASE_URL=database, WEBHOOK_URL="")
    assert code == 2 and "WEBHOOK_URL" in said and "\n" not in said
    code, said = run_cli(tmp_path, "--multi-worker", DATABASE_URL=database)
    assert code == 2 and "--webhook" in said and "\n" not in said


async def test_a_chat_that_keeps_sending_does_not_starve_the_others(
    worker: WebhookWorker, fake_api: FakeBotApi
):
    """Each chat gets one update per turn: with one slot, a chat with five pending
    updates lets a chat that wrote once in before its own second update."""
    worker.inbox._slots = asyncio.Semaphore(1)
    applied: list[int] = []
    worker.inbox.listeners.append(applied.append)
    busy, quiet = fake_api.user(304), fake_api.user(305)
    async with worker.inbox._slots:  # hold the slot while both chats queue up
        for number in range(5):
            update = text_update(busy, "/help")
            update["update_id"] = 778000 + number
            assert await fake_api.post_webhook(update) == 200
        update = text_update(quiet, "/help")
        update["update_id"] = 778100
        assert await fake_api.post_webhook(update) == 200
    for update_id in (778004, 778100):
        await fake_api.wait_processed(update_id)
    assert applied.index(778100) <= 1, applied
    assert [u for u in applied if u < 778100] == [778000 + n for n in range(5)]
