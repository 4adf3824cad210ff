"""``ulasan report review``: 360° results of a closed cycle as a table, JSON or XLSX.

Same rules as the bot, because the figures come from the same place
(`storage.review_results`, which runs `scheduler.scoring.review_math.aggregate`):
only closed cycles, only figures the anonymity rule released (a suppressed
figure is printed as its reason, never as a number), comments only as
released, no per-rater rows in any format. ``--patterns`` adds the admin's
list of rater patterns (names and direction only, never answers).

Text is for the operator, in the regulation's Indonesian terms like
``report ikm`` (core value names from the Indonesian catalog). Means are
printed rounded half-up to two decimals, as the bot prints them, and JSON
carries the same rounded values. The JSON shape is versioned by ``version``.

Filters: ``--employee NIP`` one ratee; ``--unit CODE`` the ratees whose
current unit is that unit or below it. Unit summaries average the ratees'
shown "others" figures and appear only with at least MIN_ANONYMOUS_RATERS
contributing ratees. Bad input prints one line and exits with code 1.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bot.cli.common import clock, fail, format_option, get_settings, run_reading
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import (
    IMPROVE,
    KEEP,
    Cell,
    Figure,
    Gap,
    GapFlag,
    Group,
    Reason,
    Suppressed,
    round_mean,
)
from storage.db import create_engine, session_factory
from storage.review_results import (
    CycleInfo,
    PatternList,
    RateeResults,
    ResultsError,
    UnitCell,
    UnitFigure,
    UnitSummary,
    closed_cycle_by_name,
    cycle_results,
    rater_pattern_list,
    select_ratees,
    unit_summaries,
)

JSON_VERSION = 1
FORMATS = ("table", "json", "xlsx")
GROUPS = (Group.SELF, Group.SUPERVISOR, Group.PEERS, Group.SUBORDINATES, Group.OTHERS)
GROUP_ID = {
    Group.SELF: "Diri sendiri",
    Group.SUPERVISOR: "Atasan",
    Group.PEERS: "Rekan kerja",
    Group.SUBORDINATES: "Bawahan",
    Group.OTHERS: "Penilai lain",
}
GAP_ID = {GapFlag.BLIND_SPOT: "titik buta", GapFlag.HIDDEN_STRENGTH: "kekuatan tersembunyi"}
KIND_ID = {KEEP: "yang perlu dipertahankan", IMPROVE: "yang perlu diperbaiki"}
REASON_ID = {
    Reason.NO_SCORES: "tidak ada nilai",
    Reason.BELOW_MINIMUM: "kurang dari minimum penilai",
    Reason.DIFFERENCING: "disembunyikan agar kelompok kecil tidak terungkap",
    Reason.GROUP_SUPPRESSED: "kelompok tidak dilaporkan",
}
EXTREME_ID = {
    "highest": "saling memberi nilai tertinggi",
    "lowest": "saling memberi nilai terendah",
}
DIRECTION_ID = {"lenient": "jauh lebih murah hati", "severe": "jauh lebih keras"}

_id = gettext_for("id")
_en = gettext_for("en")


@dataclass(frozen=True)
class ReviewReport:
    cycle: CycleInfo
    instrument: Instrument | None
    min_raters: int
    employee_nip: str | None
    unit_code: str | None
    ratees: list[RateeResults]
    units: list[UnitSummary]
    patterns: PatternList | None


# -- loading -------------------------------------------------------------------------------


async def load_report(
    settings: Settings,
    *,
    cycle_name: str,
    employee_nip: str | None,
    unit_code: str | None,
    patterns: bool,
) -> ReviewReport:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    m = settings.min_anonymous_raters
    try:
        async with session_factory(engine)() as session:
            cycle = await closed_cycle_by_name(session, cycle_name)
            ratee_ids = await select_ratees(
                session, cycle, employee_nip=employee_nip, unit_code=unit_code
            )
            ratees = await cycle_results(session, cycle.id, min_raters=m, ratee_ids=ratee_ids)
            found = await rater_pattern_list(session, cycle.id) if patterns else None
            info = ratees[0].cycle if ratees else None
            if info is None:
                info = CycleInfo(
                    cycle.id, cycle.name, cycle.deadline, cycle.closed_at, cycle.instrument
                )
            return ReviewReport(
                cycle=info,
                instrument=ratees[0].instrument if ratees else None,
                min_raters=m,
                employee_nip=employee_nip.strip() if employee_nip else None,
                unit_code=unit_code.strip().upper() if unit_code else None,
                ratees=ratees,
                units=unit_summaries(ratees, min_raters=m),
                patterns=found,
            )
    finally:
        await engine.dispose()


# -- shared formatting --------------------------------------------------------------------


def mean(value: float) -> float:
    return round_mean(value)


def mean_text(value: float) -> str:
    return f"{mean(value):.2f}"


def cell_text(cell: Cell | UnitCell, m: int, *, with_n: bool = True) -> str:
    if isinstance(cell, Figure):
        return f"{mean_text(cell.mean)} ({cell.n})" if with_n else mean_text(cell.mean)
    if isinstance(cell, UnitFigure):
        return f"{mean_text(cell.mean)} ({cell.ratees})"
    return _short_reason(cell.reason, m)


def _short_reason(reason: Reason, m: int) -> str:
    return {
        Reason.NO_SCORES: "-",
        Reason.BELOW_MINIMUM: f"<{m}",
        Reason.DIFFERENCING: "x",
        Reason.GROUP_SUPPRESSED: "x",
    }[reason]


def gap_text(gap: Gap | Suppressed) -> str:
    if not isinstance(gap, Gap):
        return ""
    shown = mean(gap.gap)
    text = f"{shown:+.2f}"
    return f"{text} {GAP_ID[gap.flag]}" if gap.flag else text


def item_name(instrument: Instrument, code: str, language: str = "id") -> str:
    translate = _en if language == "en" else _id
    return translate(instrument.item(code).name)


def expectation_id(value: Expectation | None) -> str:
    return value.label_id if value is not None else "-"


def predikat_text(item: RateeResults) -> str:
    if item.predikat is None:
        return "-"
    note = "" if item.decision else " (rekomendasi; atasan memutuskan)"
    return item.predikat.label_id + note


# -- JSON ------------------------------------------------------------------------------------


def cell_json(cell: Cell | UnitCell) -> dict[str, Any]:
    if isinstance(cell, Figure):
        return {"mean": mean(cell.mean), "n": cell.n}
    if isinstance(cell, UnitFigure):
        return {"mean": mean(cell.mean), "ratees": cell.ratees}
    return {"suppressed": cell.reason.value}


def gap_json(gap: Gap | Suppressed) -> dict[str, Any]:
    if isinstance(gap, Gap):
        return {
            "self": mean(gap.self_mean),
            "others": mean(gap.others_mean),
            "gap": mean(gap.gap),
            "flag": gap.flag.value if gap.flag else None,
        }
    return {"suppressed": gap.reason.value}


def expectation_json(value: Expectation | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": int(value), "code": value.code, "label_id": value.label_id}


def ratee_json(item: RateeResults) -> dict[str, Any]:
    result = item.result
    comments = result.comments
    rec = item.recommendation
    return {
        "employee": {
            "nip": item.ratee.nip,
            "name": item.ratee.name,
            "unit_code": item.ratee.unit_code,
            "unit_name": item.ratee.unit_name,
        },
        "received": {"submitted": item.received.submitted, "total": item.received.total},
        "groups": {
            group.value: {
                "overall": cell_json(result.groups[group].overall),
                "items": {c: cell_json(result.groups[group].items[c]) for c in result.item_codes},
            }
            for group in GROUPS
        },
        "gaps": {code: gap_json(result.gaps[code]) for code in result.item_codes},
        "overall_gap": gap_json(result.overall_gap),
        "recommendation": (
            {
                "basis": rec.basis.value,
                "mean": mean(rec.mean),
                "n": rec.n,
                "perilaku": expectation_json(rec.perilaku),
            }
            if rec
            else None
        ),
        "decision": (
            {
                "recommended": expectation_json(item.decision.recommended),
                "decided": expectation_json(item.decision.decided),
                "decided_at": item.decision.decided_at.astimezone(UTC).isoformat(
                    timespec="seconds"
                ),
            }
            if item.decision
            else None
        ),
        "hasil_kerja": expectation_json(item.hasil_kerja),
        "predikat": (
            {
                "code": item.predikat.value,
                "label_id": item.predikat.label_id,
                "label_en": item.predikat.label,
                "decided": item.decision is not None,
            }
            if item.predikat
            else None
        ),
        "comments": {
            "self": {k: list(v) for k, v in comments.own.items()},
            "supervisor": {k: list(v) for k, v in comments.supervisor.items()},
            "anonymous": {
                k: ({"suppressed": v.reason.value} if isinstance(v, Suppressed) else list(v))
                for k, v in comments.anonymous.items()
            },
        },
    }


def patterns_json(patterns: PatternList) -> dict[str, Any]:
    def person(p: Any) -> dict[str, str]:
        return {"nip": p.nip, "name": p.name}

    return {
        "reciprocal": [
            {"first": person(f.first), "second": person(f.second), "extreme": f.extreme.value}
            for f in patterns.reciprocal
        ],
        "straight_lining": [
            {"rater": person(f.rater), "ratees": f.ratees} for f in patterns.straight_lining
        ],
        "outliers": [
            {"rater": person(f.rater), "ratees": f.ratees, "z": f.z, "direction": f.direction.value}
            for f in patterns.outliers
        ],
    }


def report_json(report: ReviewReport, generated_at: datetime | None = None) -> dict[str, Any]:
    generated_at = generated_at or datetime.now(UTC)
    instrument = report.instrument
    data: dict[str, Any] = {
        "report": "review",
        "version": JSON_VERSION,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "cycle": {
            "name": report.cycle.name,
            "deadline": report.cycle.deadline.isoformat(),
            "closed_at": (
                report.cycle.closed_at.astimezone(UTC).isoformat(timespec="seconds")
                if report.cycle.closed_at
                else None
            ),
            "instrument": report.cycle.instrument_code,
        },
        "min_anonymous_raters": report.min_raters,
        "filters": {"employee": report.employee_nip, "unit": report.unit_code},
        "items": (
            [
                {
                    "code": c,
                    "name": item_name(instrument, c),
                    "name_en": item_name(instrument, c, "en"),
                }
                for c in instrument.item_codes
            ]
            if instrument
            else []
        ),
        "ratees": [ratee_json(item) for item in report.ratees],
        "units": [
            {
                "code": unit.unit_code,
                "name": unit.unit_name,
                "ratees": unit.ratees,
                "overall": cell_json(unit.overall),
                "items": {code: cell_json(cell) for code, cell in unit.items.items()},
            }
            for unit in report.units
        ],
    }
    if report.patterns is not None:
        data["patterns"] = patterns_json(report.patterns)
    return data


# -- table ----------------------------------------------------------------------------------


def _rows(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _comment_lines(item: RateeResults) -> list[str]:
    comments = item.result.comments
    out = []
    for kind in (KEEP, IMPROVE):
        texts = [f"(diri sendiri) {t}" for t in comments.own.get(kind, ())]
        texts += [f"(atasan) {t}" for t in comments.supervisor.get(kind, ())]
        pool = comments.anonymous.get(kind)
        if isinstance(pool, tuple):
            texts += list(pool)
        elif isinstance(pool, Suppressed):
            texts.append("(komentar rekan/bawahan tidak ditampilkan: kurang dari minimum)")
        if texts:
            out.append(f"  Komentar — {KIND_ID[kind]}:")
            out += [f"    • {' '.join(t.split())}" for t in texts]
    return out


def _ratee_block(item: RateeResults, m: int) -> list[str]:
    result = item.result
    out = [
        f"{item.ratee.name} (NIP {item.ratee.nip}) — {item.ratee.unit_code} {item.ratee.unit_name}",
        f"  Penilaian masuk: {item.received.submitted}/{item.received.total}",
    ]
    headers = ["Kode", "Nilai inti", *(GROUP_ID[g] for g in GROUPS), "Selisih"]
    rows = [
        [
            code,
            item_name(item.instrument, code),
            *(
                cell_text(result.groups[g].items[code], m, with_n=g not in _ATTRIBUTED)
                for g in GROUPS
            ),
            gap_text(result.gaps[code]),
        ]
        for code in result.item_codes
    ]
    rows.append(
        [
            "",
            "Keseluruhan",
            *(cell_text(result.groups[g].overall, m, with_n=g not in _ATTRIBUTED) for g in GROUPS),
            gap_text(result.overall_gap),
        ]
    )
    out += ["  " + line for line in _rows(headers, rows, {2, 3, 4, 5, 6})]
    rec = item.recommendation
    if rec:
        out.append(
            f"  Rekomendasi perilaku kerja: {rec.perilaku.label_id} "
            f"(dasar: {GROUP_ID[rec.basis].lower()} {mean_text(rec.mean)}, n={rec.n})"
        )
    else:
        out.append("  Rekomendasi perilaku kerja: - (nilai penilai lain dan atasan tidak tersedia)")
    if item.decision:
        kind = "mengubah" if item.decision.is_override else "mengonfirmasi"
        out.append(f"  Keputusan atasan ({kind}): {item.decision.decided.label_id}")
    out.append(f"  Hasil kerja (atasan): {expectation_id(item.hasil_kerja)}")
    out.append(f"  Predikat kinerja: {predikat_text(item)}")
    out += _comment_lines(item)
    return out


_ATTRIBUTED = (Group.SELF, Group.SUPERVISOR)


def _pattern_lines(patterns: PatternList) -> list[str]:
    out = ["Pola penilai yang perlu dilihat (bukan pemblokiran; hanya untuk admin)"]
    if patterns.empty:
        return [*out, "  tidak ada"]
    for f in patterns.reciprocal:
        out.append(
            f"  • Saling menilai ekstrem: {f.first.name} ({f.first.nip}) dan "
            f"{f.second.name} ({f.second.nip}) — {EXTREME_ID[f.extreme.value]}"
        )
    for f in patterns.straight_lining:
        out.append(
            f"  • Jawaban seragam: {f.rater.name} ({f.rater.nip}) memberi jawaban yang sama "
            f"kepada {f.ratees} rekan"
        )
    for f in patterns.outliers:
        out.append(
            f"  • Penilai menyimpang: {f.rater.name} ({f.rater.nip}) "
            f"{DIRECTION_ID[f.direction.value]} dari penilai lain (z = {f.z:+.2f}, "
            f"{f.ratees} rekan dinilai)"
        )
    return out


def render_table(report: ReviewReport) -> str:
    m = report.min_raters
    cycle = report.cycle
    closed = cycle.closed_at.date().isoformat() if cycle.closed_at else "-"
    out = [
        f"Laporan umpan balik 360° BerAKHLAK — siklus “{cycle.name}” (ditutup {closed})",
        f"Minimum penilai anonim: {m}. Angka = rata-rata (n = jumlah penilai). "
        f"Tidak ditampilkan: '-' tidak ada nilai, '<{m}' kurang dari minimum, "
        "'x' disembunyikan agar kelompok kecil tidak terungkap.",
    ]
    filters = []
    if report.employee_nip:
        filters.append(f"pegawai NIP {report.employee_nip}")
    if report.unit_code:
        filters.append(f"unit {report.unit_code} beserta sub-unitnya")
    out.append("Filter: " + ("; ".join(filters) if filters else "semua pegawai yang dinilai"))
    out.append(f"Pegawai yang dinilai: {len(report.ratees)}")
    for item in report.ratees:
        out += ["", *_ratee_block(item, m)]
    if report.units and report.instrument:
        out += [
            "",
            "Ringkasan per unit (rata-rata nilai penilai lain yang ditampilkan; n = pegawai)",
        ]
        codes = report.instrument.item_codes
        rows = [
            [
                unit.unit_code,
                unit.unit_name,
                str(unit.ratees),
                cell_text(unit.overall, m),
                *(cell_text(unit.items[c], m) for c in codes),
            ]
            for unit in report.units
        ]
        out += _rows(
            ["Unit", "Nama", "Dinilai", "Keseluruhan", *codes],
            rows,
            set(range(2, 4 + len(codes))),
        )
    if report.patterns is not None:
        out += ["", *_pattern_lines(report.patterns)]
    return "\n".join(out) + "\n"


# -- XLSX -------------------------------------------------------------------------------------


def _xlsx_value(cell: Cell | UnitCell) -> Any:
    if isinstance(cell, Figure | UnitFigure):
        return mean(cell.mean)
    return REASON_ID[cell.reason]


def _xlsx_n(cell: Cell | UnitCell) -> Any:
    if isinstance(cell, Figure):
        return cell.n
    if isinstance(cell, UnitFigure):
        return cell.ratees
    return None


def write_xlsx(report: ReviewReport, path: Path) -> None:
    """A summary sheet (one row per ratee), a sheet per ratee, units, and patterns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    bold = Font(bold=True)

    def put(sheet: Worksheet, row: int, column: int, value: Any) -> Any:
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str):
            # Names and comments are user input: never let "=…" become a formula.
            cell.data_type = "s"
        if isinstance(value, float):
            cell.number_format = "0.00"
        return cell

    def header(sheet: Worksheet, row: int, values: Sequence[str]) -> None:
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value).font = bold

    def line(sheet: Worksheet, row: int, values: Sequence[Any]) -> None:
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value)

    m = report.min_raters
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Ringkasan"
    header(
        summary,
        1,
        [
            "NIP",
            "Nama",
            "Unit",
            "Penilaian masuk",
            "Penilaian diminta",
            *(f"{GROUP_ID[g]}" for g in GROUPS),
            *(f"n {GROUP_ID[g]}" for g in (Group.PEERS, Group.SUBORDINATES, Group.OTHERS)),
            "Selisih (diri − penilai lain)",
            "Rekomendasi perilaku kerja",
            "Keputusan atasan",
            "Hasil kerja",
            "Predikat kinerja",
        ],
    )
    for index, item in enumerate(report.ratees, start=2):
        groups = item.result.groups
        gap = item.result.overall_gap
        line(
            summary,
            index,
            [
                item.ratee.nip,
                item.ratee.name,
                item.ratee.unit_code,
                item.received.submitted,
                item.received.total,
                *(_xlsx_value(groups[g].overall) for g in GROUPS),
                *(
                    _xlsx_n(groups[g].overall)
                    for g in (Group.PEERS, Group.SUBORDINATES, Group.OTHERS)
                ),
                mean(gap.gap) if isinstance(gap, Gap) else REASON_ID[gap.reason],
                expectation_id(item.recommendation.perilaku if item.recommendation else None),
                expectation_id(item.decision.decided if item.decision else None),
                expectation_id(item.hasil_kerja),
                predikat_text(item),
            ],
        )
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 28

    for item in report.ratees:
        sheet = book.create_sheet(item.ratee.nip[:31])
        result = item.result
        put(sheet, 1, 1, f"{item.ratee.name} (NIP {item.ratee.nip})").font = bold
        put(sheet, 2, 1, f"Siklus: {report.cycle.name}; unit {item.ratee.unit_code}")
        put(sheet, 3, 1, f"Minimum penilai anonim: {m}; n = jumlah penilai")
        heads = ["Kode", "Nilai inti"]
        for g in GROUPS:
            heads += [GROUP_ID[g], f"n {GROUP_ID[g]}"]
        heads += ["Selisih", "Tanda"]
        header(sheet, 5, heads)
        row = 5
        for code in (*result.item_codes, None):
            row += 1
            values: list[Any] = (
                [code, item_name(item.instrument, code)] if code else ["", "Keseluruhan"]
            )
            for g in GROUPS:
                cell = result.groups[g].items[code] if code else result.groups[g].overall
                values += [_xlsx_value(cell), _xlsx_n(cell)]
            gap = result.gaps[code] if code else result.overall_gap
            if isinstance(gap, Gap):
                values += [mean(gap.gap), GAP_ID[gap.flag] if gap.flag else ""]
            else:
                values += ["", ""]
            line(sheet, row, values)
        row += 2
        rec = item.recommendation
        facts = [
            (
                "Rekomendasi perilaku kerja",
                f"{rec.perilaku.label_id} (dasar: {GROUP_ID[rec.basis].lower()} "
                f"{mean_text(rec.mean)}, n={rec.n})"
                if rec
                else "-",
            ),
            (
                "Keputusan atasan",
                expectation_id(item.decision.decided if item.decision else None),
            ),
            ("Hasil kerja (atasan)", expectation_id(item.hasil_kerja)),
            ("Predikat kinerja", predikat_text(item)),
        ]
        for label, value in facts:
            put(sheet, row, 1, label).font = bold
            put(sheet, row, 3, value)
            row += 1
        for text in _comment_lines(item):
            row += 1
            put(sheet, row, 1, text.strip())
        sheet.column_dimensions["B"].width = 26

    if report.units and report.instrument:
        units = book.create_sheet("Unit")
        codes = report.instrument.item_codes
        header(units, 1, ["Unit", "Nama", "Dinilai", "Keseluruhan", "n pegawai", *codes])
        for index, unit in enumerate(report.units, start=2):
            line(
                units,
                index,
                [
                    unit.unit_code,
                    unit.unit_name,
                    unit.ratees,
                    _xlsx_value(unit.overall),
                    _xlsx_n(unit.overall),
                    *(_xlsx_value(unit.items[c]) for c in codes),
                ],
            )

    if report.patterns is not None:
        sheet = book.create_sheet("Pola penilai")
        for index, text in enumerate(_pattern_lines(report.patterns), start=1):
            put(sheet, index, 1, text.strip())

    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def default_xlsx_name(report: ReviewReport) -> Path:
    parts = ["review", report.cycle.name]
    if report.unit_code:
        parts.append(report.unit_code)
    if report.employee_nip:
        parts.append(report.employee_nip)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts))
    return Path(f"{safe}.xlsx")


