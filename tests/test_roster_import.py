"""Roster import from CSV and XLSX: every error kind, idempotency, updates, pending heads.

Each test runs the storage functions in one transaction on a migrated database,
the way the CLI does, and checks what the database holds afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from storage.db import SessionFactory, create_engine, session_factory
from storage.models import AuditLog, Employee, Service, Unit
from storage.roster import (
    ImportReport,
    RosterInvalid,
    find_cycles,
    import_employees,
    import_services,
    import_units,
    roster_tree,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KADIS = "196903151994031003"
KABID_DAFDUK = "197811102003121004"
KABID_CAPIL = "198004172005012002"
STAFF_DAFDUK = "198705142010012006"
STAFF_PIAK = "199101102017031003"
NEW_NIP = "199912312024011001"

Importer = Callable[..., Awaitable[ImportReport]]


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[SessionFactory]:
    engine = create_engine(migrated)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def roster(db: SessionFactory) -> SessionFactory:
    """The example Disdukcapil imported in the documented order."""
    await run(db, import_units, EXAMPLES / "units.csv")
    await run(db, import_services, EXAMPLES / "services.csv")
    await run(db, import_employees, EXAMPLES / "employees.csv")
    return db


async def run(db: SessionFactory, importer: Importer, path: Path, **kwargs: Any) -> ImportReport:
    async with db.begin() as session:
        return await importer(session, path, actor="test:admin", **kwargs)


async def errors_of(db: SessionFactory, importer: Importer, path: Path, **kwargs: Any) -> list[str]:
    with pytest.raises(RosterInvalid) as caught:
        await run(db, importer, path, **kwargs)
    return caught.value.lines()


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding, newline="")
    return path


async def snapshot(db: SessionFactory) -> dict[str, list[tuple[Any, ...]]]:
    """Every roster and audit row with every column, to prove nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with db() as session:
        for model in (Unit, Service, Employee, AuditLog):
            rows = (await session.scalars(select(model).order_by(model.id))).all()
            columns = [c.key for c in model.__table__.columns]
            out[model.__tablename__] = [tuple(getattr(r, c) for c in columns) for r in rows]
    return out


async def employee(db: SessionFactory, nip: str) -> Employee:
    async with db() as session:
        found = await session.scalar(select(Employee).where(Employee.nip == nip))
        assert found is not None
        return found


async def heads(db: SessionFactory) -> dict[str, str | None]:
    async with db() as session:
        by_id = {e.id: e.nip for e in await session.scalars(select(Employee))}
        return {
            u.code: by_id.get(u.head_employee_id) if u.head_employee_id else None
            for u in await session.scalars(select(Unit))
        }


# ---------------------------------------------------------------------------
# The example roster, idempotency and updates
# ---------------------------------------------------------------------------


async def test_examples_import_in_order_and_every_unit_gets_its_head(roster: SessionFactory):
    unit_heads = await heads(roster)
    assert len(unit_heads) == 6 and None not in unit_heads.values()
    assert unit_heads["DISDUKCAPIL"] == KADIS
    async with roster() as session:
        services = list(await session.scalars(select(Service)))
        assert len(services) >= 6 and all(s.free and s.active for s in services)
        actions = [a.action for a in await session.scalars(select(AuditLog))]
    assert actions.count("import.units") == 1
    assert actions.count("import.services") == 1
    assert actions.count("import.employees") == 1


async def test_example_teams_reach_the_anonymity_minimum(roster: SessionFactory):
    async with roster() as session:
        staff = list(await session.scalars(select(Employee)))
    team_sizes: dict[int, int] = {}
    for person in staff:
        if person.supervisor_id is not None:
            team_sizes[person.supervisor_id] = team_sizes.get(person.supervisor_id, 0) + 1
    assert 14 <= len(staff) <= 20
    assert sum(1 for size in team_sizes.values() if size >= 3) >= 3


