"""SKP lines: importing HR's file (``ulasan import skp FILE``) and reading an employee's lines.

The file is read the way the roster is (`storage.roster_files`: CSV with ',' ';'
or tab, a BOM, XLSX, Indonesian or English headers) with the columns ``nip``,
``tahun`` (year), ``rencana_hasil_kerja`` (work_plan), ``indikator``
(indicator), ``target`` and ``perspektif`` (perspective; the value may be
empty). Every row is checked before anything is written: a NIP not in the
roster, a year outside 2000–2100, an empty or too long value, the same NIP,
year and rencana hasil kerja twice. On any problem nothing is written and
every bad row is named (``FILE:LINE: column: what``).

Lines are matched by NIP, year and rencana hasil kerja (spaces collapsed):
importing the same file twice changes nothing; a changed indikator, target or
perspektif updates the line; a line of a (NIP, year) the file covers that the
file no longer lists is archived, never deleted, so its feedback and evidence
stay; a line that comes back is restored. Employees and years the file does
not mention are left alone, so a unit's file does not archive another unit's
SKP. Every import that changes something writes one audit-log row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_
from storage.models import AuditLog, Employee
from storage.performance_models import PLAN_MAX, SkpLine
from storage.roster_checks import Problems, check_nip
from storage.roster_files import Column, RosterInvalid, Row, read_table

__all__ = ["SKP_COLUMNS", "RosterInvalid", "SkpImport", "import_skp", "lines_of"]

SKP_COLUMNS = (
    Column("nip"),
    Column("tahun", "year"),
    Column("rencana_hasil_kerja", "work_plan"),
    Column("indikator", "indicator"),
    Column("target"),
    Column("perspektif", "perspective"),
)
FIRST_YEAR, LAST_YEAR = 2000, 2100
# Problems, in the admin's language when the file comes through Telegram.
EMPTY = N_("required value is empty")
TOO_LONG = N_("too long ({length} characters; at most {limit})")
NOT_A_YEAR = N_("'{value}' is not a year between {first} and {last}")
UNKNOWN_NIP = N_("'{nip}' is not in the roster; import the employees first")
NOT_MANAGED = N_("'{nip}' works in a unit you do not manage")
TWICE = N_(
    "this rencana hasil kerja is listed twice for {nip} in {year} (first on line {first}); "
    "put its indicators in one row"
)
TEXT_LIMITS = {"rencana_hasil_kerja": PLAN_MAX, "indikator": 1000, "target": 200, "perspektif": 200}


@dataclass
class SkpImport:
    """What one import did (line counts), for the summary line and the audit log."""

    file: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    restored: int = 0
    employees: int = 0
    notes: list[str] = field(default_factory=list)
    # "NIP year" of each line added / updated or restored / archived (the Telegram preview).
    added_keys: list[str] = field(default_factory=list)
    updated_keys: list[str] = field(default_factory=list)
    archived_keys: list[str] = field(default_factory=list)
    unchanged_keys: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.archived or self.restored)

    def summary(self) -> str:
        return (
            f"skp ({self.employees} employees): {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.archived} archived, {self.restored} restored"
        )


@dataclass(frozen=True)
class _Record:
    line: int
    nip: str
    year: int
    plan: str
    indicator: str
    target: str
    perspective: str


def _text(p: Problems, row: Row, key: str, *, required: bool) -> str | None:
    value = " ".join(row.get(key).split())
    if not value:
        if required:
            p.add(row.line, key, EMPTY)
            return None
        return ""
    limit = TEXT_LIMITS[key]
    if len(value) > limit:
        p.add(row.line, key, TOO_LONG, length=len(value), limit=limit)
        return None
    return value


def _year(p: Problems, row: Row) -> int | None:
    raw = row.get("tahun")
    if not raw:
        p.add(row.line, "tahun", EMPTY)
        return None
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= LAST_YEAR:
        p.add(row.line, "tahun", NOT_A_YEAR, value=raw, first=FIRST_YEAR, last=LAST_YEAR)
        return None
    return int(raw)


def _check_row(
    p: Problems, row: Row, known: dict[str, int], managed: frozenset[int] | None
) -> _Record | None:
    nip = check_nip(p, row, "nip", required=True)
    if nip is not None and nip not in known:
        p.add(row.line, "nip", UNKNOWN_NIP, nip=nip)
        nip = None
    elif nip is not None and managed is not None and known[nip] not in managed:
        p.add(row.line, "nip", NOT_MANAGED, nip=nip)
        nip = None
    year = _year(p, row)
    values = [
        _text(p, row, "rencana_hasil_kerja", required=True),
        _text(p, row, "indikator", required=True),
        _text(p, row, "target", required=True),
        _text(p, row, "perspektif", required=False),
    ]
    if nip is None or year is None or any(v is None for v in values):
        return None
    plan, indicator, target, perspective = (str(v) for v in values)
    return _Record(row.line, nip, year, plan, indicator, target, perspective)


async def _read(
    session: AsyncSession, path: Path, managed: frozenset[int] | None
) -> tuple[list[_Record], list[str]]:
    table = read_table(path, SKP_COLUMNS)
    rows = await session.execute(select(Employee.nip, Employee.unit_id))
    known: dict[str, int] = {nip: unit_id for nip, unit_id in rows.all()}
    p = Problems(table)
    records: list[_Record] = []
    first_line: dict[tuple[str, int, str], int] = {}
    for row in table.rows:
        record = _check_row(p, row, known, managed)
        if record is None:
            continue
        key = (record.nip, record.year, record.plan)
        if key in first_line:
            p.add(
                row.line,
                "rencana_hasil_kerja",
                TWICE,
                nip=record.nip,
                year=record.year,
                first=first_line[key],
            )
            continue
        first_line[key] = row.line
        records.append(record)
    p.raise_if_any()
    return records, [str(note) for note in table.notes]


def _apply(line: SkpLine, record: _Record, *, actor: str, now: datetime) -> str:
    """Bring a stored line to the file's values; say what that was."""
    restored = line.archived_at is not None
    values = (record.indicator, record.target, record.perspective)
    if (line.indicator, line.target, line.perspective) == values and not restored:
        return "unchanged"
    line.indicator, line.target, line.perspective = values
    line.archived_at = None
    line.imported_by, line.updated_at = actor, now
    return "restored" if restored else "updated"


