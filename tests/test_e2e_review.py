"""A civil servant rates colleagues in a 360° cycle, end to end.

The real Application runs against the fake Bot API over HTTP. The roster,
accounts, cycle and assignments are written directly with the models
(`tests.support.rating_world.seed_review`), so these scenarios depend only on
the rating conversation. The database is checked after each scenario.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import BotApplication
from bot.core.settings import Settings
from handlers import review_screens
from storage.db import SessionFactory
from storage.review_models import ReviewAnswer, ReviewAssignment, ReviewCycle
from tests.support.app import start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser, Reply
from tests.support.rating_world import (
    ANI_TG,
    BUDI_TG,
    HEAD_TG,
    ITEMS,
    Seeded,
    seed_review,
    today_local,
)
from tests.support.records import Sent

NOT_VALID = "tidak valid"


# -- the application under test ------------------------------------------------------
# Typed input reaches the review through the shared router (handlers/typed_input.py),
# exactly as in production: no test-only wiring.


@pytest.fixture
async def app(bot: BotApplication) -> BotApplication:
    return bot


@pytest.fixture
async def seeded(sessions: SessionFactory) -> Seeded:
    return await seed_review(sessions)


# -- acting and reading ----------------------------------------------------------------


def review_message(user: FakeUser) -> Sent:
    return user.last_with_buttons()


async def choose(user: FakeUser, position: int) -> Reply:
    """Press the ``position``-th button (1-based) of the review message."""
    message = review_message(user)
    button = message.buttons()[position - 1]
    return await user.press_data(button["callback_data"], message)


async def answer_items(user: FakeUser, values: tuple[int | None, ...], levels: int = 3) -> None:
    """Answer items in order; None presses "cannot assess" (after the scale's levels)."""
    for value in values:
        await choose(user, levels + 1 if value is None else value)


async def open_from_list(user: FakeUser, label: str) -> Sent:
    await user.send("/nilai")
    await user.press(label)
    return review_message(user)


async def answers(sessions: SessionFactory, token: str) -> dict[str, int | None]:
    async with sessions() as session:
        rows = await session.execute(
            select(ReviewAnswer.item_code, ReviewAnswer.value)
            .join(ReviewAssignment, ReviewAssignment.id == ReviewAnswer.assignment_id)
            .where(ReviewAssignment.token == token)
        )
        return dict(rows.all())


async def assignment(sessions: SessionFactory, token: str) -> ReviewAssignment:
    async with sessions() as session:
        found = await session.scalar(
            select(ReviewAssignment).where(ReviewAssignment.token == token)
        )
        assert found is not None
        return found


SCREEN = ("message_id", "updated_at")


async def snapshot(sessions: SessionFactory, *, with_screen: bool = True) -> list[Any]:
    """Every stored column of every assignment and answer, to prove nothing was written.

    ``with_screen=False`` leaves out which message shows a review (and when it
    was last shown), which a hint legitimately moves.
    """
    async with sessions() as session:
        rows: list[Any] = []
        for model in (ReviewAssignment, ReviewAnswer):
            for row in await session.scalars(select(model).order_by(model.id)):
                values = {c.key: getattr(row, c.key) for c in model.__mapper__.column_attrs}
                if not with_screen:
                    values = {k: v for k, v in values.items() if k not in SCREEN}
                rows.append(values)
        return rows


SOME = (3, 2, None, 1, 3, 2, 3)


# -- who may rate ------------------------------------------------------------------------


async def test_unlinked_user_is_told_how_to_link(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded, caplog
):
    stranger = fake_api.user(7777)
    reply = await stranger.send("/nilai")
    assert "belum tertaut" in reply.text and "BKPSDM" in reply.text
    before = await snapshot(sessions)
    with caplog.at_level(logging.WARNING, logger="handlers.review"):
        reply = await stranger.press_data(f"rv:{seeded.tokens['ani>budi']}:open")
    assert reply.alerts and "tertaut" in reply.alerts[0]
    assert await snapshot(sessions) == before
    assert any("not a linked employee" in r.getMessage() for r in caplog.records)
    # Typed text from someone who is not rating falls through to the usual help.
    reply = await stranger.send("halo")
    assert "/help" in reply.text


async def test_list_shows_colleagues_from_the_raters_point_of_view(
    app: BotApplication, fake_api: FakeBotApi, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    reply = await ani.send("/nilai")
    assert "Penilaian yang menunggu Anda: 4" in reply.text
    assert "Triwulan I 2026" in reply.text
    labels = ani.last.button_texts()
    assert labels == [
        "Penilaian diri",
        "Budi Santoso · Rekan kerja",
        "Citra Dewi · Rekan kerja",
        "Hendra Wijaya · Atasan Anda",
    ]
    head = fake_api.user(HEAD_TG)
    await head.send("/review")
    assert head.last.button_texts() == ["Penilaian diri", "Ani Lestari · Bawahan Anda"]
    # The cycle-opening message's button: the list below it, the notice untouched.
    notice = fake_api._new_message(
        BUDI_TG,
        "Penilaian 360° telah dibuka.",
        {"inline_keyboard": [[{"text": "Mulai menilai", "callback_data": "rv:list"}]]},
    )
    budi = fake_api.user(BUDI_TG)
    await budi.press("Mulai menilai", notice)
    assert notice.text == "Penilaian 360° telah dibuka."
    assert budi.last.message_id != notice.message_id
    assert budi.last.button_texts() == ["Ani Lestari · Rekan kerja"]


async def test_nothing_to_rate(app: BotApplication, fake_api: FakeBotApi, seeded: Seeded):
    citra = fake_api.user(5004)
    reply = await citra.send("/nilai")
    assert "tidak ada penilaian 360°" in reply.text


# -- the walk through the instrument -----------------------------------------------------


async def test_peer_review_from_list_to_submit(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await ani.send("/nilai")
    listed = ani.last
    await ani.press("Budi Santoso")
    screen = review_message(ani)
    assert screen.message_id == listed.message_id  # the list became the review
    assert "Nilai dasar 1/7: Berorientasi Pelayanan" in screen.text
    assert "Memahami dan memenuhi kebutuhan masyarakat" in screen.text
    assert "Bagaimana rekan ini menunjukkan nilai dasar ini" in screen.text
    assert "Yang dinilai: Budi Santoso (Rekan kerja)" in screen.text
    assert screen.button_texts() == [
        "Di bawah ekspektasi",
        "Sesuai ekspektasi",
        "Di atas ekspektasi",
        "Tidak dapat menilai",
        "Batal",
    ]
    await answer_items(ani, SOME[:1])
    assert "Nilai dasar 2/7: Akuntabel" in ani.last.text
    assert "Kembali" in review_message(ani).button_texts()
    await answer_items(ani, SOME[1:])
    # A peer has no hasil kerja question: straight to the comments.
    assert "Komentar 1/2" in ani.last.text
    assert "Apa yang perlu terus dilakukan oleh Budi Santoso?" in ani.last.text
    await ani.press("Lewati")
    assert "Komentar 2/2" in ani.last.text
    await ani.press("Lewati")
    confirm = ani.last
    assert "Periksa kembali jawaban Anda" in confirm.text
    assert "• Berorientasi Pelayanan: Di atas ekspektasi" in confirm.text
    assert "• Kompeten: Tidak dapat menilai" in confirm.text
    assert "Hasil kerja" not in confirm.text
    assert confirm.button_texts()[:2] == ["Kirim", "Ubah jawaban"]
    await ani.press("Kirim")
    assert "Terima kasih! Penilaian Anda untuk Budi Santoso sudah terkirim" in ani.last.text
    assert "Penilaian yang masih menunggu Anda: 3" in ani.last.text
    # Every step was the same message, edited in place.
    assert ani.last.message_id == listed.message_id
    assert len(ani.messages) == 1

    stored = await answers(sessions, token)
    assert stored == dict(zip(ITEMS, SOME, strict=True))
    assert all(v is None or 1 <= v <= 3 for v in stored.values())
    row = await assignment(sessions, token)
    assert row.status == "submitted" and row.submitted_at is not None
    assert row.comment_keep is None and row.comment_improve is None and row.hasil_kerja is None

    await ani.press("Nilai rekan berikutnya")
    assert "✓ Budi Santoso · Rekan kerja" in ani.last.button_texts()


async def test_supervisor_review_ends_with_hasil_kerja_and_masked_comment(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    head = fake_api.user(HEAD_TG)
    token = seeded.tokens["head>ani"]
    await open_from_list(head, "Ani Lestari")
    assert "Ani Lestari (Bawahan Anda)" in head.last.text
    await answer_items(head, (3, 3, 3, 3, 3, 3, 2))  # all the same would ask "yakin?"
    hasil = review_message(head)
    assert "Hasil kerja" in hasil.text and "target yang disepakati" in hasil.text
    assert hasil.button_texts() == [
        "Di bawah ekspektasi",
        "Sesuai ekspektasi",
        "Di atas ekspektasi",
        "Kembali",
        "Batal",
    ]
    await choose(head, 3)
    assert "Komentar 1/2" in head.last.text
    reply = await head.send(
        "Sangat responsif. Kontak: 0812 3456 7890 / ani.lestari@example.go.id, NIK 3201234567890001"
    )
    assert "Komentar disimpan" in reply.text and "disamarkan" in reply.text
    assert "Komentar 2/2" in head.last.text
    await head.press("Lewati")
    confirm = head.last
    assert "• Hasil kerja: Di atas ekspektasi" in confirm.text
    assert "[TELEPON]" in confirm.text and "0812" not in confirm.text
    await head.press("Kirim")
    row = await assignment(sessions, token)
    assert row.hasil_kerja == 3 and row.status == "submitted"
    assert row.comment_keep == ("Sangat responsif. Kontak: [TELEPON] / [EMAIL], NIK [NIK]")
    assert await answers(sessions, token) == dict(zip(ITEMS, (3, 3, 3, 3, 3, 3, 2), strict=True))


async def test_self_assessment_asks_in_the_first_person(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    screen = await open_from_list(ani, "Penilaian diri")
    assert "Yang dinilai: Penilaian diri" in screen.text
    assert "Bagaimana saya menunjukkan nilai dasar ini dalam pekerjaan saya?" in screen.text
    assert "rekan ini" not in screen.text
    await answer_items(ani, (2,) * 7)
    assert "Apa yang perlu terus saya lakukan?" in ani.last.text
    await ani.press("Lewati")
    assert "Apa yang dapat saya tingkatkan?" in ani.last.text
    await ani.press("Lewati")
    await ani.press("Kirim")
    assert "Penilaian diri Anda sudah terkirim" in ani.last.text
    assert len(await answers(sessions, seeded.tokens["ani>ani"])) == 7


async def test_back_cancel_and_continue_later(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>citra"]
    await open_from_list(ani, "Citra Dewi")
    await answer_items(ani, (1, 2))
    await ani.press("Kembali")
    screen = review_message(ani)
    assert "Nilai dasar 2/7" in screen.text
    assert "Sesuai ekspektasi ✓" in screen.button_texts()  # the stored answer is marked
    await choose(ani, 3)
    await answer_items(ani, (None,))
    assert "Nilai dasar 4/7" in ani.last.text
    assert await answers(sessions, token) == {"B1": 1, "B2": 3, "B3": None}

    await ani.press("Batal")
    assert "draf" in ani.last.text and "Lanjutkan" in ani.last.button_texts()
    assert await answers(sessions, token) == {"B1": 1, "B2": 3, "B3": None}
    row = await assignment(sessions, token)
    assert row.status == "in_progress" and row.message_id is None
    # While paused, typed text is not taken as review input.
    reply = await ani.send("halo")
    assert "/help" in reply.text

    await ani.send("/nilai")
    assert "✎ Citra Dewi · Rekan kerja" in ani.last.button_texts()
    await ani.press("✎ Citra Dewi")
    assert "Melanjutkan draf Anda" in ani.last.text
    assert "Nilai dasar 4/7" in ani.last.text
    await answer_items(ani, (2, 2, 2, 2))
    assert "Komentar 1/2" in ani.last.text
    assert len(await answers(sessions, token)) == 7


async def test_comment_can_be_changed_and_deleted(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2,) * 7)
    await ani.send("Selalu membantu rekan baru.")
    await ani.send("Lebih sering berbagi jadwal.")
    assert "Periksa kembali" in ani.last.text
    assert "Yang perlu ditingkatkan: Lebih sering berbagi jadwal." in ani.last.text
    await ani.press("Kembali")
    assert "Komentar Anda saat ini: Lebih sering berbagi jadwal." in ani.last.text
    await ani.press("Hapus komentar ini")
    assert "Yang perlu ditingkatkan: -" in ani.last.text
    row = await assignment(sessions, token)
    assert (row.comment_keep, row.comment_improve) == ("Selalu membantu rekan baru.", None)


async def test_submitted_review_can_be_changed_until_the_deadline(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    budi = fake_api.user(BUDI_TG)
    token = seeded.tokens["budi>ani"]
    await open_from_list(budi, "Ani Lestari")
    await answer_items(budi, (2, 2, 2, 2, 2, 2, 1))
    await budi.press("Lewati")
    await budi.press("Lewati")
    await budi.press("Kirim")
    assert "Semua penilaian Anda sudah selesai" in budi.last.text

    await budi.send("/nilai")
    assert "Semua penilaian Anda sudah dikirim" in budi.last.text
    await budi.press("✓ Ani Lestari")
    assert "Penilaian ini sudah Anda kirim" in budi.last.text
    assert (await assignment(sessions, token)).status == "submitted"  # looking changes nothing
    await budi.press("Ubah jawaban")
    assert "dibuka kembali" in budi.last.text and "Nilai dasar 1/7" in budi.last.text
    assert (await assignment(sessions, token)).status == "in_progress"
    await answer_items(budi, (3, 2, 2, 2, 2, 2, 2))
    await budi.press("Lewati")
    await budi.press("Lewati")
    await budi.press("Kirim")
    row = await assignment(sessions, token)
    assert row.status == "submitted"
    assert (await answers(sessions, token))["B1"] == 3


async def test_change_answers_from_the_confirmation(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (1,) * 7)
    await ani.press("Lewati")
    await ani.press("Lewati")
    await ani.press("Ubah jawaban")
    assert "Nilai dasar 1/7" in ani.last.text
    assert "Di bawah ekspektasi ✓" in review_message(ani).button_texts()
    await choose(ani, 2)
    assert (await answers(sessions, seeded.tokens["ani>budi"]))["B1"] == 2


# -- refusals --------------------------------------------------------------------------------


async def test_refused_after_close_and_after_the_deadline(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2, 2))
    screen = review_message(ani)
    async with sessions.begin() as session:
        await session.execute(update(ReviewCycle).values(deadline=today_local() - timedelta(1)))
    before = await snapshot(sessions)
    reply = await choose(ani, 3)
    assert reply.alerts and "Batas waktu penilaian ini sudah lewat" in reply.alerts[0]
    assert await snapshot(sessions) == before
    assert not fake_api.messages[(ANI_TG, screen.message_id)].buttons()  # dead buttons removed

    async with sessions.begin() as session:
        await session.execute(
            update(ReviewCycle).values(deadline=today_local() + timedelta(3), status="closed")
        )
    before = await snapshot(sessions)
    reply = await ani.press_data(f"rv:{seeded.tokens['ani>budi']}:a:B3:3", screen)
    assert reply.alerts and "sudah ditutup" in reply.alerts[0]
    reply = await ani.press_data(f"rv:{seeded.tokens['ani>citra']}:open", screen)
    assert reply.alerts and "sudah ditutup" in reply.alerts[0]
    assert await snapshot(sessions) == before
    reply = await ani.send("/nilai")
    assert "tidak ada penilaian 360°" in reply.text
    reply = await ani.send("komentar terlambat")
    assert "/help" in reply.text
    assert await snapshot(sessions) == before


async def test_forged_callbacks_are_refused_and_logged(
    app: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    seeded: Seeded,
    caplog,
):
    ani = fake_api.user(ANI_TG)
    budi = fake_api.user(BUDI_TG)
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2,))
    own = seeded.tokens["budi>ani"]
    before = await snapshot(sessions)
    forged = [
        f"rv:{seeded.tokens['ani>budi']}:a:B2:3",  # another rater's review, current step
        f"rv:{seeded.tokens['ani>citra']}:open",  # another rater's assignment
        f"rv:{seeded.tokens['head>ani']}:h:3",  # someone else's supervisor review
        "rv:RandomToken0000:open",  # no such assignment
        "rv:RandomToken0000:a:B1:2",
        f"rv:{own}:a:B1:9",  # off the scale
        f"rv:{own}:a:B1:-1",
        f"rv:{own}:h:3",  # hasil kerja from a peer
        f"rv:{own}:zz",  # malformed
        "rv:",
        "rv:" + "x" * 60,
        f"rv:{own}:a:B1",
    ]
    with caplog.at_level(logging.WARNING, logger="handlers.review"):
        for data in forged:
            reply = await budi.press_data(data)
            assert reply.alerts and NOT_VALID in reply.alerts[0], data
    assert await snapshot(sessions) == before
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == len(forged)
    for record in warnings:
        text = record.getMessage()
        assert "update" in text and "from user" in text
        assert str(BUDI_TG) not in text  # the pseudonym, never the Telegram id
        assert "Sesuai" not in text and ":a:" not in text  # no answers, no data


async def test_stale_buttons_get_a_short_notice(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await open_from_list(ani, "Budi Santoso")
    first = review_message(ani)
    b1_button = first.buttons()[0]["callback_data"]
    await answer_items(ani, (1,))
    before = await snapshot(sessions)
    reply = await ani.press_data(b1_button, first)  # a double tap on item 1
    assert reply.alerts and "sudah dijawab" in reply.alerts[0]
    reply = await ani.press_data(f"rv:{token}:b:B5", first)  # back from a step not reached
    assert reply.alerts and "sudah dijawab" in reply.alerts[0]
    assert await snapshot(sessions) == before
    assert await answers(sessions, token) == {"B1": 1}

    await answer_items(ani, (2,) * 6)
    await ani.press("Lewati")
    await ani.press("Lewati")
    confirm = review_message(ani)
    submit = confirm.buttons()[0]["callback_data"]
    await ani.press("Kirim")
    before = await snapshot(sessions)
    for data in (submit, f"rv:{token}:a:B2:3", f"rv:{token}:x"):
        reply = await ani.press_data(data, confirm)
        assert reply.alerts and "sudah dikirim" in reply.alerts[0]
    assert await snapshot(sessions) == before


async def test_junk_input_gets_a_hint_and_the_question_again(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    old = await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2,))
    before = await snapshot(sessions)
    reply = await ani.send("sesuai")
    assert "Silakan jawab dengan menekan salah satu tombol" in reply.text
    assert "Nilai dasar 2/7" in reply.text
    # The question moved to the new message; the old one lost its buttons.
    assert ani.last.message_id != old.message_id and ani.last.buttons()
    assert not fake_api.messages[(ANI_TG, old.message_id)].buttons()
    for action in (ani.send_sticker(), ani.send_photo(), ani.send_voice()):
        reply = await action
        assert "Nilai dasar 2/7" in reply.text
    # Only which message shows the review (and when it was shown) changed.
    assert await snapshot(sessions, with_screen=False) == [
        {k: v for k, v in row.items() if k not in SCREEN} for row in before
    ]
    assert await answers(sessions, seeded.tokens["ani>budi"]) == {"B1": 2}
    # The buttons of the newest message carry on.
    await answer_items(ani, (2,) * 6)
    reply = await ani.send_sticker()
    assert "Komentar hanya dapat berupa teks" in reply.text
    reply = await ani.send("   ")
    assert "Komentar 1/2" in ani.last.text
    reply = await ani.send("x" * 1001)
    assert "1001 karakter" in reply.text and "1000" in reply.text
    assert (await assignment(sessions, seeded.tokens["ani>budi"])).comment_keep is None
    await ani.press("Lewati")
    await ani.press("Lewati")
    reply = await ani.send("kirim")
    assert "Silakan tekan Kirim" in reply.text
    assert (await assignment(sessions, seeded.tokens["ani>budi"])).status == "in_progress"


async def test_restart_mid_review_loses_nothing(
    settings: Settings, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    application = await start_bot(settings, fake_api)
    try:
        screen = await open_from_list(ani, "Budi Santoso")
        await answer_items(ani, (3, 2, 1))
        assert "Nilai dasar 4/7" in ani.last.text
    finally:
        await stop_bot(application)

    # A new Application over the same database file (nothing kept in memory).
    application = await start_bot(settings, fake_api)
    try:
        await answer_items(ani, (None,))
        assert "Nilai dasar 5/7" in ani.last.text
        assert ani.last.message_id == screen.message_id
        await answer_items(ani, (2, 2, 2))
        await ani.send("Teliti dalam verifikasi berkas.")
        assert "Komentar 2/2" in ani.last.text
    finally:
        await stop_bot(application)

    application = await start_bot(settings, fake_api)
    try:
        await ani.press("Lewati")
        await ani.press("Kirim")
        assert "sudah terkirim" in ani.last.text
    finally:
        await stop_bot(application)
    assert await answers(sessions, token) == dict(zip(ITEMS, (3, 2, 1, None, 2, 2, 2), strict=True))
    row = await assignment(sessions, token)
    assert row.status == "submitted" and row.comment_keep == "Teliti dalam verifikasi berkas."


async def test_five_level_instrument_by_configuration(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    seeded = await seed_review(sessions, instrument="berakhlak5", cycle_name="Rekan 1-5")
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    screen = await open_from_list(ani, "Budi Santoso")
    assert screen.button_texts()[:6] == [
        "Jauh di bawah ekspektasi",
        "Di bawah ekspektasi",
        "Sesuai ekspektasi",
        "Di atas ekspektasi",
        "Jauh di atas ekspektasi",
        "Tidak dapat menilai",
    ]
    reply = await ani.press_data(f"rv:{token}:a:B1:6", screen)
    assert reply.alerts and NOT_VALID in reply.alerts[0]
    await answer_items(ani, (5, 1, None, 4, 3, 2, 5), levels=5)
    await ani.press("Lewati")
    await ani.press("Lewati")
    assert "• Berorientasi Pelayanan: Jauh di atas ekspektasi" in ani.last.text
    await ani.press("Kirim")
    assert await answers(sessions, token) == dict(zip(ITEMS, (5, 1, None, 4, 3, 2, 5), strict=True))


async def test_english_rater_sees_english(
    app: BotApplication, fake_api: FakeBotApi, seeded: Seeded
):
    head = fake_api.user(HEAD_TG, language_code="en")
    await head.send("/nilai")
    assert head.last.button_texts() == ["Self-assessment", "Ani Lestari · Your subordinate"]
    await head.press("Ani Lestari")
    assert "Core value 1/7: Service-oriented" in head.last.text
    assert "How does this colleague show this core value" in head.last.text
    assert "Cannot assess" in review_message(head).button_texts()


async def test_redelivered_comment_is_not_taken_twice(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2,) * 7)
    await ani.send("Ramah kepada pemohon.")
    screen = review_message(ani)
    assert "Komentar 2/2" in screen.text
    # The same message again, as Telegram redelivers it: older than the screen
    # it would answer (message ids in a private chat only grow).
    again = ani._message(text="Ramah kepada pemohon.")
    again["message_id"] = screen.message_id - 1
    before = len(fake_api.calls)
    update_id = fake_api.push_update({"message": again})
    await fake_api.wait_processed(update_id)
    assert not [c for c in fake_api.calls[before:] if c.method == "sendMessage"]
    row = await assignment(sessions, token)
    assert (row.comment_keep, row.comment_improve, row.step) == (
        "Ramah kepada pemohon.",
        None,
        "improve",
    )


async def test_typed_text_goes_to_the_conversation_used_last(
    app: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    from storage.survey_models import SurveyResponse
    from tests.support import citizen

    await citizen.seed_roster(sessions)
    seeded = await seed_review(sessions)
    ani = fake_api.user(ANI_TG)
    await open_from_list(ani, "Budi Santoso")
    await answer_items(ani, (2,) * 7)
    review_screen = review_message(ani)
    assert "Komentar 1/2" in review_screen.text
    # Ani is also a citizen: she scans a counter's QR code and reaches its comment step.
    await ani.send(f"/start {citizen.QR}")
    await ani.press("Mulai")
    await citizen.answer_all(ani)
    reply = await ani.send("Antrean tertib dan cepat.")
    async with sessions() as session:
        survey = await session.scalar(select(SurveyResponse))
    assert survey is not None and survey.comment == "Antrean tertib dan cepat."
    assert "Komentar disimpan" not in reply.text
    assert (await assignment(sessions, seeded.tokens["ani>budi"])).comment_keep is None
    # Back in the review (a press there), typed text is a review comment again.
    await ani.press("Kembali", review_screen)
    shown = fake_api.messages[(ANI_TG, review_screen.message_id)]  # edited in place
    assert "Nilai dasar 7/7" in shown.text
    await ani.press("Sesuai ekspektasi", shown)
    await ani.send("Teliti.")
    assert (await assignment(sessions, seeded.tokens["ani>budi"])).comment_keep == "Teliti."


def test_callback_data_fits_telegram_limit():
    from scheduler.scoring.shipped_instruments import INSTRUMENTS

    token = "T" * 16
    longest = max(
        len(review_screens.data(token, review_screens.ANSWER, item.code, str(value)).encode())
        for instrument in INSTRUMENTS.values()
        for item in instrument.items
        for value in (*instrument.scale.values, review_screens.CANNOT_ASSESS_VALUE)
    )
    assert longest <= 64
    assert len(review_screens.data(token, review_screens.BACK, "x" * 16).encode()) <= 64