async def test_second_import_changes_nothing(roster: SessionFactory):
    before = await snapshot(roster)
    for importer, name, count in (
        (import_units, "units.csv", 6),
        (import_services, "services.csv", 8),
        (import_employees, "employees.csv", 16),
    ):
        report = await run(roster, importer, EXAMPLES / name)
        assert (report.added, report.updated, report.deactivated) == ([], [], [])
        assert len(report.unchanged) == count
        assert not report.changed
    assert await snapshot(roster) == before  # no updated_at touched, no audit row


async def test_a_later_file_updates_names_positions_units_and_supervisors(
    roster: SessionFactory, tmp_path: Path
):
    before = await employee(roster, STAFF_DAFDUK)
    text = (EXAMPLES / "employees.csv").read_text(encoding="utf-8")
    text = text.replace(
        f'{STAFF_DAFDUK},"Rina Marlina, S.Sos.",Penata Kependudukan Ahli Muda,DAFDUK,'
        f"{KABID_DAFDUK}",
        f'{STAFF_DAFDUK},"Rina Marlina Siregar, S.Sos.",Penata Kependudukan Ahli Madya,CAPIL,'
        f"{KABID_CAPIL}",
    )
    report = await run(roster, import_employees, write(tmp_path, "employees.csv", text))
    assert report.updated == [STAFF_DAFDUK]
    assert len(report.unchanged) == 15
    after = await employee(roster, STAFF_DAFDUK)
    assert after.name == "Rina Marlina Siregar, S.Sos."
    assert after.position == "Penata Kependudukan Ahli Madya"
    assert after.unit_id != before.unit_id
    assert after.supervisor_id == (await employee(roster, KABID_CAPIL)).id
    assert after.updated_at >= before.updated_at
    async with roster() as session:
        audit = (
            await session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(1))
        ).one()
    assert audit.action == "import.employees"
    assert audit.actor == "test:admin"
    assert "1 updated" in audit.detail and STAFF_DAFDUK in audit.detail


async def test_units_and_services_update(roster: SessionFactory, tmp_path: Path):
    units = write(
        tmp_path,
        "units.csv",
        "code,name,parent_code,head_nip\n"
        f"PIAK,Bidang PIAK,DISDUKCAPIL,{KADIS}\n"
        "UPT-1,UPT Disdukcapil Kecamatan Utara,DISDUKCAPIL,\n",
    )
    report = await run(roster, import_units, units)
    assert (report.added, report.updated) == (["UPT-1"], ["PIAK"])
    assert (await heads(roster))["PIAK"] == KADIS
    services = write(
        tmp_path,
        "services.csv",
        "code,unit_code,name,gratis,aktif\nKK,UPT-1,Kartu Keluarga,ya,tidak\n"
        "LEGALISIR,UPT-1,Legalisir Dokumen,0,1\n",
    )
    report = await run(roster, import_services, services)
    assert (report.added, report.updated) == (["LEGALISIR"], ["KK"])
    async with roster() as session:
        kk = await session.scalar(select(Service).where(Service.code == "KK"))
        assert kk is not None and kk.free and not kk.active


async def test_employees_absent_from_a_later_file_are_kept(roster: SessionFactory, tmp_path: Path):
    lines = (EXAMPLES / "employees.csv").read_text(encoding="utf-8").splitlines()
    partial = write(tmp_path, "employees.csv", "\n".join(lines[:7]) + "\n")
    report = await run(roster, import_employees, partial)
    assert report.deactivated == [] and len(report.unchanged) == 6
    assert (await employee(roster, STAFF_PIAK)).active


async def test_deactivate_missing_and_reactivation(roster: SessionFactory, tmp_path: Path):
    lines = (EXAMPLES / "employees.csv").read_text(encoding="utf-8").splitlines()
    partial = write(tmp_path, "employees.csv", "\n".join(lines[:7]) + "\n")
    report = await run(roster, import_employees, partial, deactivate_missing=True)
    assert len(report.deactivated) == 10 and STAFF_PIAK in report.deactivated
    assert not (await employee(roster, STAFF_PIAK)).active
    assert (await employee(roster, KADIS)).active
    again = await run(roster, import_employees, partial, deactivate_missing=True)
    assert again.deactivated == [] and not again.changed
    report = await run(roster, import_employees, EXAMPLES / "employees.csv")
    assert len(report.updated) == 10  # back in the file means active again
    assert (await employee(roster, STAFF_PIAK)).active


