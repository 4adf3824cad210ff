"""A follow-up plan lived through two periods in Telegram: the head plans, the owner reports,
the head verifies, the citizen hears "Anda bilang, kami lakukan", the next period shows the effect.

The world is tests/support/case_world.py: Siti heads Disdukcapil (under the
Sekretariat Daerah, whose head Hendra is the head above), Rina is her staff
(linked). Citizens answered in TW IV 2026; the bot runs with a manual clock
that the test moves through 2027, its jobs run through its own runner and its
outbox sender delivers over the fake Bot API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.periods import cut_period
from scheduler.services import services_of
from storage import periods, rtl
from storage.db import SessionFactory
from storage.models import AuditLog
from storage.outbox_models import OutboxMessage
from storage.period_models import SkmPeriod
from storage.rtl_models import RtlEvidence, RtlLine
from storage.survey_models import SurveyResponse
from tests.support.alert_world import HEAD_TG, WIB, submit
from tests.support.app import make_settings, start_bot, stop_bot
from tests.support.case_world import SEKDA_TG, STAFF_TG, CaseWorld, seed_case_world
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import A_PHOTO
from tests.support.records import Call, Sent

NEVER = "0 0 1 1 *"
JOBS = (
    "low_score_alerts",
    "case_followup",
    "praise_notes",
    "weekly_digest",
    "review_reminders",
    "supervisor_nudges",
    "rollup",
    "housekeeping",
    "rtl_followup",
    "skm_periods",
)
CITIZEN_A = 810001  # rated U3 low twice, agreed to be contacted
CITIZEN_B = 810002  # rated U3 low, did not agree (no chat id kept)
CITIZEN_C = 810003  # rated everything 4, agreed
CITIZEN_D = 810004  # rated U3 low and agreed, but longer ago than RETENTION_DAYS
CONSENTED = {CITIZEN_A, CITIZEN_C, CITIZEN_D}
ACTIVITY = "Umumkan dan pantau standar waktu pelayanan"


def wib(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {f"schedule_{job}": NEVER for job in JOBS}
    return make_settings(
        tmp_path, migrated, telegram_base_url=fake_api.base_url, retention_days=150, **never
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wib(2027, 1, 4))


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    yield application
    await stop_bot(application)


async def define_and_cut(
    sessions: SessionFactory, settings: Settings, name: str, first: date, last: date, now: datetime
) -> None:
    """An admin defined the period for Disdukcapil; the close cut its figures at ``now``."""
    async with sessions.begin() as session:
        await periods.create_period(
            session,
            name=name,
            first=first,
            last=last,
            unit_code="DUKCAPIL",
            population=None,
            actor="test",
            now=now,
        )
    async with sessions.begin() as session:
        period = await periods.period_named(session, name)
        assert await cut_period(session, period, settings, now)


@pytest.fixture
async def cw(sessions: SessionFactory, settings: Settings) -> CaseWorld:
    cw = await seed_case_world(sessions)
    ktp, akta = cw.world.ktp_id, cw.world.akta_id
    low_a = (4, 4, 1, 4, 4, 4, 2, 2, 4)
    comment = "Lama sekali, tiga jam. Hubungi saya 081234567890"
    await submit(sessions, ktp, low_a, comment=comment, contact=CITIZEN_A, at=wib(2026, 11, 23),
                 user_key="a" * 64)  # fmt: skip
    await submit(sessions, akta, (4, 4, 2, 4, 4, 4, 4, 4, 4), contact=CITIZEN_A,
                 at=wib(2026, 11, 30), user_key="a" * 64)  # fmt: skip
    await submit(
        sessions, ktp, (4, 4, 2, 4, 4, 4, 3, 3, 4), at=wib(2026, 11, 24), user_key="b" * 64
    )
    await submit(
        sessions, ktp, (4,) * 9, contact=CITIZEN_C, at=wib(2026, 11, 25), user_key="c" * 64
    )
    await submit(sessions, ktp, (4, 4, 2, 4, 4, 4, 4, 4, 4), contact=CITIZEN_D,
                 at=wib(2026, 10, 2), user_key="d" * 64)  # fmt: skip
    await define_and_cut(
        sessions, settings, "TW IV 2026", date(2026, 10, 1), date(2026, 12, 31), wib(2027, 1, 4, 8)
    )
    return cw


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


async def run_job(bot: BotApplication, name: str) -> str:
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result
    return str(outcome.result)


async def said_rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "rtl_said"))
        return list(rows)


async def plan_the_first_line(fake_api: FakeBotApi) -> None:
    """Siti: /rtl → TW IV 2026 → the proposal → Susun RTL → line U3 set field by field."""
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    await siti.send("/rtl")
    assert siti.last.text == "RTL untuk periode yang mana?"
    await siti.press("TW IV 2026")
    proposal = siti.last.text
    assert "Tiga unsur dengan NRR terendah (n 5):" in proposal
    assert "• U3 Waktu penyelesaian: NRR 2,20" in proposal
    assert "• U7 Perilaku pelaksana: NRR 3,40" in proposal
    assert "Lama sekali, tiga jam. Hubungi saya [TELEPON]" in proposal
    assert "081234567890" not in proposal
    start = siti.last_with_buttons().buttons()[0]["callback_data"]
    await siti.press("Susun RTL")
    await siti.press_data(start, siti.last)  # a double tap finds the plan
    plan = siti.last
    assert plan.text.startswith("Rencana Tindak Lanjut (RTL) Dinas Kependudukan")
    assert plan.button_texts()[:3] == ["1. U3 ✏️", "2. U7 ✏️", "3. U8 ✏️"]

    await siti.press("1. U3 ✏️")
    await siti.press("Kegiatan")
    await siti.press(ACTIVITY)
    assert "Kegiatan: " + ACTIVITY in siti.last.text
    await siti.press("Penanggung jawab")
    assert "Rina Wulandari (DUKCAPIL)" in siti.last.button_texts()
    await siti.press("Rina Wulandari (DUKCAPIL)")
    await siti.press("Target waktu")
    assert siti.last.button_texts() == ["TW I 2027", "TW II 2027", "TW III 2027", "TW IV 2027"]
    await siti.press("TW I 2027")
    await siti.press("Target")
    await siti.press("U3 NRR 2,20 → ≥ 2,40")
    assert "Target: U3 NRR 2,20 → ≥ 2,40" in siti.last.text
    await siti.press("Target")
    await siti.send("U3 NRR 2,20 → ≥ 2,50")  # typed instead
    line = siti.last.text
    assert "Target waktu: TW I 2027" in line and "Target: U3 NRR 2,20 → ≥ 2,50" in line
    assert "Penanggung jawab: Rina Wulandari" in line and "Status: belum mulai" in line

    await siti.press("« Rencana")
    await siti.press("Tanggal FKP")
    await siti.send("2027-01-04")
    assert "Dibahas dalam Forum Konsultasi Publik pada 4 Januari 2027." in siti.last.text


async def test_a_plan_lives_through_two_periods(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    settings: Settings,
):
    await plan_the_first_line(fake_api)
    async with sessions() as session:
        line_id = int(await session.scalar(select(RtlLine.id).where(RtlLine.unsur == "U3")))
        changes = list(await session.scalars(select(AuditLog.action).where(
            AuditLog.action.startswith("rtl."))))  # fmt: skip
        history = [row.detail for row in await rtl.history(session, line_id)]
    assert history[0].startswith(f"line {line_id}: plan ") and len(history) == 6
    assert history[-1] == f"line {line_id}: target=U3 NRR 2,20 → ≥ 2,50"
    assert changes.count("rtl.line.add") == 3 and changes.count("rtl.line.change") == 5
    assert "rtl.forum" in changes

    # Rina sees her line, starts it and sends a photo as evidence.
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    await rina.send("/tugas")
    assert "Baris RTL Anda:" in rina.last.text and ACTIVITY in rina.last.text
    await rina.press("1. U3")
    await rina.press("berjalan")
    assert "Status: berjalan" in rina.last.text
    await rina.press("Kirim bukti")
    await rina.send("ini teks, bukan foto")
    assert rina.last.text == "Silakan kirim foto atau dokumen sebagai bukti."
    await rina.send_photo()
    assert "Bukti tersimpan." in rina.last.text and "Bukti: 1 berkas" in rina.last.text
    async with sessions() as session:
        evidence = (await session.scalars(select(RtlEvidence))).one()
    assert (settings.data_dir / evidence.path).read_bytes() == A_PHOTO[0].content

    # Wednesday 17 March, 14 days before the end of TW I: the first reminder; once.
    clock.set(wib(2027, 3, 17))
    assert (await run_job(bot, "rtl_followup")).startswith("1 reminder(s)")
    await received(fake_api, STAFF_TG, "jatuh tempo dalam 14 hari")
    assert (await run_job(bot, "rtl_followup")).startswith("0 reminder(s)")
    # Monday 29 March: the last reminder.
    clock.set(wib(2027, 3, 29))
    await run_job(bot, "rtl_followup")
    await received(fake_api, STAFF_TG, "jatuh tempo dalam 2 hari")

    # Rina marks it done; Siti is asked, looks at the evidence and sends it back.
    await rina.send("/tugas")
    await rina.press("1. U3")
    await rina.press("selesai")
    assert "Kepala unit Anda diminta memverifikasinya" in rina.last.text
    ask = await received(fake_api, HEAD_TG, "menunggu verifikasi Anda")
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    reply = await siti.press("Verifikasi…", ask)
    photos = [c for c in reply.calls if c.method == "sendPhoto"]
    assert len(photos) == 1
    await siti.press("Kembalikan…")
    await siti.send("Mohon lampirkan foto papan standar waktu.")
    assert "Kembalikan baris ini kepada “Rina Wulandari”" in siti.last.text
    await siti.press("Kembalikan")
    await received(fake_api, STAFF_TG, "dikembalikan oleh kepala unit: Mohon lampirkan foto")

    # Rina adds the photo of the board and marks it done again; Siti accepts.
    clock.set(wib(2027, 3, 30))
    await rina.send("/tugas")
    await rina.press("1. U3")
    assert "Dikembalikan: Mohon lampirkan foto papan standar waktu." in rina.last.text
    await rina.press("selesai")
    asks = [m for m in siti.messages if "menunggu verifikasi Anda" in m.text]
    await fake_api.wait_for_calls(
        lambda calls: sum(sent_to(HEAD_TG, "menunggu verifikasi Anda")([c]) for c in calls) == 2
    )
    ask = [m for m in fake_api.chat_messages(HEAD_TG) if "menunggu verifikasi Anda" in m.text][-1]
    assert len(asks) >= 1
    await siti.press("Verifikasi…", ask)
    confirm = siti.last_with_buttons()
    accept = confirm.buttons()[0]["callback_data"]
    await siti.press("Terima sebagai selesai", confirm)
    assert "Terverifikasi. 1 warga" in siti.last.text
    again = await siti.press_data(accept, confirm)
    assert again.alerts and "sudah tidak berlaku" in again.alerts[0]
    await received(fake_api, STAFF_TG, "telah diverifikasi selesai")

    # Citizen A hears what was done, once; nobody without consent or past retention does.
    said = await received(fake_api, CITIZEN_A, "Anda bilang, kami lakukan")
    assert ACTIVITY in said.text and "Waktu penyelesaian" in said.text
    rows = await said_rows(sessions)
    assert {row.chat_id for row in rows} == {CITIZEN_A}
    async with sessions() as session:
        consenting = set(await session.scalars(
            select(SurveyResponse.contact_chat_id).where(SurveyResponse.contact_ok.is_(True))
        ))  # fmt: skip
    assert {row.chat_id for row in rows} <= consenting and consenting == CONSENTED
    for chat in (CITIZEN_B, CITIZEN_C, CITIZEN_D):
        assert fake_api.chat_messages(chat) == []

    # The next period: citizens answered in February; the close of TW I 2027 on 1 April.
    for scores in (
        (4, 4, 3, 4, 4, 4, 4, 4, 4),
        (4, 4, 3, 4, 4, 4, 4, 4, 4),
        (4, 4, 2, 4, 4, 4, 4, 4, 4),
    ):
        await submit(sessions, cw.world.ktp_id, scores, at=wib(2027, 2, 10), user_key="e" * 64)
    clock.set(wib(2027, 4, 1))
    await define_and_cut(
        sessions, settings, "TW I 2027", date(2027, 1, 1), date(2027, 3, 31), wib(2027, 4, 1)
    )
    await siti.send("/rtl")
    assert siti.last.button_texts() == ["TW I 2027", "TW IV 2026"]
    await siti.press("TW I 2027")
    outcome = siti.last.text
    assert outcome.startswith("Tindak lanjut RTL TW IV 2026:")
    assert f"1. {ACTIVITY} — selesai ✓. U3 naik 0,47; n 5 → 3" in outcome
    assert "2. U7 Perilaku pelaksana — belum mulai. U7 naik 0,60; n 5 → 3" in outcome


async def test_overdue_lines_reach_the_digest_and_then_the_head_above(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
):
    await plan_the_first_line(fake_api)
    # TW I 2027 ends on Wednesday 31 March; the line is still belum mulai on Monday 5 April.
    clock.set(wib(2027, 4, 5, 8, 30))
    await run_job(bot, "weekly_digest")
    digest = await received(fake_api, HEAD_TG, "Baris RTL yang melewati target waktunya:")
    assert f"• U3: {ACTIVITY} (Rina Wulandari), terlambat 5 hari" in digest.text
    # 14 days late (Wednesday 14 April): it goes to Hendra, the head above; once.
    clock.set(wib(2027, 4, 14))
    assert "1 escalation(s)" in await run_job(bot, "rtl_followup")
    up = await received(fake_api, SEKDA_TG, "sudah 14 hari melewati target waktunya")
    assert "Dinas Kependudukan dan Pencatatan Sipil" in up.text
    assert "0 escalation(s)" in await run_job(bot, "rtl_followup")


async def test_presses_that_are_not_yours_change_nothing(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, cw: CaseWorld
):
    await plan_the_first_line(fake_api)
    async with sessions() as session:
        line_id = int(await session.scalar(select(RtlLine.id).where(RtlLine.unsur == "U3")))
        period_id = int(await session.scalar(select(SkmPeriod.id)))
    hendra = fake_api.user(SEKDA_TG, "Hendra", "id")  # heads the unit above
    citizen = fake_api.user(CITIZEN_A, "Warga", "id")
    rina = fake_api.user(STAFF_TG, "Rina", "id")
    for person, data in (
        (citizen, f"rl:l:{line_id}"),
        (rina, f"rl:e:{line_id}:act"),
        (citizen, f"rl:st:{line_id}:selesai"),
        (rina, f"rl:v:{line_id}"),
        (rina, f"rl:s:{cw.world.unit_id}:{period_id}"),
        (rina, "rl:ok:AAAAAAAAAAAAAAAA"),
        (citizen, "rl:zz"),
    ):
        reply = await person.press_data(data)
        assert reply.alerts, data
    # The head above heads the unit's parent: he may open the plan's lines.
    await hendra.send("/rtl")
    reply = await hendra.press_data(f"rl:l:{line_id}", hendra.last)
    assert not reply.alerts and ACTIVITY in hendra.last.text
    async with sessions() as session:
        line = await session.get(RtlLine, line_id)
    assert line is not None and line.status == "belum_mulai" and line.activity == ACTIVITY
    # A citizen's /rtl and /tugas say who they are for.
    await citizen.send("/rtl")
    assert "/rtl untuk kepala unit" in citizen.last.text
    await citizen.send("/tugas")
    assert "/tugas untuk pegawai" in citizen.last.text
