"""Roster import: units, services and employees from CSV or XLSX, checked, then written.

Each ``import_*`` function reads one file, checks every row against the file
itself and the database, and only then writes, inside the caller's transaction
(it never commits). Any problem raises `RosterInvalid`, which lists every bad
row as ``FILE:LINE: column: what is wrong`` so an operator fixes the whole file
in one go; success returns an `ImportReport` with what was added, updated and
left unchanged. Rows are upserted by code or NIP and a field is only assigned
when its value differs, so importing the same file twice writes nothing to
the roster. Every import also bumps the roster version
(`storage.survey_names.bump`) in the same transaction, so the bot process,
which caches names for the survey screens, reads them again.

The file is the truth for every row it holds: an empty optional cell clears
the value (no parent, no supervisor, not free), and a row without an ``active``
value is active. Rows missing from the file are kept (employees may be
deactivated with ``deactivate_missing``).

Unit heads and the import order: units come first (employees need their
unit), so on a fresh database a unit's ``head_nip`` names someone the
employees import has not created yet. Such a head is *pending*: the units
import keeps the NIP in ``Unit.pending_head_nip`` and the employees import
sets the head as soon as that NIP exists (and clears the pending NIP).

Reading a file is `storage.roster_files`, checking its values
`storage.roster_checks`, the roster view `storage.roster_view`; what the CLI
needs of them is importable from here (``__all__``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_
from bot.core.progress import QUIET, Progress
from storage import survey_names
from storage.models import AuditLog, Employee, Service, Unit
from storage.roster_checks import (
    Problems,
    check_code,
    check_cycles,
    check_flag,
    check_nip,
    check_text,
    find_cycles,
    unique_records,
)
from storage.roster_files import (
    EMPLOYEE_COLUMNS,
    SERVICE_COLUMNS,
    UNIT_COLUMNS,
    RosterInvalid,
    Row,
    RowError,
    read_table,
)
from storage.roster_scope import check_rows, check_units, covers
from storage.roster_view import UnitView, UnknownUnit, pending_heads, roster_tree

__all__ = [
    "ImportReport",
    "RosterInvalid",
    "RowError",
    "UnitView",
    "UnknownUnit",
    "find_cycles",
    "import_employees",
    "import_services",
    "import_units",
    "pending_heads",
    "roster_tree",
]

# "skp": SKP lines (storage/skp.py), reported in the same shape when sent to the bot.
Kind = Literal["units", "services", "employees", "skp"]
LIST_LIMIT = 50  # keys named in one audit detail
UNKNOWN_UNIT = N_("unknown unit '{code}' (import the units file first)")


@dataclass
class ImportReport:
    """What one successful import did; keys are codes or NIPs."""

    kind: Kind
    file: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    heads_set: list[str] = field(default_factory=list)  # unit codes given their pending head
    notes: list[RowError] = field(default_factory=list)  # str() is the CLI's line

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deactivated or self.heads_set)

    def summary(self) -> str:
        counts = [
            f"{len(self.added)} added",
            f"{len(self.updated)} updated",
            f"{len(self.unchanged)} unchanged",
        ]
        if self.kind == "employees":
            counts.append(f"{len(self.deactivated)} deactivated")
        text = f"{self.file}: {self.kind}: {', '.join(counts)}"
        if self.heads_set:
            text += f"; head set for {len(self.heads_set)} unit(s): {', '.join(self.heads_set)}"
        return text

    def audit_detail(self) -> str:
        parts = [self.summary()]
        for label, keys in (
            ("added", self.added),
            ("updated", self.updated),
            ("deactivated", self.deactivated),
        ):
            if keys:
                shown = ", ".join(keys[:LIST_LIMIT])
                more = f" and {len(keys) - LIST_LIMIT} more" if len(keys) > LIST_LIMIT else ""
                parts.append(f"{label}: {shown}{more}")
        return "; ".join(parts)


# -- database snapshots ---------------------------------------------------------------


async def _units(session: AsyncSession) -> dict[str, Unit]:
    return {u.code: u for u in await session.scalars(select(Unit))}


async def _employees(session: AsyncSession) -> dict[str, Employee]:
    return {e.nip: e for e in await session.scalars(select(Employee))}


async def _finish(session: AsyncSession, actor: str, report: ImportReport) -> None:
    """The audit row, and a bump of the roster version: names may have changed, so
    processes that cache them (the bot's survey screens) read them again."""
    _audit(session, actor, report)
    await survey_names.bump(session)
    await session.flush()


def _assign(obj: Any, attr: str, value: Any) -> bool:
    """Set an attribute only when it differs, so unchanged rows keep their updated_at."""
    if getattr(obj, attr) == value:
        return False
    setattr(obj, attr, value)
    return True


def _audit(session: AsyncSession, actor: str, report: ImportReport) -> None:
    if report.changed:
        session.add(
            AuditLog(actor=actor, action=f"import.{report.kind}", detail=report.audit_detail())
        )


# -- units ------------------------------------------------------------------------------


@dataclass
class _UnitRecord:
    line: int
    code: str | None
    name: str | None
    parent_code: str | None
    head_nip: str | None
    ok: bool


def _parse_units(p: Problems, rows: list[Row], progress: Progress = QUIET) -> list[_UnitRecord]:
    records = []
    progress.stage(f"{Path(p.table.file).name}: checking rows", len(rows))
    for row in rows:
        progress.advance()
        before = p.count()
        code = check_code(p, row, "code", required=True)
        records.append(
            _UnitRecord(
                line=row.line,
                code=code,
                name=check_text(p, row, "name", required=True),
                parent_code=check_code(p, row, "parent_code", required=False),
                head_nip=check_nip(p, row, "head_nip", required=False),
                ok=p.count() == before,
            )
        )
    return records


def _check_units(
    p: Problems, records: list[_UnitRecord], units: dict[str, Unit]
) -> list[_UnitRecord]:
    in_file = {r.code for r in records if r.code}
    kept = unique_records(p, records, "code", "code", N_("unit code"))
    for record in kept:
        parent = record.parent_code
        if parent and parent not in in_file and parent not in units:
            p.add(
                record.line,
                "parent_code",
                N_("unknown unit '{code}' (not in this file or the database)"),
                code=parent,
            )
            record.ok = False
    code_of = {u.id: u.code for u in units.values()}
    db_edges = {u.code: code_of.get(u.parent_id) if u.parent_id else None for u in units.values()}
    file_edges = {r.code: (r.line, r.parent_code) for r in kept if r.ok and r.code}
    check_cycles(p, file_edges, db_edges, "parent_code", N_("unit"))
    return [r for r in kept if r.ok]


async def import_units(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    progress: Progress = QUIET,
    managed: frozenset[int] | None = None,
) -> ImportReport:
    """Upsert units by code: name, parent and head. Raise `RosterInvalid` on any problem."""
    table = read_table(path, UNIT_COLUMNS)
    p = Problems(table)
    units = await _units(session)
    employees = await _employees(session)
    parsed = _parse_units(p, table.rows, progress)
    check_units(p, parsed, units, managed)
    records = _check_units(p, parsed, units)
    p.raise_if_any()
    progress.stage(f"{Path(table.file).name}: writing units", None)

    report = ImportReport("units", table.file, notes=list(table.notes))
    changed: set[str] = set()
    for record in records:
        assert record.code is not None and record.name is not None
        unit = units.get(record.code)
        if unit is None:
            # Every column set up front: after the flush an unset one would be
            # reloaded lazily, which an AsyncSession cannot do.
            unit = Unit(
                code=record.code,
                name=record.name,
                parent_id=None,
                head_employee_id=None,
                pending_head_nip=None,
            )
            session.add(unit)
            units[record.code] = unit
            report.added.append(record.code)
        elif _assign(unit, "name", record.name):
            changed.add(record.code)
    await session.flush()  # ids for new units, so parents can point at them

    for record in records:
        assert record.code is not None
        unit = units[record.code]
        parent_id = units[record.parent_code].id if record.parent_code else None
        if _assign(unit, "parent_id", parent_id):
            changed.add(record.code)
        if _set_head(unit, record, employees, report):
            changed.add(record.code)
    await session.flush()

    added = set(report.added)
    for record in records:
        assert record.code is not None
        if record.code in added:
            continue
        (report.updated if record.code in changed else report.unchanged).append(record.code)
    await _finish(session, actor, report)
    return report


def _set_head(
    unit: Unit, record: _UnitRecord, employees: dict[str, Employee], report: ImportReport
) -> bool:
    """Set the unit's head from the row, or make it pending; True if anything changed."""
    nip = record.head_nip
    head = employees.get(nip) if nip else None
    want_pending = nip if nip and head is None else None
    changed = _assign(unit, "head_employee_id", head.id if head else None)
    if want_pending is not None:
        report.notes.append(
            RowError(
                report.file,
                record.line,
                "head_nip",
                N_(
                    "{nip} is not an employee yet; it becomes head of {code} when the "
                    "employees file adds it"
                ),
                {"nip": nip, "code": unit.code},
            )
        )
    # A stale pending head is withdrawn when the row names no head, so a later
    # employees import does not bring it back.
    return _assign(unit, "pending_head_nip", want_pending) or changed


# -- services ---------------------------------------------------------------------------


@dataclass
class _ServiceRecord:
    line: int
    code: str | None
    unit_code: str | None
    name: str | None
    free: bool
    active: bool
    ok: bool


def _parse_services(
    p: Problems, rows: list[Row], progress: Progress = QUIET
) -> list[_ServiceRecord]:
    records = []
    progress.stage(f"{Path(p.table.file).name}: checking rows", len(rows))
    for row in rows:
        progress.advance()
        before = p.count()
        records.append(
            _ServiceRecord(
                line=row.line,
                code=check_code(p, row, "code", required=True),
                unit_code=check_code(p, row, "unit_code", required=True),
                name=check_text(p, row, "name", required=True),
                free=check_flag(p, row, "free", default=False),
                active=check_flag(p, row, "active", default=True),
                ok=p.count() == before,
            )
        )
    return records


async def import_services(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    progress: Progress = QUIET,
    managed: frozenset[int] | None = None,
) -> ImportReport:
    """Upsert services by code: unit, name, free, active. Raise `RosterInvalid` on any problem."""
    table = read_table(path, SERVICE_COLUMNS)
    p = Problems(table)
    units = await _units(session)
    services = {s.code: s for s in await session.scalars(select(Service))}
    parsed = _parse_services(p, table.rows, progress)
    records = unique_records(p, parsed, "code", "code", N_("service code"))
    check_rows(p, records, "code", units, services, managed)
    for record in records:
        if record.unit_code and record.unit_code not in units:
            p.add(record.line, "unit_code", UNKNOWN_UNIT, code=record.unit_code)
    p.raise_if_any()
    progress.stage(f"{Path(table.file).name}: writing services", None)

    report = ImportReport("services", table.file, notes=list(table.notes))
    for record in records:
        assert record.code and record.unit_code and record.name
        service = services.get(record.code)
        if service is None:
            service = Service(code=record.code)
            session.add(service)
            report.added.append(record.code)
        changes = [
            _assign(service, "unit_id", units[record.unit_code].id),
            _assign(service, "name", record.name),
            _assign(service, "free", record.free),
            _assign(service, "active", record.active),
        ]
        if record.code in report.added:
            continue
        (report.updated if any(changes) else report.unchanged).append(record.code)
    await _finish(session, actor, report)
    return report


# -- employees --------------------------------------------------------------------------


@dataclass
class _EmployeeRecord:
    line: int
    nip: str | None
    name: str | None
    position: str | None
    unit_code: str | None
    supervisor_nip: str | None
    active: bool
    ok: bool


def _parse_employees(
    p: Problems, rows: list[Row], progress: Progress = QUIET
) -> list[_EmployeeRecord]:
    records = []
    progress.stage(f"{Path(p.table.file).name}: checking rows", len(rows))
    for row in rows:
        progress.advance()
        before = p.count()
        records.append(
            _EmployeeRecord(
                line=row.line,
                nip=check_nip(p, row, "nip", required=True),
                name=check_text(p, row, "name", required=True),
                position=check_text(p, row, "position", required=False),
                unit_code=check_code(p, row, "unit_code", required=True),
                supervisor_nip=check_nip(p, row, "supervisor_nip", required=False),
                active=check_flag(p, row, "active", default=True),
                ok=p.count() == before,
            )
        )
    return records


def _check_employees(
    p: Problems,
    records: list[_EmployeeRecord],
    units: dict[str, Unit],
    employees: dict[str, Employee],
    deactivate_missing: bool,
) -> list[_EmployeeRecord]:
    in_file = {r.nip for r in records if r.nip}
    kept = unique_records(p, records, "nip", "nip", N_("NIP"))
    for record in kept:
        if record.unit_code and record.unit_code not in units:
            p.add(record.line, "unit_code", UNKNOWN_UNIT, code=record.unit_code)
            record.ok = False
        boss = record.supervisor_nip
        if boss and boss not in in_file and boss not in employees:
            p.add(
                record.line,
                "supervisor_nip",
                N_("unknown NIP {nip} (not in this file or the database)"),
                nip=boss,
            )
            record.ok = False
        elif boss and deactivate_missing and boss not in in_file:
            p.add(
                record.line,
                "supervisor_nip",
                N_(
                    "{nip} is not in this file, so deactivating the employees missing from "
                    "it would deactivate this employee's supervisor"
                ),
                nip=boss,
            )
    nip_of = {e.id: e.nip for e in employees.values()}
    db_edges = {
        e.nip: nip_of.get(e.supervisor_id) if e.supervisor_id else None for e in employees.values()
    }
    file_edges = {r.nip: (r.line, r.supervisor_nip) for r in kept if r.ok and r.nip}
    check_cycles(p, file_edges, db_edges, "supervisor_nip", N_("employee"))
    return kept


async def import_employees(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    deactivate_missing: bool = False,
    progress: Progress = QUIET,
    managed: frozenset[int] | None = None,
) -> ImportReport:
    """Upsert employees by NIP; optionally deactivate those not in the file; set pending heads.

    Raise `RosterInvalid` on any problem.
    """
    table = read_table(path, EMPLOYEE_COLUMNS)
    p = Problems(table)
    units = await _units(session)
    employees = await _employees(session)
    parsed = _parse_employees(p, table.rows, progress)
    check_rows(p, parsed, "nip", units, employees, managed)
    records = _check_employees(p, parsed, units, employees, deactivate_missing)
    p.raise_if_any()

    report = ImportReport("employees", table.file, notes=list(table.notes))
    progress.stage(f"{Path(table.file).name}: writing employees", len(records))
    changed = _upsert_employees(session, records, units, employees, report, progress)
    await session.flush()  # ids for new employees, so supervisors can point at them
    for record in records:
        assert record.nip is not None
        boss = employees[record.supervisor_nip].id if record.supervisor_nip else None
        if _assign(employees[record.nip], "supervisor_id", boss):
            changed.add(record.nip)
    if deactivate_missing:
        in_file = {r.nip for r in records}
        for nip, employee in employees.items():
            if (
                nip not in in_file
                and covers(managed, employee.unit_id)
                and _assign(employee, "active", False)
            ):
                report.deactivated.append(nip)
    await session.flush()

    added = set(report.added)
    for record in records:
        assert record.nip is not None
        if record.nip not in added:
            (report.updated if record.nip in changed else report.unchanged).append(record.nip)
    await _resolve_pending_heads(session, units, employees, report)
    await _finish(session, actor, report)
    return report


def _upsert_employees(
    session: AsyncSession,
    records: list[_EmployeeRecord],
    units: dict[str, Unit],
    employees: dict[str, Employee],
    report: ImportReport,
    progress: Progress = QUIET,
) -> set[str]:
    """Add new employees and update fields other than the supervisor; return changed NIPs."""
    changed: set[str] = set()
    for record in records:
        progress.advance()
        assert record.nip and record.name and record.unit_code
        employee = employees.get(record.nip)
        if employee is None:
            employee = Employee(nip=record.nip, supervisor_id=None)
            session.add(employee)
            employees[record.nip] = employee
            report.added.append(record.nip)
        changes = [
            _assign(employee, "name", record.name),
            _assign(employee, "position", record.position or ""),
            _assign(employee, "unit_id", units[record.unit_code].id),
            _assign(employee, "active", record.active),
        ]
        if any(changes):
            changed.add(record.nip)
    return changed


async def _resolve_pending_heads(
    session: AsyncSession,
    units: dict[str, Unit],
    employees: dict[str, Employee],
    report: ImportReport,
) -> None:
    for code, nip in sorted((await pending_heads(session)).items()):
        unit = units.get(code)
        if unit is None or unit.head_employee_id is not None:
            continue
        head = employees.get(nip)
        if head is None:
            report.notes.append(
                RowError(
                    report.file,
                    None,
                    None,
                    N_(
                        "unit {code}: head NIP {nip} (from the units file) is still not an "
                        "employee; add it to the employees file or import the units again "
                        "with the right head_nip"
                    ),
                    {"code": code, "nip": nip},
                )
            )
            continue
        unit.head_employee_id = head.id
        unit.pending_head_nip = None
        report.heads_set.append(code)