async def test_deactivate_missing_refuses_to_drop_a_supervisor(
    roster: SessionFactory, tmp_path: Path
):
    path = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{STAFF_PIAK},Fajar,Staf,PIAK,{KADIS}\n",
    )
    lines = await errors_of(roster, import_employees, path, deactivate_missing=True)
    assert lines == [
        f"{path}:2: supervisor_nip: {KADIS} is not in this file, so deactivating the "
        "employees missing from it would deactivate this employee's supervisor"
    ]


async def test_active_column_and_empty_optional_values(roster: SessionFactory, tmp_path: Path):
    path = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip,aktif\n{STAFF_PIAK},Fajar,,PIAK,,Tidak\n",
    )
    report = await run(roster, import_employees, path)
    assert report.updated == [STAFF_PIAK]
    person = await employee(roster, STAFF_PIAK)
    assert (person.active, person.position, person.supervisor_id) == (False, "", None)


# ---------------------------------------------------------------------------
# File formats
# ---------------------------------------------------------------------------

UNITS = "code,name,parent_code,head_nip\nDINAS,Dinas,,\nBID,Bidang,DINAS,\n"


async def test_semicolon_csv(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", UNITS.replace(",", ";"))
    assert (await run(db, import_units, path)).added == ["DINAS", "BID"]


async def test_utf8_bom_and_excel_line_endings(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", "\ufeff" + UNITS.replace("\n", "\r\n"))
    assert (await run(db, import_units, path)).added == ["DINAS", "BID"]


async def test_indonesian_headers_any_case_with_spaces(db: SessionFactory, tmp_path: Path):
    path = write(
        tmp_path,
        "unit.csv",
        " Kode ; NAMA ;Kode Induk; nip_kepala \nDINAS;Dinas Ä;;\nBID;B;DINAS;\n",
    )
    report = await run(db, import_units, path)
    assert report.added == ["DINAS", "BID"]
    async with db() as session:
        assert await session.scalar(select(Unit.name).where(Unit.code == "DINAS")) == "Dinas Ä"


async def test_unknown_columns_are_ignored_with_a_note(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", "no,code,name,parent_code,head_nip\n1,DINAS,Dinas,,\n")
    report = await run(db, import_units, path)
    assert report.added == ["DINAS"]
    assert [str(note) for note in report.notes] == [
        f"{path}:1: column 'no' is not used and was ignored"
    ]


async def test_xlsx_first_sheet(db: SessionFactory, tmp_path: Path):
    units = "code,name,parent_code,head_nip\nDINAS,Dinas,,\n4102,Bidang,DINAS,\n"
    await run(db, import_units, write(tmp_path, "units.csv", units))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NIP", "Nama", "Jabatan", "Kode_Unit", "NIP_Atasan"])
    sheet.append([KADIS, "Kepala", "Kepala Dinas", "DINAS", None])
    sheet.append([None, None, None, None, None])  # a blank row keeps the numbering
    # A unit code typed as a number reads back as the digits a person sees.
    sheet.append([STAFF_PIAK, "Staf, S.Kom.", "Pranata Komputer", 4102, KADIS])
    book.create_sheet("Catatan").append(["not", "read"])
    path = tmp_path / "pegawai.xlsx"
    book.save(path)
    report = await run(db, import_employees, path)
    assert report.added == [KADIS, STAFF_PIAK]
    staff = await employee(db, STAFF_PIAK)
    assert staff.supervisor_id == (await employee(db, KADIS)).id
    assert staff.name == "Staf, S.Kom."


async def test_xlsx_nip_stored_as_a_float_is_rejected_with_a_hint(
    db: SessionFactory, tmp_path: Path
):
    await run(db, import_units, write(tmp_path, "units.csv", UNITS))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["nip", "name", "position", "unit_code", "supervisor_nip"])
    sheet.append([int(KADIS), "Kepala", "", "DINAS", ""])  # saved as a lossy float
    path = tmp_path / "pegawai.xlsx"
    book.save(path)
    [line] = await errors_of(db, import_employees, path)
    assert line.startswith(f"{path}:2: nip: ")
    assert "format the column as Text" in line


async def test_nip_written_in_groups_is_accepted(db: SessionFactory, tmp_path: Path):
    await run(db, import_units, write(tmp_path, "units.csv", UNITS))
    path = write(
        tmp_path,
        "employees.csv",
        "nip,name,position,unit_code,supervisor_nip\n19690315 199403 1 003,Kepala,,DINAS,\n",
    )
    assert (await run(db, import_employees, path)).added == [KADIS]


async def test_line_numbers_count_blank_rows_and_multiline_cells(
    db: SessionFactory, tmp_path: Path
):
    path = write(
        tmp_path,
        "units.csv",
        'code,name,parent_code,head_nip\nA,"Two\nlines",,\n\nB,,,\n',
    )
    assert await errors_of(db, import_units, path) == [f"{path}:4: name: required value is empty"]


# ---------------------------------------------------------------------------
# Every error kind
# ---------------------------------------------------------------------------


async def test_bad_nip(roster: SessionFactory, tmp_path: Path):
    path = write(
        tmp_path,
        "employees.csv",
        "nip,name,position,unit_code,supervisor_nip\n"
        "12345,A,,PIAK,\n"
        f"{NEW_NIP}x,B,,PIAK,\n"
        f"{NEW_NIP},C,,PIAK,1969031519940310\n",
    )
    assert await errors_of(roster, import_employees, path) == [
        f"{path}:2: nip: '12345' is not a NIP: it must be exactly 18 digits",
        f"{path}:3: nip: '{NEW_NIP}x' is not a NIP: it must be exactly 18 digits",
        f"{path}:4: supervisor_nip: '1969031519940310' is not a NIP: it must be exactly 18 digits",
    ]


async def test_bad_head_nip(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", "code,name,parent_code,head_nip\nA,A,,123\n")
    assert await errors_of(db, import_units, path) == [
        f"{path}:2: head_nip: '123' is not a NIP: it must be exactly 18 digits"
    ]


async def test_missing_columns_are_named(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "employees.csv", "nip,nama,unit_code\n" + f"{KADIS},A,X\n")
    assert await errors_of(db, import_employees, path) == [
        f"{path}:1: position: missing column (also accepted as jabatan)",
        f"{path}:1: supervisor_nip: missing column (also accepted as nip_atasan)",
    ]


async def test_column_given_twice(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", "code,kode,name,parent_code,head_nip\nA,A,A,,\n")
    assert await errors_of(db, import_units, path) == [
        f"{path}:1: kode: column given twice (also as 'code')"
    ]


async def test_missing_required_values(db: SessionFactory, tmp_path: Path):
    await run(db, import_units, write(tmp_path, "units.csv", UNITS))
    path = write(
        tmp_path,
        "services.csv",
        "code,unit_code,name\n,DINAS,Tanpa Kode\nKK,,Kartu Keluarga\nKTP,DINAS,  \n",
    )
    assert await errors_of(db, import_services, path) == [
        f"{path}:2: code: required value is empty",
        f"{path}:3: unit_code: required value is empty",
        f"{path}:4: name: required value is empty",
    ]


async def test_bad_code_and_bad_flag(db: SessionFactory, tmp_path: Path):
    await run(db, import_units, write(tmp_path, "units.csv", UNITS))
    path = write(tmp_path, "services.csv", "code,unit_code,name,free\nKTP EL,DINAS,KTP,mungkin\n")
    assert await errors_of(db, import_services, path) == [
        f"{path}:2: code: 'KTP EL' is not a valid code (letters, digits, '.', '_', '/', '-'; "
        "no spaces; at most 32 characters)",
        f"{path}:2: free: 'mungkin' is not yes/no (use 1/0, ya/tidak, yes/no, true/false)",
    ]


async def test_unknown_unit_for_services_and_employees(db: SessionFactory, tmp_path: Path):
    services = write(tmp_path, "services.csv", "code,unit_code,name\nKK,DAFDUK,Kartu Keluarga\n")
    assert await errors_of(db, import_services, services) == [
        f"{services}:2: unit_code: unknown unit 'DAFDUK' (import the units file first)"
    ]
    employees = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{KADIS},A,,DAFDUK,\n",
    )
    assert await errors_of(db, import_employees, employees) == [
        f"{employees}:2: unit_code: unknown unit 'DAFDUK' (import the units file first)"
    ]


async def test_unknown_supervisor(roster: SessionFactory, tmp_path: Path):
    path = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{NEW_NIP},A,,PIAK,199001012015011999\n",
    )
    assert await errors_of(roster, import_employees, path) == [
        f"{path}:2: supervisor_nip: unknown NIP 199001012015011999 "
        "(not in this file or the database)"
    ]


async def test_supervisor_known_from_the_database_or_later_in_the_file(
    roster: SessionFactory, tmp_path: Path
):
    path = write(
        tmp_path,
        "employees.csv",
        "nip,name,position,unit_code,supervisor_nip\n"
        f"{NEW_NIP},Baru,,PIAK,199912312024011002\n"
        f"199912312024011002,Atasan Baru,,PIAK,{KADIS}\n",
    )
    report = await run(roster, import_employees, path)
    assert report.added == [NEW_NIP, "199912312024011002"]


async def test_unknown_parent(db: SessionFactory, tmp_path: Path):
    path = write(tmp_path, "units.csv", "code,name,parent_code,head_nip\nBID,Bidang,DINAS,\n")
    assert await errors_of(db, import_units, path) == [
        f"{path}:2: parent_code: unknown unit 'DINAS' (not in this file or the database)"
    ]


async def test_supervisor_cycle_in_the_file(roster: SessionFactory, tmp_path: Path):
    a, b = NEW_NIP, "199912312024011002"
    path = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{a},A,,PIAK,{b}\n{b},B,,PIAK,{a}\n"
        f"199912312024011003,C,,PIAK,199912312024011003\n",
    )
    assert await errors_of(roster, import_employees, path) == [
        f"{path}:2: supervisor_nip: '{b}' closes a cycle: {a} → {b} → {a}",
        f"{path}:3: supervisor_nip: '{a}' closes a cycle: {b} → {a} → {b}",
        f"{path}:4: supervisor_nip: '199912312024011003' is this employee itself",
    ]


async def test_supervisor_cycle_through_the_database(roster: SessionFactory, tmp_path: Path):
    # The Kadis supervises the Kabid in the database; the file makes the Kabid his boss.
    path = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{KADIS},Kadis,,DISDUKCAPIL,{STAFF_DAFDUK}\n",
    )
    assert await errors_of(roster, import_employees, path) == [
        f"{path}:2: supervisor_nip: '{STAFF_DAFDUK}' closes a cycle: "
        f"{KADIS} → {STAFF_DAFDUK} → {KABID_DAFDUK} → {KADIS}"
    ]


