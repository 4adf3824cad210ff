"""``ulasan report ikm``: the SKM/IKM report as a plain-text table, JSON or XLSX.

The numbers come from `storage.ikm_report` (the rollup tables, brought up to
date first, in a transaction of their own, so the report then only reads) and
the pure math of `scheduler.scoring.skm`, the same functions the bot uses. Text is for the operator:
the regulation's Indonesian terms (IKM, NRR, mutu, unsur) with unsur and
profile names from the Indonesian catalog. The JSON shape is documented in
``docs/report-ikm-json.md`` and versioned by its ``version`` field.

Rounding is for display only: NRR and weighted NRR to 4 decimals, IKM to 4,
IKM konversi to 2 (the value mutu is classified on), all half-up.

Bad input (unknown unit, service or NIP; a malformed date or number) prints one
line and exits with code 1; exit code 2 is reserved for settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import click

from bot.cli.common import clock, fail, format_option, get_settings, run_reading
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler import rollup
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import PROFILE, PROFILE_TITLES, UNSUR_BY_CODE
from storage.db import create_engine, session_factory
from storage.ikm_report import (
    PROFILE_FIELDS,
    GroupReport,
    IkmReport,
    ReportError,
    RespondentRow,
    build_ikm_report,
    respondent_rows,
)

JSON_VERSION = 1
FORMATS = ("table", "json", "xlsx")
NOT_ANSWERED_KEY = "not_answered"
NOT_ANSWERED_ID = "Tidak menjawab"
REGULATION = "PermenPANRB 14/2017"

_id = gettext_for("id")
_en = gettext_for("en")


def unsur_name(code: str, language: str = "id") -> str:
    translate = _en if language == "en" else _id
    return translate(UNSUR_BY_CODE[code].name)


def profile_label(name: str, value: str | None) -> str:
    if value is None:
        return NOT_ANSWERED_ID
    labels = dict(PROFILE.get(name, ()))
    return _id(labels[value]) if value in labels else value


def profile_keys(name: str, counts: dict[str | None, int]) -> list[str | None]:
    """Display order of one profile field: the instrument's values, unexpected ones, None."""
    known = [value for value, _ in PROFILE.get(name, ())]
    extra = sorted(k for k in counts if k is not None and k not in known)
    return [*known, *extra, None]


def dec(value: Fraction | Decimal, places: int) -> Decimal:
    return skm.round_half_up(value, places)


def num(value: Fraction | Decimal, places: int) -> float:
    """A display-rounded JSON number (half-up first, so 76.605 is 76.61, not 76.6)."""
    return float(dec(value, places))


# -- JSON -----------------------------------------------------------------------------


def group_json(group: GroupReport) -> dict[str, Any]:
    result = group.result
    return {
        "respondents": group.n,
        "sums": dict(group.sums),
        "nrr": {c: num(v, 4) for c, v in result.nrr.items()} if result else None,
        "nrr_weighted": (
            {c: num(v, 4) for c, v in result.nrr_weighted.items()} if result else None
        ),
        "ikm": num(result.ikm, 4) if result else None,
        "konversi": float(result.konversi_rounded) if result else None,
        "mutu": (
            {
                "code": result.mutu.code,
                "label_id": result.mutu.label_id,
                "label_en": result.mutu.label_en,
            }
            if result
            else None
        ),
        "weakest": list(result.weakest) if result else [],
        "profile": {
            name: {
                (NOT_ANSWERED_KEY if key is None else key): group.profile[name].get(key, 0)
                for key in profile_keys(name, group.profile[name])
            }
            for name in PROFILE_FIELDS
        },
        "comments": group.comments,
    }


