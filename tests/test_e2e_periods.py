"""An SKM period closes in Telegram: each unit head hears on the first working day after
it, approves by a binding button, is reminded after 10 working days, and the head above
hears after 15.

The world is tests/support/case_world.py under one period for the Sekretariat Daerah:

    SETDA        head Hendra (SEKDA_TG); no unit admin: the city-wide admin stands in
      DUKCAPIL   head Siti (HEAD_TG); admin UNIT_ADMIN_TG
        DUKCAPIL-PL  no head: Disdukcapil's admin is asked

TW IV 2026 ends on Thursday 31 December; 1 January 2027 is loaded as a holiday,
so the first working day after it is Monday 4 January, the 10th working day is
Friday 15 January and the 15th Friday 22 January. The bot runs with a manual
clock that the test moves; its jobs run through its own runner and its outbox
sender delivers over the fake Bot API.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from handlers import periods as periode
from scheduler import rtl as plans
from scheduler.periods import approve, cut_period
from scheduler.services import services_of
from storage import periods, rtl, survey
from storage.db import SessionFactory
from storage.holiday_models import Holiday
from storage.models import Unit
from storage.outbox_models import OutboxMessage
from storage.period_models import SkmPeriodVersion
from storage.rtl_models import DONE
from tests.support.alert_world import HEAD_TG, OTHER_ADMIN_TG, UNIT_ADMIN_TG, WIB, submit
from tests.support.app import ADMIN_ID, make_settings, start_bot, stop_bot
from tests.support.case_world import SEKDA_TG, CaseWorld, seed_case_world
from tests.support.fakebot import FakeBotApi
from tests.support.period_world import Cli
from tests.support.records import Sent
from tests.test_state_diagrams import states

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
    "feedback_cards",
    "development_checkins",
    "skm_periods",
)
PERIOD = "TW IV 2026"
CHANNEL_ID = -1001234567890
# The running bot, its fake Bot API and clock, for the helpers that wait for the outbox.
WORLD: dict[str, Any] = {}


def wib(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    never = {f"schedule_{job}": NEVER for job in JOBS}
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url, **never)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(wib(2026, 12, 30))


@pytest.fixture
async def bot(
    settings: Settings, fake_api: FakeBotApi, clock: ManualClock
) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, clock)
    WORLD.update(bot=application, api=fake_api, clock=clock)
    yield application
    WORLD.clear()
    await stop_bot(application)


@pytest.fixture
async def cw(sessions: SessionFactory, clock: ManualClock) -> CaseWorld:
    """Responses in November at KTP (Disdukcapil) and AKTA (its sub-unit); the period
    for the Sekretariat Daerah and its units; New Year's Day loaded as a holiday."""
    cw = await seed_case_world(sessions)
    ktp, akta = cw.world.ktp_id, cw.world.akta_id
    await submit(
        sessions, ktp, (4, 4, 2, 4, 4, 4, 3, 3, 4), at=wib(2026, 11, 23), user_key="a" * 64
    )
    await submit(
        sessions, ktp, (4, 3, 2, 4, 4, 4, 3, 4, 4), at=wib(2026, 11, 24), user_key="b" * 64
    )
    await submit(sessions, akta, (3,) * 9, at=wib(2026, 11, 25), user_key="c" * 64)
    async with sessions.begin() as session:
        session.add(Holiday(day=date(2027, 1, 1), name="Tahun Baru 2027", imported_by="test"))
        dukcapil = await session.get(Unit, cw.world.unit_id)
        assert dukcapil is not None
        dukcapil.public_channel, dukcapil.public_channel_id = "@dukcapilkota", CHANNEL_ID
        await periods.create_period(
            session, name=PERIOD, first=date(2026, 10, 1), last=date(2026, 12, 31),
            unit_code="SETDA", population=None, actor="test", now=clock.now(),
        )  # fmt: skip
    return cw


async def run_job(bot: BotApplication, name: str) -> str:
    runner = services_of(bot).runner
    assert runner.start(name)
    (outcome,) = await runner.wait()
    assert outcome.status == "ok", outcome.result
    return str(outcome.result)


