"""``ulasan report development``: training needs for BKPSDM from the development plans.

Counts of the plans ratees sent after a closed 360° cycle (default: the last
one), per OPD × core value × activity, for planning training
(`scheduler.documents.development_counts`). A cell below
``MIN_ANONYMOUS_RATERS`` plans is folded into the OPD's "lainnya" and no
figure lets it be derived; no plan's text, no name. ``--unit`` takes an OPD
only (a unit without a parent): two nested scopes could be subtracted. Bad
input prints one line and exits with code 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    clock,
    emit_text,
    fail,
    format_option,
    get_settings,
    in_transaction,
    run_reading,
    write_document,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from scheduler.documents.development_counts import DevelopmentReport


@click.command("development")
@click.option("--cycle", "cycle_name", help="The cycle's name (default: the last one closed).")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this OPD (a top-level unit).")
@format_option("table", "json", "xlsx")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx default: DATA_DIR/exports/pengembangan-<cycle>.xlsx).",
)
def development_command(
    cycle_name: str | None, unit_code: str | None, output_format: str, out: Path | None
) -> None:
    """Development plans per OPD x core value x activity (small cells folded), for BKPSDM."""
    from scheduler.documents import development_counts as document

    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> DevelopmentReport | str:
        try:
            return await document.gather_development_report(
                session,
                cycle_name=cycle_name,
                opd_code=unit_code,
                min_count=settings.min_anonymous_raters,
                now=now,
            )
        except document.ReportRefused as exc:
            return str(exc)

    report = run_reading("report development", in_transaction(settings, work))
    if isinstance(report, str):
        fail(report)
    if output_format == "xlsx":
        path = out or settings.exports_dir / document.file_name(report)
        write_document(path, lambda target: document.write_xlsx(report, target))
    elif output_format == "json":
        data = document.report_json(report)
        emit_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", out)
    else:
        emit_text(document.render_table(report), out)
