"""``ulasan import skp FILE`` on a real database: every bad row named, nothing half-written;
a re-import matches NIP, year and rencana hasil kerja, updates a changed target, archives a
missing line (kept, with what hangs on it) and restores one that returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from sqlalchemy import select

from bot.cli.main import cli, register_commands
from storage.db import create_engine, session_factory
from storage.models import AuditLog
from storage.performance_models import SkpLine

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
RINA = "198705142010012006"
RIZKY = "198912012014031002"


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
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    for kind in ("units", "employees"):
        assert invoke("import", kind, str(EXAMPLES / f"{kind}.csv")).exit_code == 0
    return invoke


async def _rows(url: str, model: type) -> list:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(model).order_by(model.id))).all())
    finally:
        await engine.dispose()


def rows(url: str, model: type) -> list:
    return asyncio.run(_rows(url, model))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_again_changes_nothing(run, migrated: str):
    first = run("import", "skp", str(EXAMPLES / "skp.csv"))
    assert first.exit_code == 0, first.output
    assert "skp (4 employees): 5 added, 0 updated, 0 unchanged, 0 archived" in first.output
    again = run("import", "skp", str(EXAMPLES / "skp.csv"))
    assert "skp (4 employees): 0 added, 0 updated, 5 unchanged, 0 archived" in again.output
    lines = rows(migrated, SkpLine)
    assert [(line.year, line.target) for line in lines][:2] == [(2026, "95%"), (2026, "88.31")]
    assert lines[0].perspective == "Penerima Layanan" and lines[0].archived_at is None
    audits = [a for a in rows(migrated, AuditLog) if a.action == "skp.import"]
    assert len(audits) == 1


def test_reimport_updates_a_target_archives_a_missing_line_and_restores_it(
    run, tmp_path: Path, migrated: str
):
    run("import", "skp", str(EXAMPLES / "skp.csv"))
    header = "nip;tahun;rencana_hasil_kerja;indikator;target;perspektif\n"
    # Rina: the first line's target changes (spaces in the plan do not make it another
    # line), the second is gone. Rizky and the others are not in the file: left alone.
    revised = _write(
        tmp_path,
        "skp-revisi.csv",
        header + f"{RINA};2026;Terlayaninya  perekaman KTP-el tepat waktu;"
        "Persentase perekaman KTP-el selesai pada hari yang sama;97%;Penerima Layanan\n",
    )
    result = run("import", "skp", str(revised))
    assert result.exit_code == 0, result.output
    assert "skp (1 employees): 0 added, 1 updated, 0 unchanged, 1 archived" in result.output
    lines = {line.plan: line for line in rows(migrated, SkpLine)}
    assert lines["Terlayaninya perekaman KTP-el tepat waktu"].target == "97%"
    archived = lines["Meningkatnya kepuasan pemohon layanan pendaftaran"]
    assert archived.archived_at is not None and archived.target == "88.31"
    assert lines["Tersusunnya laporan bulanan pendaftaran penduduk"].archived_at is None

    back = run("import", "skp", str(EXAMPLES / "skp.csv"))
    assert "1 updated, 3 unchanged, 0 archived, 1 restored" in back.output
    assert all(line.archived_at is None for line in rows(migrated, SkpLine))


def test_every_bad_row_is_named_and_nothing_is_written(run, tmp_path: Path, migrated: str):
    file = _write(
        tmp_path,
        "skp-salah.csv",
        "nip,tahun,rencana_hasil_kerja,indikator,target,perspektif\n"
        f"{RINA},2026,Rencana yang benar,Indikator,95%,\n"
        "199999999999999999,2026,Rencana,Indikator,1,\n"
        f"{RINA},26,Rencana lain,Indikator,1,\n"
        f"{RIZKY},2026,,Indikator,1,\n"
        f"{RIZKY},2026,Rencana,Indikator,,\n"
        f"{RINA},2026,Rencana yang benar,Indikator kedua,90%,\n"
        f"{RIZKY},2026,{'x' * 501},Indikator,1,\n"
        "1.98705E+17,2026,Rencana,Indikator,1,\n",
    )
    result = run("import", "skp", str(file))
    assert result.exit_code == 1
    err = result.stderr
    assert "skp-salah.csv:3: nip: '199999999999999999' is not in the roster" in err
    assert "skp-salah.csv:4: tahun: '26' is not a year between 2000 and 2100" in err
    assert "skp-salah.csv:5: rencana_hasil_kerja: required value is empty" in err
    assert "skp-salah.csv:6: target: required value is empty" in err
    assert "skp-salah.csv:7: rencana_hasil_kerja: this rencana hasil kerja is listed twice" in err
    assert "(first on line 2)" in err
    assert "skp-salah.csv:8: rencana_hasil_kerja: too long (501 characters; at most 500)" in err
    assert "skp-salah.csv:9: nip:" in err
    assert "7 problems found; nothing was imported." in err
    assert rows(migrated, SkpLine) == []


def test_xlsx_with_english_headers_and_a_numeric_year(run, tmp_path: Path, migrated: str):
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NIP", "Year", "Work plan", "Indicator", "Target", "Perspective"])
    sheet.append([RIZKY, 2026, "Tersusunnya laporan", "Jumlah laporan", "12", None])
    path = tmp_path / "skp.xlsx"
    book.save(path)
    result = run("import", "skp", str(path))
    assert result.exit_code == 0, result.output
    (line,) = rows(migrated, SkpLine)
    assert (line.plan, line.target, line.perspective, line.year) == (
        "Tersusunnya laporan",
        "12",
        "",
        2026,
    )
