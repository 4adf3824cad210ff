"""Discoverable: ``/id`` for anyone, a ``/help`` that lists what each person's roles allow,
and ``/siklus`` handing out the per-rater table instead of sending people to the server.

The real Application runs against the fake Bot API over HTTP.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook

from bot.app import BotApplication
from bot.core.settings import Settings
from storage import unit_admins
from storage.db import SessionFactory
from storage.models import Unit
from tests.support.app import ADMIN_ID
from tests.support.fakebot import FakeBotApi
from tests.support.review_roster import NIPS, TG, open_cycle, seed_roster

UNIT_ADMIN = 620001


async def test_anyone_learns_their_telegram_id(bot: BotApplication, fake_api: FakeBotApi):
    citizen = fake_api.user(555123, "Warga")
    reply = await citizen.send("/id")
    assert "ID pengguna Telegram Anda adalah 555123." in reply.text
    assert "Admin memerlukan nomor ini" in reply.text
    english = fake_api.user(555124, "Citizen", language_code="en")
    reply = await english.send("/id")
    assert reply.text.startswith("Your Telegram user id is 555124.")


async def test_help_lists_what_each_role_may_do(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed_roster(sessions)
    async with sessions.begin() as session:
        await unit_admins.grant(
            session, UNIT_ADMIN, "BIDANG-A", actor="test", now=datetime.now(UTC)
        )

    citizen = await fake_api.user(555200).send("/help")
    assert "/id: ID pengguna Telegram Anda" in citizen.text
    assert "Untuk admin" not in citizen.text and "/siklus" not in citizen.text

    city = await fake_api.user(ADMIN_ID, "Admin BKPSDM").send("/help")
    assert "Untuk admin (BKPSDM: semua unit):" in city.text
    assert "/siklus: membuka, memantau dan menutup siklus penilaian 360°" in city.text
    assert "/status: tugas terjadwal dan antrean pesan" in city.text
    assert "/admin: menjadikan pegawai" in city.text

    unit = await fake_api.user(UNIT_ADMIN, "Admin Bidang").send("/help")
    assert "Untuk admin unit Anda (beserta unit di bawahnya):" in unit.text
    assert "/siklus" not in unit.text and "/status" not in unit.text

    english = await fake_api.user(ADMIN_ID, "Admin", language_code="en").send("/help")
    assert "For administrators (BKPSDM: every unit):" in english.text


async def test_siklus_hands_out_every_rater_as_a_table(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    cycle_id = await open_cycle(sessions, settings)
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/siklus")
    await admin.press("Siklus 1")
    status = admin.last.text
    assert "di server" not in status and "ulasan cycle" not in status
    reply = await admin.press("Semua penilai dalam tabel (XLSX)")
    assert reply.alerts == ["Menyiapkan tabel…"]
    document = admin.last
    assert document.kind == "document" and document.file is not None
    assert "Semua penilai siklus “Siklus 1”" in document.text
    sheet = load_workbook(io.BytesIO(document.file)).active
    assert sheet.title == "Penilai"
    header = [cell.value for cell in sheet[4]]
    assert header == [
        "NIP",
        "Nama",
        "Unit",
        "Akun Telegram",
        "Terkirim",
        "Sedang diisi",
        "Belum dimulai",
        "Jumlah",
    ]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=5)}
    a1 = rows[NIPS["A1"]]
    assert isinstance(a1[0].value, str) and a1[0].number_format == "@"
    assert a1[1].value == "Pegawai A1" and a1[3].value == "tertaut"
    assert rows[NIPS["A2"]][3].value == "belum tertaut"
    assert a1[7].value == a1[4].value + a1[5].value + a1[6].value > 0
    assert roster.ids["A1"]  # the roster behind the table
    # The cycle did not change, and the status screen is still there to press.
    assert "Siklus “Siklus 1”: terbuka" in admin.last_with_buttons().text

    # Someone else's forged press gets a refusal and no document.
    rater = fake_api.user(TG["A1"], "Pegawai A1")
    reply = await rater.press_data(f"cy:t:{cycle_id}")
    assert reply.alerts and "hanya untuk admin" in reply.alerts[0]
    assert not [c for c in reply.calls if c.method == "sendDocument"]
    # An unknown cycle: a notice.
    reply = await admin.press_data("cy:t:999999")
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]


async def test_a_head_sees_their_teams_review_progress(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    roster = await seed_roster(sessions)
    async with sessions.begin() as session:
        bidang = await session.get(Unit, roster.units["BIDANG-A"])
        bidang.head_employee_id = roster.ids["A"]
        dinas = await session.get(Unit, roster.units["DINAS"])
        dinas.head_employee_id = roster.ids["H"]
    await open_cycle(sessions, settings)

    head = fake_api.user(TG["H"], "Kepala Dinas", language_code="en")
    text = (await head.send("/tim")).text
    assert text.startswith("Your team: Dinas Kependudukan (DINAS) and the units below")
    # H, A, B, A1, A2, A3 are active in DINAS's tree (X left; O is another unit).
    assert "Active employees: 6; without a linked Telegram account: 4" in text
    assert "Cycle “Siklus 1” (open, deadline 25 January 2030):" in text
    assert "0 of " in text and "reviews submitted (0%)" in text
    assert "• Pegawai A1 (SEKSI-A1): 0 of" in text
    assert "• Pegawai A2 (SEKSI-A1): 0 of" in text and "cannot be reminded" in text
    assert "Pegawai O" not in text and "Pegawai X" not in text
    # No feedback cards yet (issue 19): the section says so, with the year's expectations.
    assert "Continuous feedback, period " in text
    assert "No feedback cards for this period yet." in text
    assert "Special expectations for " in text and ": 0 of 6 employees" in text
    help_text = (await head.send("/help")).text
    assert "For unit heads:\n/ikm" in help_text and "\n/tim: how far your team" in help_text

    # A linked employee who heads nothing is told who /tim is for.
    rater = fake_api.user(TG["A1"], "Pegawai A1")
    reply = await rater.send("/tim")
    assert "/tim untuk kepala unit" in reply.text and "Siklus" not in reply.text
    assert "/tim" not in (await rater.send("/help")).text
