"""CLI commands for the roster: ``ulasan import units|services|employees FILE`` and
``ulasan roster show``.

The transaction boundary is here: each import runs in one transaction, and the
storage functions only validate and write inside it. Validation errors print
one ``FILE:LINE: column: what is wrong`` line each (stderr) and exit 1; a
database that cannot be used exits 2 like a bad setting does.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import fail, get_settings, run_async
from bot.core.settings import Settings
from storage.db import create_engine, session_factory
from storage.roster import (
    ImportReport,
    RosterInvalid,
    UnitView,
    UnknownUnit,
    import_employees,
    import_services,
    import_units,
    roster_tree,
)

T = TypeVar("T")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in some containers
        return "cli:unknown"


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = get_settings()
    try:
        return run_async(lambda: _in_transaction(settings, work))
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(
            f"Database error: {reason}. Is DATABASE_URL right and migrated (`ulasan db upgrade`)?",
            2,
        )


def _run_import(work: Callable[[AsyncSession], Awaitable[ImportReport]]) -> None:
    try:
        report = _run(work)
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
    _run_import(lambda session: import_units(session, file, actor=_actor()))


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
    _run_import(lambda session: import_services(session, file, actor=_actor()))


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
    _run_import(
        lambda session: import_employees(
            session, file, actor=_actor(), deactivate_missing=deactivate_missing
        )
    )


@click.group("roster")
def roster_group() -> None:
    """Look at the roster in the database."""


@roster_group.command("show")
@click.option("--unit", "unit_code", metavar="CODE", help="Show only this unit and its sub-units.")
def roster_show(unit_code: str | None) -> None:
    """Print the units tree with each unit's head, services and employees."""
    try:
        roots = _run(lambda session: roster_tree(session, unit_code))
    except UnknownUnit:
        fail(f"Unknown unit '{unit_code}'.", 1)
    if not roots:
        click.echo("The roster is empty; start with `ulasan import units FILE`.")
        return
    for root in roots:
        for line in render_unit(root):
            click.echo(line)


def render_unit(unit: UnitView, depth: int = 0) -> list[str]:
    """The lines of one unit and its sub-units, indented by depth."""
    pad = "  " * depth
    if unit.head_name:
        head = f"{unit.head_name} ({unit.head_nip})"
    elif unit.pending_head_nip:
        head = f"pending: NIP {unit.pending_head_nip} is not an employee yet"
    else:
        head = "none"
    lines = [f"{pad}{unit.code}  {unit.name}", f"{pad}  head: {head}"]
    for service in unit.services:
        flags = [f for f, on in (("free", service.free), ("inactive", not service.active)) if on]
        suffix = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"{pad}  service {service.code}: {service.name}{suffix}")
    for person in unit.employees:
        boss = f"; supervisor: {person.supervisor_name}" if person.supervisor_name else ""
        state = "" if person.active else " [inactive]"
        position = f" — {person.position}" if person.position else ""
        lines.append(f"{pad}  employee {person.nip} {person.name}{position}{boss}{state}")
    for child in unit.children:
        lines.extend(render_unit(child, depth + 1))
    return lines


def register(cli: click.Group) -> None:
    cli.add_command(import_group)
    cli.add_command(roster_group)
