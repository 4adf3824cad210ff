"""The 360° report as an XLSX workbook, under the same anonymity rule as the table.

``Ringkasan``: one row per ratee (never per rater); one sheet per ratee named
by NIP (figures and n per group, the gap and its flag, recommendation,
decision, hasil kerja, predikat, released comments); ``Unit`` with the unit
summaries; ``Pola penilai`` for admins. A suppressed figure is its reason in
words. A short dispatcher over one function per sheet; labels from
`review_labels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.documents import xlsx
from scheduler.documents.review_labels import (
    GROUPS,
    _,
    comment_lines,
    expectation_text,
    flag_label,
    group_label,
    item_name,
    mean,
    pattern_lines,
    predikat_text,
    reason_label,
    recommendation_text,
)
from scheduler.documents.review_report import ReviewReport
from scheduler.scoring.review_math import Cell, Figure, Gap, Group
from storage.review_results import RateeResults, UnitCell, UnitFigure

COUNTED = (Group.PEERS, Group.SUBORDINATES, Group.OTHERS)  # groups whose n the summary shows


def write_xlsx(report: ReviewReport, path: Path) -> None:
    """A summary sheet (one row per ratee), a sheet per ratee, units, and patterns."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = _("Summary")
    _summary(summary, report)
    for item in report.ratees:
        _ratee(book.create_sheet(item.ratee.nip[:31]), report, item)
    if report.units and report.instrument:
        _units(book.create_sheet(_("Unit")), report)
    if report.patterns is not None:
        sheet = book.create_sheet(_("Rater patterns"))
        for index, text in enumerate(pattern_lines(report.patterns), start=1):
            _put(sheet, index, 1, text.strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _put(sheet: Worksheet, row: int, column: int, value: Any) -> Any:
    """A cell; a mean (a float) shows two decimals."""
    return xlsx.put(sheet, row, column, value, "0.00" if isinstance(value, float) else None)


def _line(sheet: Worksheet, row: int, values: Sequence[Any]) -> None:
    for column, value in enumerate(values, start=1):
        _put(sheet, row, column, value)


def _value(cell: Cell | UnitCell) -> Any:
    if isinstance(cell, Figure | UnitFigure):
        return mean(cell.mean)
    return reason_label(cell.reason)


def _n(cell: Cell | UnitCell) -> Any:
    if isinstance(cell, Figure):
        return cell.n
    if isinstance(cell, UnitFigure):
        return cell.ratees
    return None


def _summary(sheet: Worksheet, report: ReviewReport) -> None:
    xlsx.header(
        sheet,
        1,
        [
            "NIP",
            _("Name"),
            _("Unit"),
            _("Reviews received"),
            _("Reviews requested"),
            *(group_label(g) for g in GROUPS),
            *(f"n {group_label(g)}" for g in COUNTED),
            _("Gap (self − others)"),
            _("Recommended perilaku kerja"),
            _("Supervisor's decision"),
            _("Work results"),
            _("Performance rating"),
        ],
    )
    for index, item in enumerate(report.ratees, start=2):
        _line(sheet, index, _summary_row(item))
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 28


def _summary_row(item: RateeResults) -> list[Any]:
    groups = item.result.groups
    gap = item.result.overall_gap
    return [
        item.ratee.nip,
        item.ratee.name,
        item.ratee.unit_code,
        item.received.submitted,
        item.received.total,
        *(_value(groups[g].overall) for g in GROUPS),
        *(_n(groups[g].overall) for g in COUNTED),
        mean(gap.gap) if isinstance(gap, Gap) else reason_label(gap.reason),
        expectation_text(item.recommendation.perilaku if item.recommendation else None),
        expectation_text(item.decision.decided if item.decision else None),
        expectation_text(item.hasil_kerja),
        predikat_text(item),
    ]


def _ratee(sheet: Worksheet, report: ReviewReport, item: RateeResults) -> None:
    """One ratee: who, the figures per core value, the facts, the released comments."""
    ratee = item.ratee
    _put(sheet, 1, 1, f"{ratee.name} (NIP {ratee.nip})").font = xlsx.BOLD
    _put(
        sheet,
        2,
        1,
        _("Cycle: {name}; unit {code}").format(name=report.cycle.name, code=ratee.unit_code),
    )
    minimum = _("Minimum anonymous raters: {m}; n = number of raters").format(m=report.min_raters)
    _put(sheet, 3, 1, minimum)
    row = _figures(sheet, item, 5) + 2
    for label, value in _facts(item):
        _put(sheet, row, 1, label).font = xlsx.BOLD
        _put(sheet, row, 3, value)
        row += 1
    for text in comment_lines(item):
        row += 1
        _put(sheet, row, 1, text.strip())
    sheet.column_dimensions["B"].width = 26


def _figures(sheet: Worksheet, item: RateeResults, head: int) -> int:
    """The header at row ``head``, a row per core value and the overall one; the last row."""
    heads = [_("Code"), _("Core value")]
    for g in GROUPS:
        heads += [group_label(g), f"n {group_label(g)}"]
    xlsx.header(sheet, head, [*heads, _("Gap"), _("Flag")])
    result = item.result
    row = head
    for code in (*result.item_codes, None):
        row += 1
        values: list[Any] = [code, item_name(item.instrument, code)] if code else ["", _("Overall")]
        for g in GROUPS:
            cell = result.groups[g].items[code] if code else result.groups[g].overall
            values += [_value(cell), _n(cell)]
        gap = result.gaps[code] if code else result.overall_gap
        if isinstance(gap, Gap):
            values += [mean(gap.gap), flag_label(gap.flag) if gap.flag else ""]
        else:
            values += ["", ""]
        _line(sheet, row, values)
    return row


def _facts(item: RateeResults) -> list[tuple[str, str]]:
    return [
        (
            _("Recommended perilaku kerja"),
            recommendation_text(item) if item.recommendation else "-",
        ),
        (
            _("Supervisor's decision"),
            expectation_text(item.decision.decided if item.decision else None),
        ),
        (_("Work results (supervisor)"), expectation_text(item.hasil_kerja)),
        (_("Performance rating"), predikat_text(item)),
    ]


def _units(sheet: Worksheet, report: ReviewReport) -> None:
    assert report.instrument is not None
    codes = report.instrument.item_codes
    headers = [_("Unit"), _("Name"), _("Rated"), _("Overall"), _("n employees"), *codes]
    xlsx.header(sheet, 1, headers)
    for index, unit in enumerate(report.units, start=2):
        _line(
            sheet,
            index,
            [
                unit.unit_code,
                unit.unit_name,
                unit.ratees,
                _value(unit.overall),
                _n(unit.overall),
                *(_value(unit.items[c]) for c in codes),
            ],
        )
