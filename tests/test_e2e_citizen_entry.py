"""How a citizen reaches the survey (QR payload, greeting, chooser) and /hapusdata, /privacy."""

from __future__ import annotations

import pytest

from bot.app import BotApplication
from bot.core.settings import Settings
from storage.db import SessionFactory
from storage.models import Service, Unit
from tests.support.citizen import (
    QR,
    QR_INACTIVE,
    QR_INACTIVE_SERVICE,
    Roster,
    choose,
    complete,
    responses,
    seed_roster,
    snapshot,
)
from tests.support.fakebot import FakeBotApi


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


@pytest.mark.parametrize("payload", ["s_unknown123", QR_INACTIVE, QR_INACTIVE_SERVICE, "s_"])
async def test_unknown_or_inactive_payload_offers_the_chooser(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    roster: Roster,
    payload: str,
):
    user = fake_api.user(201)
    reply = await user.send(f"/start {payload}")
    assert "tidak dikenali atau sudah tidak berlaku" in reply.text
    # Only units that have an active service.
    assert user.last.button_texts() == ["Dinas Kependudukan dan Pencatatan Sipil"]
    assert await responses(sessions) == []

    chooser = user.last
    await user.press("Dinas Kependudukan")
    assert "layanan apa yang Anda gunakan" in user.last.text
    assert user.last.button_texts() == ["Kartu Keluarga", "Perekaman KTP-el", "Kembali"]
    await user.press("Kartu Keluarga")
    assert user.last.message_id == chooser.message_id  # the chooser became the survey
    assert "Kartu Keluarga" in user.last.text and "Mulai" in user.last.button_texts()
    await user.press("Mulai")
    assert "Pertanyaan 1/9" in user.last.text
    rows = await responses(sessions)
    assert len(rows) == 1 and rows[0].service_id == roster.kk_id
    assert rows[0].entry_id is None and rows[0].employee_id is None