async def test_unit_cycles(roster: SessionFactory, tmp_path: Path):
    in_file = write(tmp_path, "a.csv", "code,name,parent_code,head_nip\nX,X,Y,\nY,Y,X,\nZ,Z,Z,\n")
    assert await errors_of(roster, import_units, in_file) == [
        f"{in_file}:2: parent_code: 'Y' closes a cycle: X → Y → X",
        f"{in_file}:3: parent_code: 'X' closes a cycle: Y → X → Y",
        f"{in_file}:4: parent_code: 'Z' is this unit itself",
    ]
    with_db = write(tmp_path, "b.csv", "code,name,parent_code,head_nip\nDISDUKCAPIL,Dinas,CAPIL,\n")
    assert await errors_of(roster, import_units, with_db) == [
        f"{with_db}:2: parent_code: 'CAPIL' closes a cycle: DISDUKCAPIL → CAPIL → DISDUKCAPIL"
    ]


async def test_duplicate_keys_in_the_file(roster: SessionFactory, tmp_path: Path):
    units = write(tmp_path, "units.csv", "code,name,parent_code,head_nip\nA,A,,\nB,B,,\nA,A2,,\n")
    assert await errors_of(roster, import_units, units) == [
        f"{units}:4: code: duplicate unit code 'A' (first on line 2)"
    ]
    services = write(tmp_path, "services.csv", "code,unit_code,name\nKK,PIAK,K\nKK,PIAK,K\n")
    assert await errors_of(roster, import_services, services) == [
        f"{services}:3: code: duplicate service code 'KK' (first on line 2)"
    ]
    employees = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{NEW_NIP},A,,PIAK,\n{NEW_NIP},A,,PIAK,\n",
    )
    assert await errors_of(roster, import_employees, employees) == [
        f"{employees}:3: nip: duplicate NIP '{NEW_NIP}' (first on line 2)"
    ]


