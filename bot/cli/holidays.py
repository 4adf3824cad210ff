"""``ulasan holidays import|list``: the days that are not working days besides weekends.

Working days are ``WORK_DAYS`` minus these holidays (`storage.holidays`); they
decide when an SKM period's close message goes out and when its reminder and
escalation fall due. ``import`` checks the whole file first: on any problem
nothing is written, every bad row is one ``FILE:LINE: column: what`` line on
stderr, exit 1. Importing the same file again changes nothing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    actor,
    clock,
    fail,
    format_option,
    get_settings,
    in_transaction,
    run_in_transaction,
    run_reading,
)
from bot.cli.cycle import OneLineErrors

if TYPE_CHECKING:
    from storage.holiday_models import Holiday


@click.group("holidays", cls=OneLineErrors)
def holidays_group() -> None:
    """Holidays (libur nasional, cuti bersama): days that are not working days."""


@holidays_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--replace",
    is_flag=True,
    help="FILE is the whole list of the years it covers: other days of those years are removed.",
)
def import_command(file: Path, replace: bool) -> None:
    """Load holidays from FILE: columns date (tanggal) and name (nama).

    \b
    A date is YYYY-MM-DD or DD/MM/YYYY (or a date cell of a spreadsheet).
    FILE is CSV (UTF-8 with or without BOM, comma or semicolon, header row)
    or XLSX (first sheet, header row). Days are matched by date: the same
    file twice changes nothing; a later file renames a day.
    """
    from storage.holidays import RosterInvalid, import_holidays

    settings = get_settings()
    now = clock().now()
    try:
        report = run_in_transaction(
            settings,
            lambda s: import_holidays(s, file, actor=actor(), now=now, replace=replace),
        )
    except RosterInvalid as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        count = len(exc.errors)
        fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.", 1)
    click.echo(report.summary())
    for day in report.removed:
        click.echo(f"removed: {day.isoformat()}")
    for note in report.notes:
        click.echo(f"note: {note}")


@holidays_group.command("list")
@click.option("--year", type=click.IntRange(2000, 2100), help="Only this year.")
@format_option("table", "json")
def list_command(year: int | None, output_format: str) -> None:
    """The loaded holidays, by date."""
    from storage.holidays import holidays_between

    settings = get_settings()
    first = date(year, 1, 1) if year else None
    last = date(year, 12, 31) if year else None
    rows: list[Holiday] = run_reading(
        "holidays list", in_transaction(settings, lambda s: holidays_between(s, first, last))
    )
    if output_format == "json":
        data = [{"date": h.day.isoformat(), "name": h.name} for h in rows]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No holidays loaded; `ulasan holidays import FILE` adds them.")
        return
    for holiday in rows:
        click.echo(f"{holiday.day.isoformat()}  {holiday.day:%a}  {holiday.name}")
