"""A low-score alert and its "Balas" relay, end to end.

The real Application runs against the fake Bot API over HTTP; the outbox sender
inside the bot process delivers the alert and the relayed messages. The
citizen's submission triggers the job at once (no waiting for the schedule,
which is pushed out of the way here so only the immediate run acts), and the
job's clock is fixed at the last noon in Jakarta so quiet hours never hold the
alert, whenever the suite runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from storage.db import SessionFactory
from storage.models import Employee, TelegramAccount
from storage.survey_models import SurveyAlert, SurveyRelay
from tests.support.alert_world import (
    HEAD_NAME,
    HEAD_TG,
    OTHER_ADMIN_TG,
    UNIT_ADMIN_TG,
    World,
    add_unit_admin,
    seed_world,
)
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.citizen import OFFICER_NIP, QR, QR_OFFICER, complete
from tests.support.fakebot import FakeBotApi
from tests.support.records import Call, Sent

WIB = ZoneInfo("Asia/Jakarta")
CITIZEN_TG = 5550001
OTHER_CITIZEN_TG = 5550002
OFFICER_TG = 5550003
NEVER = "0 0 1 1 *"  # the schedules stay out of the way: the immediate run is under test
LOW = (1, 2, 2, 2, 2, 2, 1, 2, 2)


def last_noon_in_jakarta() -> datetime:
    """The latest 12:00 WIB not after now: inside the alert window, never in the future."""
    now = datetime.now(WIB)
    noon = datetime.combine(now.date(), time(12, 0), tzinfo=WIB)
    if noon > now:
        noon -= timedelta(days=1)
    return noon.astimezone(UTC)


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    return make_settings(
        tmp_path,
        migrated,
        telegram_base_url=fake_api.base_url,
        schedule_low_score_alerts=NEVER,
        schedule_weekly_digest=NEVER,
    )


@pytest.fixture
async def bot(settings: Settings, fake_api: FakeBotApi) -> AsyncIterator[BotApplication]:
    """The bot with its clock at the last noon in Jakarta, inside the alert window."""
    application = await start_bot(settings, fake_api, ManualClock(last_noon_in_jakarta()))
    yield application
    await stop_bot(application)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    world = await seed_world(sessions)
    async with sessions.begin() as session:
        officer = await session.scalar(select(Employee).where(Employee.nip == OFFICER_NIP))
        session.add(TelegramAccount(telegram_user_id=OFFICER_TG, employee_id=officer.id))
    return world


def sent_to(chat_id: int, containing: str) -> Callable[[list[Call]], bool]:
    def predicate(calls: list[Call]) -> bool:
        return any(
            c.method in ("sendMessage", "sendPhoto")
            and c.chat_id == chat_id
            and containing in c.text
            for c in calls
        )

    return predicate


def message_with(api: FakeBotApi, chat_id: int, containing: str) -> Sent:
    found = [m for m in api.chat_messages(chat_id) if containing in m.text]
    assert found, f"no message to {chat_id} containing {containing!r}"
    return found[-1]


async def relays(sessions: SessionFactory) -> list[SurveyRelay]:
    async with sessions() as session:
        return list(await session.scalars(select(SurveyRelay).order_by(SurveyRelay.id)))


async def alert_tokens(sessions: SessionFactory) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(SurveyAlert.token).order_by(SurveyAlert.id)))


async def test_head_replies_and_the_citizen_answers_without_seeing_each_other(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World
):
    citizen = fake_api.user(CITIZEN_TG, "Rina Kartika", "id")
    await complete(
        citizen,
        QR_OFFICER,
        scores=LOW,
        comment="Petugas lambat dan ketus. WA saya 081234567890",
        consent=True,
    )

    # Within the test: the unit head gets the alert, with a Balas button.
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Ulasan warga perlu ditindaklanjuti"))
    alert = message_with(fake_api, HEAD_TG, "Ulasan warga perlu ditindaklanjuti")
    assert alert.button_texts() == ["Balas", "Buka kasus"]
    assert "Perekaman KTP-el" in alert.text
    assert "Petugas pada kode QR: Budi Santoso" in alert.text
    assert "WA saya [TELEPON]" in alert.text
    for secret in ("Rina", "Kartika", str(CITIZEN_TG), "081234567890"):
        assert secret not in alert.text
        assert secret not in str(alert.reply_markup)

    # The head presses Balas and types the reply.
    head = fake_api.user(HEAD_TG, "Siti", "id")
    pressed = await head.press("Balas", alert)
    assert "Ketik balasan Anda untuk warga" in pressed.text
    typed = await head.send(
        "Mohon maaf atas pelayanan kami. Petugas sudah kami tegur. "
        "Untuk pengaduan lanjut hubungi 0812-9999-8888."
    )
    # Nothing goes before the head sees it as the citizen will (masked) and presses Kirim.
    assert "Kirim balasan ini kepada warga?" in typed.text
    assert "hubungi [TELEPON]." in typed.text
    preview = head.last
    assert preview.button_texts() == ["Kirim", "Batal"]
    assert await relays(sessions) == []
    await head.press("Kirim", preview)
    assert "Terkirim. Warga menerimanya sebagai balasan dari" in preview.text
    # Pressed again (a double tap, a redelivered update): nothing is sent twice.
    send = typed.calls[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    again = await head.press_data(send, preview)
    assert again.alerts == ["Pesan ini sudah dikirim."]

    # The citizen receives it from the unit, with the head's contact details masked.
    await fake_api.wait_for_calls(sent_to(CITIZEN_TG, "Balasan dari"))
    relayed = message_with(fake_api, CITIZEN_TG, "Balasan dari")
    assert relayed.text.startswith(
        "Balasan dari Dinas Kependudukan dan Pencatatan Sipil atas ulasan Anda tentang "
        "Perekaman KTP-el"
    )
    assert "Petugas sudah kami tegur." in relayed.text
    assert "hubungi [TELEPON]." in relayed.text
    for secret in ("Siti", HEAD_NAME, str(HEAD_TG), "197501012000032001"):
        assert secret not in relayed.text
        assert secret not in str(relayed.reply_markup)

    # The citizen answers once through their own Balas button.
    opened = await citizen.press("Balas", relayed)
    assert "Ketik jawaban Anda untuk" in opened.text
    typed = await citizen.send("Terima kasih, semoga lebih baik.")
    assert "Kirim jawaban ini kepada Dinas Kependudukan" in typed.text
    preview = citizen.last
    await citizen.press("Kirim", preview)
    assert "Jawaban Anda sudah diteruskan" in preview.text
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Warga menjawab balasan Anda"))
    answer = message_with(fake_api, HEAD_TG, "Warga menjawab balasan Anda")
    assert "Terima kasih, semoga lebih baik." in answer.text
    assert answer.button_texts() == ["Balas"]
    for secret in ("Rina", "Kartika", str(CITIZEN_TG)):
        assert secret not in answer.text
    again = await citizen.press("Balas", relayed)
    assert again.alerts == ["Anda sudah menjawab. Terima kasih!"]

    # The exchange is kept with the response.
    (to_citizen, from_citizen) = await relays(sessions)
    assert to_citizen.direction == "to_citizen" and to_citizen.employee_id == world.head_id
    assert "0812" not in to_citizen.text and "[TELEPON]" in to_citizen.text
    assert from_citizen.direction == "from_citizen" and from_citizen.employee_id is None
    assert to_citizen.response_id == from_citizen.response_id


async def test_forged_and_foreign_presses_are_refused(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World, caplog
):
    citizen = fake_api.user(CITIZEN_TG, "Rina", "id")
    await complete(citizen, QR, scores=LOW, consent=True)
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Ulasan warga perlu ditindaklanjuti"))
    (token,) = await alert_tokens(sessions)

    officer = fake_api.user(OFFICER_TG, "Budi", "id")  # linked, but not a recipient
    refused = await officer.press_data(f"al:{token}:reply")
    assert refused.alerts == ["Tombol ini bukan untuk Anda."]
    own = await citizen.press_data(f"al:{token}:reply")  # the citizen is no recipient either
    assert own.alerts == ["Tombol ini bukan untuk Anda."]
    unknown = await officer.press_data("al:AAAAAAAAAAAA:reply")
    assert unknown.alerts == ["Peringatan ini sudah tidak tersedia."]
    malformed = await officer.press_data(f"al:{token}:reply:{CITIZEN_TG}")
    assert malformed.alerts == ["Tombol ini tidak valid."]
    not_theirs = await officer.press_data(f"al:{token}:answer")  # not the citizen
    assert not_theirs.alerts == ["Tombol ini tidak valid."]
    assert "refused Reply (not_recipient)" in caplog.text

    # None of them is now "typing a reply": their text reaches nobody.
    typed = await officer.send("Halo warga")
    assert "Terkirim" not in typed.text
    assert await relays(sessions) == []
    assert not any(c.chat_id == CITIZEN_TG and "Halo warga" in c.text for c in fake_api.calls)


async def test_no_consent_means_no_button_and_a_forged_one_is_refused(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World
):
    citizen = fake_api.user(CITIZEN_TG, "Rina", "id")
    await complete(citizen, QR, scores=LOW, comment="Tidak ramah")
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Ulasan warga perlu ditindaklanjuti"))
    alert = message_with(fake_api, HEAD_TG, "Ulasan warga perlu ditindaklanjuti")
    assert alert.button_texts() == ["Buka kasus"]
    assert "Warga tidak meminta untuk dihubungi." in alert.text
    (token,) = await alert_tokens(sessions)
    head = fake_api.user(HEAD_TG, "Siti", "id")
    forged = await head.press_data(f"al:{token}:reply", alert)
    assert forged.alerts == ["Warga tidak bersedia dihubungi, jadi tidak ada yang dapat dibalas."]
    assert await relays(sessions) == []


async def test_cancel_leaves_the_typing_step(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World
):
    citizen = fake_api.user(OTHER_CITIZEN_TG, "Rudi", "en")
    await complete(citizen, QR, scores=LOW, consent=True)
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Ulasan warga perlu ditindaklanjuti"))
    alert = message_with(fake_api, HEAD_TG, "Ulasan warga perlu ditindaklanjuti")
    head = fake_api.user(HEAD_TG, "Siti", "id")
    await head.press("Balas", alert)
    cancelled = await head.press("Batal")
    assert "Dibatalkan. Tidak ada yang dikirim." in cancelled.text
    after = await head.send("Ini bukan balasan")
    assert "Terkirim" not in after.text
    assert await relays(sessions) == []

    # Pressed again, the reply reaches the citizen in the citizen's language (English).
    await head.press("Balas", alert)
    await head.send("Kami mohon maaf.")
    await head.press("Kirim")
    await fake_api.wait_for_calls(sent_to(OTHER_CITIZEN_TG, "A reply from"))
    relayed = message_with(fake_api, OTHER_CITIZEN_TG, "A reply from")
    assert "Kami mohon maaf." in relayed.text
    assert relayed.button_texts() == ["Reply"]


async def test_the_units_admin_hears_and_may_reply_the_others_get_nothing(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World
):
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)
    await add_unit_admin(sessions, OTHER_ADMIN_TG, world.other_unit_id)
    citizen = fake_api.user(CITIZEN_TG, "Rina", "id")
    await complete(citizen, QR, scores=LOW, consent=True)

    # The head and Disdukcapil's admin hear of it.
    await fake_api.wait_for_calls(sent_to(UNIT_ADMIN_TG, "Ulasan warga perlu ditindaklanjuti"))
    await fake_api.wait_for_calls(sent_to(HEAD_TG, "Ulasan warga perlu ditindaklanjuti"))
    alert = message_with(fake_api, UNIT_ADMIN_TG, "Ulasan warga perlu ditindaklanjuti")

    # Dinas Kesehatan's admin and the city-wide admin get nothing, and a forged press fails.
    assert fake_api.chat_messages(OTHER_ADMIN_TG) == []
    assert fake_api.chat_messages(ADMIN_ID) == []
    (token,) = await alert_tokens(sessions)
    outsider = fake_api.user(OTHER_ADMIN_TG, "Andi", "id")
    refused = await outsider.press_data(f"al:{token}:reply")
    assert refused.alerts == ["Tombol ini bukan untuk Anda."]

    # The unit admin (no employee of the roster) answers the citizen through Balas.
    admin = fake_api.user(UNIT_ADMIN_TG, "Admin Dukcapil", "id")
    await admin.press("Balas", alert)
    await admin.send("Kami akan menghubungi Anda lewat bot ini.")
    await admin.press("Kirim")
    assert "Terkirim." in admin.last.text
    await fake_api.wait_for_calls(sent_to(CITIZEN_TG, "Kami akan menghubungi Anda"))
    (relay,) = await relays(sessions)
    assert relay.direction == "to_citizen" and relay.employee_id is None


async def test_send_binds_to_the_person_the_alert_and_the_text_shown(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, world: World
):
    """Kirim carries a nonce for this head, this alert and exactly the previewed text:
    a forged nonce, another recipient's press, a Kirim moved onto another alert, the
    Kirim of a preview replaced by a retyped text, or one after Batal send nothing."""
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.unit_id)
    citizen = fake_api.user(CITIZEN_TG, "Rina", "id")
    await complete(citizen, QR, scores=LOW, consent=True)
    other_citizen = fake_api.user(OTHER_CITIZEN_TG, "Rudi", "id")
    await complete(other_citizen, QR_OFFICER, scores=LOW, consent=True)
    await fake_api.wait_for_calls(
        lambda calls: sum(sent_to(HEAD_TG, "perlu ditindaklanjuti")([c]) for c in calls) == 2
    )
    first_token, second_token = await alert_tokens(sessions)
    alert = next(
        m
        for m in fake_api.chat_messages(HEAD_TG)
        if f"al:{first_token}:reply" in str(m.reply_markup)
    )
    head = fake_api.user(HEAD_TG, "Siti", "id")
    await head.press("Balas", alert)
    await head.send("Versi pertama.")
    first = head.last
    first_send = first.buttons()[0]["callback_data"]
    await head.send("Versi kedua, yang benar.")
    second = head.last
    assert first.buttons() == []  # the older preview lost its buttons
    second_send = second.buttons()[0]["callback_data"]
    nonce = second_send.rsplit(":", 1)[1]
    admin = fake_api.user(UNIT_ADMIN_TG, "Admin", "id")
    for who, data in (
        (head, first_send),  # replaced by the retyped text
        (head, f"al:{first_token}:send:{'A' * 16}"),  # forged
        (head, f"al:{second_token}:send:{nonce}"),  # moved onto the other alert
        (admin, second_send),  # another recipient of the same alert
    ):
        reply = await who.press_data(data, second)
        assert reply.alerts and "Konfirmasi ini sudah tidak berlaku" in reply.alerts[0], data
    assert await relays(sessions) == []

    await head.press("Kirim", second)
    (relay,) = await relays(sessions)
    assert relay.text == "Versi kedua, yang benar."
    await fake_api.wait_for_calls(sent_to(CITIZEN_TG, "Versi kedua"))
    assert not any("Versi pertama" in c.text for c in fake_api.calls_to(CITIZEN_TG))

    # Batal on a preview makes its Kirim void.
    other_alert = next(
        m
        for m in fake_api.chat_messages(HEAD_TG)
        if f"al:{second_token}:reply" in str(m.reply_markup)
    )
    await head.press("Balas", other_alert)
    await head.send("Tidak jadi.")
    preview = head.last
    send = preview.buttons()[0]["callback_data"]
    await head.press("Batal", preview)
    reply = await head.press_data(send, preview)
    assert reply.alerts and "Konfirmasi ini sudah tidak berlaku" in reply.alerts[0]
    assert len(await relays(sessions)) == 1
