"""Openness and the divergence flag as people receive them: the real bot over HTTP delivers
what a cycle's close queued (tests/test_unit_openness.py and tests/test_divergence.py check
the rules and the rows).

World: tests/support/result_world.py. R, P1, P2, P3 of SEKSI rate each other as peers (four
ratees: the unit's figures may be published); R, their supervisor, rates B1 far above what
B1's three peers see, so R's own superior S (English) hears of it. The bot's clock is a
ManualClock, moved a second at a time while the outbox sender delivers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.cycles import close_cycle
from scheduler.services import services_of
from storage.db import SessionFactory
from storage.review_models import OPEN, PEER, SUPERVISOR
from tests.support.app import make_settings, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.records import Sent
from tests.support.result_world import NOW, TG, Review, seed

NEVER = "0 0 1 1 *"


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    jobs = ("review_reminders", "supervisor_nudges", "expectation_reminders", "housekeeping")
    never = {f"schedule_{job}": NEVER for job in jobs}
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url, **never)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


async def received(
    bot: BotApplication, api: FakeBotApi, clock: ManualClock, chat_id: int, containing: str
) -> Sent:
    def arrived(calls: list) -> bool:
        return any(c.chat_id == chat_id and containing in c.text for c in calls)

    for _ in range(60):
        if arrived(api.calls):
            break
        clock.advance(seconds=1)
        services_of(bot).wake()
        try:
            await api.wait_for_calls(arrived, timeout=0.25)
        except TimeoutError:
            continue
    await api.wait_for_calls(arrived)
    return [m for m in api.chat_messages(chat_id) if containing in m.text][-1]


def reviews() -> list[Review]:
    people = ("R", "P1", "P2", "P3")
    given = {"R": 3, "P1": 2, "P2": 2, "P3": 1}
    found = [
        Review(rater, ratee, PEER, given[rater])
        for ratee in people
        for rater in people
        if rater != ratee
    ]
    found += [Review("R", "B1", SUPERVISOR, 3)]
    found += [Review(peer, "B1", PEER, 1) for peer in ("B2", "B3", "U")]
    return found


async def test_the_unit_and_the_superior_receive_what_the_close_released(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    clock: ManualClock,
):
    await seed(sessions, reviews(), status=OPEN)
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", clock.now(), settings)
    mine = await received(bot, fake_api, clock, TG["R"], "Hasil Seksi Pelayanan")
    # Five ratees in SEKSI have released figures (R, P1, P2, P3 and B1).
    assert "(5 pegawai)" in mine.text
    assert "Hanya untuk Anda" in mine.text and "median" in mine.text
    colleague = await received(bot, fake_api, clock, TG["P1"], "Hasil Seksi Pelayanan")
    unit_part = colleague.text.split("Hanya untuk Anda")[0]
    assert unit_part == mine.text.split("Hanya untuk Anda")[0]  # the same for everyone
    assert "Pegawai" not in unit_part
    flag = await received(bot, fake_api, clock, TG["S"], "sees a subordinate differently")
    assert "Pegawai R on Pegawai B1" in flag.text and "Below expectations" in flag.text
    # S is in DINAS, not SEKSI: no unit results for S.
    assert not any("Seksi Pelayanan in the 360°" in m.text for m in fake_api.chat_messages(TG["S"]))
