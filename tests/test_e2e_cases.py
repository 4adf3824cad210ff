"""Cases, escalation, mutes and praise, end to end: the real bot over HTTP, the clock moved.

The bot's clock starts on Monday 23 November 2026 at 12:00 in Jakarta and is
moved by the tests; the schedules are pushed out of the way, and the jobs run
through the bot's own runner at the moved time, their messages delivered by
the bot's outbox sender. The world is tests/support/case_world.py: Siti heads
Disdukcapil (under the Sekretariat Daerah of Hendra), Budi and Rina work there,
Disdukcapil has a unit admin and Dinas Kesehatan another.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.services import services_of
from storage.case_models import SurveyCase
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage
from tests.support.alert_world import HEAD_TG, NOON, OTHER_ADMIN_TG, UNIT_ADMIN_TG, WIB
from tests.support.app import make_settings, start_bot, stop_bot
from tests.support.case_world import (
    OFFICER_TG,
    SEKDA_TG,
    STAFF_TG,
    CaseWorld,
    seed_case_world,
)
from tests.support.citizen import ALL_FOURS, QR, QR_OFFICER, complete
from tests.support.fakebot import FakeBotApi
from tests.support.records import Call, Sent

NEVER = "0 0 1 1 *"
LOW = (1, 2, 2, 2, 2, 2, 1, 2, 2)
ALERT = "Ulasan warga perlu ditindaklanjuti"


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {
        f"schedule_{job}": NEVER
        for job in (
            "low_score_alerts",
            "case_followup",
            "praise_notes",
            "weekly_digest",
            "review_reminders",
            "supervisor_nudges",
            "rollup",
            "housekeeping",
        )
    }
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url, **never)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


@pytest.fixture
async def cw(sessions: SessionFactory) -> CaseWorld:
    return await seed_case_world(sessions)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def sent_to(chat_id: int, containing: str) -> Callable[[list[Call]], bool]:
    def predicate(calls: list[Call]) -> bool:
        return any(
            c.method == "sendMessage" and c.chat_id == chat_id and containing in c.text
            for c in calls
        )

    return predicate


async def received(api: FakeBotApi, chat_id: int, containing: str) -> Sent:
    await api.wait_for_calls(sent_to(chat_id, containing))
    return [m for m in api.chat_messages(chat_id) if containing in m.text][-1]


async def run_job(bot: BotApplication, name: str) -> None:
    """Run one job now, at the bot's clock, through the bot's runner (it wakes the sender)."""
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result


async def settle(bot: BotApplication) -> None:
    """Let the alert run after a submission finish (it runs in the background)."""
    await services_of(bot).drain()


async def queued_for(sessions: SessionFactory, chat_id: int) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id))
        )


async def case_token(sessions: SessionFactory) -> str:
    from storage.survey_models import SurveyAlert

    async with sessions() as session:
        return str(
            await session.scalar(
                select(SurveyAlert.token).join(SurveyCase, SurveyCase.alert_id == SurveyAlert.id)
            )
        )


# -- the life of a case -----------------------------------------------------------------------


async def test_a_case_is_handed_over_handled_and_resolved(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld
):
    citizen = fake_api.user(5551001, "Rina Kartika", "id")
    await complete(citizen, QR_OFFICER, scores=LOW, comment="Petugas lambat")

    # Siti, the head, gets the alert with its case; the unit's admin too.
    alert = await received(fake_api, HEAD_TG, ALERT)
    assert "📋 Kasus dibuka. Penanggung jawab: Siti Rahmawati." in alert.text
    assert alert.button_texts() == ["Buka kasus"]
    await received(fake_api, UNIT_ADMIN_TG, ALERT)
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    opened = await siti.press("Buka kasus", alert)
    view = siti.last
    assert view.text.startswith("📋 Kasus #")
    assert "Status: baru" in view.text and "Penanggung jawab: Siti Rahmawati" in view.text
    assert "Komentar: Petugas lambat" in view.text
    assert view.button_texts() == [
        "Tandai sedang ditangani",
        "Selesaikan",
        "Serahkan",
        "« Semua kasus",
    ]
    assert opened.alerts == []
    assert ALERT in fake_api.chat_messages(HEAD_TG)[0].text  # the alert itself stays

    # She hands it to Rina, a linked member of her unit (herself and other units not offered).
    staff = await siti.press("Serahkan", view)
    choices = siti.last.button_texts()
    assert choices == ["Budi Santoso", "Rina Wulandari · Pengadministrasi", "« Kembali ke kasus"]
    handed = await siti.press("Rina Wulandari", siti.last)
    assert handed.alerts == [
        "Diserahkan kepada Rina Wulandari; yang bersangkutan sudah diberi tahu."
    ]
    assert "Penanggung jawab: Rina Wulandari" in siti.last.text
    assert staff.alerts == []
    before_rina = siti.last  # Siti's view, as of the hand-over

    # Rina is told, opens it and marks it being handled.
    notice = await received(fake_api, STAFF_TG, "Sebuah kasus diserahkan kepada Anda")
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    await rina.press("Buka kasus", notice)
    marked = await rina.press("Tandai sedang ditangani", rina.last)
    assert marked.alerts == ["Ditandai sedang ditangani."]
    assert "Status: ditangani" in rina.last.text
    assert "Tanggapan pertama: 23 Nov 2026, 12.00" in rina.last.text

    # Siti presses Resolve on her older view: stale, she sees the case as it is now.
    stale = await siti.press("Selesaikan", before_rina)
    assert stale.alerts == ["Kasus ini sudah berubah; berikut keadaannya sekarang."]
    assert "Status: ditangani" in siti.last.text

    # Rina resolves it with one line.
    await rina.press("Selesaikan", rina.last)
    assert "Ketik bagaimana kasus tentang Perekaman KTP-el diselesaikan" in rina.last.text
    done = await rina.send("Petugas ditegur;\nantrean kini dengan nomor. WA 081234567890")
    assert "Kasus selesai. Terima kasih." in done.text
    final = rina.last.text
    assert "Status: selesai" in final
    assert "Penyelesaian: Petugas ditegur; antrean kini dengan nomor. WA [TELEPON]" in final
    assert "diserahkan kepada Rina Wulandari (Siti Rahmawati)" in final
    assert rina.last.button_texts() == ["« Semua kasus"]

    # The lists: nothing open; the resolved list has it.
    listing = await siti.send("/kasus")
    assert "📋 Kasus terbuka (0)" in listing.text and "Tidak ada kasus terbuka." in listing.text
    await siti.press("Kasus selesai")
    assert "📋 Kasus selesai (1)" in siti.last.text
    assert "1. Perekaman KTP-el · Dinas Kependudukan" in siti.last.text


async def test_outsiders_and_forged_presses_get_nothing(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld, caplog
):
    citizen = fake_api.user(5551002, "Rudi", "id")
    await complete(citizen, QR, scores=LOW)
    await received(fake_api, HEAD_TG, ALERT)
    token = await case_token(sessions)

    # Dinas Kesehatan's admin: no alert, an empty /kasus, and a forged press refused.
    await settle(bot)
    assert await queued_for(sessions, OTHER_ADMIN_TG) == []
    outsider = fake_api.user(OTHER_ADMIN_TG, "Andi", "id")
    assert "Tidak ada kasus terbuka." in (await outsider.send("/kasus")).text
    refused = await outsider.press_data(f"ks:{token}:1:open")
    assert refused.alerts == ["Kasus ini bukan untuk Anda."]
    refused = await outsider.press_data(f"ks:{token}:1:done")
    assert refused.alerts == ["Kasus ini bukan untuk Anda."]
    # A citizen is refused /kasus politely.
    stranger = await citizen.send("/kasus")
    assert "/kasus untuk kepala unit, admin unit" in stranger.text

    siti = fake_api.user(HEAD_TG, "Siti", "id")
    assert (await siti.press_data(f"ks:{token}:x:open")).alerts == ["Tombol ini tidak valid."]
    assert (await siti.press_data("ks:AAAAAAAAAAAA:1:open")).alerts == [
        "Kasus ini sudah tidak tersedia."
    ]
    assert (await siti.press_data("kl:o:abc")).alerts == ["Tombol ini tidak valid."]
    # Handing it to someone outside the unit (Hendra heads the secretariat above).
    hand = await siti.press_data(f"ks:{token}:1:to:{cw.sekda_id}")
    assert hand.alerts == ["Pegawai ini tidak dapat menerima kasus ini."]
    async with sessions() as session:
        case = await session.scalar(select(SurveyCase))
    assert (case.status, case.version, case.owner_employee_id) == ("baru", 1, cw.world.head_id)
    assert "refused a press (not theirs)" in caplog.text


# -- escalation as the clock moves -------------------------------------------------------------


async def test_unanswered_cases_are_reminded_then_passed_up(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld, clock: ManualClock
):
    # Two cases on Monday: one whose citizen may be contacted, one not.
    answered_citizen = fake_api.user(5551003, "Wati", "id")
    await complete(answered_citizen, QR, scores=LOW, consent=True)
    silent_citizen = fake_api.user(5551004, "Joko", "id")
    await complete(silent_citizen, QR_OFFICER, scores=(4, 4, 4, 4, 4, 4, 1, 4, 4))
    await fake_api.wait_for_calls(
        lambda calls: sum(sent_to(HEAD_TG, ALERT)([c]) for c in calls) == 2
    )
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    with_reply = next(m for m in siti.messages if "Balas" in m.button_texts())

    # Siti answers the first citizen through Balas: that is the case's first response.
    await siti.press("Balas", with_reply)
    await siti.send("Mohon maaf, kami segera memperbaiki.")
    await siti.press("Kirim")
    await received(fake_api, 5551003, "Mohon maaf, kami segera memperbaiki.")

    # Thursday 09:00: the other case is past its target; Siti is reminded of it only.
    clock.set(wib(26, 9))
    await run_job(bot, "case_followup")
    reminder = await received(fake_api, HEAD_TG, "sudah melewati target tanggapan pertama")
    assert "Jawaban terburuk (1) pada: Perilaku pelaksana" in reminder.text
    assert len([m for m in siti.messages if "melewati target" in m.text]) == 1

    # Saturday 09:00: still nothing, twice the target: it goes to Hendra, the head above.
    clock.set(wib(28, 9))
    await run_job(bot, "case_followup")
    up = await received(fake_api, SEKDA_TG, "unit di bawah Anda")
    await received(fake_api, HEAD_TG, "sudah diteruskan ke atasan")
    hendra = fake_api.user(SEKDA_TG, "Hendra", "id")
    await hendra.press("Buka kasus", up)
    assert "Diteruskan ke atasan: 28 Nov 2026, 09.00" in hendra.last.text
    await hendra.press("Selesaikan", hendra.last)
    await hendra.send("Kepala dinas sudah dipanggil.")
    assert "Status: selesai" in hendra.last.text

    # Running the job again sends nothing more.
    before = len(fake_api.calls)
    await run_job(bot, "case_followup")
    await settle(bot)
    assert not any(c.method == "sendMessage" for c in fake_api.calls[before:])
    async with sessions() as session:
        statuses = sorted(s for s in await session.scalars(select(SurveyCase.status)))
    assert statuses == ["ditangani", "selesai"]


# -- /pengaturan ----------------------------------------------------------------------------


async def test_mutes_reach_everyone_but_owned_cases(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld
):
    admin = fake_api.user(UNIT_ADMIN_TG, "Admin Dukcapil", "id")
    screen = await admin.send("/pengaturan")
    assert "⚙️ Peringatan dan catatan yang Anda terima" in screen.text
    assert admin.last.button_texts() == [
        "Matikan: Kasus baru di unit yang Anda kelola",
        "Matikan: Saran dan keluhan pada survei yang baik (tanpa kasus)",
        "Matikan: Kasus yang diteruskan kepada Anda (tanpa tanggapan selama dua kali target)",
    ]
    off = await admin.press("Matikan: Kasus baru")
    assert off.alerts == ["Dimatikan."]
    assert "🔕 Kasus baru di unit yang Anda kelola: mati" in admin.last.text
    again = await admin.press_data("pg:cases:1")  # the same press again: still off
    assert again.alerts == ["Dimatikan."]
    assert "🔕 Kasus baru di unit yang Anda kelola: mati" in admin.last.text
    assert (await admin.press_data("pg:praise:1")).alerts == ["Tombol ini tidak valid."]
    assert (await admin.press_data("pg:cases:2")).alerts == ["Tombol ini tidak valid."]

    siti = fake_api.user(HEAD_TG, "Siti", "id")
    await siti.send("/pengaturan")
    assert "selalu dikirim kepada Anda dan tidak dapat dimatikan" in siti.last.text
    assert "Matikan: Catatan pujian harian (untuk Anda atau tim Anda)" in siti.last.button_texts()
    await siti.press("Matikan: Kasus baru")

    citizen = fake_api.user(5551005, "Ani", "id")
    assert "tidak ada yang perlu diatur" in (await citizen.send("/pengaturan")).text
    await complete(citizen, QR, scores=LOW)
    await received(fake_api, HEAD_TG, ALERT)  # Siti owns the case: it reaches her anyway
    await settle(bot)
    assert await queued_for(sessions, UNIT_ADMIN_TG) == []


# -- praise -----------------------------------------------------------------------------------


async def test_praise_is_collected_and_sent_once_a_day(
    bot, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld, clock: ManualClock
):
    for n, comment in enumerate(("Pak Budi sangat sabar", "Pelayanan cepat dan ramah")):
        citizen = fake_api.user(5552000 + n, f"Warga {n}", "id")
        await complete(citizen, QR_OFFICER, scores=ALL_FOURS, comment=comment)
        clock.advance(minutes=7)
    await settle(bot)
    # Not a comment note to the unit: praise waits for the daily note.
    assert await queued_for(sessions, HEAD_TG) == []
    assert await queued_for(sessions, OFFICER_TG) == []

    # Tuesday 10:00: one note to Budi, one to Siti, his supervisor.
    clock.set(wib(24, 10))
    await run_job(bot, "praise_notes")
    note = await received(fake_api, OFFICER_TG, "Warga memuji pelayanan Anda")
    assert "“Pak Budi sangat sabar” (Perekaman KTP-el)" in note.text
    assert "“Pelayanan cepat dan ramah” (Perekaman KTP-el)" in note.text
    assert "Pujian bulan ini sejauh ini: 2." in note.text
    team = await received(fake_api, HEAD_TG, "Warga memuji tim Anda")
    assert "Budi Santoso (2):" in team.text
    for text in (note.text, team.text):
        assert not re.search(r"\d{1,2}[.:]\d{2}|Nov|Senin", text), text
        assert "Warga 0" not in text and "5552000" not in text

    await run_job(bot, "praise_notes")  # the same day again: nothing new
    await settle(bot)
    assert len(await queued_for(sessions, OFFICER_TG)) == 1
