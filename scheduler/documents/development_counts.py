"""BKPSDM's development report as a table, JSON or an XLSX workbook.

The counts are `scheduler.scoring.development_counts`' (folded below the
minimum); this module only lays them out, with the core values and activities
named in Indonesian from the catalogs, and the code beside each name so a
spreadsheet can be sorted. Every form prints the same figures: per OPD its
plans, its shown cells and its "lainnya"; no total across OPDs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from scheduler.scoring.development_activities import ACTIVITIES, BY_CODE
from scheduler.scoring.development_counts import OTHER, OpdCounts, count_plans
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT, get_instrument
from storage import development_counts as stored

HEADER = ("OPD", "Nilai", "Nama nilai", "Kegiatan", "Nama kegiatan", "Rencana")


@dataclass(frozen=True)
class DevelopmentReport:
    cycle: str
    instrument: Instrument
    opd: Sequence[OpdCounts]
    min_count: int
    made_at: datetime


class ReportRefused(Exception):
    """The report cannot be made as asked (the message is one line for the operator)."""


async def gather_development_report(
    session: AsyncSession,
    *,
    cycle_name: str | None,
    opd_code: str | None,
    min_count: int,
    now: datetime,
) -> DevelopmentReport:
    """The counts of a closed cycle (default: the last closed), for every OPD or one."""
    cycle = await stored.report_cycle(session, cycle_name)
    if cycle is None:
        if cycle_name is None:
            raise ReportRefused("no 360° cycle has closed yet")
        raise ReportRefused(f"--cycle: no closed cycle named '{cycle_name}'")
    opd = None
    if opd_code is not None:
        try:
            opd = await stored.opd_unit(session, opd_code)
        except stored.NotAnOpd as exc:
            raise ReportRefused(
                f"--unit: {exc.code} is part of the OPD {exc.opd}; the development report "
                f"is per OPD only (use --unit {exc.opd})"
            ) from exc
        if opd is None:
            raise ReportRefused(f"--unit: no unit with code '{opd_code}'")
    try:
        instrument = get_instrument(cycle.instrument)
    except InstrumentError:
        instrument = DEFAULT_INSTRUMENT
    counts = count_plans(
        await stored.focus_facts(session, cycle.id, opd),
        min_count,
        value_order=instrument.item_codes,
        activity_order=[a.code for a in ACTIVITIES],
    )
    return DevelopmentReport(cycle.name, instrument, counts, min_count, now)


def file_name(report: DevelopmentReport) -> str:
    """pengembangan-<cycle>.xlsx, the cycle's name made safe for a file name."""
    safe = "".join(c if c.isalnum() else "-" for c in report.cycle).strip("-").lower()
    return f"pengembangan-{safe or 'siklus'}.xlsx"


def _value(report: DevelopmentReport, code: str) -> str:
    _ = gettext_for("id")
    try:
        return _(report.instrument.item(code).name)
    except KeyError:
        return code


def _activity(code: str) -> str:
    found = BY_CODE.get(code)
    return gettext_for("id")(found.label) if found else code


def rows(report: DevelopmentReport) -> list[tuple[str, str, str, str, str, int]]:
    """One row per shown cell, then the OPD's "lainnya" (when any was folded)."""
    out: list[tuple[str, str, str, str, str, int]] = []
    for opd in report.opd:
        for cell in opd.cells:
            value, activity = cell.value_code, cell.activity
            out.append(
                (opd.opd, value, _value(report, value), activity, _activity(activity), cell.plans)
            )
        if opd.other:
            out.append((opd.opd, OTHER, "", OTHER, "", opd.other))
    return out


def _intro(report: DevelopmentReport) -> list[str]:
    return [
        f"Kebutuhan pengembangan (development plans), cycle {report.cycle}",
        f"Plans sent by ratees (submitted or approved), by OPD × core value × activity; "
        f"a cell below {report.min_count} plans is folded into '{OTHER}'. "
        "A recommendation for planning training, not a decision about anyone.",
    ]


def render_table(report: DevelopmentReport) -> str:
    lines = _intro(report)
    if not report.opd:
        return "\n".join([*lines, "No development plans were sent in this cycle."]) + "\n"
    lines.append(f"{'OPD':<14} {'nilai':<6} {'kegiatan':<11} {'rencana':>7}  nama")
    for opd in report.opd:
        lines.append(f"{opd.opd:<14} ({opd.plans} plan(s))")
        for cell in opd.cells:
            name = f"{_value(report, cell.value_code)} × {_activity(cell.activity)}"
            lines.append(
                f"{opd.opd:<14} {cell.value_code:<6} {cell.activity:<11} {cell.plans:>7}  {name}"
            )
        if opd.other:
            lines.append(f"{opd.opd:<14} {OTHER:<6} {OTHER:<11} {opd.other:>7}")
    return "\n".join(lines) + "\n"


def report_json(report: DevelopmentReport) -> dict[str, Any]:
    return {
        "cycle": report.cycle,
        "made_at": report.made_at.isoformat(),
        "min_count": report.min_count,
        "counts": "plans per OPD x core value x activity; cells below min_count are "
        f"folded into '{OTHER}'",
        "opd": [
            {
                "opd": opd.opd,
                "plans": opd.plans,
                "cells": [
                    {
                        "value": cell.value_code,
                        "value_name": _value(report, cell.value_code),
                        "activity": cell.activity,
                        "activity_name": _activity(cell.activity),
                        "plans": cell.plans,
                    }
                    for cell in opd.cells
                ],
                OTHER: opd.other,
            }
            for opd in report.opd
        ],
    }


def write_xlsx(report: DevelopmentReport, path: Path) -> None:
    from openpyxl import Workbook

    from scheduler.documents.xlsx import header, put

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kebutuhan pengembangan"
    for row, line in enumerate(_intro(report), start=1):
        put(sheet, row, 1, line)
    header(sheet, 4, HEADER)
    for row, values in enumerate(rows(report), start=5):
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value)
    plans = book.create_sheet("Rencana per OPD")
    header(plans, 1, ("OPD", "Rencana"))
    for row, opd in enumerate(report.opd, start=2):
        put(plans, row, 1, opd.opd)
        put(plans, row, 2, opd.plans)
    book.save(path)
