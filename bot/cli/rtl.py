"""``ulasan rtl list|export``: the follow-up plans (RTL) for HR, as a table, JSON or XLSX.

The same lines the heads draw up with ``/rtl`` and the owners report on with
``/tugas`` (`storage.rtl.list_lines`), optionally of one unit (with its
sub-units) and one period. ``list`` prints to stdout (a table or JSON);
``export`` writes a file (XLSX by default) to ``--out`` or ``DATA_DIR/exports``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from storage.rtl import LineView


@click.group("rtl")
def rtl_group() -> None:
    """Follow-up plans (Rencana Tindak Lanjut) of SKM periods: lines, owners, status."""


def _filters(function):  # type: ignore[no-untyped-def]
    function = click.option("--period", "period_name", metavar="NAME", help="One period.")(function)
    return click.option("--unit", "unit_code", metavar="CODE", help="A unit and its sub-units.")(
        function
    )


async def _lines(
    database_url: str, unit_code: str | None, period_name: str | None
) -> list[LineView]:
    from storage import periods, rtl
    from storage.db import create_engine, session_factory
    from storage.directory import unit_subtree_ids

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            unit_ids = None
            if unit_code is not None:
                unit = await periods.unit_by_code(session, unit_code)
                unit_ids = await unit_subtree_ids(session, unit.id)
            period_id = None
            if period_name is not None:
                period_id = (await periods.period_named(session, period_name)).id
            return await rtl.list_lines(session, unit_ids=unit_ids, period_id=period_id)
    finally:
        await engine.dispose()


def _read(command: str, unit_code: str | None, period_name: str | None) -> list[LineView]:
    url = get_settings().database_url
    return run_reading(command, _lines(url, unit_code, period_name), (LookupError,))


@rtl_group.command("list")
@_filters
@format_option("table", "json")
def list_command(unit_code: str | None, period_name: str | None, output_format: str) -> None:
    """Every follow-up line (optionally of --unit and --period)."""
    from scheduler.documents.rtl_table import text_table
    from scheduler.rtl import dumps

    lines = _read("rtl list", unit_code, period_name)
    click.echo(dumps(lines) if output_format == "json" else text_table(lines), nl=False)
    if output_format == "json":
        click.echo()


@rtl_group.command("export")
@_filters
@format_option("xlsx", "json", "table")
@click.option("--out", type=click.Path(path_type=Path), help="The file to write.")
def export_command(
    unit_code: str | None, period_name: str | None, output_format: str, out: Path | None
) -> None:
    """Write the follow-up lines to a file (default DATA_DIR/exports/rtl-<date>.<ext>)."""
    from scheduler.documents.rtl_table import text_table, write_xlsx
    from scheduler.rtl import dumps

    lines = _read("rtl export", unit_code, period_name)
    extension = {"xlsx": "xlsx", "json": "json", "table": "txt"}[output_format]
    if out is None:
        stamp = clock().now().date().isoformat()
        out = get_settings().exports_dir / f"rtl-{stamp}.{extension}"
    if out.is_dir():
        fail(f"--out: {out} is a folder; name a file")
    if output_format == "xlsx":
        write_document(out, lambda path: write_xlsx(lines, path))
        return
    emit_text(dumps(lines) + "\n" if output_format == "json" else text_table(lines), out)
