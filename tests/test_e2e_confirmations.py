"""Confirmations that bind, as people meet them: a "Yes" button works once, for the person
it was shown to, within its time, across a restart, and only on what it showed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.db import SessionFactory
from tests.support.app import start_bot, stop_bot
from tests.support.citizen import Roster, complete, responses, seed_roster
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser

REFUSED = "Konfirmasi ini sudah tidak berlaku"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


@pytest.fixture
async def running(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock, roster: Roster
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


async def rate_kk(user: FakeUser) -> None:
    """A second survey the same day: another service, through the chooser."""
    await user.send("/start")
    await user.press("Nilai layanan")
    await user.press("Dinas Kependudukan")
    await user.press("Kartu Keluarga")
    await user.press("Mulai")
    for _ in range(9):
        message = user.last_with_buttons()
        await user.press_data(message.buttons()[3]["callback_data"], message)
    for _ in range(6):
        await user.press("Lewati")


async def ask_to_delete(user: FakeUser) -> tuple[str, str]:
    """Send /hapusdata; the Yes and Cancel buttons' data."""
    await user.send("/hapusdata")
    yes, cancel = user.last.buttons()
    assert (yes["text"], cancel["text"]) == ("Ya, hapus", "Batal")
    return yes["callback_data"], cancel["callback_data"]


async def test_an_old_confirmation_deletes_only_what_it_counted(
    running: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    citizen = fake_api.user(301)
    await complete(citizen)
    await citizen.send("/hapusdata")
    shown = citizen.last
    assert "• jawaban survei: 1 (belum selesai: 0)" in shown.text
    yes = shown.buttons()[0]["callback_data"]
    # Before pressing Yes, the citizen rates another service.
    await rate_kk(citizen)
    assert [r.status for r in await responses(sessions)] == ["submitted", "submitted"]

    await citizen.press_data(yes, shown)
    assert "Jawaban survei yang dihapus: 1." in shown.text
    left = await responses(sessions)
    assert [r.service_id for r in left] == [roster.kk_id]  # made after it was shown
    # Asking again names (and deletes) the newer one.
    data, _cancel = await ask_to_delete(citizen)
    assert "• jawaban survei: 1 (belum selesai: 0)" in citizen.last.text
    await citizen.press_data(data, citizen.last)
    assert await responses(sessions) == []


async def test_forged_foreign_and_cancelled_confirmations_delete_nothing(
    running: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    citizen = fake_api.user(302)
    stranger = fake_api.user(303)
    await complete(citizen)
    await complete(stranger, payload="s_budidesk001")
    yes, cancel = await ask_to_delete(citizen)
    shown = citizen.last

    for who, data in (
        (citizen, "hd:y:" + "A" * 16),  # forged nonce
        (citizen, "hd:yes"),  # the constant button of older messages
        (stranger, yes),  # someone else's confirmation
    ):
        reply = await who.press_data(data, shown)
        assert reply.alerts and REFUSED in reply.alerts[0], data
        assert len(await responses(sessions)) == 2
    assert "Hapus semua data survei Anda?" in shown.text  # the screen is untouched

    await citizen.press_data(cancel, shown)
    assert "Tidak ada yang dihapus" in citizen.last.text
    reply = await citizen.press_data(yes, shown)  # Cancel made it void
    assert reply.alerts and REFUSED in reply.alerts[0]
    assert len(await responses(sessions)) == 2


async def test_a_confirmation_expires(
    running: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    clock: ManualClock,
    settings: Settings,
):
    citizen = fake_api.user(304)
    await complete(citizen)
    yes, _cancel = await ask_to_delete(citizen)
    clock.advance(minutes=settings.confirmation_ttl_minutes, seconds=1)
    reply = await citizen.press_data(yes, citizen.last)
    assert reply.alerts and REFUSED in reply.alerts[0]
    assert len(await responses(sessions)) == 1
    # The newest confirmation of the same thing voids an older one still on screen.
    first, _ = await ask_to_delete(citizen)
    second, _ = await ask_to_delete(citizen)
    reply = await citizen.press_data(first, citizen.last)
    assert reply.alerts and REFUSED in reply.alerts[0]
    await citizen.press_data(second, citizen.last)
    assert await responses(sessions) == []


async def test_a_confirmation_survives_a_restart_and_works_once(
    settings: Settings, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    application = await start_bot(settings, fake_api)
    citizen = fake_api.user(305)
    try:
        await complete(citizen)
        yes, _cancel = await ask_to_delete(citizen)
        shown = citizen.last
    finally:
        await stop_bot(application)
    application = await start_bot(settings, fake_api)
    try:
        await citizen.press_data(yes, shown)
        assert "Jawaban survei yang dihapus: 1." in citizen.last.text
        reply = await citizen.press_data(yes, shown)  # a double tap, a redelivered update
        assert reply.alerts and REFUSED in reply.alerts[0]
        assert "Jawaban survei yang dihapus: 1." in citizen.last.text
    finally:
        await stop_bot(application)
    assert await responses(sessions) == []


async def test_confirmations_expire_after_the_setting(settings: Settings):
    assert settings.confirmation_ttl == timedelta(minutes=10)
