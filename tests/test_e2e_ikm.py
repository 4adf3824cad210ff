"""A unit head asks for their IKM: this month, last month, a chosen month; per sub-unit and
per service, with a chart. The figures are the IKM report's, checked against the math.

The bot runs with a manual clock at Monday 23 November 2026, 12:00 in Jakarta.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from PIL import Image

from bot.app import BotApplication
from bot.core.clock import ManualClock
from bot.core.settings import Settings
from scheduler.ikm_views import month_span, shift_month, unit_ikm
from scheduler.scoring import skm
from storage.db import SessionFactory
from tests.support.alert_world import HEAD_TG, NOON, WIB, World, seed_world, submit
from tests.support.app import ADMIN_ID, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi

PNG = b"\x89PNG\r\n\x1a\n"
OCTOBER = datetime(2026, 10, 14, 10, 0, tzinfo=WIB)


@pytest.fixture
async def app(settings: Settings, fake_api: FakeBotApi) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api, ManualClock(NOON))
    yield application
    await stop_bot(application)


@pytest.fixture
async def world(sessions: SessionFactory) -> World:
    world = await seed_world(sessions)
    for scores in ((4, 4, 4, 4, 4, 4, 4, 4, 4), (3, 3, 3, 3, 3, 3, 2, 3, 3)):
        await submit(sessions, world.ktp_id, scores, user_key=f"{scores[6]}" * 64)
    await submit(sessions, world.akta_id, (2, 2, 2, 3, 2, 2, 2, 1, 2), user_key="a" * 64)
    await submit(sessions, world.ktp_id, (1, 1, 1, 1, 1, 1, 1, 1, 1), at=OCTOBER, user_key="o" * 64)
    return world


def konversi(*rows: tuple[int, ...]) -> str:
    sums = {code: sum(row[i] for row in rows) for i, code in enumerate(skm.UNSUR_CODES)}
    return f"{skm.compute(sums, len(rows)).konversi_rounded:.2f}".replace(".", ",")


async def test_a_head_reads_this_month_and_last_month(
    app: BotApplication, fake_api: FakeBotApi, world: World
):
    head = fake_api.user(HEAD_TG, "Kepala Dinas")
    reply = await head.send("/ikm")
    photo, figures = [c for c in reply.calls if c.method in ("sendPhoto", "sendMessage")]
    assert photo.method == "sendPhoto"
    november = konversi((4,) * 9, (3, 3, 3, 3, 3, 3, 2, 3, 3), (2, 2, 2, 3, 2, 2, 2, 1, 2))
    assert f"IKM {november}" in photo.text and "3 responden" in photo.text
    chart = fake_api.chat_messages(HEAD_TG)[-2].file
    assert chart is not None and chart.startswith(PNG)
    with Image.open(io.BytesIO(chart)) as picture:
        assert picture.size[0] >= 700
    text = figures.text
    assert text.startswith(
        "IKM Dinas Kependudukan dan Pencatatan Sipil (DUKCAPIL), 1 Nov – 23 Nov 2026"
    )
    assert "Per sub-unit:" in text
    own = konversi((4,) * 9, (3, 3, 3, 3, 3, 3, 2, 3, 3))
    assert f"• DUKCAPIL Dinas Kependudukan dan Pencatatan Sipil: {own} (B) · 2 responden" in text
    sub = konversi((2, 2, 2, 3, 2, 2, 2, 1, 2))
    assert f"• DUKCAPIL-PL Bidang Pelayanan: {sub} (D) · 1 responden" in text
    assert "Per layanan:" in text and "• KK Kartu Keluarga: belum ada responden" in text
    # U7 and U8 tie (8 of 12 each): the first in code order is named.
    assert "Unsur terlemah: U7 Perilaku pelaksana (NRR 2,67)" in text
    assert head.last.button_texts() == ["Bulan ini", "Bulan lalu", "Pilih bulan…"]

    reply = await head.press("Bulan lalu")
    assert "1 Okt – 31 Okt 2026" in head.last.text
    assert "IKM 25,00 (mutu D, Tidak baik) · 1 responden" in head.last.text

    await head.press("Pilih bulan…")
    assert head.last.text == "Pilih periode atau bulan:"
    assert head.last.button_texts()[:3] == ["Nov 2026", "Okt 2026", "Sep 2026"]
    await head.press("Sep 2026")
    assert "IKM: belum ada responden" in head.last.text


async def test_a_head_chooses_one_of_the_units_skm_periods(
    app: BotApplication, fake_api: FakeBotApi, world: World, sessions: SessionFactory
):
    from datetime import date

    from storage import periods

    async with sessions.begin() as session:
        for name, first, last, unit in (
            ("Triwulan IV 2026", date(2026, 10, 1), date(2026, 12, 31), "DUKCAPIL"),
            ("Tahun 2027", date(2027, 1, 1), date(2027, 12, 31), None),  # not begun yet
            ("Dinkes 2026", date(2026, 1, 1), date(2026, 12, 31), "DINKES"),  # not theirs
        ):
            await periods.create_period(
                session,
                name=name,
                first=first,
                last=last,
                unit_code=unit,
                population=None,
                actor="test",
                now=NOON,
            )
    head = fake_api.user(HEAD_TG, "Kepala Dinas")
    await head.send("/ikm")
    await head.press("Pilih bulan…")
    assert head.last.button_texts()[0] == "Triwulan IV 2026"
    assert "Tahun 2027" not in head.last.button_texts()
    assert "Dinkes 2026" not in head.last.button_texts()
    await head.press("Triwulan IV 2026")
    # October's and November's respondents, up to today.
    assert "1 Okt – 23 Nov 2026" in head.last.text
    assert "· 4 responden" in head.last.text
    async with sessions() as session:
        others = [p.id for p in await periods.list_periods(session) if p.name != "Triwulan IV 2026"]
    for period_id in others:
        reply = await head.press_data(f"ik:p:{world.unit_id}:{period_id}")
        assert reply.alerts and "tidak berlaku" in reply.alerts[0]


async def test_presses_are_checked_and_others_are_told_who_it_is_for(
    app: BotApplication, fake_api: FakeBotApi, world: World
):
    head = fake_api.user(HEAD_TG, "Kepala Dinas")
    for forged in (
        f"ik:{world.other_unit_id}:202611",  # a unit they do not head
        f"ik:{world.unit_id}:202612",  # the future
        f"ik:{world.unit_id}:202613",  # no such month
        f"ik:c:{world.other_unit_id}",
        "ik:zzz",
    ):
        reply = await head.press_data(forged)
        assert reply.alerts and "tidak berlaku" in reply.alerts[0], forged
        assert not [c for c in reply.calls if c.method == "sendPhoto"]
    admin = fake_api.user(ADMIN_ID, "Admin")
    assert "/laporan" in (await admin.send("/ikm")).text
    stranger = fake_api.user(555400, "Warga")
    assert "/ikm untuk kepala unit" in (await stranger.send("/ikm")).text


async def test_sub_units_add_up_to_the_unit(sessions: SessionFactory, settings: Settings, world):
    first, last = month_span(2026, 11, NOON.astimezone(WIB).date())
    figures = await unit_ikm(sessions, settings.tz, world.unit_id, first, last)
    assert figures.overall.n == sum(line.n for line in figures.sub_units) == 3
    for code in skm.UNSUR_CODES:
        assert figures.overall.result.sums[code] == sum(
            line.result.sums[code] for line in figures.sub_units if line.result
        )
    # By unit code, then service code (the IKM report's order).
    assert [line.code for line in figures.services] == ["KK", "KTP", "AKTA"]


def test_months():
    today = NOON.astimezone(WIB).date()
    assert month_span(2026, 11, today) == (today.replace(day=1), today)
    assert month_span(2026, 10, today)[1].day == 31
    assert month_span(2024, 2, today)[1].day == 29
    assert shift_month(2026, 1, -1) == (2025, 12)
    assert shift_month(2026, 12, 1) == (2027, 1)