async def test_unreadable_files(db: SessionFactory, tmp_path: Path):
    missing = tmp_path / "nope.csv"
    assert await errors_of(db, import_units, missing) == [
        f"{missing}: cannot read the file: no such file or directory"
    ]
    latin1 = write(
        tmp_path, "latin1.csv", "code,name,parent_code,head_nip\nA,Bidang Ü,,\n", "latin-1"
    )
    [line] = await errors_of(db, import_units, latin1)
    assert line.startswith(f"{latin1}: not UTF-8 text")
    assert await errors_of(db, import_units, tmp_path) == [f"{tmp_path}: is a folder, not a file"]
    old_excel = write(tmp_path, "units.xls", "whatever")
    [line] = await errors_of(db, import_units, old_excel)
    assert "(.xls) files are not supported" in line


async def test_empty_file_header_only_and_no_header(db: SessionFactory, tmp_path: Path):
    empty = write(tmp_path, "empty.csv", "")
    assert await errors_of(db, import_units, empty) == [f"{empty}: the file is empty"]
    blank = write(tmp_path, "blank.csv", " \n\n,,\n")
    assert await errors_of(db, import_units, blank) == [f"{blank}: the file is empty"]
    header_only = write(tmp_path, "header.csv", "code,name,parent_code,head_nip\n")
    assert await errors_of(db, import_units, header_only) == [
        f"{header_only}: no rows below the header"
    ]
    no_header = write(tmp_path, "data.csv", "DINAS,Dinas,,\n")
    assert await errors_of(db, import_units, no_header) == [
        f"{no_header}:1: no header row; line 1 must name the columns: "
        "code,name,parent_code,head_nip"
    ]


