"""``ulasan holidays import|list`` on a real database: the file is checked whole, every bad
row is named and nothing is half-written; re-importing changes nothing; the loaded days
make the working-day calendar."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from sqlalchemy import select

from bot.cli.main import cli, register_commands
from bot.core.settings import load_settings
from scheduler.scoring.working_days import nth_working_day_after
from storage import cases
from storage.db import create_engine, session_factory
from storage.holiday_models import Holiday
from storage.holidays import work_calendar
from storage.models import AuditLog

HOLIDAYS_2026 = """tanggal;nama
2026-01-01;Tahun Baru 2026 Masehi
20/03/2026;Hari Suci Nyepi
2026-04-03;Wafat Yesus Kristus
"""


@pytest.fixture
def run(tmp_path: Path, migrated: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    register_commands()
    env = {
        "DATABASE_URL": migrated,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "cli-test-secret-0123456789",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["holidays", *args], env=env, catch_exceptions=False)

    return invoke


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def _rows(url: str, model: type) -> list:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(model))).all())
    finally:
        await engine.dispose()


def rows(url: str, model: type) -> list:
    return asyncio.run(_rows(url, model))


def test_import_then_again_changes_nothing(run, tmp_path: Path, migrated: str):
    file = _write(tmp_path, "libur-2026.csv", HOLIDAYS_2026)
    first = run("import", str(file))
    assert first.exit_code == 0, first.output
    assert "holidays (2026): 3 added, 0 renamed, 0 unchanged" in first.output
    again = run("import", str(file))
    assert again.exit_code == 0, again.output
    assert "holidays (2026): 0 added, 0 renamed, 3 unchanged" in again.output
    stored = {h.day: h.name for h in rows(migrated, Holiday)}
    assert stored == {
        date(2026, 1, 1): "Tahun Baru 2026 Masehi",
        date(2026, 3, 20): "Hari Suci Nyepi",
        date(2026, 4, 3): "Wafat Yesus Kristus",
    }
    audits = [a for a in rows(migrated, AuditLog) if a.action == "holidays.import"]
    assert len(audits) == 1 and audits[0].actor.startswith("cli:")

    listed = run("list", "--format", "json")
    assert json.loads(listed.output)[1] == {"date": "2026-03-20", "name": "Hari Suci Nyepi"}
    table = run("list", "--year", "2026")
    assert "2026-04-03  Fri  Wafat Yesus Kristus" in table.output


def test_every_bad_row_is_named_and_nothing_is_written(run, tmp_path: Path, migrated: str):
    file = _write(
        tmp_path,
        "libur.csv",
        "date,name\n"
        "2026-01-01,Tahun Baru\n"
        "2026-02-30,Tanggal yang tidak ada\n"
        "17 Agustus,Hari Kemerdekaan\n"
        "2026-05-01,\n"
        "1/1/2026,Tahun Baru lagi\n"
        "1999-12-25,Natal\n",
    )
    done = run("import", str(file))
    assert done.exit_code == 1
    lines = done.stderr.splitlines()
    assert lines[:-1] == [
        f"{file}:3: date: '2026-02-30' is not a date; write YYYY-MM-DD (2026-03-20) or "
        "DD/MM/YYYY (20/03/2026)",
        f"{file}:4: date: '17 Agustus' is not a date; write YYYY-MM-DD (2026-03-20) or "
        "DD/MM/YYYY (20/03/2026)",
        f"{file}:5: name: required value is empty",
        f"{file}:6: date: 2026-01-01 is listed twice (first on line 2)",
        f"{file}:7: date: '1999-12-25': the year must be between 2000 and 2100",
    ]
    assert lines[-1] == "5 problems found; nothing was imported."
    assert rows(migrated, Holiday) == []


def test_a_broken_or_foreign_file_is_one_line(run, tmp_path: Path):
    broken = tmp_path / "libur.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    done = run("import", str(broken))
    assert done.exit_code == 1
    assert "not a valid XLSX workbook" in done.stderr
    wrong = _write(tmp_path, "units.csv", "code,name\nDUK,Dinas\n")
    done = run("import", str(wrong))
    assert f"{wrong}:1: date: missing column (also accepted as tanggal)" in done.stderr
    missing = run("import", str(tmp_path / "nowhere.csv"))
    assert missing.exit_code == 1 and "cannot read the file" in missing.stderr


def test_xlsx_date_cells_and_replace_for_a_revised_decree(run, tmp_path: Path, migrated: str):
    book = Workbook()
    sheet = book.active
    sheet.append(["Tanggal", "Nama"])
    sheet.append([date(2026, 3, 18), "Cuti Bersama Idul Fitri"])
    sheet.append([date(2026, 3, 23), "Cuti Bersama Idul Fitri"])
    sheet.append([date(2025, 12, 26), "Cuti Bersama Natal"])
    path = tmp_path / "cuti.xlsx"
    book.save(path)
    assert run("import", str(path)).exit_code == 0
    # The revised decree moves one day: with --replace the file is the whole list of its year.
    revised = _write(
        tmp_path,
        "cuti-revisi.csv",
        "date,name\n2026-03-18,Cuti Bersama Idul Fitri\n2026-03-24,Cuti Bersama Idul Fitri\n",
    )
    done = run("import", "--replace", str(revised))
    assert done.exit_code == 0, done.output
    assert "1 added, 0 renamed, 1 unchanged, 1 removed" in done.output
    assert "removed: 2026-03-23" in done.output
    days = sorted(h.day for h in rows(migrated, Holiday))
    # 2025 is not a year of the file: its day stays.
    assert days == [date(2025, 12, 26), date(2026, 3, 18), date(2026, 3, 24)]


async def test_the_calendar_is_work_days_minus_the_loaded_holidays(migrated: str):
    engine = create_engine(migrated)
    try:
        async with session_factory(engine).begin() as session:
            session.add(Holiday(day=date(2026, 4, 3), name="Wafat Yesus Kristus"))
        settings = load_settings(_env_file=None, database_url=migrated, work_days="1-5")
        async with session_factory(engine)() as session:
            calendar = await work_calendar(session, settings)
            case_days = await cases.working_days(session, settings)
    finally:
        await engine.dispose()
    assert not calendar(date(2026, 4, 3))
    assert not case_days(date(2026, 4, 3)) and case_days(date(2026, 4, 2))  # cases count them too
    assert nth_working_day_after(date(2026, 3, 31), 10, calendar) == date(2026, 4, 15)
