"""``ulasan report review``: 360° results of a closed cycle as a table, JSON or XLSX.

Same rules as the bot, because the figures come from the same place
(`storage.review_results`, gathered by `scheduler.documents.review_report`):
only closed cycles, only figures the anonymity rule released (a suppressed
figure is printed as its reason, never as a number), comments only as
released, no per-rater rows in any format. ``--patterns`` adds the admin's
list of rater patterns (names and direction only, never answers).

The three forms are documents (`scheduler.documents.review_table`,
``review_json``, ``review_xlsx``), in the regulation's Indonesian terms from
the catalog. Means are printed rounded half-up to two decimals, as the bot
prints them, and JSON carries the same rounded values. Bad input prints one
line and exits with code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    clock,
    emit_text,
    format_option,
    get_settings,
    run_reading,
    write_document,
)
from bot.cli.progress import terminal_progress

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from scheduler.documents.review_report import ReviewReport

FORMATS = ("table", "json", "xlsx")


async def load_report(
    settings: Settings,
    *,
    cycle_name: str,
    employee_nip: str | None,
    unit_code: str | None,
    patterns: bool,
) -> ReviewReport:
    from scheduler.documents.review_report import gather_review_report
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine)() as session:
            return await gather_review_report(
                session,
                cycle_name=cycle_name,
                employee_nip=employee_nip,
                unit_code=unit_code,
                patterns=patterns,
                min_raters=settings.min_anonymous_raters,
                min_values=settings.recommendation_min_values,
            )
    finally:
        await engine.dispose()


def default_xlsx_name(report: ReviewReport) -> Path:
    from scheduler.report_documents import review_file_name

    return Path(review_file_name(report))


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
    from storage.review_results import ResultsError

    settings = get_settings()
    with terminal_progress() as progress:
        progress.stage("report review: reading the results")
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
            progress.stage("report review: writing the workbook")
            _emit(report, output_format, out, settings.exports_dir)
    if output_format != "xlsx":  # text on stdout, after the bars are done
        _emit(report, output_format, out, settings.exports_dir)


def _emit(report: ReviewReport, output_format: str, out: Path | None, exports: Path) -> None:
    """The report in ``output_format``, on stdout or into ``out``."""
    if output_format == "xlsx":
        from scheduler.documents.review_xlsx import write_xlsx

        path = out or exports / default_xlsx_name(report)
        write_document(path, lambda target: write_xlsx(report, target))
    elif output_format == "json":
        from scheduler.documents.review_json import report_json

        data = report_json(report, clock().now())
        emit_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", out)
    else:
        from scheduler.documents.review_table import render_table

        emit_text(render_table(report), out)