async def test_bad_xlsx(db: SessionFactory, tmp_path: Path):
    not_zip = write(tmp_path, "units.xlsx", UNITS)
    assert await errors_of(db, import_units, not_zip) == [
        f"{not_zip}: not a valid XLSX workbook; save it again as .xlsx or CSV UTF-8"
    ]
    empty_book = tmp_path / "empty.xlsx"
    Workbook().save(empty_book)
    assert await errors_of(db, import_units, empty_book) == [f"{empty_book}: the file is empty"]


async def test_on_error_nothing_is_written_and_every_bad_row_is_listed(
    roster: SessionFactory, tmp_path: Path
):
    before = await snapshot(roster)
    path = write(
        tmp_path,
        "employees.csv",
        "nip;nama;jabatan;kode_unit;nip_atasan\n"
        f"{NEW_NIP};Pegawai Baik;Staf;PIAK;{KADIS}\n"  # fine on its own
        f"{STAFF_PIAK};Nama Baru;Staf;PIAK;{KADIS}\n"  # an update, fine on its own
        "1;Salah NIP;Staf;PIAK;\n"
        f"199912312024011002;;Staf;ENTAH;{KADIS}\n",
    )
    assert await errors_of(roster, import_employees, path) == [
        f"{path}:4: nip: '1' is not a NIP: it must be exactly 18 digits",
        f"{path}:5: nama: required value is empty",
        f"{path}:5: kode_unit: unknown unit 'ENTAH' (import the units file first)",
    ]
    assert await snapshot(roster) == before


# ---------------------------------------------------------------------------
# Unit heads across the import order
# ---------------------------------------------------------------------------