# -- the command ------------------------------------------------------------------------------


@click.command("review")
@click.option("--cycle", "cycle_name", required=True, help="The cycle's name.")
@click.option("--employee", "employee_nip", help="Only this ratee (NIP).")
@click.option("--unit", "unit_code", help="Only ratees of this unit and its sub-units.")
@format_option(*FORMATS)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx default: review-<cycle>.xlsx).",
)
@click.option("--patterns", is_flag=True, help="Add the rater patterns worth a look (admins only).")
def review_command(
    cycle_name: str,
    employee_nip: str | None,
    unit_code: str | None,
    output_format: str,
    out: Path | None,
    patterns: bool,
) -> None:
    """360° results of a CLOSED cycle under the anonymity rule (no per-rater rows)."""
    settings = get_settings()
    report = run_reading(
        "report review",
        load_report(
            settings,
            cycle_name=cycle_name,
            employee_nip=employee_nip,
            unit_code=unit_code,
            patterns=patterns,
        ),
        (ResultsError,),
    )

    if output_format == "xlsx":
        path = out or default_xlsx_name(report)
        try:
            write_xlsx(report, path)
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


__all__ = [
    "ReviewReport",
    "load_report",
    "render_table",
    "report_json",
    "review_command",
    "write_xlsx",
]
