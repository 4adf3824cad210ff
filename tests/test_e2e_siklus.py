"""An admin runs 360° cycles from Telegram with /siklus, through the real Application
and the fake Bot API server: list, open (guided), watch, close; others are refused.

Typed steps (name, date, unit code) reach `handlers.cycle_opening.handle_admin_text`
through the shared text router, handlers/typed_input.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import BotApplication
from bot.core.clock import format_day, local_day
from bot.core.settings import Settings
from storage.db import SessionFactory
from storage.models import AuditLog
from storage.outbox_models import OutboxMessage
from storage.review_models import CLOSED, OPEN, ReviewAssignment, ReviewCycle
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.review_roster import TG, seed_roster


@pytest.fixture
def app(bot: BotApplication) -> BotApplication:
    return bot


async def cycles(sessions: SessionFactory) -> list[ReviewCycle]:
    async with sessions() as session:
        return list((await session.scalars(select(ReviewCycle).order_by(ReviewCycle.id))).all())


async def open_messages(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == "cycle_open")
        return list((await session.scalars(statement)).all())


def data_of(user: FakeUser, label: str) -> str:
    for button in user.last_with_buttons().buttons():
        if button["text"].startswith(label):
            return button["callback_data"]
    raise AssertionError(f"no button {label!r}")


async def test_admin_opens_watches_and_closes_a_cycle(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    await seed_roster(sessions)
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM", language_code="id")

    reply = await admin.send("/siklus")
    assert "Belum ada siklus" in reply.text
    await admin.press("Buka siklus baru")
    assert "langkah 1 dari 4" in admin.last.text
    flow_message = admin.last

    # Step 1: the name is typed; the next step comes as a new message.
    reply = await admin.send("Semester II 2030")
    assert "langkah 2 dari 4" in reply.text and "Semester II 2030" in reply.text
    assert admin.last.message_id != flow_message.message_id
    assert not fake_api.messages[(ADMIN_ID, flow_message.message_id)].buttons()
    assert [t.split(" (")[0] for t in admin.last.button_texts()] == [
        "+7 hari",
        "+14 hari",
        "+30 hari",
        "Batal",
    ]
    # Step 2: junk, then a button.
    reply = await admin.send("minggu depan")
    assert "bukan tanggal" in reply.text and "langkah 2 dari 4" in reply.text
    stale_deadline = data_of(admin, "+7 hari")
    await admin.press("+14 hari")
    assert "langkah 3 dari 4" in admin.last.text
    assert "Semua unit" in admin.last.button_texts()
    assert any(t.startswith("BIDANG-A — ") for t in admin.last.button_texts())
    # A deadline button of the step before changes nothing now.
    reply = await admin.press_data(stale_deadline)
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    assert "langkah 3 dari 4" in admin.last.text
    # Step 3: an unknown code, then a known one in lower case.
    reply = await admin.send("NOPE")
    assert "Tidak ada unit dengan kode NOPE" in reply.text
    reply = await admin.send("bidang-a")
    text = reply.text
    assert "langkah 4 dari 4" in text and "unit BIDANG-A (Bidang A) beserta sub-unitnya" in text
    assert "Pegawai yang dinilai: 4; penilaian: 16; penilai: 4" in text
    assert "menerima pemberitahuan di Telegram: 1" in text
    assert await cycles(sessions) == []  # nothing written before the confirmation
    # Typing at the confirmation only gets a hint.
    reply = await admin.send("ya")
    assert "gunakan tombol" in reply.text
    confirm = data_of(admin, "Buka siklus")

    await admin.press("Buka siklus")
    assert "telah dibuka: 4 pegawai, 16 penilaian, 4 penilai" in admin.last.text
    (cycle,) = await cycles(sessions)
    assert (cycle.name, cycle.status) == ("Semester II 2030", OPEN)
    (notice,) = await open_messages(sessions)
    assert notice.chat_id == TG["A1"]
    content = json.loads(notice.content)
    assert content["buttons"] == [[{"text": "Mulai menilai", "callback_data": "rv:list"}]]
    # The outbox sender delivers it; its button opens the rater's list (handlers/review.py).
    await fake_api.wait_for_calls(
        lambda calls: any(c.chat_id == TG["A1"] and c.method == "sendMessage" for c in calls)
    )
    rater = fake_api.user(TG["A1"], "Pegawai A1", language_code="id")
    assert "Anda diminta menilai 3 rekan kerja" in rater.last.text
    deadline = local_day(datetime.now(UTC), settings.tz) + timedelta(days=14)
    assert f"paling lambat {format_day(deadline, 'id')}" in rater.last.text
    reply = await rater.press("Mulai menilai")
    assert reply.calls and not reply.alerts
    # A double tap on "Open" opens nothing more; after the flow, text is not captured.
    reply = await admin.press_data(confirm)
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    assert len(await cycles(sessions)) == 1
    reply = await admin.send("Semester III")
    assert "langkah" not in reply.text
    assert len(await cycles(sessions)) == 1

    # Watch: the cycle's completion.
    await admin.send("/siklus")
    assert "Semester II 2030: terbuka" in admin.last.text
    await admin.press("Semester II 2030")
    status = admin.last.text
    assert "Siklus “Semester II 2030”: terbuka" in status
    assert "Terkirim: 0 dari 16 (0%); sedang diisi: 0; belum dimulai: 16" in status
    assert "Penilai yang belum menautkan akun Telegram (3):" in status
    await admin.press("Perbarui")
    assert admin.last.text == status

    # Close, with a confirmation step; "No" changes nothing.
    await admin.press("Tutup siklus")
    assert "Tutup siklus “Semester II 2030”?" in admin.last.text
    assert "16 belum" in admin.last.text
    await admin.press("Tidak, kembali")
    assert (await cycles(sessions))[0].status == OPEN
    await admin.press("Tutup siklus")
    close = data_of(admin, "Ya, tutup")
    await admin.press("Ya, tutup")
    assert "telah ditutup: 0 dari 16 penilaian terkirim" in admin.last.text
    assert "Laporan dalam antrean kirim:" in admin.last.text
    (cycle,) = await cycles(sessions)
    assert cycle.status == CLOSED and cycle.closed_at is not None
    # Closing twice: a clear notice, nothing changes.
    reply = await admin.press_data(close)
    assert reply.alerts and "sudah ditutup" in reply.alerts[0]
    async with sessions() as session:
        actions = (await session.scalars(select(AuditLog.action).order_by(AuditLog.id))).all()
    assert actions == ["cycle.open", "cycle.close"]


async def test_english_admin_opens_for_everyone_with_buttons_only(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_roster(sessions)
    admin = fake_api.user(ADMIN_ID, "Admin", language_code="en")
    await admin.send("/siklus")
    assert "There are no cycles yet." in admin.last.text
    await admin.press("Open a new cycle")
    await admin.send("Q1")
    await admin.press("+30 days")
    await admin.press("All units")
    assert "Employees rated: 7; reviews: 25; raters: 7" in admin.last.text
    await admin.press("Open the cycle")
    assert "“Q1” is open" in admin.last.text
    assert len(await open_messages(sessions)) == 3
    # A second flow with the same name is refused at the name step.
    await admin.send("/siklus")
    await admin.press("Open a new cycle")
    reply = await admin.send("Q1")
    assert "already exists" in reply.text and "step 1 of 4" in reply.text
    await admin.press("Cancel")
    assert "No cycle was opened." in admin.last.text
    assert len(await cycles(sessions)) == 1


async def test_non_admins_are_refused(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_roster(sessions)
    admin = fake_api.user(ADMIN_ID, "Admin", language_code="en")
    await admin.send("/siklus")
    await admin.press("Open a new cycle")
    await admin.send("Q1")
    await admin.press("+7 days")
    await admin.press("All units")
    await admin.press("Open the cycle")
    (cycle,) = await cycles(sessions)

    someone = fake_api.user(TG["A1"], "Pegawai", language_code="id")
    reply = await someone.send("/siklus")
    assert "hanya untuk admin" in reply.text
    for data in (f"cy:s:{cycle.id}", f"cy:c:{cycle.id}", f"cy:cc:{cycle.id}", "cy:n", "cy:bogus"):
        reply = await someone.press_data(data)
        assert reply.alerts and "hanya untuk admin" in reply.alerts[0], data
    assert (await cycles(sessions))[0].status == OPEN
    # Their ordinary text is never taken for a step of an admin's flow.
    reply = await someone.send("Q2")
    assert "langkah" not in reply.text
    assert len(await cycles(sessions)) == 1


async def test_forged_cycle_data_changes_nothing(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_roster(sessions)
    admin = fake_api.user(ADMIN_ID, "Admin", language_code="en")
    await admin.send("/siklus")
    await admin.press("Open a new cycle")
    nonce = data_of(admin, "Cancel").split(":")[2]
    forged = [
        "cy:s:999999",  # no such cycle
        "cy:c:999999",
        "cy:cc:999999",
        "cy:u:AAAAAAAA:1",  # not this flow
        f"cy:d:{nonce}:7",  # this flow, but the name step is current
        f"cy:a:{nonce}",
        f"cy:ok:{nonce}",
        "cy:cc:1;DROP",  # no exact pattern
        "cy:" + "9" * 40,
    ]
    for data in forged:
        reply = await admin.press_data(data)
        assert reply.alerts and "no longer valid" in reply.alerts[0], data
    assert await cycles(sessions) == []
    async with sessions() as session:
        assert await session.scalar(select(func.count(ReviewAssignment.id))) == 0
    # The flow itself is untouched by the forgeries.
    reply = await admin.send("Q1")
    assert "step 2 of 4" in reply.text


async def test_closing_needs_this_admins_confirmation_of_this_cycle(
    tmp_path, migrated: str, fake_api: FakeBotApi, sessions: SessionFactory
):
    """The close button carries a nonce for one admin and one cycle: a forged nonce, the
    nonce moved onto another cycle, or another admin's press close nothing."""
    other_admin_id = ADMIN_ID + 1
    settings = make_settings(
        tmp_path,
        migrated,
        telegram_base_url=fake_api.base_url,
        admin_ids=f"{ADMIN_ID},{other_admin_id}",
    )
    application = await start_bot(settings, fake_api)
    try:
        await seed_roster(sessions)
        admin = fake_api.user(ADMIN_ID, "Admin", language_code="id")
        other = fake_api.user(other_admin_id, "Admin 2", language_code="id")
        for name in ("Q1", "Q2"):
            await admin.send("/siklus")
            await admin.press("Buka siklus baru")
            await admin.send(name)
            await admin.press("+7 hari")
            await admin.press("Semua unit")
            await admin.press("Buka siklus")
        q1, q2 = await cycles(sessions)
        await admin.send("/siklus")
        await admin.press("Q1")
        await admin.press("Tutup siklus")
        question = admin.last
        yes = data_of(admin, "Ya, tutup")
        nonce = yes.rsplit(":", 1)[1]
        for who, data in (
            (admin, f"cy:cc:{q1.id}:{'A' * 16}"),  # forged
            (admin, f"cy:cc:{q2.id}:{nonce}"),  # Q1's confirmation moved onto Q2
            (other, yes),  # another admin's press
        ):
            reply = await who.press_data(data, question)
            assert reply.alerts and "Konfirmasi ini sudah tidak berlaku" in reply.alerts[0]
            assert [c.status for c in await cycles(sessions)] == [OPEN, OPEN], data
        await admin.press_data(yes, question)
        assert "telah ditutup" in question.text
        assert [c.status for c in await cycles(sessions)] == [CLOSED, OPEN]
    finally:
        await stop_bot(application)
