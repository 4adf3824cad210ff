"""``ulasan report ikm``: the SKM/IKM report as a plain-text table, JSON or XLSX.

The numbers come from `storage.ikm_report` (the rollup tables, brought up to
date first, in a transaction of their own, so the report then only reads) and
the pure math of `scheduler.scoring.skm`, the same functions the bot uses. The
three forms are documents (`scheduler.documents.ikm_table`, ``ikm_json``,
``ikm_xlsx``), in the regulation's Indonesian terms from the catalog. The JSON
shape is versioned by its ``version`` field.

Bad input (unknown unit, service or NIP; a malformed date or number) prints one
line and exits with code 1; exit code 2 is reserved for settings.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import (
    clock,
    emit_text,
    fail,
    format_option,
    get_settings,
    run_reading,
    write_document,
)
from bot.cli.progress import terminal_progress
from bot.core.progress import QUIET, Progress

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.ikm_report import IkmReport, RespondentRow

FORMATS = ("table", "json", "xlsx")


def default_xlsx_name(report: IkmReport, today: date) -> Path:
    """ikm-<unit or semua>[-<service>][-<nip>]-<from>-<to>.xlsx (written to DATA_DIR/exports)."""
    from scheduler.report_documents import ikm_file_name

    return Path(ikm_file_name(report, today))


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
    progress: Progress = QUIET,
    **filters: Any,
) -> tuple[IkmReport, list[RespondentRow]]:
    from storage.db import create_engine, session_factory
    from storage.ikm_report import build_ikm_report, respondent_rows
    from storage.rollup import refresh as rollup

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    sessions = session_factory(engine)
    try:
        # Responses submitted, deleted or changed since the last rollup run are
        # rolled up first: a cheap look, then (only if needed) a short write
        # transaction, so the report below reads without holding any lock.
        progress.stage("report ikm: bringing the scores up to date")
        async with sessions() as session:
            stale = await rollup.scores_need_refresh(session, settings.tz)
        if stale:
            async with sessions.begin() as session:
                await rollup.refresh_scores(session, tz=settings.tz)
        progress.stage("report ikm: reading the scores")
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
    from storage.ikm_report import ReportError

    settings = get_settings()
    with terminal_progress() as progress:
        report, rows = run_reading(
            "report ikm",
            load_report(
                settings,
                with_rows=output_format == "xlsx",
                # The table prints only how many comments there are.
                with_comments=output_format != "table",
                progress=progress,
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
            progress.stage("report ikm: writing the workbook")
            _emit(report, rows, output_format, out, settings.exports_dir)
    if output_format != "xlsx":  # text on stdout, after the bars are done
        _emit(report, rows, output_format, out, settings.exports_dir)


def _emit(
    report: IkmReport,
    rows: list[RespondentRow],
    output_format: str,
    out: Path | None,
    exports: Path,
) -> None:
    """The report in ``output_format``, on stdout or into ``out``."""
    if output_format == "xlsx":
        from scheduler.documents.ikm_xlsx import write_xlsx

        today = clock().now().astimezone().date()  # the machine's day, as date.today()
        path = out or exports / default_xlsx_name(report, today)
        write_document(path, lambda target: write_xlsx(report, rows, target))
    elif output_format == "json":
        from scheduler.documents.ikm_json import report_json

        data = report_json(report, clock().now())
        emit_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", out)
    else:
        from scheduler.documents.ikm_table import render_table

        emit_text(render_table(report), out)