async def received(api: FakeBotApi, chat_id: int, containing: str) -> Sent:
    """The newest message to ``chat_id`` with ``containing``, once the outbox sent it."""

    def arrived(_calls: Any) -> bool:
        return any(containing in m.text for m in api.chat_messages(chat_id))

    await tick_until(arrived)
    return [m for m in api.chat_messages(chat_id) if containing in m.text][-1]


async def tick_until(arrived: Callable[[Any], bool]) -> None:
    """Wait for the outbox, moving the clock a second at a time: the sender spaces
    messages to one chat by a second of the (manual) clock."""
    bot, api, clock = WORLD["bot"], WORLD["api"], WORLD["clock"]
    for _ in range(120):
        if arrived(None):
            return
        clock.advance(seconds=1)
        services_of(bot).wake()
        try:
            await api.wait_for_calls(arrived, timeout=0.25)
        except TimeoutError:
            continue
    await api.wait_for_calls(arrived)


async def unit_id(sessions: SessionFactory, code: str) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(Unit.id).where(Unit.code == code)))


async def queued(sessions: SessionFactory, kind: str) -> list[OutboxMessage]:
    async with sessions() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind))
        return list(rows)


async def versions_of(sessions: SessionFactory, unit: int) -> list[SkmPeriodVersion]:
    async with sessions() as session:
        period = await periods.period_named(session, PERIOD)
        return await periods.versions(session, period.id, unit)


def show(settings: Settings, tmp_path: Path, clock: ManualClock, unit: str) -> dict[str, Any]:
    """``ulasan period show PERIOD --unit CODE --format json``: the unit's entry."""
    cli = Cli(settings.database_url, tmp_path, clock)
    data = cli.json("period", "show", PERIOD, "--unit", unit)
    (entry,) = data["units"]
    return dict(entry)