async def test_head_named_before_the_employee_exists_is_pending(db: SessionFactory, tmp_path: Path):
    units = write(tmp_path, "units.csv", f"code,name,parent_code,head_nip\nDINAS,Dinas,,{KADIS}\n")
    report = await run(db, import_units, units)
    assert [str(note) for note in report.notes] == [
        f"{units}:2: head_nip: {KADIS} is not an employee yet; it becomes head of DINAS "
        "when the employees file adds it"
    ]
    before = await snapshot(db)
    again = await run(db, import_units, units)
    assert not again.changed and await snapshot(db) == before
    [view] = await roster_tree_of(db)
    assert (view.head_nip, view.pending_head_nip) == (None, KADIS)

    employees = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{KADIS},Kadis,Kepala Dinas,DINAS,\n",
    )
    report = await run(db, import_employees, employees)
    assert report.heads_set == ["DINAS"]
    assert (await heads(db))["DINAS"] == KADIS
    before = await snapshot(db)
    assert not (await run(db, import_units, units)).changed  # resolved: nothing more to do
    assert not (await run(db, import_employees, employees)).changed
    assert await snapshot(db) == before


async def test_clearing_a_head_withdraws_its_pending_nip(db: SessionFactory, tmp_path: Path):
    named = write(tmp_path, "a.csv", f"code,name,parent_code,head_nip\nDINAS,Dinas,,{KADIS}\n")
    cleared = write(tmp_path, "b.csv", "code,name,parent_code,head_nip\nDINAS,Dinas,,\n")
    await run(db, import_units, named)
    assert (await run(db, import_units, cleared)).updated == ["DINAS"]
    assert not (await run(db, import_units, cleared)).changed
    employees = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{KADIS},Kadis,,DINAS,\n",
    )
    report = await run(db, import_employees, employees)
    assert report.heads_set == [] and (await heads(db))["DINAS"] is None


async def test_head_already_employed_is_set_directly(roster: SessionFactory, tmp_path: Path):
    path = write(
        tmp_path,
        "units.csv",
        f"code,name,parent_code,head_nip\nPIAK,Bidang PIAK,DISDUKCAPIL,{STAFF_PIAK}\n",
    )
    report = await run(roster, import_units, path)
    assert report.updated == ["PIAK"] and report.notes == []
    assert (await heads(roster))["PIAK"] == STAFF_PIAK


async def test_pending_head_missing_from_the_employees_file_is_reported(
    db: SessionFactory, tmp_path: Path
):
    await run(
        db,
        import_units,
        write(tmp_path, "units.csv", f"code,name,parent_code,head_nip\nDINAS,Dinas,,{NEW_NIP}\n"),
    )
    employees = write(
        tmp_path,
        "employees.csv",
        f"nip,name,position,unit_code,supervisor_nip\n{KADIS},Kadis,,DINAS,\n",
    )
    report = await run(db, import_employees, employees)
    assert report.heads_set == []
    assert [str(note) for note in report.notes] == [
        f"{employees}: unit DINAS: head NIP {NEW_NIP} (from the units file) is still not an "
        "employee; add it to the employees file or import the units again with the right "
        "head_nip"
    ]


# ---------------------------------------------------------------------------
# Helpers and the roster view
# ---------------------------------------------------------------------------


async def roster_tree_of(db: SessionFactory, unit: str | None = None) -> list[Any]:
    async with db() as session:
        return await roster_tree(session, unit)


def test_find_cycles():
    assert find_cycles({"a": "b", "b": "c", "c": None}) == []
    assert find_cycles({"a": "b", "b": "a", "c": "a"}) == [["a", "b"]]
    assert find_cycles({"a": "a"}) == [["a"]]
    assert find_cycles({"a": "x"}) == []  # a parent outside the map ends the path


async def test_roster_tree(roster: SessionFactory):
    [root] = await roster_tree_of(roster)
    assert root.code == "DISDUKCAPIL" and root.head_nip == KADIS
    assert [c.code for c in root.children] == ["SEKRETARIAT", "DAFDUK", "CAPIL", "PIAK", "PDIP"]
    [capil] = await roster_tree_of(roster, "CAPIL")
    assert capil.employees[0].nip == KABID_CAPIL  # the head first
    assert {e.supervisor_nip for e in capil.employees[1:]} == {KABID_CAPIL}
    assert {s.code for s in capil.services} >= {"AKTA-LAHIR", "AKTA-MATI"}
