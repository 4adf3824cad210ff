"""Roster import (units, services, employees from CSV or XLSX) and the roster view.

Each ``import_*`` function reads one file, checks every row against the file
itself and the database, and only then writes, inside the caller's transaction
(it never commits). Any problem raises `RosterInvalid`, which lists every bad
row as ``FILE:LINE: column: what is wrong`` so an operator fixes the whole file
in one go; success returns an `ImportReport` with what was added, updated and
left unchanged. Rows are upserted by code or NIP and a field is only assigned
when its value differs, so importing the same file twice writes nothing.

The file is the truth for every row it holds: an empty optional cell clears
the value (no parent, no supervisor, not free), and a row without an ``active``
value is active. Rows missing from the file are kept (employees may be
deactivated with ``deactivate_missing``).

Unit heads and the import order: units come first (employees need their
unit), so on a fresh database a unit's ``head_nip`` names someone the
employees import has not created yet. Such a head is *pending*: the units
import keeps the NIP in ``Unit.pending_head_nip`` and the employees import
sets the head as soon as that NIP exists (and clears the pending NIP).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditLog, Employee, Service, Unit

Kind = Literal["units", "services", "employees"]

NIP_RE = re.compile(r"\d{18}")
# Codes end up on the command line (`--unit CODE`) and in reports: no spaces.
CODE_RE = re.compile(r"[A-Za-z0-9._/-]+")
CODE_MAX = 32
TEXT_MAX = 200
TRUE_WORDS = frozenset({"1", "y", "ya", "iya", "yes", "true", "benar", "aktif"})
FALSE_WORDS = frozenset({"0", "n", "tidak", "tdk", "no", "false", "salah", "nonaktif"})
LIST_LIMIT = 50  # keys named in one audit detail


# ---------------------------------------------------------------------------
# Results and errors
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem, printed as ``FILE:LINE: column: message`` (line 1 is the header)."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class RosterInvalid(Exception):
    """The file cannot be imported; nothing was written. `errors` holds every problem."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = sorted(errors, key=lambda e: e.line or 0)
        super().__init__("\n".join(str(e) for e in self.errors))

    def lines(self) -> list[str]:
        return [str(e) for e in self.errors]


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
    notes: list[str] = field(default_factory=list)

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


# ---------------------------------------------------------------------------
# Reading a file into rows
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    alias: str | None = None
    required: bool = True  # the header must be present (values may still be optional)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.key,) if self.alias is None else (self.key, self.alias)

    def missing(self) -> str:
        also = f" (also accepted as {self.alias})" if self.alias else ""
        return f"missing column{also}"


UNIT_COLUMNS = (
    Column("code", "kode"),
    Column("name", "nama"),
    Column("parent_code", "kode_induk"),
    Column("head_nip", "nip_kepala"),
)
SERVICE_COLUMNS = (
    Column("code", "kode"),
    Column("unit_code", "kode_unit"),
    Column("name", "nama"),
    Column("free", "gratis", required=False),
    Column("active", "aktif", required=False),
)
EMPLOYEE_COLUMNS = (
    Column("nip"),
    Column("name", "nama"),
    Column("position", "jabatan"),
    Column("unit_code", "kode_unit"),
    Column("supervisor_nip", "nip_atasan"),
    Column("active", "aktif", required=False),
)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "")


@dataclass(frozen=True)
class Table:
    file: str
    labels: dict[str, str]  # column key → the header as written, for messages
    rows: list[Row]
    notes: list[str]


class _Unreadable(Exception):
    """The file as a whole cannot be read; the message says why, in one line."""