def report_json(report: IkmReport, generated_at: datetime | None = None) -> dict[str, Any]:
    generated_at = generated_at or datetime.now(UTC)
    unit = report.unit
    return {
        "report": "ikm",
        "version": JSON_VERSION,
        "regulation": REGULATION,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "filters": {
            "unit": (
                {
                    "code": unit.code,
                    "name": unit.name,
                    "sub_units": [{"code": c, "name": n} for c, n in unit.sub_units],
                }
                if unit
                else None
            ),
            "service": (
                {"code": report.service[0], "name": report.service[1]} if report.service else None
            ),
            "employee": (
                {"nip": report.employee[0], "name": report.employee[1]} if report.employee else None
            ),
            "from": report.date_from.isoformat() if report.date_from else None,
            "to": report.date_to.isoformat() if report.date_to else None,
            "timezone": report.timezone,
            "date_basis": "submitted",
        },
        "weight": "1/9",
        "unsur": [
            {
                "code": c,
                "name": unsur_name(c),
                "name_en": unsur_name(c, "en"),
                "about_officer": UNSUR_BY_CODE[c].about_officer,
            }
            for c in skm.UNSUR_CODES
        ],
        "overall": group_json(report.overall),
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "unit_code": s.unit_code,
                "unit_name": s.unit_name,
                "active": s.active,
                **group_json(s.group),
            }
            for s in report.services
        ],
        "sample": (
            {
                "population": report.sample.population,
                "minimum": report.sample.minimum,
                "respondents": report.sample.respondents,
                "sufficient": report.sample.sufficient,
            }
            if report.sample
            else None
        ),
        "comments": [
            {
                "date": c.local_date.isoformat(),
                "service_code": c.service_code,
                "service_name": c.service_name,
                "text": c.text,
            }
            for c in report.comments
        ],
    }


# -- plain-text table -------------------------------------------------------------------


def _period(report: IkmReport) -> str:
    start = report.date_from.isoformat() if report.date_from else "awal"
    end = report.date_to.isoformat() if report.date_to else "sekarang"
    return f"{start} s.d. {end} (tanggal pengisian, {report.timezone})"


def _mutu_text(group: GroupReport) -> str:
    if group.result is None:
        return "-"
    return f"{group.result.mutu.code} ({group.result.mutu.label_id})"


def _weakest_text(group: GroupReport) -> str:
    if group.result is None:
        return "-"
    return ", ".join(f"{c} {unsur_name(c)}" for c in group.result.weakest)


