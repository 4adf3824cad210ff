"""Report documents built on request (``/laporan``), the same files ``ulasan report`` writes.

`ikm_workbook` is ``ulasan report ikm --unit CODE --from … --to … --format
xlsx``: the rollup is brought up to date first (a short write of its own),
then the report only reads, and `scheduler.documents.ikm_xlsx` writes the
regulation's tabulation. `review_workbook` is ``ulasan report review --cycle
NAME --unit CODE --format xlsx`` (closed cycles only, under the anonymity rule;
rater patterns are never included here). Both write into ``DATA_DIR/exports``
under the CLI's file names, so the file an admin received can be found again
on the server, and return its path. `ekinerja_workbook` is ``ulasan export
ekinerja --period P --format xlsx`` for BKPSDM (every unit; one audit-log row,
as it holds every card's feedback). `report_progress` says how far building a
report has come, for the progress note in Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path

from bot.core.settings import Settings
from scheduler import ekinerja_export
from scheduler.documents import development_counts as document
from scheduler.documents.review_report import ReviewReport, gather_review_report
from storage.db import SessionFactory
from storage.ikm_report import IkmReport, build_ikm_report, respondent_rows
from storage.models import AuditLog
from storage.rollup import refresh as rollup

Step = Callable[[str], Awaitable[None]]  # told "rollup", "reading", "writing" as work goes on


async def _quiet(_stage: str) -> None:
    return None


def _safe(parts: list[str]) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(parts))


def ikm_file_name(report: IkmReport, today: date) -> str:
    """ikm-<unit or semua>[-<service>][-<nip>]-<from>-<to>.xlsx (``ulasan report ikm``'s)."""
    parts = ["ikm", report.unit.code if report.unit else "semua"]
    if report.service:
        parts.append(report.service[0])
    if report.employee:
        parts.append(report.employee[0])
    parts.append(report.date_from.isoformat() if report.date_from else "awal")
    parts.append(report.date_to.isoformat() if report.date_to else today.isoformat())
    return f"{_safe(parts)}.xlsx"


def review_file_name(report: ReviewReport) -> str:
    """review-<cycle>[-<unit>][-<nip>].xlsx (``ulasan report review``'s)."""
    parts = ["review", report.cycle.name]
    if report.unit_code:
        parts.append(report.unit_code)
    if report.employee_nip:
        parts.append(report.employee_nip)
    return f"{_safe(parts)}.xlsx"


async def ikm_workbook(
    sessions: SessionFactory,
    settings: Settings,
    *,
    unit_code: str | None,
    first: date,
    last: date,
    step: Step = _quiet,
) -> Path:
    """The IKM report of the unit (None: every unit) for local days first..last, as XLSX."""
    await step("rollup")
    async with sessions() as session:
        stale = await rollup.scores_need_refresh(session, settings.tz)
    if stale:
        async with sessions.begin() as session:
            await rollup.refresh_scores(session, tz=settings.tz)
    await step("reading")
    async with sessions() as session:
        report = await build_ikm_report(
            session,
            unit_code=unit_code,
            date_from=first,
            date_to=last,
            tz=settings.tz,
            timezone_name=settings.timezone,
            refresh=False,
        )
        rows = await respondent_rows(session, report.scope, settings.tz)
    await step("writing")
    path = settings.exports_dir / ikm_file_name(report, last)
    from scheduler.documents.ikm_xlsx import write_xlsx  # lazy: openpyxl and numpy, ~20 MB

    write_xlsx(report, rows, path)
    return path


async def review_workbook(
    sessions: SessionFactory,
    settings: Settings,
    *,
    cycle_name: str,
    unit_code: str | None,
    step: Step = _quiet,
) -> Path:
    """The 360° report of a closed cycle (ratees of the unit's tree, or all), as XLSX."""
    await step("reading")
    async with sessions() as session:
        report = await gather_review_report(
            session,
            cycle_name=cycle_name,
            employee_nip=None,
            unit_code=unit_code,
            patterns=False,
            min_raters=settings.min_anonymous_raters,
            min_values=settings.recommendation_min_values,
        )
    await step("writing")
    path = settings.exports_dir / review_file_name(report)
    from scheduler.documents.review_xlsx import write_xlsx  # lazy: openpyxl and numpy

    write_xlsx(report, path)
    return path


async def development_workbook(
    sessions: SessionFactory,
    settings: Settings,
    *,
    cycle_name: str,
    now: datetime,
    step: Step = _quiet,
) -> Path:
    """BKPSDM's development needs of a closed cycle (every OPD), as XLSX: the file
    ``ulasan report development --format xlsx`` writes."""
    await step("reading")
    async with sessions() as session:
        report = await document.gather_development_report(
            session,
            cycle_name=cycle_name,
            opd_code=None,
            min_count=settings.min_anonymous_raters,
            now=now,
        )
    await step("writing")
    path = settings.exports_dir / document.file_name(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.write_xlsx(report, path)
    return path


async def ekinerja_workbook(
    sessions: SessionFactory,
    settings: Settings,
    *,
    period: str,
    actor: str,
    now: datetime,
    step: Step = _quiet,
) -> Path:
    """A performance period's e-Kinerja export (every unit) as XLSX: the file ``ulasan export
    ekinerja --period P --format xlsx`` writes; the export is recorded in the audit log."""
    await step("reading")
    async with sessions.begin() as session:
        cards = await ekinerja_export.period_rows(session, settings, period)
        detail = f"{period}: {len(cards)} employee(s), every unit, from /laporan"
        session.add(AuditLog(at=now, actor=actor[:100], action="ekinerja.export", detail=detail))
    await step("writing")
    rows = [row for _card, card_rows in cards for row in card_rows]
    path = settings.exports_dir / f"ekinerja-{period}.xlsx"
    from scheduler.documents import ekinerja as ekinerja_document  # lazy: openpyxl

    ekinerja_document.write_xlsx(rows, path)
    return path