def _normalise_header(cell: str) -> str:
    return re.sub(r"[\s-]+", "_", cell.strip().lower())


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Above 2**53 a float has lost digits (an 18-digit NIP typed as a number):
        # keep the scientific form so the NIP check rejects it instead of a wrong NIP.
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # strips a BOM when there is one
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            f"not UTF-8 text (invalid byte at position {exc.start}); save it as 'CSV UTF-8' or XLSX"
        ) from None
    if not text.strip():
        raise _Unreadable("the file is empty")
    header = text.splitlines()[0]
    # Spreadsheets in an Indonesian locale save CSV with ';' because ',' is the
    # decimal mark: the header line decides.
    delimiter = max((",", ";", "\t"), key=header.count)
    try:
        return [
            [cell.strip() for cell in record]
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        raise _Unreadable(f"not a valid CSV file: {exc}") from None


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise _Unreadable(
            "not a valid XLSX workbook; save it again as .xlsx or CSV UTF-8"
        ) from None
    try:
        if not book.worksheets:
            raise _Unreadable("the workbook has no sheet")
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _raw_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _Unreadable("old Excel 97-2003 (.xls) files are not supported; save as .xlsx or CSV")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except IsADirectoryError:
        raise _Unreadable("is a folder, not a file") from None
    except OSError as exc:
        raise _Unreadable(f"cannot read the file: {(exc.strerror or str(exc)).lower()}") from None
    if suffix in {".xlsx", ".xlsm"} or magic == b"PK\x03\x04":
        return _read_xlsx(path)
    return _read_csv(path)


def _map_header(
    header: list[str], columns: Sequence[Column], file: str
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Column key → cell index, key → label as written, and notes on ignored columns."""
    by_name = {name: column for column in columns for name in column.names}
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    notes: list[str] = []
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        name = _normalise_header(cell)
        if not name:
            continue
        column = by_name.get(name)
        if column is None:
            notes.append(f"{file}:1: column '{cell}' is not used and was ignored")
        elif column.key in index:
            errors.append(
                RowError(file, 1, name, f"column given twice (also as '{labels[column.key]}')")
            )
        else:
            index[column.key] = position
            labels[column.key] = name
    if not index:
        expected = ",".join(c.key for c in columns)
        raise RosterInvalid(
            [RowError(file, 1, None, f"no header row; line 1 must name the columns: {expected}")]
        )
    for column in columns:
        if column.required and column.key not in index:
            errors.append(RowError(file, 1, column.key, column.missing()))
    if errors:
        raise RosterInvalid(errors)
    return index, labels, notes


def read_table(path: str | Path, columns: Sequence[Column]) -> Table:
    """Read a CSV or XLSX file into rows keyed by column; raise `RosterInvalid` if unusable."""
    file = str(path)
    try:
        raw = _raw_rows(Path(path))
    except _Unreadable as exc:
        raise RosterInvalid([RowError(file, None, None, str(exc))]) from None
    if not any(any(cell for cell in record) for record in raw):
        raise RosterInvalid([RowError(file, None, None, "the file is empty")])
    index, labels, notes = _map_header(raw[0], columns, file)
    rows = []
    for line, record in enumerate(raw[1:], start=2):
        if not any(record):
            continue  # blank rows between blocks are common in spreadsheets
        values = {
            key: (record[position] if position < len(record) else "")
            for key, position in index.items()
        }
        rows.append(Row(line, values))
    if not rows:
        raise RosterInvalid([RowError(file, None, None, "no rows below the header")])
    return Table(file, labels, rows, notes)


# ---------------------------------------------------------------------------
# Checking values
# ---------------------------------------------------------------------------


class _Problems:
    """Collects row errors against one table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.items: list[RowError] = []

    def add(self, line: int, key: str, message: str) -> None:
        label = self.table.labels.get(key, key)
        self.items.append(RowError(self.table.file, line, label, message))

    def count(self) -> int:
        return len(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise RosterInvalid(self.items)


def _text(p: _Problems, row: Row, key: str, *, required: bool) -> str | None:
    value = " ".join(row.get(key).split())
    if not value:
        if required:
            p.add(row.line, key, "required value is empty")
        return None
    if len(value) > TEXT_MAX:
        p.add(row.line, key, f"too long ({len(value)} characters; at most {TEXT_MAX})")
        return None
    return value


def _code(p: _Problems, row: Row, key: str, *, required: bool) -> str | None:
    value = row.get(key)
    if not value:
        if required:
            p.add(row.line, key, "required value is empty")
        return None
    if len(value) > CODE_MAX or not CODE_RE.fullmatch(value):
        p.add(
            row.line,
            key,
            f"'{value}' is not a valid code (letters, digits, '.', '_', '/', '-'; "
            f"no spaces; at most {CODE_MAX} characters)",
        )
        return None
    return value


def _nip(p: _Problems, row: Row, key: str, *, required: bool) -> str | None:
    raw = row.get(key)
    # NIPs are often written in groups ("19800101 200501 1 001"): spaces don't count.
    value = "".join(raw.split())
    if not value:
        if required:
            p.add(row.line, key, "required value is empty")
        return None
    if not NIP_RE.fullmatch(value):
        hint = ""
        if "e+" in value.lower():
            hint = " (the cell holds a number, which loses digits; format the column as Text)"
        p.add(row.line, key, f"'{raw}' is not a NIP: it must be exactly 18 digits{hint}")
        return None
    return value


def _flag(p: _Problems, row: Row, key: str, *, default: bool) -> bool:
    value = row.get(key).lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    p.add(row.line, key, f"'{row.get(key)}' is not yes/no (use 1/0, ya/tidak, yes/no, true/false)")
    return default


def _unique(p: _Problems, records: Iterable[Any], attr: str, column: str, noun: str) -> list[Any]:
    """Report repeated keys; return the records whose key is set and first of its kind."""
    first: dict[str, int] = {}
    kept = []
    for record in records:
        key = getattr(record, attr)
        if key is None:
            continue
        if key in first:
            p.add(record.line, column, f"duplicate {noun} '{key}' (first on line {first[key]})")
            continue
        first[key] = record.line
        kept.append(record)
    return kept


def find_cycles(parent_of: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a key → parent map (each key has at most one parent)."""
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in parent_of:
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parent_of and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent_of[node]
        if node is not None and node in on_path:
            cycles.append(path[on_path[node] :])
        done.update(path)
    return cycles


def _check_cycles(
    p: _Problems,
    file_edges: dict[str, tuple[int, str | None]],
    db_edges: dict[str, str | None],
    column: str,
    noun: str,
) -> None:
    """Cycles in the database's graph as the file would leave it, reported on the file's rows."""
    graph = dict(db_edges)
    graph.update({key: parent for key, (_line, parent) in file_edges.items()})
    for cycle in find_cycles(graph):
        for position, key in enumerate(cycle):
            if key not in file_edges:
                continue  # an existing row: the file's rows are the ones to fix
            line, parent = file_edges[key]
            if len(cycle) == 1:
                p.add(line, column, f"'{parent}' is this {noun} itself")
                continue
            loop = [*cycle[position:], *cycle[:position], key]
            p.add(line, column, f"'{parent}' closes a cycle: {' → '.join(loop)}")


# ---------------------------------------------------------------------------
# Database snapshots
# ---------------------------------------------------------------------------


async def _units(session: AsyncSession) -> dict[str, Unit]:
    return {u.code: u for u in await session.scalars(select(Unit))}


async def _employees(session: AsyncSession) -> dict[str, Employee]:
    return {e.nip: e for e in await session.scalars(select(Employee))}


async def pending_heads(session: AsyncSession) -> dict[str, str]:
    """Unit code → NIP named as head by a units import but not yet an employee."""
    rows = await session.execute(
        select(Unit.code, Unit.pending_head_nip).where(
            Unit.pending_head_nip.is_not(None), Unit.head_employee_id.is_(None)
        )
    )
    return {code: nip for code, nip in rows}


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


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


@dataclass
class _UnitRecord:
    line: int
    code: str | None
    name: str | None
    parent_code: str | None
    head_nip: str | None
    ok: bool


def _parse_units(p: _Problems, rows: list[Row]) -> list[_UnitRecord]:
    records = []
    for row in rows:
        before = p.count()
        code = _code(p, row, "code", required=True)
        records.append(
            _UnitRecord(
                line=row.line,
                code=code,
                name=_text(p, row, "name", required=True),
                parent_code=_code(p, row, "parent_code", required=False),
                head_nip=_nip(p, row, "head_nip", required=False),
                ok=p.count() == before,
            )
        )
    return records


def _check_units(
    p: _Problems, records: list[_UnitRecord], units: dict[str, Unit]
) -> list[_UnitRecord]:
    in_file = {r.code for r in records if r.code}
    kept = _unique(p, records, "code", "code", "unit code")
    for record in kept:
        parent = record.parent_code
        if parent and parent not in in_file and parent not in units:
            p.add(
                record.line,
                "parent_code",
                f"unknown unit '{parent}' (not in this file or the database)",
            )
            record.ok = False
    code_of = {u.id: u.code for u in units.values()}
    db_edges = {u.code: code_of.get(u.parent_id) if u.parent_id else None for u in units.values()}
    file_edges = {r.code: (r.line, r.parent_code) for r in kept if r.ok and r.code}
    _check_cycles(p, file_edges, db_edges, "parent_code", "unit")
    return [r for r in kept if r.ok]


async def import_units(session: AsyncSession, path: str | Path, *, actor: str) -> ImportReport:
    """Upsert units by code: name, parent and head. Raise `RosterInvalid` on any problem."""
    table = read_table(path, UNIT_COLUMNS)
    p = _Problems(table)
    units = await _units(session)
    employees = await _employees(session)
    records = _check_units(p, _parse_units(p, table.rows), units)
    p.raise_if_any()

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
    _audit(session, actor, report)
    await session.flush()
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
            f"{report.file}:{record.line}: head_nip: {nip} is not an employee yet; "
            f"it becomes head of {unit.code} when `ulasan import employees` adds it"
        )
    # A stale pending head is withdrawn when the row names no head, so a later
    # employees import does not bring it back.
    return _assign(unit, "pending_head_nip", want_pending) or changed


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------


@dataclass
class _ServiceRecord:
    line: int
    code: str | None
    unit_code: str | None
    name: str | None
    free: bool
    active: bool
    ok: bool


def _parse_services(p: _Problems, rows: list[Row]) -> list[_ServiceRecord]:
    records = []
    for row in rows:
        before = p.count()
        records.append(
            _ServiceRecord(
                line=row.line,
                code=_code(p, row, "code", required=True),
                unit_code=_code(p, row, "unit_code", required=True),
                name=_text(p, row, "name", required=True),
                free=_flag(p, row, "free", default=False),
                active=_flag(p, row, "active", default=True),
                ok=p.count() == before,
            )
        )
    return records


async def import_services(session: AsyncSession, path: str | Path, *, actor: str) -> ImportReport:
    """Upsert services by code: unit, name, free, active. Raise `RosterInvalid` on any problem."""
    table = read_table(path, SERVICE_COLUMNS)
    p = _Problems(table)
    units = await _units(session)
    services = {s.code: s for s in await session.scalars(select(Service))}
    records = _unique(p, _parse_services(p, table.rows), "code", "code", "service code")
    for record in records:
        if record.unit_code and record.unit_code not in units:
            p.add(
                record.line,
                "unit_code",
                f"unknown unit '{record.unit_code}' (import it first with `ulasan import units`)",
            )
    p.raise_if_any()

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
    _audit(session, actor, report)
    await session.flush()
    return report


# ---------------------------------------------------------------------------
# Employees
# ---------------------------------------------------------------------------


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


def _parse_employees(p: _Problems, rows: list[Row]) -> list[_EmployeeRecord]:
    records = []
    for row in rows:
        before = p.count()
        records.append(
            _EmployeeRecord(
                line=row.line,
                nip=_nip(p, row, "nip", required=True),
                name=_text(p, row, "name", required=True),
                position=_text(p, row, "position", required=False),
                unit_code=_code(p, row, "unit_code", required=True),
                supervisor_nip=_nip(p, row, "supervisor_nip", required=False),
                active=_flag(p, row, "active", default=True),
                ok=p.count() == before,
            )
        )
    return records


def _check_employees(
    p: _Problems,
    records: list[_EmployeeRecord],
    units: dict[str, Unit],
    employees: dict[str, Employee],
    deactivate_missing: bool,
) -> list[_EmployeeRecord]:
    in_file = {r.nip for r in records if r.nip}
    kept = _unique(p, records, "nip", "nip", "NIP")
    for record in kept:
        if record.unit_code and record.unit_code not in units:
            p.add(
                record.line,
                "unit_code",
                f"unknown unit '{record.unit_code}' (import it first with `ulasan import units`)",
            )
            record.ok = False
        boss = record.supervisor_nip
        if boss and boss not in in_file and boss not in employees:
            p.add(
                record.line,
                "supervisor_nip",
                f"unknown NIP {boss} (not in this file or the database)",
            )
            record.ok = False
        elif boss and deactivate_missing and boss not in in_file:
            p.add(
                record.line,
                "supervisor_nip",
                f"{boss} is not in this file, so --deactivate-missing would deactivate "
                "this employee's supervisor",
            )
    nip_of = {e.id: e.nip for e in employees.values()}
    db_edges = {
        e.nip: nip_of.get(e.supervisor_id) if e.supervisor_id else None for e in employees.values()
    }
    file_edges = {r.nip: (r.line, r.supervisor_nip) for r in kept if r.ok and r.nip}
    _check_cycles(p, file_edges, db_edges, "supervisor_nip", "employee")
    return kept


async def import_employees(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    deactivate_missing: bool = False,
) -> ImportReport:
    """Upsert employees by NIP; optionally deactivate those not in the file; set pending heads.

    Raise `RosterInvalid` on any problem.
    """
    table = read_table(path, EMPLOYEE_COLUMNS)
    p = _Problems(table)
    units = await _units(session)
    employees = await _employees(session)
    records = _check_employees(
        p, _parse_employees(p, table.rows), units, employees, deactivate_missing
    )
    p.raise_if_any()

    report = ImportReport("employees", table.file, notes=list(table.notes))
    changed = _upsert_employees(session, records, units, employees, report)
    await session.flush()  # ids for new employees, so supervisors can point at them
    for record in records:
        assert record.nip is not None
        boss = employees[record.supervisor_nip].id if record.supervisor_nip else None
        if _assign(employees[record.nip], "supervisor_id", boss):
            changed.add(record.nip)
    if deactivate_missing:
        in_file = {r.nip for r in records}
        for nip, employee in employees.items():
            if nip not in in_file and _assign(employee, "active", False):
                report.deactivated.append(nip)
    await session.flush()

    added = set(report.added)
    for record in records:
        assert record.nip is not None
        if record.nip not in added:
            (report.updated if record.nip in changed else report.unchanged).append(record.nip)
    await _resolve_pending_heads(session, units, employees, report)
    _audit(session, actor, report)
    await session.flush()
    return report


def _upsert_employees(
    session: AsyncSession,
    records: list[_EmployeeRecord],
    units: dict[str, Unit],
    employees: dict[str, Employee],
    report: ImportReport,
) -> set[str]:
    """Add new employees and update fields other than the supervisor; return changed NIPs."""
    changed: set[str] = set()
    for record in records:
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
                f"unit {code}: head NIP {nip} (from the units import) is still not an employee; "
                "add it to the employees file or re-import units with the right head_nip"
            )
            continue
        unit.head_employee_id = head.id
        unit.pending_head_nip = None
        report.heads_set.append(code)


# ---------------------------------------------------------------------------
# Roster view (`ulasan roster show`)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeView:
    nip: str
    name: str
    position: str
    active: bool
    supervisor_nip: str | None
    supervisor_name: str | None


@dataclass(frozen=True)
class ServiceView:
    code: str
    name: str
    free: bool
    active: bool


@dataclass
class UnitView:
    code: str
    name: str
    head_nip: str | None
    head_name: str | None
    pending_head_nip: str | None
    services: list[ServiceView] = field(default_factory=list)
    employees: list[EmployeeView] = field(default_factory=list)
    children: list[UnitView] = field(default_factory=list)


class UnknownUnit(LookupError):
    """No unit has the requested code."""


async def roster_tree(session: AsyncSession, unit_code: str | None = None) -> list[UnitView]:
    """The units as a forest (or the subtree of one unit) with their services and employees."""
    # Insertion order is the order of the first units file: the admin's own order.
    units = sorted(await session.scalars(select(Unit)), key=lambda u: u.id)
    employees = list(await session.scalars(select(Employee)))
    services = sorted(await session.scalars(select(Service)), key=lambda s: s.code)
    pending = await pending_heads(session)
    by_id = {e.id: e for e in employees}
    views = {u.id: _unit_view(u, by_id, pending) for u in units}
    for service in services:
        views[service.unit_id].services.append(
            ServiceView(service.code, service.name, service.free, service.active)
        )
    for employee in sorted(employees, key=lambda e: (e.name, e.nip)):
        boss = by_id.get(employee.supervisor_id) if employee.supervisor_id else None
        views[employee.unit_id].employees.append(
            EmployeeView(
                employee.nip,
                employee.name,
                employee.position,
                employee.active,
                boss.nip if boss else None,
                boss.name if boss else None,
            )
        )
    roots = []
    for unit in units:
        view = views[unit.id]
        _head_first(view)
        if unit.parent_id is None:
            roots.append(view)
        else:
            views[unit.parent_id].children.append(view)
    if unit_code is None:
        return roots
    for unit in units:
        if unit.code == unit_code:
            return [views[unit.id]]
    raise UnknownUnit(unit_code)


def _head_first(view: UnitView) -> None:
    head = view.head_nip
    view.employees.sort(key=lambda e: e.nip != head)  # stable: the rest stay by name


def _unit_view(unit: Unit, by_id: dict[int, Employee], pending: dict[str, str]) -> UnitView:
    head = by_id.get(unit.head_employee_id) if unit.head_employee_id else None
    return UnitView(
        code=unit.code,
        name=unit.name,
        head_nip=head.nip if head else None,
        head_name=head.name if head else None,
        pending_head_nip=pending.get(unit.code) if head is None else None,
    )
