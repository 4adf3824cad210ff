"""An HR officer loads the roster from Telegram: sends the files, reads the preview, imports.

The real Application runs against the fake Bot API over HTTP; files go up as
documents and the bot fetches them with getFile. Each import happens only on a
confirmation bound to the file's hash and the counts the preview showed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select

from bot.app import BotApplication
from bot.core.settings import Settings
from storage import unit_admins
from storage.db import SessionFactory
from storage.models import AuditLog, Employee, Service, Unit
from storage.performance_models import SkpLine
from storage.roster import import_employees
from tests.support.app import ADMIN_ID
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UNIT_ADMIN = 630001


async def count(sessions: SessionFactory, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def send_example(user: FakeUser, name: str) -> None:
    await user.send_document((EXAMPLES / name).read_bytes(), name, CSV)


async def load_examples(admin: FakeUser) -> None:
    for name in ("units.csv", "services.csv", "employees.csv"):
        await send_example(admin, name)
        await admin.press("Impor")


async def test_hr_loads_the_roster_from_telegram(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, settings: Settings
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await send_example(admin, "units.csv")
    preview = admin.last
    assert preview.text.startswith("Berkas unit: units.csv")
    assert "Jika diimpor: 6 ditambahkan, 0 diubah, 0 tidak berubah." in preview.text
    assert "Ditambahkan: DISDUKCAPIL, SEKRETARIAT" in preview.text
    assert "belum menjadi pegawai" in preview.text  # heads pending until the employees file
    assert preview.button_texts() == ["Impor", "Batal"]
    assert await count(sessions, Unit) == 0  # a preview writes nothing
    # The file is kept under its hash, in the home's uploads folder.
    assert [p.suffix for p in settings.uploads_dir.iterdir()] == [".csv"]

    import_data = preview.buttons()[0]["callback_data"]
    reply = await admin.press("Impor")
    assert "Berhasil diimpor: 6 ditambahkan" in admin.last.text
    assert admin.last.buttons() == []
    assert await count(sessions, Unit) == 6
    # A double tap (or a redelivered press) imports nothing more.
    again = await admin.press_data(import_data, preview)
    assert again.alerts and "tidak berlaku" in again.alerts[0]
    assert reply.alerts == []

    await send_example(admin, "services.csv")
    assert "Berkas layanan: services.csv" in admin.last.text
    await admin.press("Impor")
    await send_example(admin, "employees.csv")
    assert "Kepala ditetapkan untuk: CAPIL, DAFDUK" in admin.last.text
    await admin.press("Impor")
    assert "Kepala ditetapkan untuk:" in admin.last.text
    assert (await count(sessions, Service), await count(sessions, Employee)) == (8, 16)
    async with sessions() as session:
        actors = set(
            await session.scalars(select(AuditLog.actor).where(AuditLog.action.like("import.%")))
        )
    assert len(actors) == 1 and actors.pop().startswith("telegram:")
    assert str(ADMIN_ID) not in repr(actors)

    # The same file again: nothing would change, and there is nothing to press.
    await send_example(admin, "units.csv")
    assert "Tidak ada yang berubah" in admin.last.text and admin.last.buttons() == []


async def test_every_bad_row_is_listed_and_nothing_is_written(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await load_examples(admin)
    book = Workbook()
    sheet = book.active
    sheet.append(["nip", "nama", "jabatan", "kode_unit", "nip_atasan"])
    sheet.append([1.99001012015011e17, "Angka", "Staf", "DAFDUK", ""])
    sheet.append(["199001012015011099", "Tanpa Unit", "Staf", "ENTAH", ""])
    sheet.append(["199001012015011098", "", "Staf", "DAFDUK", ""])
    data = io.BytesIO()
    book.save(data)
    await admin.send_document(data.getvalue(), "pegawai baru.xlsx", XLSX)
    text = admin.last.text
    assert text.startswith("Berkas pegawai: pegawai baru.xlsx")
    assert "Ditemukan 3 masalah; tidak ada yang diimpor." in text
    assert "Baris 2, kolom nip: '1.99001012015011e+17' bukan NIP: harus tepat 18 angka" in text
    assert "format kolom sebagai Teks" in text
    assert "Baris 3, kolom kode_unit: unit 'ENTAH' tidak dikenal" in text
    assert "Baris 4, kolom nama: nilai wajib kosong" in text
    assert admin.last.buttons() == []
    assert await count(sessions, Employee) == 16

    # Hundreds of bad rows: the first ones in the message, all of them in a text file.
    lines = ["nip,name,position,unit_code,supervisor_nip"]
    lines += [f"12{n},Pegawai {n},Staf,DAFDUK," for n in range(300)]
    reply = await admin.send_document("\n".join(lines).encode(), "besar.csv", CSV)
    assert "Ditemukan 300 masalah" in reply.text
    assert "lainnya di berkas terlampir" in reply.text
    attached = admin.last
    assert attached.kind == "document" and attached.file is not None
    problems = attached.file.decode().splitlines()
    assert problems[0] == "Masalah di besar.csv:" and len(problems) == 301
    assert problems[-1].startswith("Baris 301, kolom nip: '12299' bukan NIP")

    # A file that is no roster at all, and one that is not a spreadsheet.
    await admin.send_document(b"foo,bar\n1,2\n", "lain.csv", CSV)
    assert "tidak dapat mengenali" in admin.last.text and "kode_induk" in admin.last.text
    await admin.send_document(b"PK\x03\x04broken", "rusak.xlsx", XLSX)
    assert "bukan buku kerja XLSX yang sah" in admin.last.text


async def test_missing_staff_are_deactivated_only_when_chosen(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await load_examples(admin)
    rows = (EXAMPLES / "employees.csv").read_text().splitlines()
    leaver = rows[-1].split(",")[0]
    await admin.send_document("\n".join(rows[:-1]).encode(), "pegawai.csv", CSV)
    text = admin.last.text
    assert "1 pegawai aktif di unit Anda tidak ada di berkas ini" in text
    assert admin.last.button_texts() == ["Impor dan nonaktifkan 1 yang tidak ada", "Batal"]
    await admin.press("Impor dan nonaktifkan 1 yang tidak ada")
    assert "1 dinonaktifkan" in admin.last.text
    async with sessions() as session:
        gone = await session.scalar(select(Employee).where(Employee.nip == leaver))
    assert gone is not None and gone.active is False


async def test_a_preview_overtaken_by_another_import_imports_nothing(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, tmp_path: Path
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await send_example(admin, "units.csv")
    await admin.press("Impor")
    await send_example(admin, "services.csv")
    await admin.press("Impor")
    await send_example(admin, "employees.csv")
    stale = admin.last
    # Meanwhile someone imports half of the staff on the server.
    half = tmp_path / "half.csv"
    half.write_text("\n".join((EXAMPLES / "employees.csv").read_text().splitlines()[:9]) + "\n")
    async with sessions.begin() as session:
        await import_employees(session, half, actor="cli:other")
    before = await count(sessions, AuditLog)
    reply = await admin.press("Impor", stale)
    assert "Data berubah sejak pratinjau; tidak ada yang diimpor." in reply.text
    fresh = admin.last
    assert "Jika diimpor: 8 ditambahkan, 0 diubah, 8 tidak berubah." in fresh.text
    assert await count(sessions, AuditLog) == before
    await admin.press("Impor")
    assert await count(sessions, Employee) == 16
    # Cancel voids a preview's buttons.
    await send_example(admin, "units.csv")
    await admin.send_document(b"code,name,parent_code,head_nip\nBARU,Unit Baru,,\n", "u.csv", CSV)
    offered = admin.last
    offered_data = offered.buttons()[0]["callback_data"]
    await admin.press("Batal")
    assert admin.last.text == "Tidak ada yang diimpor."
    reply = await admin.press_data(offered_data, offered)
    assert reply.alerts and "tidak berlaku" in reply.alerts[0]
    assert await count(sessions, Unit) == 6


async def test_a_unit_admin_imports_only_into_their_units(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await load_examples(admin)
    async with sessions.begin() as session:
        await unit_admins.grant(session, UNIT_ADMIN, "DAFDUK", actor="test", now=datetime.now(UTC))
    own = fake_api.user(UNIT_ADMIN, "Admin Dafduk")
    services = "code,unit_code,name\nSKPWNI,DAFDUK,Surat Pindah WNI\nAKTA-LAHIR,DAFDUK,Akta\n"
    await own.send_document(services.encode(), "layanan.csv", CSV)
    text = own.last.text
    assert "Baris 3, kolom code: 'AKTA-LAHIR' termasuk unit 'CAPIL', yang tidak Anda kelola" in text
    units = "code,name,parent_code,head_nip\nSEKSI-X,Seksi X,DAFDUK,\nLAIN,Lain,CAPIL,\n"
    await own.send_document(units.encode(), "unit.csv", CSV)
    assert "Baris 3, kolom parent_code: unit 'CAPIL' bukan unit yang Anda kelola" in own.last.text
    await own.send_document(b"code,unit_code,name\nSKPWNI,DAFDUK,Surat Pindah WNI\n", "ok.csv", CSV)
    await own.press("Impor")
    assert "Berhasil diimpor: 1 ditambahkan" in own.last.text
    assert await count(sessions, Service) == 9

    # Anyone else's document is not a roster file to the bot, and writes nothing.
    citizen = fake_api.user(555300, "Warga")
    reply = await citizen.send_document(b"code,unit_code,name\nX,DAFDUK,X\n", "x.csv", CSV)
    assert "Memeriksa" not in reply.text
    assert await count(sessions, Service) == 9
    forged = await citizen.press_data("ru:y:AAAAAAAAAAAAAAAA")
    assert forged.alerts and "tidak berlaku" in forged.alerts[0]


async def test_hr_loads_skp_lines_from_telegram(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    """Issue 19's SKP file through the same upload: previewed, imported on the bound press,
    a line left out archived (never deleted), and a unit admin kept to their units."""
    admin = fake_api.user(ADMIN_ID, "Admin BKPSDM")
    await load_examples(admin)
    await send_example(admin, "skp.csv")
    preview = admin.last
    assert preview.text.startswith("Berkas SKP: skp.csv")
    assert "Jika diimpor: 5 ditambahkan, 0 diubah, 0 tidak berubah." in preview.text
    assert "198705142010012006 2026" in preview.text
    assert preview.button_texts() == ["Impor", "Batal"]
    assert await count(sessions, SkpLine) == 0
    await admin.press("Impor")
    assert admin.last.text.startswith(
        "Baris SKP diimpor: 5 ditambahkan, 0 diubah, 0 tidak berubah, 0 diarsipkan."
    )
    assert await count(sessions, SkpLine) == 5

    # Rina's second line is left out and Dimas's target changes: archived, updated.
    lines = (EXAMPLES / "skp.csv").read_text(encoding="utf-8").splitlines()
    changed = [lines[0], lines[1], lines[3], lines[4], lines[5].replace(",100%,", ",98%,")]
    await admin.send_document("\n".join(changed).encode(), "skp-revisi.csv", CSV)
    text = admin.last.text
    assert "Jika diimpor: 0 ditambahkan, 1 diubah, 3 tidak berubah." in text
    assert "1 baris SKP dari pegawai dan tahun dalam berkas ini tidak tercantum lagi" in text
    await admin.press("Impor")
    assert "1 diubah, 3 tidak berubah, 1 diarsipkan." in admin.last.text
    async with sessions() as session:
        kept = list(await session.scalars(select(SkpLine).order_by(SkpLine.id)))
    assert len(kept) == 5 and [line.archived_at is not None for line in kept].count(True) == 1

    # A unit admin of DAFDUK may not load a CAPIL employee's SKP; nothing is written.
    async with sessions.begin() as session:
        await unit_admins.grant(session, UNIT_ADMIN, "DAFDUK", actor="test", now=datetime.now(UTC))
    own = fake_api.user(UNIT_ADMIN, "Admin Dafduk")
    other = f"{lines[0]}\n198603092009022003,2026,Tercatatnya akta,Persentase akta,90%,\n"
    await own.send_document(other.encode(), "skp-capil.csv", CSV)
    assert "'198603092009022003' bekerja di unit yang tidak Anda kelola" in own.last.text
    assert own.last.buttons() == []
    assert await count(sessions, SkpLine) == 5
