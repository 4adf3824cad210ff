"""The IKM report as an XLSX workbook, in the regulation's tabulation.

``Tabulasi``: one row per respondent (U1…U9 scores), then the totals, NRR,
weighted NRR, IKM, konversi, mutu and the weakest unsur; ``Unsur``: the legend;
``Per layanan``; one ``Profil …`` sheet per profile field; ``Komentar``. The
cells hold full-precision values with a display format, so they add up exactly
as the report does; only the IKM konversi is the rounded, classified value.
A short dispatcher over one function per sheet; labels from `ikm_labels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.documents.ikm_labels import (
    REGULATION,
    _,
    mutu_text,
    period_text,
    profile_keys,
    profile_label,
    sample_text,
    unit_text,
    unsur_name,
    weakest_text,
)
from scheduler.documents.xlsx import BOLD, header, put
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import PROFILE_TITLES
from storage.ikm_report import PROFILE_FIELDS, IkmReport, RespondentRow

FIRST_SCORE = 5  # column of U1 on the tabulation sheet, after No, date, service, officer
HEAD_ROW = 6


def write_xlsx(report: IkmReport, rows: Sequence[RespondentRow], path: Path) -> None:
    """The regulation's tabulation (one row per respondent, then totals) plus breakdown sheets."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Tabulation")
    _tabulation(sheet, report, rows)
    _legend(book.create_sheet(_("Unsur")))
    _per_service(book.create_sheet(_("Per service")), report)
    for name in PROFILE_FIELDS:
        title = _(PROFILE_TITLES[name])
        _profile(book.create_sheet(_("Profile {title}").format(title=title)[:31]), report, name)
    _comments(book.create_sheet(_("Comments")), report)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def _tabulation(sheet: Worksheet, report: IkmReport, rows: Sequence[RespondentRow]) -> None:
    _tabulation_title(sheet, report)
    labels = [_("No."), _("Date"), _("Service"), _("Officer's NIP")]
    header(sheet, HEAD_ROW, [*labels, *skm.UNSUR_CODES])
    line = HEAD_ROW
    for item in rows:
        line += 1
        put(sheet, line, 1, item.number)
        put(sheet, line, 2, item.local_date, "yyyy-mm-dd")
        put(sheet, line, 3, item.service_code)
        put(sheet, line, 4, item.officer_nip or "")
        for offset, code in enumerate(skm.UNSUR_CODES):
            put(sheet, line, FIRST_SCORE + offset, item.scores[code])
    _totals(sheet, report, line + 1)  # one blank row between respondents and totals
    sheet.freeze_panes = sheet.cell(row=HEAD_ROW + 1, column=FIRST_SCORE)
    for letter, width in zip("ABCD", (8, 12, 14, 20), strict=True):
        sheet.column_dimensions[letter].width = width


def _tabulation_title(sheet: Worksheet, report: IkmReport) -> None:
    """Rows 1–4: title, unit, period with the filters, respondents with the sample check."""
    put(sheet, 1, 1, _("SKM tabulation — {regulation}").format(regulation=REGULATION)).font = BOLD
    put(sheet, 2, 1, f"{_('Unit')}: {unit_text(report)}")
    filters = []
    if report.service:
        filters.append(f"{_('Service')}: {report.service[0]} — {report.service[1]}")
    if report.employee:
        filters.append(f"{_('Officer (NIP)')}: {report.employee[0]} — {report.employee[1]}")
    period = f"{_('Period')}: {period_text(report)}"
    put(sheet, 3, 1, period + ("; " + "; ".join(filters) if filters else ""))
    sample = f"{_('Respondents (n)')}: {report.overall.n}"
    if report.sample:
        verdict = _("met") if report.sample.sufficient else _("not met")
        sample += f"; {sample_text(report)}: {verdict}"
    put(sheet, 4, 1, sample)


