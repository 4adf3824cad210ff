"""``ulasan export ekinerja``: a performance period's feedback in the evaluation form's columns.

There is no e-Kinerja API: the file's columns follow the regulation's form
(`scheduler.ekinerja_export.COLUMNS`; the README lists them) for HR to copy
or import by hand, and ``--send-blocks`` queues each supervisor one
ready-to-paste text block per subordinate through the running bot's outbox.
Nothing is written into any official system.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import actor, clock, fail, format_option, get_settings, run_in_transaction

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group("export")
def export_group() -> None:
    """Files for other systems (e-Kinerja)."""


@export_group.command("ekinerja")
@click.option(
    "--period", "period_label", required=True, metavar="YYYY-MM", help="The performance period."
)
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and the units below it.")
@format_option("csv", "xlsx")
@click.option(
    "--out", type=click.Path(path_type=Path), help="Where to write (default: DATA_DIR/exports)."
)
@click.option(
    "--send-blocks", is_flag=True, help="Also send each supervisor a text block per subordinate."
)
def ekinerja_command(
    period_label: str,
    unit_code: str | None,
    output_format: str,
    out: Path | None,
    send_blocks: bool,
) -> None:
    """Per employee with a card in PERIOD: one row per SKP line (Hasil Kerja) and per core
    value (Perilaku Kerja) with realisasi notes, the supervisor's continuous feedback,
    the evidence and the recommended perilaku rating (labelled a recommendation)."""
    from scheduler.documents import ekinerja as documents
    from scheduler.ekinerja_export import period_rows, queue_blocks
    from scheduler.scoring.performance_periods import parse_period
    from storage.ikm_scope import unit_by_code
    from storage.models import AuditLog

    settings = get_settings()
    try:
        period = parse_period(period_label, settings.feedback_cadence_months)
    except ValueError as exc:
        fail(f"--period: {exc}")
    now = clock().now()

    async def work(session: AsyncSession) -> tuple[list[Any] | None, int]:
        unit_id = None
        if unit_code:
            unit = await unit_by_code(session, unit_code)
            if unit is None:
                return None, 0
            unit_id = unit.id
        cards = await period_rows(session, settings, period.label, unit_id)
        sent = await queue_blocks(session, settings, cards, now) if send_blocks else 0
        # The file holds every card's feedback lines: a view of other people's cards.
        scope = f"unit {unit_code}" if unit_code else "every unit"
        detail = f"{period.label}: {len(cards)} employee(s), {scope}, {output_format}"
        session.add(AuditLog(at=now, actor=actor()[:100], action="ekinerja.export", detail=detail))
        return cards, sent

    cards, sent = run_in_transaction(settings, work)
    if cards is None:
        fail(f"--unit: no unit with code '{unit_code}'")
    rows = [row for _card, card_rows in cards for row in card_rows]
    scope = f"-{unit_code}" if unit_code else ""
    path = out or settings.exports_dir / f"ekinerja-{period.label}{scope}.{output_format}"
    (documents.write_xlsx if output_format == "xlsx" else documents.write_csv)(rows, path)
    click.echo(f"{path}: {len(cards)} employee(s), {len(rows)} row(s), period {period.label}")
    if send_blocks:
        click.echo(f"{sent} text block(s) queued to supervisors")
