"""A citizen scans the QR code at the counter and rates the service, end to end.

The real Application runs against the fake Bot API over HTTP; the database
file is checked after each scenario. Entry paths, privacy and deletion are in
``test_e2e_citizen_entry.py``; bad input in ``test_e2e_citizen_input.py``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.app import BotApplication
from bot.core.settings import Settings
from storage import survey
from storage.crypto import pseudonym
from storage.db import SessionFactory
from storage.survey_models import SurveyResponse
from tests.support.app import start_bot, stop_bot
from tests.support.citizen import (
    ALL_FOURS,
    QR,
    QR_OFFICER,
    Roster,
    choose,
    complete,
    responses,
    seed_roster,
    snapshot,
    survey_message,
)
from tests.support.fakebot import FakeBotApi


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


async def test_scan_and_complete(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    roster: Roster,
):
    user = fake_api.user(101)
    reply = await user.send(f"/start {QR}")
    assert "Survei Kepuasan Masyarakat" in reply.text
    assert "Perekaman KTP-el" in reply.text and "tanpa nama" in reply.text
    assert user.last.button_texts() == ["Mulai", "Batal"]

    await user.press("Mulai")
    assert "Pertanyaan 1/9" in user.last.text
    assert "kesesuaian persyaratan pelayanan" in user.last.text
    # Four answers from worst to best, then Batal (no Kembali before the first answer).
    assert user.last.button_texts() == [
        "Tidak sesuai",
        "Kurang sesuai",
        "Sesuai",
        "Sangat sesuai",
        "Batal",
    ]
    scores = (4, 3, 2, 1, 4, 3, 2, 1, 4)
    for score in scores:
        await choose(user, score)
    assert "Saran atau keluhan" in user.last.text
    assert "Lewati" in user.last.button_texts()

    comment = (
        "Pelayanan cepat. NIK saya 3201010101900001, hubungi 0812-3456-7890 atau "
        "+62 812 3456 7891, email warga@contoh.id. Antrian nomor 25 tanggal 12/05/2024."
    )
    reply = await user.send(comment)
    assert "Umur" in reply.text
    for position in (3, 2, 3, 2):  # 30–39, perempuan, SMA, pegawai swasta
        await choose(user, position)
    assert "menghubungi Anda" in user.last.text
    reply = await user.press("Lewati")

    closing = user.last.text
    assert "Terima kasih" in closing
    assert "• Persyaratan: Sangat sesuai" in closing
    assert "• Waktu penyelesaian: Kurang cepat" in closing
    assert "• Biaya/tarif: Sangat mahal" in closing
    assert "• Sarana dan prasarana: Sangat baik" in closing
    assert "3201010101900001" not in closing and "[NIK]" in closing
    assert user.last.buttons() == []

    rows = await responses(sessions)
    assert len(rows) == 1
    row = rows[0]
    assert row.status == "submitted" and row.step == "done"
    assert row.submitted_at is not None
    assert tuple(row.answers().values()) == scores
    assert all(1 <= v <= 4 for v in row.answers().values())
    assert row.comment == (
        "Pelayanan cepat. NIK saya [NIK], hubungi [TELEPON] atau [TELEPON], email [EMAIL]. "
        "Antrian nomor 25 tanggal 12/05/2024."
    )
    assert (row.age_group, row.gender, row.education, row.occupation) == (
        "30-39",
        "f",
        "sma",
        "private",
    )
    assert row.contact_ok is False and row.contact_chat_id is None
    assert row.employee_id is None and row.service_id == roster.ktp_id
    assert row.language == "id"
    assert row.user_key == pseudonym(settings.secret_bytes(), user.id)
    assert str(user.id) not in row.user_key
    assert row.local_date == datetime.now(settings.tz).date()


async def test_questions_are_edited_in_one_message(
    bot: BotApplication, fake_api: FakeBotApi, roster: Roster
):
    user = fake_api.user(102)
    await user.send(f"/start {QR}")
    intro = user.last
    sent_before = len(fake_api.calls_to(user.id, "sendMessage"))
    await user.press("Mulai")
    await choose(user, 4)
    await choose(user, 3)
    message = user.last
    assert message.message_id == intro.message_id
    assert message.edits == 3
    assert "Pertanyaan 3/9: Waktu penyelesaian" in message.text
    assert "kecepatan waktu" in message.text
    await choose(user, 2)
    assert user.last.message_id == intro.message_id and user.last.edits == 4
    assert "4/9" in user.last.text
    # No new message was sent for the questions.
    assert len(fake_api.calls_to(user.id, "sendMessage")) == sent_before


async def test_back_changes_the_previous_answer(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(103)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    await choose(user, 1)
    await choose(user, 2)
    assert "3/9" in user.last.text
    await user.press("Kembali")
    assert "2/9" in user.last.text
    assert "Kurang mudah ✓" in user.last.button_texts()  # the stored answer is marked
    await choose(user, 4)
    assert "3/9" in user.last.text
    rows = await responses(sessions)
    assert (rows[0].u1, rows[0].u2, rows[0].u3) == (1, 4, None)
    assert rows[0].step == "U3"

    # Back from the optional comment step returns to the last question.
    for score in (4, 4, 4, 4, 4, 4, 4):
        await choose(user, score)
    assert "Saran atau keluhan" in user.last.text
    await user.press("Kembali")
    assert "9/9" in user.last.text
    await choose(user, 1)
    rows = await responses(sessions)
    assert rows[0].u9 == 1 and rows[0].step == "comment"


async def test_cancel(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(104)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    await choose(user, 3)
    await choose(user, 3)
    question = copy.deepcopy(user.last_with_buttons())  # the keyboard as it was
    await user.press("Batal")
    assert "dibatalkan" in user.last.text
    assert user.last.buttons() == []
    rows = await responses(sessions)
    assert rows[0].status == "cancelled" and rows[0].step == "U3"

    # A button of the cancelled survey writes nothing.
    before = await snapshot(sessions)
    reply = await user.press("Cepat", message=question)
    assert reply.alerts and "ditutup" in reply.alerts[0]
    assert await snapshot(sessions) == before


async def test_abandoned_draft_keeps_its_step_and_is_never_counted(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    settings: Settings,
    roster: Roster,
):
    stopped = fake_api.user(105)
    await stopped.send(f"/start {QR}")
    await stopped.press("Mulai")
    await choose(stopped, 4)
    await choose(stopped, 4)
    fresh = fake_api.user(106)
    await fresh.send(f"/start {QR}")
    await fresh.press("Mulai")

    # The first citizen's draft was last touched 25 hours ago.
    stale_id = (await responses(sessions))[0].id
    async with sessions.begin() as session:
        await session.execute(
            update(SurveyResponse)
            .where(SurveyResponse.id == stale_id)
            .values(updated_at=datetime.now(UTC) - timedelta(hours=25))
        )
    async with sessions.begin() as session:
        count = await survey.abandon_stale_drafts(
            session, datetime.now(UTC), settings.survey_draft_ttl_hours
        )
    assert count == 1
    async with sessions.begin() as session:  # running the job again changes nothing
        assert await survey.abandon_stale_drafts(session, datetime.now(UTC), 24) == 0
    first, second = await responses(sessions)
    assert first.status == "abandoned" and first.step == "U3" and first.submitted_at is None
    assert (first.u1, first.u2) == (4, 4)
    assert second.status == "draft"

    # Pressing on: a short notice; scanning again starts afresh.
    reply = await choose(stopped, 4)
    assert reply.alerts and "ditutup" in reply.alerts[0]
    await stopped.send(f"/start {QR}")
    assert "Mulai" in stopped.last.button_texts()
    rows = await responses(sessions)
    assert len(rows) == 3 and rows[2].step == "intro" and rows[2].token != first.token


async def test_stale_draft_is_abandoned_when_the_citizen_comes_back(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(107)
    await user.send(f"/start {QR}")
    await user.press("Mulai")
    await choose(user, 2)
    async with sessions.begin() as session:
        await session.execute(
            update(SurveyResponse).values(updated_at=datetime.now(UTC) - timedelta(hours=30))
        )
    reply = await choose(user, 2)
    assert reply.alerts and "kedaluwarsa" in reply.alerts[0]
    rows = await responses(sessions)
    assert rows[0].status == "abandoned" and rows[0].step == "U2" and rows[0].u2 is None
    # Typed text now gets the ordinary answer: there is no survey any more.
    reply = await user.send("halo")
    assert "/help" in reply.text


async def test_same_citizen_once_a_day_another_citizen_allowed(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(108)
    await complete(user)
    reply = await user.send(f"/start {QR}")
    assert "sudah menilai layanan Perekaman KTP-el hari ini" in reply.text
    assert user.last.buttons() == []
    assert len(await responses(sessions)) == 1
    # Also through the officer's QR code of the same service.
    reply = await user.send(f"/start {QR_OFFICER}")
    assert "sudah menilai" in reply.text
    assert len(await responses(sessions)) == 1

    neighbour = fake_api.user(109)
    reply = await complete(neighbour)
    assert "Terima kasih" in neighbour.last.text
    rows = await responses(sessions)
    assert [r.status for r in rows] == ["submitted", "submitted"]
    assert rows[0].user_key != rows[1].user_key


async def test_restart_in_the_middle_continues_the_survey(
    settings: Settings, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(110)
    application = await start_bot(settings, fake_api)
    try:
        await user.send(f"/start {QR}")
        await user.press("Mulai")
        for score in (4, 3, 2, 1):
            await choose(user, score)
        question = survey_message(user)
        assert "5/9" in question.text
    finally:
        await stop_bot(application)

    # A new Application over the same database file (nothing kept in memory).
    application = await start_bot(settings, fake_api)
    try:
        await choose(user, 4)
        assert "6/9" in user.last.text
        assert user.last.message_id == question.message_id
        for score in (4, 4, 4, 4):
            await choose(user, score)
        await user.press("Lewati")
        for _ in range(4):
            await user.press("Lewati")
        await user.press("Lewati")
        assert "Terima kasih" in user.last.text
    finally:
        await stop_bot(application)
    rows = await responses(sessions)
    assert len(rows) == 1
    assert tuple(rows[0].answers().values()) == (4, 3, 2, 1, 4, 4, 4, 4, 4)
    assert rows[0].status == "submitted"


async def test_officer_qr_attributes_the_answers(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(111)
    reply = await user.send(f"/start {QR_OFFICER}")
    assert "Petugas: Budi Santoso" in reply.text
    await user.press("Mulai")
    for _ in range(5):
        await choose(user, 4)
    assert "6/9" in user.last.text and "Petugas: Budi Santoso" in user.last.text
    await choose(user, 3)
    assert "7/9" in user.last.text and "Petugas: Budi Santoso" in user.last.text
    await choose(user, 4)
    assert "Petugas" not in user.last.text  # U8 is about the unit
    await choose(user, 4)
    await choose(user, 4)
    for _ in range(6):
        await user.press("Lewati")
    rows = await responses(sessions)
    assert rows[0].status == "submitted"
    assert rows[0].employee_id == roster.officer_id
    assert rows[0].u6 == 3


async def test_consent_stores_the_chat_id(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(112)
    await complete(user, profile=(1, 1, 1, 1), consent=True)
    assert "bersedia dihubungi" in user.last.text
    rows = await responses(sessions)
    assert rows[0].contact_ok is True and rows[0].contact_chat_id == user.id
    assert (rows[0].age_group, rows[0].gender, rows[0].education, rows[0].occupation) == (
        "lt20",
        "m",
        "sd",
        "asn",
    )


async def test_english_citizen(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: Roster
):
    user = fake_api.user(113, language_code="en")
    reply = await user.send(f"/start {QR}")
    assert "Public satisfaction survey" in reply.text
    assert user.last.button_texts() == ["Start", "Cancel"]
    await user.press("Start")
    assert "Question 1/9: Requirements" in user.last.text
    await choose(user, 4)
    assert user.last.button_texts()[-2:] == ["Back", "Cancel"]
    reply = await user.send(f"/start {QR}")  # scanning again resumes the same draft
    assert "already started this survey" in reply.text and "Question 2/9" in reply.text
    for _ in range(8):
        await choose(user, 4)
    for _ in range(6):
        await user.press("Skip")
    assert "Thank you" in user.last.text
    assert "• Requirements: Very appropriate" in user.last.text
    rows = await responses(sessions)
    assert len(rows) == 1 and rows[0].language == "en"
    assert rows[0].answers() == dict(zip(rows[0].answers(), ALL_FOURS, strict=True))