async def test_close_message_approval_reminder_and_escalation(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    settings: Settings,
    tmp_path: Path,
):
    dukcapil = await unit_id(sessions, "DUKCAPIL")
    sub = await unit_id(sessions, "DUKCAPIL-PL")

    # Thursday 31 December (the last day), New Year's Day (a holiday), the weekend: nothing.
    for day in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)):
        clock.set(wib(day.year, day.month, day.day))
        assert await run_job(bot, "skm_periods") == (
            "0 period(s) closed, 0 unit(s) asked, 0 reminded, 0 escalated, 0 message(s) queued"
        )
    assert await queued(sessions, "period_close") == []

    # Monday 4 January: the close is made, each unit's head (or its admins) asked, once.
    clock.set(wib(2027, 1, 4))
    assert (await run_job(bot, "skm_periods")).startswith("1 period(s) closed, 3 unit(s) asked")
    assert (await run_job(bot, "skm_periods")).startswith("0 period(s) closed, 0 unit(s) asked")
    message = await received(fake_api, HEAD_TG, "Periode SKM TW IV 2026")
    assert "Hasil Dinas Kependudukan" in message.text
    assert "(1 Oktober 2026 – 31 Desember 2026)" in message.text
    assert "Responden: n 3 (populasi belum diisi" in message.text
    assert (
        "Tiga unsur terlemah:" in message.text
        and "• U3 Waktu penyelesaian: NRR 2,33" in message.text
    )
    assert "Indikasi pungli pada layanan gratis: 0" in message.text
    assert "Periode sebelumnya: belum ada angka pembanding." in message.text
    assert message.button_texts() == ["Per layanan", "Setujui & umumkan", "Susun RTL"]
    await received(fake_api, SEKDA_TG, "Hasil Sekretariat Daerah")
    await received(fake_api, UNIT_ADMIN_TG, "Hasil Bidang Pelayanan")
    assert len(await queued(sessions, "period_close")) == 3

    # Per layanan: the figures per service of what was cut.
    siti = fake_api.user(HEAD_TG, "Siti", "id")
    await siti.press("Per layanan", message)
    assert siti.last.text.startswith("Per layanan — Dinas Kependudukan")
    assert "Legalisir Akta (DUKCAPIL-PL)" in siti.last.text

    # Susun RTL opens /rtl's proposal for this period.
    await siti.press("Susun RTL", message)
    assert "Tiga unsur dengan NRR terendah (n 3):" in siti.last.text
    assert message.button_texts() == ["Per layanan", "Setujui & umumkan", "Susun RTL"]

    # What `ulasan period show` shows before the approval is what the head approves.
    shown = await asyncio.to_thread(show, settings, tmp_path, clock, "DUKCAPIL")
    assert shown["state"] == "awaiting" and shown["version"] == 0

    # Setujui & umumkan: a binding confirmation. Hendra (head of the parent) may not press it.
    await siti.press("Setujui & umumkan", message)
    confirmation = siti.last
    assert confirmation.text.startswith("Setujui dan umumkan Dinas Kependudukan")
    yes = confirmation.buttons()[0]["callback_data"]
    hendra = fake_api.user(SEKDA_TG, "Hendra", "id")
    refused = await hendra.press_data(yes, confirmation)
    assert refused.alerts and await versions_of(sessions, dukcapil) == []
    refused = await hendra.press_data(f"pd:a:{shown_period(message)}:{dukcapil}", message)
    assert refused.alerts and "bukan untuk Anda" in refused.alerts[0]
    forged = await siti.press_data("pd:y:AAAAAAAAAAAAAAAA", confirmation)
    assert forged.alerts and await versions_of(sessions, dukcapil) == []

    # A newer confirmation voids the older one (a stale screen approves nothing).
    await siti.press("Setujui & umumkan", message)
    newer = siti.last
    newer_yes = newer.buttons()[0]["callback_data"]
    stale = await siti.press_data(yes, confirmation)
    assert stale.alerts and await versions_of(sessions, dukcapil) == []

    await siti.press("Ya, setujui & umumkan", newer)
    assert siti.last.text.startswith("Disetujui: Dinas Kependudukan")
    assert "versi 1, dibekukan" in siti.last.text
    again = await siti.press_data(newer_yes, newer)  # a double tap
    assert again.alerts
    (version,) = await versions_of(sessions, dukcapil)
    assert version.version == 1 and version.published_by == f"telegram:{HEAD_TG}"
    # The head receives the report of version 1 as DOCX and PDF; the channel post is queued.
    docx, pdf = await documents_for(HEAD_TG, 2)
    assert docx.file is not None and docx.file.startswith(b"PK")
    assert pdf.file is not None and pdf.file.startswith(b"%PDF")
    assert docx.text == (
        "Laporan Pelaksanaan SKM Dinas Kependudukan dan Pencatatan Sipil, TW IV 2026, versi 1"
    )
    (post,) = await queued(sessions, "period_post")
    assert post.chat_id == CHANNEL_ID and post.dedupe_key.endswith(f":{dukcapil}:v1")
    after = await asyncio.to_thread(show, settings, tmp_path, clock, "DUKCAPIL")
    assert after["state"] == "approved" and after["version"] == 1
    assert after["versions"][0]["figures"] == shown["figures"]
    assert after["versions"][0]["digest"] == version.digest

    # Thursday 14 January, the 9th working day: no reminder yet; Friday 15th, the 10th:
    # the two units not approved remind their head (or admins), once.
    clock.set(wib(2027, 1, 14))
    assert "0 reminded" in await run_job(bot, "skm_periods")
    clock.set(wib(2027, 1, 15))
    assert "2 reminded" in await run_job(bot, "skm_periods")
    assert "0 reminded" in await run_job(bot, "skm_periods")
    reminder = await received(fake_api, SEKDA_TG, "Pengingat")
    assert "10 hari kerja" in reminder.text
    assert reminder.button_texts() == ["Per layanan", "Setujui & umumkan"]
    await received(fake_api, UNIT_ADMIN_TG, "Pengingat")
    assert not [m for m in siti.messages if "Pengingat" in m.text]

    # Friday 22nd, the 15th working day: Disdukcapil's sub-unit goes to Siti (the head
    # above); the top unit, with no admins of its own, to the city-wide admin.
    clock.set(wib(2027, 1, 21))
    assert "0 escalated" in await run_job(bot, "skm_periods")
    clock.set(wib(2027, 1, 22))
    assert "2 escalated" in await run_job(bot, "skm_periods")
    assert "0 escalated" in await run_job(bot, "skm_periods")
    up = await received(fake_api, HEAD_TG, "belum disetujui 15 hari kerja")
    assert "Bidang Pelayanan" in up.text and "belum punya kepala yang tertaut" in up.text
    top = await received(fake_api, ADMIN_ID, "belum disetujui 15 hari kerja")
    assert "Sekretariat Daerah" in top.text
    assert sub != dukcapil