async def import_skp(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    now: datetime,
    managed: frozenset[int] | None = None,
) -> SkpImport:
    """Check the whole file, then add, update, archive and restore lines; raises
    `RosterInvalid` and writes nothing on any problem. Runs in the caller's transaction.
    ``managed``: the units a unit admin may touch (from Telegram); None for every unit."""
    records, notes = await _read(session, Path(path), managed)
    report = SkpImport(str(path), notes=notes)
    ids = {
        nip: id_ for nip, id_ in (await session.execute(select(Employee.nip, Employee.id))).all()
    }
    covered = {(ids[r.nip], r.year) for r in records}
    report.employees = len({employee for employee, _year in covered})
    stored = (
        await session.scalars(
            select(SkpLine).where(SkpLine.employee_id.in_({e for e, _y in covered}))
        )
    ).all()
    by_key = {(s.employee_id, s.year, s.plan): s for s in stored}
    seen: set[tuple[int, int, str]] = set()
    for r in records:
        key = (ids[r.nip], r.year, r.plan)
        seen.add(key)
        line = by_key.get(key)
        label = f"{r.nip} {r.year}"
        if line is None:
            session.add(_new_line(key, r, actor=actor[:100], now=now))
            report.added += 1
            report.added_keys.append(label)
            continue
        outcome = _apply(line, r, actor=actor[:100], now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
        (report.unchanged_keys if outcome == "unchanged" else report.updated_keys).append(label)
    nips = {id_: nip for nip, id_ in ids.items()}
    for key, line in by_key.items():
        if key not in seen and (key[0], key[1]) in covered and line.archived_at is None:
            line.archived_at, line.updated_at = now, now
            report.archived += 1
            report.archived_keys.append(f"{nips[key[0]]} {key[1]}")
    if report.changed:
        detail = f"{Path(path).name}: {report.summary()}"
        session.add(AuditLog(at=now, actor=actor[:100], action="skp.import", detail=detail))
    await session.flush()
    return report


def _new_line(key: tuple[int, int, str], r: _Record, *, actor: str, now: datetime) -> SkpLine:
    employee_id, year, plan = key
    return SkpLine(
        employee_id=employee_id,
        year=year,
        plan=plan,
        indicator=r.indicator,
        target=r.target,
        perspective=r.perspective,
        imported_by=actor,
        created_at=now,
        updated_at=now,
    )


async def lines_of(
    session: AsyncSession, employee_id: int, year: int, *, archived: bool = False
) -> list[SkpLine]:
    """An employee's SKP lines of a year in a stable order (current ones unless ``archived``)."""
    statement = select(SkpLine).where(SkpLine.employee_id == employee_id, SkpLine.year == year)
    if not archived:
        statement = statement.where(SkpLine.archived_at.is_(None))
    return list((await session.scalars(statement.order_by(SkpLine.id))).all())
