"""``ulasan import units|services|employees FILE``: the roster from CSV or XLSX.

The transaction boundary is here: each import runs in one transaction, and the
storage functions only validate and write inside it. Validation errors print
one ``FILE:LINE: column: what is wrong`` line each (stderr) and exit 1; a
database that cannot be used exits 2 like a bad setting does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import actor, fail, get_settings, run_in_transaction
from bot.cli.progress import terminal_progress

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.progress import Progress
    from storage.roster import ImportReport


def _run_import(work: Callable[[AsyncSession, Progress], Awaitable[ImportReport]]) -> None:
    """Run one import in one transaction, with a progress bar on a terminal."""
    from storage.roster import RosterInvalid

    settings = get_settings()
    try:
        with terminal_progress() as progress:
            report = run_in_transaction(settings, lambda session: work(session, progress))
    except RosterInvalid as exc:
        for line in exc.lines():
            click.echo(line, err=True)
        count = len(exc.errors)
        fail(f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.", 1)
    click.echo(report.summary())
    for note in report.notes:
        click.echo(f"note: {note}")


@click.group("import")
def import_group() -> None:
    """Import the roster from CSV or XLSX: units first, then services, then employees.

    Every row is checked before anything is written; on any problem nothing
    is written and every bad row is listed as FILE:LINE: column: problem
    (exit code 1). Rows are matched by code or NIP, so importing the same
    file again changes nothing and a newer file updates what differs.
    """


@import_group.command("units")
@click.argument("file", type=click.Path(path_type=Path))
def import_units_command(file: Path) -> None:
    """Import units: code (kode), name (nama), parent_code (kode_induk), head_nip (nip_kepala).

    parent_code and head_nip may be empty. A head_nip that is not an employee
    yet is kept pending and becomes the unit's head when `ulasan import
    employees` adds that NIP.

    \b
    FILE is CSV (UTF-8 with or without BOM, comma or semicolon, header row)
    or XLSX (first sheet, header row).
    """
    from storage.roster import import_units

    _run_import(
        lambda session, progress: import_units(session, file, actor=actor(), progress=progress)
    )


@import_group.command("services")
@click.argument("file", type=click.Path(path_type=Path))
def import_services_command(file: Path) -> None:
    """Import services: code (kode), unit_code (kode_unit), name (nama).

    Optional columns: free (gratis) marks a service that is free by law, and
    active (aktif); values 1/0, ya/tidak, yes/no, true/false. Empty means not
    free and active. The units must be imported first.

    \b
    FILE is CSV (UTF-8 with or without BOM, comma or semicolon, header row)
    or XLSX (first sheet, header row).
    """
    from storage.roster import import_services

    _run_import(
        lambda session, progress: import_services(session, file, actor=actor(), progress=progress)
    )


@import_group.command("employees")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate active employees that are not in FILE (FILE is then the whole roster).",
)
def import_employees_command(file: Path, deactivate_missing: bool) -> None:
    """Import employees: nip, name, position, unit_code, supervisor_nip, active.

    Indonesian headers: nip, nama, jabatan, kode_unit, nip_atasan, aktif (the
    active/aktif column is optional; empty means active).

    NIP is 18 digits (spaces between the groups are ignored); position and
    supervisor_nip may be empty. Employees not in FILE are kept unless
    --deactivate-missing is given. Pending unit heads named by the units import
    are set once their NIP exists.

    \b
    FILE is CSV (UTF-8 with or without BOM, comma or semicolon, header row)
    or XLSX (first sheet, header row).
    """
    from storage.roster import import_employees

    _run_import(
        lambda session, progress: import_employees(
            session,
            file,
            actor=actor(),
            deactivate_missing=deactivate_missing,
            progress=progress,
        )
    )
