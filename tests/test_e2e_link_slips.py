"""HR hands out account-link codes from Telegram with /kode, and renews one lost slip.

The roster is the example Disdukcapil, imported with the storage functions; the
real Application runs against the fake Bot API over HTTP. Codes come as an XLSX
document read back with openpyxl, and are opened by the employees like any link.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.app import BotApplication
from storage import unit_admins
from storage.db import SessionFactory
from storage.models import LinkCode
from storage.roster import import_employees, import_services, import_units
from tests.support.app import ADMIN_ID
from tests.support.fakebot import FakeBotApi
from tests.support.records import Sent

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UNIT_ADMIN = 640001


@pytest.fixture
async def roster(sessions: SessionFactory) -> None:
    for importer, name in (
        (import_units, "units.csv"),
        (import_services, "services.csv"),
        (import_employees, "employees.csv"),
    ):
        async with sessions.begin() as session:
            await importer(session, EXAMPLES / name, actor="test")


def rows_of(message: Sent) -> list[tuple]:
    assert message.kind == "document" and message.file is not None
    sheet = load_workbook(io.BytesIO(message.file)).active
    assert [c.value for c in sheet[1]][:2] == ["NIP", "Nama"]
    nip = sheet["A2"]
    assert nip.data_type == "s" and nip.number_format == "@"
    return list(sheet.iter_rows(min_row=2, values_only=True))


async def codes(sessions: SessionFactory) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(LinkCode)) or 0)


async def test_hr_hands_out_codes_and_renews_a_lost_one(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: None
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/kode")
    assert admin.last.button_texts() == ["DISDUKCAPIL"]
    await admin.press("DISDUKCAPIL")
    assert "DISDUKCAPIL: 16 pegawai aktif; 0 sudah menautkan akun Telegram" in admin.last.text
    assert "16 belum keduanya" in admin.last.text
    status = admin.last
    await admin.press("Buat kode untuk 16 pegawai")
    document = admin.last
    rows = rows_of(document)
    assert len(rows) == 16 and await codes(sessions) == 16
    assert "hanya ditampilkan sekali ini" in document.text
    assert status.text == "16 kode dibuat."
    slips = admin.messages[-2]
    assert slips.kind == "document" and slips.file is not None and slips.file.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", slips.file)) == 2  # 16 slips, eight a sheet
    assert "delapan per lembar A4" in slips.text
    link = rows[0][5]
    assert link.startswith("https://t.me/UlasanTestBot?start=link_")

    # An employee opens their link: linked.
    employee = fake_api.user(650001, "Pegawai")
    reply = await employee.send("/start " + link.rsplit("start=", 1)[1])
    assert rows[0][1] in reply.text

    # Asked again, nothing more is issued and the slips keep working.
    await admin.send("/kode")
    await admin.press("DISDUKCAPIL")
    assert "1 sudah menautkan akun Telegram, 15 memegang kode yang berlaku" in admin.last.text
    assert admin.last.button_texts() == ["Ganti kode satu pegawai (slip hilang)"]
    reply = await admin.press_data("kd:i:1")
    assert "Tidak ada yang perlu dibuat" in admin.last.text and await codes(sessions) == 16

    # A lost slip: one employee's code is renewed, after a confirmation.
    lost_nip, lost_link = rows[3][0], rows[3][5]
    await admin.send("/kode")
    await admin.press("DISDUKCAPIL")
    await admin.press("Ganti kode satu pegawai (slip hilang)")
    assert "Ketik NIP pegawai yang kodenya hilang" in admin.last.text
    reply = await admin.send("12345")
    assert "12345 bukan pegawai aktif DISDUKCAPIL" in reply.text
    reply = await admin.send(lost_nip[:8] + " " + lost_nip[8:])
    assert f"Ganti kode tautan {rows[3][1]} ({lost_nip}" in reply.text
    assert await codes(sessions) == 16  # nothing yet
    confirm = admin.last.buttons()[0]["callback_data"]
    await admin.press("Ya, ganti kodenya")
    renewed = rows_of(admin.last)
    assert len(re.findall(rb"/Type\s*/Page\b", admin.messages[-2].file)) == 1
    assert [row[0] for row in renewed] == [lost_nip]
    assert await codes(sessions) == 17
    again = await admin.press_data(confirm)
    assert again.alerts and "tidak berlaku" in again.alerts[0]
    assert await codes(sessions) == 17
    # The lost slip no longer works; the new one does.
    finder = fake_api.user(650002, "Penemu")
    assert "digantikan" in (await finder.send("/start " + lost_link.rsplit("=", 1)[1])).text
    owner = fake_api.user(650003, "Pemilik")
    assert rows[3][1] in (await owner.send("/start " + renewed[0][5].rsplit("=", 1)[1])).text


async def test_a_unit_admin_issues_for_their_units_only(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: None
):
    async with sessions.begin() as session:
        await unit_admins.grant(session, UNIT_ADMIN, "DAFDUK", actor="test", now=datetime.now(UTC))
    admin = fake_api.user(UNIT_ADMIN, "Admin Dafduk")
    await admin.send("/kode")
    assert admin.last.button_texts() == ["DAFDUK"]
    await admin.press("DAFDUK")
    await admin.press_data(admin.last.buttons()[0]["callback_data"])
    rows = rows_of(admin.last)
    assert rows and all(row[2] == "DAFDUK" for row in rows)
    for forged in ("kd:u:1", "kd:i:1", "kd:n:1", "kd:y:AAAAAAAAAAAAAAAA", "kd:zz"):
        reply = await admin.press_data(forged)
        assert reply.alerts and "tidak berlaku" in reply.alerts[0], forged
    citizen = fake_api.user(555600, "Warga")
    assert "hanya untuk admin" in (await citizen.send("/kode")).text


async def test_an_admin_gets_a_units_posters_in_one_pdf(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, roster: None
):
    from storage.survey_models import SurveyEntry

    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await admin.send("/poster")
    await admin.press("DISDUKCAPIL")
    document = admin.last
    assert document.kind == "document" and document.file is not None
    assert document.file.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", document.file)) == 8  # the example's services
    assert "satu halaman (A5) per layanan" in document.text
    async with sessions() as session:
        entries = set(await session.scalars(select(SurveyEntry.payload)))
    assert len(entries) == 8
    # Asked again: the same entries, so printed posters stay valid.
    await admin.send("/poster")
    await admin.press("DISDUKCAPIL")
    async with sessions() as session:
        assert set(await session.scalars(select(SurveyEntry.payload))) == entries

    async with sessions.begin() as session:
        await unit_admins.grant(session, UNIT_ADMIN, "CAPIL", actor="test", now=datetime.now(UTC))
    unit = fake_api.user(UNIT_ADMIN, "Admin Capil")
    await unit.send("/poster")
    assert unit.last.button_texts() == ["CAPIL"]
    await unit.press("CAPIL")
    assert len(re.findall(rb"/Type\s*/Page\b", unit.last.file)) == 3
    reply = await unit.press_data("ps:1")  # the Dinas above their unit
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    assert "hanya untuk admin" in (await fake_api.user(555700).send("/poster")).text
