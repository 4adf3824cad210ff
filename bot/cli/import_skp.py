"""``ulasan import skp FILE``: each employee's SKP lines (PermenPANRB 6/2022) from CSV or XLSX.

One transaction: on any problem nothing is written, every bad row is one
``FILE:LINE: column: what`` line on stderr, exit 1 (`storage.skp` says how
lines are matched, updated and archived).
"""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import actor, clock, fail, get_settings, run_in_transaction


@click.command("skp")
@click.argument("file", type=click.Path(path_type=Path))
def import_skp_command(file: Path) -> None:
    """Import SKP lines: nip, tahun, rencana_hasil_kerja, indikator, target, perspektif.

    English headers: nip, year, work_plan, indicator, target, perspective.
    perspektif may be empty. Employees must be in the roster. Lines are
    matched by NIP, year and rencana hasil kerja: the same file twice changes
    nothing, a changed target updates the line, and a line of an employee and
    year in FILE that FILE no longer lists is archived with its feedback kept.
    Employees and years not in FILE are left alone.

    \b
    FILE is CSV (UTF-8 with or without BOM, comma or semicolon, header row)
    or XLSX (first sheet, header row).
    """
    from storage.skp import RosterInvalid, import_skp

    settings = get_settings()
    now = clock().now()
    try:
        report = run_in_transaction(settings, lambda s: import_skp(s, file, actor=actor(), now=now))
    except RosterInvalid as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        count = len(exc.errors)
        fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.", 1)
    click.echo(report.summary())
    for note in report.notes:
        click.echo(f"note: {note}")