def documents(messages: list[Sent]) -> list[Sent]:
    return [m for m in messages if m.kind == "document"]


async def documents_for(chat_id: int, count: int) -> list[Sent]:
    """The documents sent to ``chat_id`` once there are ``count``."""
    api = WORLD["api"]
    await tick_until(lambda _calls: len(documents(api.chat_messages(chat_id))) >= count)
    return documents(api.chat_messages(chat_id))


def shown_period(message: Sent) -> str:
    """The period id in a close message's Setujui button."""
    data = [b["callback_data"] for b in message.buttons() if b["text"] == "Setujui & umumkan"]
    return data[0].split(":")[2]


async def erase(sessions: SessionFactory, user_key: str) -> int:
    """The citizen's /hapusdata, as the erasure leaves the rows."""
    async with sessions.begin() as session:
        return await survey.delete_user_data(session, user_key)


async def test_periode_lists_approves_and_publishes_a_correction_after_an_erasure(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    settings: Settings,
    tmp_path: Path,
):
    dukcapil = await unit_id(sessions, "DUKCAPIL")
    siti = fake_api.user(HEAD_TG, "Siti", "id")

    await siti.send("/help")
    assert "/periode: periode SKM unit Anda: statusnya, angkanya, persetujuannya" in siti.last.text

    # While the period runs: open, with the figures so far.
    await siti.send("/periode")
    assert siti.last.text.startswith("Periode SKM Dinas Kependudukan")
    assert "• TW IV 2026: terbuka" in siti.last.text

    # Monday 4 January, before the job ran: opening the period makes the close.
    clock.set(wib(2027, 1, 4))
    await siti.send("/periode")
    await siti.press("TW IV 2026")
    view = siti.last
    assert "Status: menunggu persetujuan" in view.text
    assert view.button_texts() == ["Per layanan", "Setujui & umumkan", "« Periode"]
    await siti.press("Setujui & umumkan", view)
    await siti.press("Ya, setujui & umumkan")
    assert "versi 1, dibekukan" in siti.last.text
    # The job comes later: an approved unit is not asked again.
    assert "2 unit(s) asked" in await run_job(bot, "skm_periods")

    # Hendra heads the Sekretariat Daerah: Disdukcapil's periods are not his to open.
    hendra = fake_api.user(SEKDA_TG, "Hendra", "id")
    await hendra.send("/periode")
    assert "Sekretariat Daerah" in hendra.last.text
    async with sessions() as session:
        period_id = (await periods.period_named(session, PERIOD)).id
    refused = await hendra.press_data(f"pe:p:{period_id}:{dukcapil}")
    assert refused.alerts

    # A citizen erases an answer: version 1 stays, a correction is pending.
    assert await erase(sessions, "b" * 64) == 1
    await siti.send("/periode")
    assert "• TW IV 2026: disetujui v1; koreksi tertunda: 0 masuk, 1 keluar; n 3 → 2" in (
        siti.last.text
    )
    await siti.press("TW IV 2026")
    view = siti.last
    assert "Koreksi tertunda atas v1: 0 masuk, 1 keluar; n 3 → 2" in view.text
    assert "• Perekaman KTP-el: 0 masuk, 1 keluar; n 2 → 1; IKM " in view.text
    await siti.press("Terbitkan koreksi", view)
    confirmation = siti.last
    assert confirmation.text.startswith("Terbitkan versi 2 Dinas Kependudukan")
    stale_yes = confirmation.buttons()[0]["callback_data"]

    # Another erasure after the screen: the confirmation no longer matches; nothing published.
    assert await erase(sessions, "a" * 64) == 1
    stale = await siti.press_data(stale_yes, confirmation)
    assert stale.alerts
    assert [v.version for v in await versions_of(sessions, dukcapil)] == [1]

    await siti.send("/periode")
    await siti.press("TW IV 2026")
    assert "n 3 → 1" in siti.last.text
    await siti.press("Terbitkan koreksi")
    await siti.press("Ya, terbitkan versi 2")
    assert siti.last.text == (
        "Diterbitkan: versi 2 Dinas Kependudukan dan Pencatatan Sipil · TW IV 2026."
    )
    v1, v2 = await versions_of(sessions, dukcapil)
    assert v2.version == 2 and json.loads(v2.changes)[0]["left"] == 2

    # The latest version equals the live report, and `period show` has nothing pending.
    cli = Cli(settings.database_url, tmp_path, clock)
    shown = await asyncio.to_thread(show, settings, tmp_path, clock, "DUKCAPIL")
    assert shown["version"] == 2 and shown["pending_correction"] is None
    live = await asyncio.to_thread(cli.report, "DUKCAPIL", "2026-10-01", "2026-12-31")
    assert shown["figures"]["overall"]["konversi"] == live["overall"]["konversi"]
    assert shown["figures"]["overall"]["respondents"] == live["overall"]["respondents"] == 1
    await siti.send("/periode")
    assert "• TW IV 2026: disetujui v2" in siti.last.text
    assert v1.figures != v2.figures