def _rows(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render_table(report: IkmReport) -> str:
    overall = report.overall
    out = [f"Laporan Indeks Kepuasan Masyarakat (IKM) — {REGULATION}", ""]
    if report.unit:
        out.append(f"Unit          : {report.unit.code} — {report.unit.name}")
        if report.unit.sub_units:
            subs = ", ".join(code for code, _ in report.unit.sub_units)
            out.append(f"  termasuk sub-unit: {subs}")
    else:
        out.append("Unit          : semua unit")
    if report.service:
        out.append(f"Layanan       : {report.service[0]} — {report.service[1]}")
    if report.employee:
        out.append(f"Petugas (NIP) : {report.employee[0]} — {report.employee[1]}")
        about = ", ".join(u.code for u in UNSUR_BY_CODE.values() if u.about_officer)
        out.append(f"  unsur tentang petugas: {about}; unsur lain tentang layanan")
    out.append(f"Periode       : {_period(report)}")
    out.append(f"Responden (n) : {overall.n}")
    if report.sample:
        s = report.sample
        short = s.minimum - s.respondents
        verdict = "terpenuhi" if s.sufficient else f"BELUM terpenuhi (kurang {short})"
        out.append(f"Sampel        : populasi {s.population}, minimum Krejcie–Morgan {s.minimum}")
        out.append(f"                → {verdict}")
    out.append("")
    result = overall.result
    if result is None:
        out.append("Belum ada responden pada periode dan filter ini.")
    else:
        rows = [
            [
                code,
                unsur_name(code),
                str(result.sums[code]),
                str(dec(result.nrr[code], 4)),
                str(dec(result.nrr_weighted[code], 4)),
            ]
            for code in skm.UNSUR_CODES
        ]
        out += _rows(["Kode", "Unsur", "Jumlah", "NRR", "NRR tertimbang"], rows, {2, 3, 4})
        out += [
            "",
            f"IKM (1–4)          : {dec(result.ikm, 4)}",
            f"IKM konversi       : {result.konversi_rounded}",
            f"Mutu pelayanan     : {_mutu_text(overall)}",
            f"Unsur terlemah     : {_weakest_text(overall)}",
        ]
    out += ["", "Per layanan"]
    service_rows = [
        [
            s.code,
            s.name,
            s.unit_code,
            str(s.group.n),
            str(dec(s.group.result.ikm, 4)) if s.group.result else "-",
            str(s.group.result.konversi_rounded) if s.group.result else "-",
            _mutu_text(s.group),
            ", ".join(s.group.result.weakest) if s.group.result else "-",
        ]
        for s in report.services
    ]
    out += _rows(
        ["Kode", "Layanan", "Unit", "n", "IKM", "Konversi", "Mutu", "Terlemah"],
        service_rows,
        {3, 4, 5},
    )
    out += ["", "Profil responden"]
    for name in PROFILE_FIELDS:
        counts = overall.profile[name]
        parts = [
            f"{profile_label(name, key)} {counts.get(key, 0)}" for key in profile_keys(name, counts)
        ]
        out.append(f"  {_id(PROFILE_TITLES[name])}: " + " · ".join(parts))
    out += ["", f"Komentar      : {overall.comments} (teks lengkap: --format json atau xlsx)"]
    return "\n".join(out) + "\n"


# -- XLSX ---------------------------------------------------------------------------------

TABULATION_HEADERS = ("No", "Tanggal", "Layanan", "NIP petugas")
LABEL_TOTAL = "Jumlah nilai per unsur"
LABEL_NRR = "NRR per unsur"
LABEL_WEIGHTED = "NRR tertimbang per unsur"
LABEL_IKM = "IKM"
LABEL_KONVERSI = "IKM konversi"
LABEL_MUTU = "Mutu pelayanan"


def write_xlsx(report: IkmReport, rows: Sequence[RespondentRow], path: Path) -> None:
    """The regulation's tabulation (one row per respondent, then totals) plus breakdown sheets."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    bold = Font(bold=True)

    def put(sheet: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> Cell:
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            # Comments and names are user input: never let "=…" become a formula.
            cell.data_type = "s"
        if fmt:
            cell.number_format = fmt
        return cell

    def header(sheet: Worksheet, row: int, values: Sequence[str]) -> None:
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value).font = bold

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tabulasi"
    overall = report.overall
    result = overall.result
    put(sheet, 1, 1, f"Tabulasi SKM — {REGULATION}").font = bold
    unit = f"{report.unit.code} — {report.unit.name}" if report.unit else "semua unit"
    put(sheet, 2, 1, f"Unit: {unit}")
    filters = []
    if report.service:
        filters.append(f"Layanan: {report.service[0]} — {report.service[1]}")
    if report.employee:
        filters.append(f"Petugas (NIP): {report.employee[0]} — {report.employee[1]}")
    put(sheet, 3, 1, f"Periode: {_period(report)}" + ("; " + "; ".join(filters) if filters else ""))
    sample_text = f"Responden (n): {overall.n}"
    if report.sample:
        s = report.sample
        sample_text += f"; populasi {s.population}, minimum Krejcie–Morgan {s.minimum}: " + (
            "terpenuhi" if s.sufficient else "belum terpenuhi"
        )
    put(sheet, 4, 1, sample_text)

    first_score = len(TABULATION_HEADERS) + 1
    head_row = 6
    header(sheet, head_row, [*TABULATION_HEADERS, *skm.UNSUR_CODES])
    line = head_row
    for item in rows:
        line += 1
        put(sheet, line, 1, item.number)
        put(sheet, line, 2, item.local_date, "yyyy-mm-dd")
        put(sheet, line, 3, item.service_code)
        put(sheet, line, 4, item.officer_nip or "")
        for offset, code in enumerate(skm.UNSUR_CODES):
            put(sheet, line, first_score + offset, item.scores[code])

    def summary(label: str, values: dict[str, Any] | None, fmt: str | None) -> None:
        nonlocal line
        line += 1
        put(sheet, line, 1, label).font = bold
        if values is None:
            return
        for offset, code in enumerate(skm.UNSUR_CODES):
            put(sheet, line, first_score + offset, values[code], fmt)

    line += 1  # one blank row between respondents and totals
    if result is None:
        put(sheet, line + 1, 1, "Belum ada responden pada periode dan filter ini.")
    else:
        # Full-precision values with a display format: the cells add up exactly
        # as the report does; only the IKM konversi is the rounded, classified value.
        summary(LABEL_TOTAL, dict(result.sums), None)
        summary(LABEL_NRR, {c: float(v) for c, v in result.nrr.items()}, "0.0000")
        summary(LABEL_WEIGHTED, {c: float(v) for c, v in result.nrr_weighted.items()}, "0.0000")
        summary(LABEL_IKM, None, None)
        put(sheet, line, first_score, float(result.ikm), "0.0000")
        summary(LABEL_KONVERSI, None, None)
        put(sheet, line, first_score, float(result.konversi_rounded), "0.00")
        summary(LABEL_MUTU, None, None)
        put(sheet, line, first_score, f"{result.mutu.code} ({result.mutu.label_id})")
        summary("Unsur terlemah", None, None)
        put(sheet, line, first_score, _weakest_text(overall))
    sheet.freeze_panes = sheet.cell(row=head_row + 1, column=first_score)
    for letter, width in zip("ABCD", (8, 12, 14, 20), strict=True):
        sheet.column_dimensions[letter].width = width

    # Unsur legend: code → name and weight, so the U columns read on their own.
    legend = book.create_sheet("Unsur")
    header(legend, 1, ["Kode", "Unsur", "Bobot"])
    for index, code in enumerate(skm.UNSUR_CODES, start=2):
        put(legend, index, 1, code)
        put(legend, index, 2, unsur_name(code))
        put(legend, index, 3, float(skm.WEIGHT), "0.0000")
    legend.column_dimensions["B"].width = 48

    per_service = book.create_sheet("Per layanan")
    header(
        per_service,
        1,
        [
            "Kode",
            "Layanan",
            "Unit",
            "n",
            *(f"NRR {c}" for c in skm.UNSUR_CODES),
            "IKM",
            "IKM konversi",
            "Mutu",
            "Unsur terlemah",
            "Komentar",
        ],
    )
    for index, service in enumerate(report.services, start=2):
        group = service.group
        values: list[Any] = [service.code, service.name, service.unit_code, group.n]
        if group.result:
            values += [float(group.result.nrr[c]) for c in skm.UNSUR_CODES]
            values += [
                float(group.result.ikm),
                float(group.result.konversi_rounded),
                f"{group.result.mutu.code} ({group.result.mutu.label_id})",
                ", ".join(group.result.weakest),
            ]
        else:
            values += [None] * (len(skm.UNSUR_CODES) + 4)
        values.append(group.comments)
        konversi_column = 4 + len(skm.UNSUR_CODES) + 2
        for column, value in enumerate(values, start=1):
            fmt = "0.0000" if isinstance(value, float) else None
            put(per_service, index, column, value, "0.00" if column == konversi_column else fmt)
    per_service.column_dimensions["B"].width = 32

    for name in PROFILE_FIELDS:
        title = _id(PROFILE_TITLES[name])
        profile = book.create_sheet(f"Profil {title}"[:31])
        header(profile, 1, [title, "Jumlah", "Persen"])
        counts = overall.profile[name]
        for index, key in enumerate(profile_keys(name, counts), start=2):
            count = counts.get(key, 0)
            put(profile, index, 1, profile_label(name, key))
            put(profile, index, 2, count)
            put(profile, index, 3, count / overall.n if overall.n else 0, "0.0%")
        profile.column_dimensions["A"].width = 32

    comments = book.create_sheet("Komentar")
    header(comments, 1, ["No", "Tanggal", "Layanan", "Komentar"])
    for index, comment in enumerate(report.comments, start=2):
        put(comments, index, 1, index - 1)
        put(comments, index, 2, comment.local_date, "yyyy-mm-dd")
        put(comments, index, 3, f"{comment.service_code} — {comment.service_name}")
        put(comments, index, 4, comment.text)
    comments.column_dimensions["D"].width = 80

    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def default_xlsx_name(report: IkmReport) -> Path:
    """ikm-<unit or semua>[-<service>][-<nip>]-<from>-<to>.xlsx in the working directory."""
    parts = ["ikm", report.unit.code if report.unit else "semua"]
    if report.service:
        parts.append(report.service[0])
    if report.employee:
        parts.append(report.employee[0])
    parts.append(report.date_from.isoformat() if report.date_from else "awal")
    parts.append(report.date_to.isoformat() if report.date_to else date.today().isoformat())
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts))
    return Path(f"{safe}.xlsx")


# -- the command ----------------------------------------------------------------------------


def parse_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        fail(f"{option}: '{value}' is not a date; use YYYY-MM-DD")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"{option}: '{value}' is not a valid date; use YYYY-MM-DD")


def parse_population(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().replace("_", "")
    if not text.isdigit():
        fail(f"--population: '{value}' is not a whole number ≥ 0")
    return int(text)


async def load_report(
    settings: Settings,
    *,
    with_rows: bool,
    with_comments: bool = True,
    **filters: Any,
) -> tuple[IkmReport, list[RespondentRow]]:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    sessions = session_factory(engine)
    try:
        # Responses submitted, deleted or changed since the last rollup run are
        # rolled up first: a cheap look, then (only if needed) a short write
        # transaction, so the report below reads without holding any lock.
        async with sessions() as session:
            stale = await rollup.scores_need_refresh(session, settings.tz)
        if stale:
            async with sessions.begin() as session:
                await rollup.refresh_scores(session, tz=settings.tz)
        async with sessions() as session:
            report = await build_ikm_report(
                session,
                tz=settings.tz,
                timezone_name=settings.timezone,
                refresh=False,
                with_comments=with_comments,
                **filters,
            )
            rows = await respondent_rows(session, report.scope, settings.tz) if with_rows else []
            return report, rows
    finally:
        await engine.dispose()


@click.command("ikm")
@click.option("--unit", "unit_code", help="Unit code; its sub-units are pooled in.")
@click.option("--service", "service_code", help="Only this service (code).")
@click.option("--employee", "employee_nip", help="Only responses naming this officer (NIP).")
@click.option("--from", "date_from", metavar="YYYY-MM-DD", help="First local day, inclusive.")
@click.option("--to", "date_to", metavar="YYYY-MM-DD", help="Last local day, inclusive.")
@click.option(
    "--population", metavar="N", help="Service users in the period (Krejcie–Morgan check)."
)
@format_option(*FORMATS)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx default: ikm-<unit>-<from>-<to>.xlsx).",
)
def ikm_command(
    unit_code: str | None,
    service_code: str | None,
    employee_nip: str | None,
    date_from: str | None,
    date_to: str | None,
    population: str | None,
    output_format: str,
    out: Path | None,
) -> None:
    """IKM per service and for the unit: n, NRR per unsur, IKM, konversi, mutu, profile."""
    start = parse_date("--from", date_from)
    end = parse_date("--to", date_to)
    if start and end and start > end:
        fail(f"--from {start} is after --to {end}")
    population_n = parse_population(population)
    settings = get_settings()
    report, rows = run_reading(
        "report ikm",
        load_report(
            settings,
            with_rows=output_format == "xlsx",
            # The table prints only how many comments there are.
            with_comments=output_format != "table",
            unit_code=unit_code,
            service_code=service_code,
            employee_nip=employee_nip,
            date_from=start,
            date_to=end,
            population=population_n,
        ),
        (ReportError,),
    )

    if output_format == "xlsx":
        path = out or default_xlsx_name(report)
        try:
            write_xlsx(report, rows, path)
        except OSError as exc:
            fail(f"--out: cannot write {path}: {exc.strerror}")
        click.echo(str(path))
        return
    text = (
        json.dumps(report_json(report, clock().now()), ensure_ascii=False, indent=2) + "\n"
        if output_format == "json"
        else render_table(report)
    )
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror}")
    click.echo(str(out))
