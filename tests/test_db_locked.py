"""The database is locked by another connection for a moment during a burst of submissions.

Many citizens finish their surveys at the same time while something else (a
backup, an import, a second process) holds the database: on SQLite a
``BEGIN IMMEDIATE`` transaction that writes, on PostgreSQL ``LOCK TABLE
survey_responses IN ACCESS EXCLUSIVE MODE``. The bot must wait (SQLite's busy
timeout, PostgreSQL's lock queue) and carry on: every answer is stored, every
press is answered, nobody is told that something went wrong, nothing is
logged as an error.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.app import BotApplication
from bot.core.settings import Settings
from storage.db import SessionFactory
from tests.support.citizen import QR, Roster, choose, responses, seed_roster
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.fuzz import database_locked, unanswered_queries, watch_errors

CITIZENS = 12
NEWCOMERS = 4
LOCK_SECONDS = 1.0


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


def scores_of(n: int) -> tuple[int, ...]:
    return tuple(1 + (n + k) % 4 for k in range(9))


async def up_to_the_last_question(user: FakeUser, scores: tuple[int, ...]) -> None:
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    for score in scores[:8]:
        await choose(user, score)


async def finish(user: FakeUser, score: int) -> None:
    """The last answer, then skip the comment, the profile and the contact question."""
    await choose(user, score)
    for _ in range(6):
        await user.press("Lewati")


async def scan_and_begin(user: FakeUser) -> None:
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    await choose(user, 3)


async def test_burst_of_submissions_while_the_database_is_locked(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    roster: Roster,
):
    users = [fake_api.user(61_000 + n) for n in range(CITIZENS)]
    newcomers = [fake_api.user(62_000 + n) for n in range(NEWCOMERS)]
    await asyncio.gather(*(up_to_the_last_question(u, scores_of(n)) for n, u in enumerate(users)))
    before = len(fake_api.calls)
    with watch_errors() as errors:
        async with database_locked(settings.database_url, LOCK_SECONDS):
            started = time.monotonic()
            await asyncio.gather(
                *(finish(u, scores_of(n)[8]) for n, u in enumerate(users)),
                *(scan_and_begin(u) for u in newcomers),
            )
        elapsed = time.monotonic() - started
    calls = fake_api.calls[before:]
    errors.check(calls)
    # The bot did wait for the lock (it could not have finished before it was released).
    assert elapsed >= LOCK_SECONDS * 0.9
    # Each citizen's presses 10…16: the last answer, five skips and the contact question.
    queries = [f"{u.id}-{n}" for u in users for n in range(10, 17)]
    queries += [f"{u.id}-{n}" for u in newcomers for n in (1, 2)]
    assert unanswered_queries(calls, queries) == []
    alerts = [c.text for c in calls if c.method == "answerCallbackQuery" and c.text]
    assert alerts == [], alerts
    rows = await responses(sessions)
    drafts = [r for r in rows if r.status == "draft"]
    assert [(r.step, r.u1) for r in drafts] == [("U2", 3)] * NEWCOMERS
    rows = [r for r in rows if r not in drafts]
    assert len(rows) == CITIZENS
    assert all(r.status == "submitted" and r.step == "done" for r in rows)
    assert sorted(tuple(r.answers().values()) for r in rows) == sorted(
        scores_of(n) for n in range(CITIZENS)
    )
    for user in users:
        assert "Terima kasih" in user.last.text
    for user in newcomers:
        assert "Pertanyaan 2/9" in user.last.text
