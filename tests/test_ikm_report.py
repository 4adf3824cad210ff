"""The IKM report over a real migrated database: numbers, filters, profile, CLI outputs.

The seed is the worked example of the domain note (three respondents: all 4s,
all 3s, and 4,4,3,3,4,4,2,3,4 → IKM 3.4815, konversi 87.04, B) spread over a
parent unit and its sub-unit, plus responses that must not count: a draft, an
abandoned and a cancelled survey, one in February, one in another unit.
Codes carry a random suffix so the tests also run on a shared PostgreSQL.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli.main import cli, register_commands
from scheduler.scoring import skm
from storage.db import create_engine, session_factory
from storage.ikm_report import ReportError, build_ikm_report, respondent_rows
from storage.models import Employee, Service, Unit
from storage.survey_models import ABANDONED, CANCELLED, DRAFT, SUBMITTED, SurveyResponse

JAKARTA = ZoneInfo("Asia/Jakarta")  # UTC+7, no daylight saving
ALL_4 = (4,) * 9
ALL_3 = (3,) * 9
MIXED = (4, 4, 3, 3, 4, 4, 2, 3, 4)
ALL_1 = (1,) * 9
PSEUDONYM = "pseudonym-must-never-leak-0001"
CHAT_ID = 987654321
FORMULA_COMMENT = '=HYPERLINK("http://x","klik")'


@dataclass(frozen=True)
class Seed:
    url: str
    parent: str  # unit code
    sub: str  # sub-unit code
    other: str  # an unrelated unit
    ktp: str  # service of the parent unit
    kk: str  # service of the sub-unit
    other_service: str
    retired: str  # an inactive service of the parent, never used
    nip: str  # the officer named on the KTP QR code
    nip_idle: str  # an officer nobody named


def local(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=JAKARTA).astimezone(UTC)


def response(
    service: Service,
    scores: tuple[int, ...] | None,
    *,
    status: str = SUBMITTED,
    at: datetime | None = None,
    employee: Employee | None = None,
    **extra: object,
) -> SurveyResponse:
    at = at or local(2026, 3, 2, 10)
    columns = tuple(code.lower() for code in skm.UNSUR_CODES)
    values = dict(zip(columns, scores or (), strict=False))
    extra.setdefault("user_key", secrets.token_hex(16))
    extra.setdefault("local_date", at.astimezone(JAKARTA).date())
    return SurveyResponse(
        token=secrets.token_hex(8),
        service_id=service.id,
        employee_id=employee.id if employee else None,
        status=status,
        step="done" if status == SUBMITTED else "U5",
        started_at=at,
        updated_at=at,
        submitted_at=at if status == SUBMITTED else None,
        **values,
        **extra,
    )


@pytest.fixture
async def seed(migrated: str) -> Seed:
    sfx = secrets.token_hex(3).upper()
    digits = f"{secrets.randbelow(10**8):08d}"
    engine = create_engine(migrated)
    try:
        async with session_factory(engine).begin() as session:
            parent = Unit(code=f"DUK{sfx}", name="Dinas Kependudukan dan Pencatatan Sipil")
            other = Unit(code=f"DLH{sfx}", name="Dinas Lingkungan Hidup")
            session.add_all([parent, other])
            await session.flush()
            sub = Unit(code=f"UPT{sfx}", name="UPT Kecamatan Utara", parent_id=parent.id)
            session.add(sub)
            await session.flush()
            ktp = Service(code=f"KTP{sfx}", unit_id=parent.id, name="KTP-el", free=True)
            kk = Service(code=f"KK{sfx}", unit_id=sub.id, name="Kartu Keluarga", free=True)
            oth = Service(code=f"SAMPAH{sfx}", unit_id=other.id, name="Angkutan sampah")
            retired = Service(code=f"OLD{sfx}", unit_id=parent.id, name="Lama", active=False)
            session.add_all([ktp, kk, oth, retired])
            officer = Employee(nip=f"1980{digits}001", name="Sari Petugas", unit_id=parent.id)
            idle = Employee(nip=f"1980{digits}002", name="Budi Petugas", unit_id=parent.id)
            session.add_all([officer, idle])
            await session.flush()
            session.add_all(
                [
                    # The worked example, all in March 2026.
                    response(
                        ktp,
                        ALL_4,
                        employee=officer,
                        at=local(2026, 3, 2, 10),
                        comment="Pelayanan cepat, NIK ****************",
                        age_group="20-29",
                        gender="f",
                        education="s1",
                        occupation="private",
                        user_key=PSEUDONYM,
                        contact_ok=True,
                        contact_chat_id=CHAT_ID,
                    ),
                    response(kk, ALL_3, at=local(2026, 3, 5, 9), gender="m"),
                    # Started on 10 March, submitted at 00:30 local on 11 March
                    # (still 10 March in UTC): the period goes by the local
                    # submission day.
                    response(
                        ktp,
                        MIXED,
                        employee=officer,
                        at=local(2026, 3, 11, 0, 30),
                        local_date=date(2026, 3, 10),
                        comment=FORMULA_COMMENT,
                    ),
                    # Never counted.
                    response(ktp, (1, 1, 1), status=DRAFT, comment="draft comment"),
                    response(ktp, ALL_1, status=ABANDONED),
                    response(ktp, ALL_1, status=CANCELLED),
                    # Counted only without a period / without the unit filter.
                    response(ktp, ALL_1, at=local(2026, 2, 20, 11)),
                    response(oth, ALL_1, at=local(2026, 3, 3, 11)),
                ]
            )
    finally:
        await engine.dispose()
    return Seed(
        url=migrated,
        parent=f"DUK{sfx}",
        sub=f"UPT{sfx}",
        other=f"DLH{sfx}",
        ktp=f"KTP{sfx}",
        kk=f"KK{sfx}",
        other_service=f"SAMPAH{sfx}",
        retired=f"OLD{sfx}",
        nip=f"1980{digits}001",
        nip_idle=f"1980{digits}002",
    )


MARCH = {"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 31)}


async def report_for(seed: Seed, **filters: object):
    engine = create_engine(seed.url)
    try:
        async with session_factory(engine)() as session:
            report = await build_ikm_report(session, tz=JAKARTA, **filters)  # type: ignore[arg-type]
            rows = await respondent_rows(session, report.scope, JAKARTA)
            return report, rows
    finally:
        await engine.dispose()


# -- numbers -----------------------------------------------------------------------


async def test_unit_report_equals_the_worked_example(seed: Seed):
    report, _ = await report_for(seed, unit_code=seed.parent, **MARCH)
    overall = report.overall
    assert overall.n == 3
    assert overall.sums == {
        "U1": 11, "U2": 11, "U3": 10, "U4": 10, "U5": 11,
        "U6": 11, "U7": 9, "U8": 10, "U9": 11,
    }  # fmt: skip
    result = overall.result
    assert result is not None
    assert result.nrr["U1"] == Fraction(11, 3)
    assert result.nrr["U3"] == Fraction(10, 3)
    assert result.nrr["U7"] == 3
    assert skm.round_half_up(result.ikm, 4) == Decimal("3.4815")
    assert result.konversi_rounded == Decimal("87.04")
    assert (result.mutu.code, result.mutu.label_id) == ("B", "Baik")
    assert result.weakest == ("U7",)
    assert overall.comments == 2
    assert report.unit is not None
    assert report.unit.sub_units == ((seed.sub, "UPT Kecamatan Utara"),)


async def test_per_service_groups(seed: Seed):
    report, _ = await report_for(seed, unit_code=seed.parent, **MARCH)
    services = {s.code: s for s in report.services}
    # The inactive service without responses is not listed; the other unit's is not either.
    assert set(services) == {seed.ktp, seed.kk}
    ktp = services[seed.ktp].group
    assert ktp.n == 2
    assert ktp.result is not None
    assert ktp.result.ikm == Fraction(67, 18)  # (8+8+7+7+8+8+6+7+8) / 2 / 9
    assert ktp.result.konversi_rounded == Decimal("93.06")
    assert ktp.result.mutu.code == "A"
    assert ktp.result.weakest == ("U7",)
    kk = services[seed.kk].group
    assert kk.n == 1
    assert kk.result is not None
    assert kk.result.konversi_rounded == Decimal("75.00")
    assert kk.result.mutu.code == "C"
    assert kk.result.weakest == skm.UNSUR_CODES  # a tie: every unsur, in code order
    assert services[seed.kk].unit_code == seed.sub


async def test_drafts_abandoned_and_cancelled_never_count(seed: Seed):
    report, rows = await report_for(seed, service_code=seed.ktp)
    # KTP without a period: R1, R3 and February; not the draft/abandoned/cancelled.
    assert report.overall.n == 3
    assert len(rows) == 3
    assert all(c.text != "draft comment" for c in report.comments)


async def test_unit_pools_its_sub_units_and_nothing_else(seed: Seed):
    parent, _ = await report_for(seed, unit_code=seed.parent, **MARCH)
    sub, _ = await report_for(seed, unit_code=seed.sub, **MARCH)
    everyone, _ = await report_for(seed, **MARCH)
    assert parent.overall.n == 3
    assert sub.overall.n == 1  # a sub-unit does not include its parent
    assert sub.unit is not None and sub.unit.sub_units == ()
    assert everyone.unit is None
    assert everyone.overall.n == 4  # the other unit's response is in
    assert seed.other_service in {s.code for s in everyone.services}


async def test_filters_change_the_denominator(seed: Seed):
    base = {"unit_code": seed.parent}
    cases = [
        ({}, 4),  # February included
        (MARCH, 3),
        ({"date_from": date(2026, 3, 1), "date_to": date(2026, 3, 10)}, 2),  # R3 is 11 March local
        ({"date_from": date(2026, 3, 11), "date_to": date(2026, 3, 11)}, 1),
        ({"date_to": date(2026, 2, 28)}, 1),
        ({"service_code": seed.kk, **MARCH}, 1),
        ({"employee_nip": seed.nip, **MARCH}, 2),
        ({"employee_nip": seed.nip_idle}, 0),
        ({"employee_nip": seed.nip, "service_code": seed.kk}, 0),
    ]
    for filters, n in cases:
        report, rows = await report_for(seed, **base, **filters)
        assert report.overall.n == n, filters
        assert len(rows) == n, filters
        assert sum(s.group.n for s in report.services) == n, filters


async def test_officer_report_has_the_officers_numbers(seed: Seed):
    report, rows = await report_for(seed, employee_nip=seed.nip, **MARCH)
    assert report.employee == (seed.nip, "Sari Petugas")
    assert report.overall.result is not None
    assert report.overall.result.ikm == Fraction(67, 18)
    assert {row.officer_nip for row in rows} == {seed.nip}


async def test_empty_group_has_no_scores(seed: Seed):
    report, _ = await report_for(seed, employee_nip=seed.nip_idle)
    assert report.overall.n == 0
    assert report.overall.result is None


async def test_profile_counts_include_not_answered(seed: Seed):
    report, _ = await report_for(seed, unit_code=seed.parent, **MARCH)
    profile = report.overall.profile
    assert profile["age_group"] == {"20-29": 1, None: 2}
    assert profile["gender"] == {"f": 1, "m": 1, None: 1}
    assert profile["education"] == {"s1": 1, None: 2}
    assert profile["occupation"] == {"private": 1, None: 2}
    assert all(sum(counts.values()) == report.overall.n for counts in profile.values())
    services = {s.code: s.group.profile for s in report.services}
    assert services[seed.kk]["gender"] == {"m": 1}


async def test_krejcie_morgan_flag(seed: Seed):
    enough, _ = await report_for(seed, unit_code=seed.parent, population=3, **MARCH)
    assert enough.sample is not None
    assert (enough.sample.minimum, enough.sample.respondents, enough.sample.sufficient) == (
        3,
        3,
        True,
    )
    short, _ = await report_for(seed, unit_code=seed.parent, population=100, **MARCH)
    assert short.sample is not None
    assert (short.sample.minimum, short.sample.sufficient) == (80, False)
    none, _ = await report_for(seed, unit_code=seed.parent)
    assert none.sample is None


async def test_comments_carry_date_and_service_only(seed: Seed):
    report, _ = await report_for(seed, unit_code=seed.parent, **MARCH)
    assert [(c.local_date, c.service_code) for c in report.comments] == [
        (date(2026, 3, 2), seed.ktp),
        (date(2026, 3, 11), seed.ktp),
    ]
    assert report.comments[1].text == FORMULA_COMMENT


async def test_respondent_rows_are_numbered_without_identity(seed: Seed):
    _, rows = await report_for(seed, unit_code=seed.parent, **MARCH)
    assert [r.number for r in rows] == [1, 2, 3]
    assert [r.local_date for r in rows] == [date(2026, 3, 2), date(2026, 3, 5), date(2026, 3, 11)]
    assert rows[0].scores == dict(zip(skm.UNSUR_CODES, ALL_4, strict=True))
    assert rows[1].officer_nip is None
    assert not hasattr(rows[0], "user_key")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"unit_code": "NOPE"}, "unknown unit code 'NOPE'"),
        ({"service_code": "NOPE"}, "unknown service code 'NOPE'"),
        ({"employee_nip": "000"}, "unknown employee NIP '000'"),
    ],
)
async def test_unknown_codes_raise_one_line(seed: Seed, filters, message):
    with pytest.raises(ReportError, match=message):
        await report_for(seed, **filters)


async def test_service_outside_the_unit_is_refused(seed: Seed):
    with pytest.raises(ReportError, match="is not a service of unit"):
        await report_for(seed, unit_code=seed.sub, service_code=seed.ktp)


# -- the CLI -------------------------------------------------------------------------


def run_cli(seed: Seed, tmp_path: Path, *args: str):
    register_commands()
    register_commands()  # a second registration is harmless
    env = {
        "DATABASE_URL": seed.url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-0123456789",
        "TIMEZONE": "Asia/Jakarta",
        "LOG_LEVEL": "WARNING",
    }
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    previous = Path.cwd()
    os.chdir(work)  # no stray .env is read; default file names land here
    try:
        return CliRunner().invoke(cli, ["report", "ikm", *args], env=env, catch_exceptions=False)
    finally:
        os.chdir(previous)


MARCH_ARGS = ("--from", "2026-03-01", "--to", "2026-03-31")


def test_cli_table(seed: Seed, tmp_path: Path):
    result = run_cli(seed, tmp_path, "--unit", seed.parent, *MARCH_ARGS, "--population", "100")
    assert result.exit_code == 0, result.output
    text = result.output
    assert "Dinas Kependudukan dan Pencatatan Sipil" in text
    assert "Responden (n) : 3" in text
    assert "U1    Persyaratan" in text
    assert "3.6667" in text  # NRR U1
    assert "3.4815" in text
    assert "87.04" in text
    assert "B (Baik)" in text
    assert "U7 Perilaku pelaksana" in text  # weakest unsur
    assert "minimum Krejcie–Morgan 80" in text and "BELUM terpenuhi (kurang 77)" in text
    assert "Laki-laki 1" in text and "Tidak menjawab" in text
    assert "Komentar      : 2" in text
    assert seed.kk in text and "75.00" in text


def test_cli_json(seed: Seed, tmp_path: Path):
    result = run_cli(
        seed, tmp_path, "--unit", seed.parent, *MARCH_ARGS, "--format", "json", "--population", "3"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["report"] == "ikm" and data["version"] == 1
    assert data["filters"]["unit"]["code"] == seed.parent
    assert data["filters"]["from"] == "2026-03-01"
    overall = data["overall"]
    assert overall["respondents"] == 3
    assert overall["sums"]["U7"] == 9
    assert overall["nrr"]["U1"] == 3.6667
    assert overall["nrr_weighted"]["U7"] == 0.3333
    assert overall["ikm"] == 3.4815
    assert overall["konversi"] == 87.04
    assert overall["mutu"] == {"code": "B", "label_id": "Baik", "label_en": "Good"}
    assert overall["weakest"] == ["U7"]
    assert overall["profile"]["gender"] == {"m": 1, "f": 1, "not_answered": 1}
    assert overall["profile"]["age_group"]["lt20"] == 0
    assert data["sample"] == {"population": 3, "minimum": 3, "respondents": 3, "sufficient": True}
    assert [s["code"] for s in data["services"]] == [seed.ktp, seed.kk]  # by unit, then code
    assert [c["date"] for c in data["comments"]] == ["2026-03-02", "2026-03-11"]
    assert set(data["comments"][0]) == {"date", "service_code", "service_name", "text"}
    assert data["unsur"][7] == {
        "code": "U8",
        "name": "Penanganan pengaduan, saran dan masukan",
        "name_en": "Handling of complaints, suggestions and feedback",
        "about_officer": False,
    }
    assert [u["code"] for u in data["unsur"] if u["about_officer"]] == ["U6", "U7"]
    assert PSEUDONYM not in result.output and str(CHAT_ID) not in result.output


def test_cli_json_empty_group(seed: Seed, tmp_path: Path):
    result = run_cli(seed, tmp_path, "--employee", seed.nip_idle, "--format", "json")
    assert result.exit_code == 0, result.output
    overall = json.loads(result.output)["overall"]
    assert overall["respondents"] == 0
    assert overall["ikm"] is None and overall["mutu"] is None and overall["weakest"] == []


def _row_by_label(sheet, label: str) -> list:
    for row in sheet.iter_rows(values_only=True):
        if row and row[0] == label:
            return list(row)
    raise AssertionError(f"no row labelled {label!r}")


def test_cli_xlsx_tabulation(seed: Seed, tmp_path: Path):
    out = tmp_path / "ikm.xlsx"
    result = run_cli(
        seed, tmp_path, "--unit", seed.parent, *MARCH_ARGS, "--format", "xlsx", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "Tabulasi"
    assert {"Per layanan", "Komentar", "Unsur"} <= set(book.sheetnames)
    assert any(name.startswith("Profil") for name in book.sheetnames)
    sheet = book["Tabulasi"]
    rows = list(sheet.iter_rows(values_only=True))
    header_index = next(i for i, r in enumerate(rows) if r[0] == "No")
    header = list(rows[header_index])
    assert header[:4] == ["No", "Tanggal", "Layanan", "NIP petugas"]
    assert header[4:13] == list(skm.UNSUR_CODES)
    respondents = rows[header_index + 1 : header_index + 4]
    assert [r[0] for r in respondents] == [1, 2, 3]
    assert [tuple(r[4:13]) for r in respondents] == [ALL_4, ALL_3, MIXED]
    assert respondents[0][3] == seed.nip and respondents[1][3] in ("", None)

    totals = _row_by_label(sheet, "Jumlah nilai per unsur")[4:13]
    assert totals == [11, 11, 10, 10, 11, 11, 9, 10, 11]
    nrr = _row_by_label(sheet, "NRR per unsur")[4:13]
    assert nrr == pytest.approx([11 / 3, 11 / 3, 10 / 3, 10 / 3, 11 / 3, 11 / 3, 3, 10 / 3, 11 / 3])
    weighted = _row_by_label(sheet, "NRR tertimbang per unsur")[4:13]
    assert sum(weighted) == pytest.approx(94 / 27)
    assert _row_by_label(sheet, "IKM")[4] == pytest.approx(3.48148, abs=1e-5)
    assert _row_by_label(sheet, "IKM konversi")[4] == 87.04
    assert _row_by_label(sheet, "Mutu pelayanan")[4] == "B (Baik)"

    # A comment that looks like a formula stays text.
    comments = book["Komentar"]
    cell = comments.cell(row=3, column=4)
    assert cell.value == FORMULA_COMMENT and cell.data_type == "s"
    per_service = {r[0]: r for r in book["Per layanan"].iter_rows(min_row=2, values_only=True)}
    assert per_service[seed.kk][3] == 1


def test_cli_xlsx_default_name(seed: Seed, tmp_path: Path):
    result = run_cli(seed, tmp_path, "--unit", seed.parent, *MARCH_ARGS, "--format", "xlsx")
    assert result.exit_code == 0, result.output
    # Without --out: DATA_DIR/exports (under the home), never the working folder.
    path = Path(result.output.strip())
    assert path == tmp_path / "data" / "exports" / f"ikm-{seed.parent}-2026-03-01-2026-03-31.xlsx"
    assert path.is_file()


def test_cli_unmigrated_database_is_one_line(seed: Seed, tmp_path: Path):
    empty = Seed(**{**seed.__dict__, "url": f"sqlite+aiosqlite:///{tmp_path}/empty.db"})
    result = run_cli(empty, tmp_path)
    assert result.exit_code == 2
    assert "ulasan db upgrade" in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_json_to_file(seed: Seed, tmp_path: Path):
    out = tmp_path / "r" / "ikm.json"
    result = run_cli(seed, tmp_path, "--format", "json", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["report"] == "ikm"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--unit", "NOPE"), "unknown unit code 'NOPE'"),
        (("--service", "NOPE"), "unknown service code 'NOPE'"),
        (("--employee", "123"), "unknown employee NIP '123'"),
        (("--from", "2026-13-01"), "--from: '2026-13-01' is not a valid date"),
        (("--to", "31-03-2026"), "--to: '31-03-2026' is not a date; use YYYY-MM-DD"),
        (("--from", "2026-03-02", "--to", "2026-03-01"), "is after --to"),
        (("--population", "many"), "--population: 'many' is not a whole number"),
        (("--format", "pdf"), "--format: 'pdf' is not one of table, json, xlsx"),
    ],
)
def test_cli_bad_input_is_one_line_exit_1(seed: Seed, tmp_path: Path, args, message):
    result = run_cli(seed, tmp_path, *args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output