def test_the_periode_diagram_names_every_step():
    diagram = (Path(periode.__file__).parent / "periods.mmd").read_text(encoding="utf-8")
    assert sorted(states(diagram).values()) == sorted(periode.STEPS)


async def test_cli_approval_sends_the_report_and_the_close_names_the_last_plan(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    settings: Settings,
    tmp_path: Path,
):
    # TW III 2026 had a plan for Disdukcapil (its U3 line done, the others not started).
    await submit(sessions, cw.world.ktp_id, (4, 4, 1, 4, 4, 4, 4, 4, 4), at=wib(2026, 8, 3),
                 user_key="d" * 64)  # fmt: skip
    async with sessions.begin() as session:
        await periods.create_period(
            session, name="TW III 2026", first=date(2026, 7, 1), last=date(2026, 9, 30),
            unit_code="DUKCAPIL", population=None, actor="test", now=clock.now(),
        )  # fmt: skip
    async with sessions.begin() as session:
        earlier = await periods.period_named(session, "TW III 2026")
        assert await cut_period(session, earlier, settings, wib(2026, 10, 1))
        proposal = await plans.propose(session, earlier, cw.world.unit_id, settings)
        assert proposal is not None
        await plans.start_plan(session, proposal, actor="test", now=wib(2026, 10, 2))
        (first, *_rest) = await rtl.plan_lines(session, cw.world.unit_id, earlier.id)
        await rtl.set_status(session, first.id, DONE, reason=None, actor="t", now=wib(2026, 11, 2))

    clock.set(wib(2027, 1, 4))
    assert "5 unit(s) asked" in await run_job(bot, "skm_periods")  # TW III's two, late
    close = await received(fake_api, HEAD_TG, "Periode SKM TW IV 2026")
    assert "Tindak lanjut RTL TW III 2026:" in close.text
    assert "1. U3 Waktu penyelesaian — selesai" in close.text

    # Approved from the command line: Hendra (head of the top unit) gets the report too.
    cli = Cli(settings.database_url, tmp_path, clock)
    output = await asyncio.to_thread(cli.ok, "period", "approve", PERIOD, "--unit", "SETDA")
    assert "Queued the report (DOCX, PDF) for 1 chat(s)" in output
    (docx, _pdf) = await documents_for(SEKDA_TG, 2)
    assert docx.text.startswith("Laporan Pelaksanaan SKM Sekretariat")
    again = await asyncio.to_thread(cli, "period", "approve", PERIOD, "--unit", "SETDA")
    assert again.exit_code == 1
    assert len(await queued(sessions, "period_report")) == 2