def _totals(sheet: Worksheet, report: IkmReport, line: int) -> None:
    """Below the respondents: the sums, NRR, weighted NRR, IKM, konversi, mutu, weakest."""
    result = report.overall.result
    if result is None:
        put(sheet, line + 1, 1, _("No respondents for this period and these filters yet."))
        return
    per_unsur: list[tuple[str, dict[str, Any], str | None]] = [
        (_("Total per unsur"), dict(result.sums), None),
        (_("NRR per unsur"), {c: float(v) for c, v in result.nrr.items()}, "0.0000"),
        (
            _("Weighted NRR per unsur"),
            {c: float(v) for c, v in result.nrr_weighted.items()},
            "0.0000",
        ),
    ]
    for label, values, fmt in per_unsur:
        line += 1
        put(sheet, line, 1, label).font = BOLD
        for offset, code in enumerate(skm.UNSUR_CODES):
            put(sheet, line, FIRST_SCORE + offset, values[code], fmt)
    single: list[tuple[str, Any, str | None]] = [
        (_("IKM"), float(result.ikm), "0.0000"),
        (_("IKM converted"), float(result.konversi_rounded), "0.00"),
        (_("Service quality"), mutu_text(report.overall), None),
        (_("Weakest unsur"), weakest_text(report.overall), None),
    ]
    for label, value, fmt in single:
        line += 1
        put(sheet, line, 1, label).font = BOLD
        put(sheet, line, FIRST_SCORE, value, fmt)


def _legend(sheet: Worksheet) -> None:
    """Unsur code → name and weight, so the U columns read on their own."""
    header(sheet, 1, [_("Code"), _("Unsur"), _("Weight")])
    for index, code in enumerate(skm.UNSUR_CODES, start=2):
        put(sheet, index, 1, code)
        put(sheet, index, 2, unsur_name(code))
        put(sheet, index, 3, float(skm.WEIGHT), "0.0000")
    sheet.column_dimensions["B"].width = 48


def _per_service(sheet: Worksheet, report: IkmReport) -> None:
    header(
        sheet,
        1,
        [
            _("Code"),
            _("Service"),
            _("Unit"),
            "n",
            *(f"{_('NRR')} {c}" for c in skm.UNSUR_CODES),
            _("IKM"),
            _("IKM converted"),
            _("Quality"),
            _("Weakest unsur"),
            _("Comments"),
        ],
    )
    konversi_column = 4 + len(skm.UNSUR_CODES) + 2
    for index, service in enumerate(report.services, start=2):
        group = service.group
        values: list[Any] = [service.code, service.name, service.unit_code, group.n]
        if group.result:
            values += [float(group.result.nrr[c]) for c in skm.UNSUR_CODES]
            values += [
                float(group.result.ikm),
                float(group.result.konversi_rounded),
                mutu_text(group),
                ", ".join(group.result.weakest),
            ]
        else:
            values += [None] * (len(skm.UNSUR_CODES) + 4)
        values.append(group.comments)
        for column, value in enumerate(values, start=1):
            fmt = "0.0000" if isinstance(value, float) else None
            put(sheet, index, column, value, "0.00" if column == konversi_column else fmt)
    sheet.column_dimensions["B"].width = 32


def _profile(sheet: Worksheet, report: IkmReport, name: str) -> None:
    overall = report.overall
    header(sheet, 1, [_(PROFILE_TITLES[name]), _("Count"), _("Percent")])
    counts = overall.profile[name]
    for index, key in enumerate(profile_keys(name, counts), start=2):
        count = counts.get(key, 0)
        put(sheet, index, 1, profile_label(name, key))
        put(sheet, index, 2, count)
        put(sheet, index, 3, count / overall.n if overall.n else 0, "0.0%")
    sheet.column_dimensions["A"].width = 32


def _comments(sheet: Worksheet, report: IkmReport) -> None:
    header(sheet, 1, [_("No."), _("Date"), _("Service"), _("Comments")])
    for index, comment in enumerate(report.comments, start=2):
        put(sheet, index, 1, index - 1)
        put(sheet, index, 2, comment.local_date, "yyyy-mm-dd")
        put(sheet, index, 3, f"{comment.service_code} — {comment.service_name}")
        put(sheet, index, 4, comment.text)
    sheet.column_dimensions["D"].width = 80