async def test_start_offers_rate_a_service(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(202)
    reply = await user.send("/start")
    assert "Selamat datang" in reply.text
    greeting = user.last
    assert greeting.button_texts() == ["Nilai layanan"]
    await user.press("Nilai layanan")
    assert "Unit mana yang melayani Anda" in user.last.text
    assert user.last.message_id != greeting.message_id
    await user.press("Dinas Kependudukan")
    await user.press("Kembali")  # back to the units
    assert "Unit mana" in user.last.text
    await user.press("Dinas Kependudukan")
    await user.press("Perekaman KTP-el")
    await user.press("Mulai")
    for _ in range(9):
        await choose(user, 3)
    for _ in range(6):
        await user.press("Lewati")
    assert "Terima kasih" in user.last.text
    rows = await responses(sessions)
    assert rows[0].status == "submitted" and rows[0].service_id == roster.ktp_id


async def test_english_greeting_button(bot: BotApplication, fake_api: FakeBotApi, roster: Roster):
    user = fake_api.user(203, language_code="en")
    await user.send("/start")
    assert user.last.button_texts() == ["Rate a service"]
    await user.press("Rate a service")
    assert "Which unit served you?" in user.last.text


async def test_chooser_pages_through_many_units(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    async with sessions.begin() as session:
        for number in range(10):
            unit = Unit(code=f"KEC{number:02d}", name=f"Kecamatan {number:02d}")
            session.add(unit)
            await session.flush()
            session.add(Service(code=f"SKTM{number:02d}", unit_id=unit.id, name="Surat Keterangan"))
    user = fake_api.user(204)
    await user.send("/start")
    await user.press("Nilai layanan")
    first_page = user.last.button_texts()
    assert len(first_page) == 9 and first_page[-1] == "Berikutnya"
    await user.press("Berikutnya")
    second_page = user.last.button_texts()
    assert second_page == [
        "Kecamatan 07",
        "Kecamatan 08",
        "Kecamatan 09",
        "Sebelumnya",
    ]
    await user.press("Kecamatan 09")
    await user.press("Surat Keterangan")
    assert "Kecamatan 09" in user.last.text and "Mulai" in user.last.button_texts()


async def test_chooser_refuses_inactive_or_unknown_choices(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(205)
    await user.send("/start")
    await user.press("Nilai layanan")
    for data in (
        f"sp:s:{roster.closed_id}",
        "sp:s:999999",
        f"sp:n:{roster.empty_unit_id}",
        "sp:n:999999",
    ):
        await user.press_data(data, user.last)
        assert "sudah tidak tersedia" in user.last.text, data
        assert user.last.button_texts() == ["Dinas Kependudukan dan Pencatatan Sipil"]
    for data in ("sp:s:abc", "sp:n:", "sp:s:1:2", "sp:x"):
        reply = await user.press_data(data, user.last)
        assert reply.alerts == ["Tombol ini tidak valid."], data
    assert await responses(sessions) == []


async def test_chooser_respects_the_daily_limit(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(206)
    await complete(user, payload=QR)
    await user.send("/start")
    await user.press("Nilai layanan")
    await user.press("Dinas Kependudukan")
    await user.press("Perekaman KTP-el")
    assert "sudah menilai layanan Perekaman KTP-el hari ini" in user.last.text
    assert len(await responses(sessions)) == 1
    # Another service of the same unit the same day is fine.
    await user.send("/start")
    await user.press("Nilai layanan")
    await user.press("Dinas Kependudukan")
    await user.press("Kartu Keluarga")
    assert "Mulai" in user.last.button_texts()


async def test_scanning_another_service_leaves_the_open_draft(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(207)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    await choose(user, 2)
    old_message = user.last
    old_button = old_message.buttons()[0]["callback_data"]
    await user.send("/start")
    await user.press("Nilai layanan")
    await user.press("Dinas Kependudukan")
    await user.press("Kartu Keluarga")
    first, second = await responses(sessions)
    assert first.status == "abandoned" and first.step == "U2" and first.u1 == 2
    assert second.status == "draft" and second.service_id == roster.kk_id
    assert old_message.buttons() == []  # only the new survey is live
    before = await snapshot(sessions)
    reply = await user.press_data(old_button)
    assert reply.alerts and "ditutup" in reply.alerts[0]
    assert await snapshot(sessions) == before


async def test_hapusdata_confirm_deletes_and_counts(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(208)
    other = fake_api.user(209)
    await complete(user, consent=True)
    await complete(other)
    # And an unfinished survey of another service.
    await user.send("/start")
    await user.press("Nilai layanan")
    await user.press("Dinas Kependudukan")
    await user.press("Kartu Keluarga")
    await user.press("Mulai")
    await choose(user, 1)
    open_survey = user.last

    reply = await user.send("/hapusdata")
    assert "Hapus semua data survei Anda?" in reply.text
    assert "• jawaban survei: 2 (belum selesai: 1)" in reply.text
    assert "• data kontak yang Anda tinggalkan: 1" in reply.text
    assert user.last.button_texts() == ["Ya, hapus", "Batal"]
    await user.press("Batal")
    assert "Tidak ada yang dihapus" in user.last.text and user.last.buttons() == []
    assert len(await responses(sessions)) == 3

    await user.send("/deletemydata")
    confirmation = user.last
    yes = confirmation.buttons()[0]["callback_data"]
    await user.press("Ya, hapus")
    assert "Jawaban survei yang dihapus: 2." in user.last.text
    rows = await responses(sessions)
    assert len(rows) == 1 and rows[0].contact_chat_id is None  # the other citizen's
    assert open_survey.buttons() == []  # the open survey's buttons are gone too

    # A repeated confirmation (its nonce is used up) deletes nothing and keeps the count
    # shown; so does the constant button of messages sent before confirmations bound.
    for data in (yes, "hd:yes"):
        reply = await user.press_data(data, confirmation)
        assert reply.alerts and "Konfirmasi ini sudah tidak berlaku" in reply.alerts[0]
        assert "/hapusdata" in reply.alerts[0]
    assert "Jawaban survei yang dihapus: 2." in user.last.text
    reply = await user.send("/hapusdata")
    assert "tidak ada yang perlu dihapus" in reply.text


async def test_stale_button_after_deletion(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(210)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    data = user.last.buttons()[0]["callback_data"]
    await user.send("/hapusdata")
    await user.press("Ya, hapus")
    reply = await user.press_data(data)
    assert reply.alerts and "tidak tersedia" in reply.alerts[0]
    assert await snapshot(sessions) == []


async def test_privacy_and_help_explain_what_is_kept(
    bot: BotApplication, fake_api: FakeBotApi, settings: Settings
):
    user = fake_api.user(211)
    reply = await user.send("/privacy")
    text = reply.text
    assert f"{settings.retention_days} hari" in text
    assert f"{settings.survey_draft_ttl_hours} jam" in text
    assert settings.dpo_contact in text
    assert "UU 27/2022" in text and "/hapusdata" in text
    # What erasure reaches, what it cannot, and how long backups keep it.
    assert f"paling lama {settings.backup_keep_days} hari" in text
    assert "tidak dapat kami jangkau" in text and "ditimpa" in text
    reply = await user.send("/help")
    assert "/hapusdata" in reply.text
    english = fake_api.user(212, language_code="en")
    reply = await english.send("/privacy")
    assert "UU 27/2022" in reply.text and "/hapusdata" in reply.text