async def test_laporan_gives_admins_in_scope_an_approved_periods_documents(
    bot: BotApplication,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
    settings: Settings,
):
    dukcapil = await unit_id(sessions, "DUKCAPIL")
    clock.set(wib(2027, 1, 4))
    async with sessions.begin() as session:
        period = await periods.period_named(session, PERIOD)
        assert await cut_period(session, period, settings, clock.now())
    async with sessions.begin() as session:
        period = await periods.period_named(session, PERIOD)
        await approve(session, period, dukcapil, settings, now=clock.now(), actor="test")

    admin = fake_api.user(UNIT_ADMIN_TG, "Admin", "id")
    await admin.send("/laporan")
    await admin.press("Periode SKM yang disetujui: laporan dan poster")
    assert admin.last.text == "Periode yang disetujui yang mana? (versi terakhirnya)"
    assert admin.last.button_texts() == ["TW IV 2026 · DUKCAPIL v1"]
    await admin.press("TW IV 2026 · DUKCAPIL v1")
    assert admin.last.button_texts() == ["Laporan (DOCX)", "Laporan (PDF)", "Poster (PDF, PNG)"]
    formats = admin.last
    poster_data = formats.buttons()[2]["callback_data"]
    await admin.press("Laporan (DOCX)", formats)
    (docx,) = documents(admin.messages)
    assert docx.file is not None and docx.file.startswith(b"PK")
    await admin.press_data(poster_data, formats)
    _docx, poster_pdf, poster_png = documents(admin.messages)
    assert poster_pdf.file is not None and poster_pdf.file.startswith(b"%PDF")
    assert poster_png.file is not None and poster_png.file.startswith(b"\x89PNG")

    # The admin of another unit sees none of it, and a forged press gives nothing.
    other = fake_api.user(OTHER_ADMIN_TG, "Lain", "id")
    await other.send("/laporan")
    await other.press("Periode SKM yang disetujui: laporan dan poster")
    assert other.last.text == "Belum ada periode SKM unit Anda yang disetujui."
    forged = await other.press_data(f"lp:kf:{period.id}:{dukcapil}:pdf")
    assert forged.alerts and documents(other.messages) == []

    # In /periode an admin reaches the sub-units too (each approved on its own).
    await admin.send("/periode")
    assert "• TW IV 2026: disetujui v1" in admin.last.text
    await admin.press("Sub-unit DUKCAPIL-PL")
    assert admin.last.text.startswith("Periode SKM Bidang Pelayanan:")
    assert "• TW IV 2026: menunggu persetujuan" in admin.last.text


async def test_the_close_goes_out_once_across_a_restart(
    settings: Settings,
    fake_api: FakeBotApi,
    sessions: SessionFactory,
    cw: CaseWorld,
    clock: ManualClock,
):
    clock.set(wib(2027, 1, 4))
    first = await start_bot(settings, fake_api, clock)
    try:
        assert "3 unit(s) asked" in await run_job(first, "skm_periods")
    finally:
        await stop_bot(first)
    second = await start_bot(settings, fake_api, clock)
    try:
        assert "0 unit(s) asked" in await run_job(second, "skm_periods")
        clock.set(wib(2027, 1, 15))
        assert "3 reminded" in await run_job(second, "skm_periods")
    finally:
        await stop_bot(second)
    third = await start_bot(settings, fake_api, clock)
    try:
        assert "0 reminded" in await run_job(third, "skm_periods")
    finally:
        await stop_bot(third)
    rows = await queued(sessions, "period_close") + await queued(sessions, "period_reminder")
    assert len(rows) == 6 and len({row.dedupe_key for row in rows}) == 6
