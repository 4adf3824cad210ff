"""An admin asks for reports in Telegram with /laporan: the IKM report of a month and the 360°
report of a closed cycle arrive as XLSX documents, with a progress note while they are built.

The bot runs with a manual clock at Monday 23 November 2026, 12:00 in Jakarta; the
documents are read back with openpyxl.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler import cycles
from storage.db import SessionFactory
from tests.support.alert_world import NOON, UNIT_ADMIN_TG, World, add_unit_admin, seed_world, submit
from tests.support.app import ADMIN_ID, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.records import Sent


@pytest.fixture
async def app(settings: Settings, fake_api: FakeBotApi) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, ManualClock(NOON))
    yield application
    await stop_bot(application)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    world = await seed_world(sessions)
    await submit(sessions, world.ktp_id, (4, 4, 4, 4, 4, 4, 4, 4, 4), user_key="1" * 64)
    await submit(sessions, world.akta_id, (3, 3, 3, 3, 3, 3, 3, 3, 3), user_key="2" * 64)
    await submit(sessions, world.ktp_id, (2,) * 9, at=NOON - timedelta(days=40), user_key="3" * 64)
    return world


def workbook(message: Sent):
    assert message.kind == "document" and message.file is not None
    return load_workbook(io.BytesIO(message.file))


async def test_a_city_admin_gets_the_ikm_report_of_a_month(
    app: BotApplication, fake_api: FakeBotApi, world: World, settings: Settings
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/laporan")
    assert admin.last.button_texts() == [
        "Laporan IKM (SKM)",
        "Laporan siklus 360°",
        "Periode SKM yang disetujui: laporan dan poster",
        "Kebutuhan pengembangan (BKPSDM)",
        "Ekspor e-Kinerja (BKPSDM)",
    ]
    await admin.press("Laporan IKM (SKM)")
    assert admin.last.button_texts() == ["Semua unit", "DINKES", "DUKCAPIL"]
    await admin.press("DUKCAPIL")
    assert admin.last.text == "Periode yang mana?"
    assert admin.last.button_texts()[:3] == ["Tahun ini (2026)", "November 2026", "Oktober 2026"]
    note = admin.last
    reply = await admin.press("November 2026")
    edits = [c.text for c in reply.calls if c.method == "editMessageText"]
    assert edits[0].startswith(
        "Menyusun laporan IKM DUKCAPIL, 2026-11-01 – 2026-11-23… (langkah 1 dari 3"
    )
    assert any("langkah 3 dari 3: menulis buku kerja" in text for text in edits)
    assert note.text == "Berikut laporan IKM DUKCAPIL, 2026-11-01 – 2026-11-23."
    document = admin.last
    book = workbook(document)
    assert book.sheetnames[0] == "Tabulasi"
    sheet = book["Tabulasi"]
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] in (1, 2, 3)]
    assert len(values) == 2  # the two November respondents, not October's
    assert (settings.exports_dir / "ikm-DUKCAPIL-2026-11-01-2026-11-23.xlsx").exists()

    # The whole year, every unit: October's respondent is counted too.
    await admin.send("/laporan")
    await admin.press("Laporan IKM (SKM)")
    await admin.press("Semua unit")
    await admin.press("Tahun ini (2026)")
    sheet = workbook(admin.last)["Tabulasi"]
    assert len([r for r in sheet.iter_rows(values_only=True) if r and r[0] in (1, 2, 3, 4)]) == 3


async def test_a_unit_admin_reports_on_their_unit_only(
    app: BotApplication, fake_api: FakeBotApi, world: World, sessions: SessionFactory
):
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.sub_unit_id)
    admin = fake_api.user(UNIT_ADMIN_TG, "Admin Bidang")
    await admin.send("/laporan")
    await admin.press("Laporan IKM (SKM)")
    # One unit to choose from: straight to the period.
    assert admin.last.text == "Periode yang mana?"
    await admin.press("November 2026")
    rows = [r for r in workbook(admin.last)["Tabulasi"].iter_rows(values_only=True) if r]
    assert len([r for r in rows if r[0] in (1, 2)]) == 1  # only the sub-unit's AKTA survey
    for forged in (
        "lp:ip:all:m202611",
        f"lp:ip:{world.unit_id}:m202611",  # the unit above theirs
        f"lp:ip:{world.sub_unit_id}:m209901",  # the future
        f"lp:is:{world.other_unit_id}",
        "lp:rp:all:1",
        "lp:nonsense",
    ):
        reply = await admin.press_data(forged)
        assert reply.alerts and "tidak berlaku" in reply.alerts[0], forged
        assert not [c for c in reply.calls if c.method == "sendDocument"]
    citizen = fake_api.user(555500, "Warga")
    assert "hanya untuk admin" in (await citizen.send("/laporan")).text
    reply = await citizen.press_data("lp:i")
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]


async def test_the_360_report_of_a_closed_cycle(
    app: BotApplication, fake_api: FakeBotApi, world: World, sessions: SessionFactory, settings
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/laporan")
    await admin.press("Laporan siklus 360°")
    await admin.press("Semua unit")
    assert "Belum ada siklus 360° yang ditutup" in admin.last.text
    async with sessions.begin() as session:
        await cycles.open_cycle(
            session,
            name="Semester II 2026",
            deadline=NOON.date() + timedelta(days=7),
            actor="test",
            now=NOON - timedelta(days=30),
            settings=settings,
        )
    async with sessions.begin() as session:
        await cycles.close_cycle(session, "Semester II 2026", "test", NOON, settings)
    await admin.send("/laporan")
    await admin.press("Laporan siklus 360°")
    await admin.press("DUKCAPIL")
    await admin.press("Semester II 2026")
    book = workbook(admin.last)
    assert book.sheetnames[0] == "Ringkasan"
    assert "Berikut laporan 360° “Semester II 2026”, DUKCAPIL." in admin.messages[-2].text


async def test_bkpsdm_gets_the_development_needs_of_a_closed_cycle(
    app: BotApplication, fake_api: FakeBotApi, world: World, sessions: SessionFactory, settings
):
    """The same workbook as ``ulasan report development --format xlsx``, for city-wide
    admins only (the counts and their folding: tests/test_development_report.py)."""
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/laporan")
    await admin.press("Kebutuhan pengembangan (BKPSDM)")
    assert "Belum ada siklus 360° yang ditutup" in admin.last.text
    async with sessions.begin() as session:
        await cycles.open_cycle(
            session,
            name="Semester II 2026",
            deadline=NOON.date() + timedelta(days=7),
            actor="test",
            now=NOON - timedelta(days=30),
            settings=settings,
        )
    async with sessions.begin() as session:
        await cycles.close_cycle(session, "Semester II 2026", "test", NOON, settings)
    await admin.send("/laporan")
    await admin.press("Kebutuhan pengembangan (BKPSDM)")
    note = admin.last
    await admin.press("Semester II 2026")
    book = workbook(admin.last)
    assert book.sheetnames == ["Kebutuhan pengembangan", "Rencana per OPD"]
    assert "cycle Semester II 2026" in str(book.active["A1"].value)
    assert note.text == "Berikut kebutuhan pengembangan “Semester II 2026”."
    assert (settings.exports_dir / "pengembangan-semester-ii-2026.xlsx").exists()

    # A unit admin sees no such button, and pressing its data changes nothing.
    await add_unit_admin(sessions, UNIT_ADMIN_TG, world.sub_unit_id)
    unit_admin = fake_api.user(UNIT_ADMIN_TG, "Admin Bidang")
    await unit_admin.send("/laporan")
    assert "Kebutuhan pengembangan (BKPSDM)" not in unit_admin.last.button_texts()
    for forged in ("lp:d", "lp:dp:1", "lp:dp:999"):
        reply = await unit_admin.press_data(forged)
        assert reply.alerts and "tidak berlaku" in reply.alerts[0], forged
        assert not [c for c in reply.calls if c.method == "sendDocument"]
    reply = await admin.press_data("lp:dp:999")  # no such cycle
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]
