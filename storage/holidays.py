"""Holidays: importing the list an admin keeps, listing it, and the working-day calendar.

``ulasan holidays import FILE`` reads a CSV or XLSX file with the columns
``date`` (``tanggal``) and ``name`` (``nama``), the way the roster is read
(`storage.roster_files`): a header row, UTF-8 CSV with ',' or ';', or the first
sheet of a workbook. A date is ``YYYY-MM-DD`` or ``DD/MM/YYYY`` (also
``DD-MM-YYYY``), or a date cell of the spreadsheet. Every row is checked
before anything is written: a date that cannot be read, a year outside
2000–2100, an empty or too long name, a date given twice; on any problem
nothing is written and every bad row is named (``FILE:LINE: column: what``).

Rows are matched by date: importing the same file twice changes nothing, and a
later file renames a day whose name differs. Days missing from a file are
kept, unless ``replace`` is given: then the file is the whole list of the
years it covers (a revised cuti bersama decree moves a day), and the other
days of those years are removed. Every import that changes something writes
one audit-log row.

`work_calendar` is the one way to the deployment's working days: ``WORK_DAYS``
from the settings minus every loaded holiday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings, parse_weekdays
from scheduler.scoring.working_days import WorkCalendar
from storage.holiday_models import Holiday
from storage.models import AuditLog
from storage.roster_checks import Problems, check_text
from storage.roster_files import Column, RosterInvalid, Row, read_table

__all__ = [
    "HOLIDAY_COLUMNS",
    "HolidayImport",
    "RosterInvalid",
    "holidays_between",
    "import_holidays",
    "parse_day",
    "work_calendar",
]

HOLIDAY_COLUMNS = (Column("date", "tanggal"), Column("name", "nama"))
FIRST_YEAR, LAST_YEAR = 2000, 2100
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00)?)?")


def parse_day(text: str) -> date:
    """``2026-03-20``, ``20/03/2026``, ``20-03-2026``, or a spreadsheet's date cell."""
    value = text.strip()
    iso = _ISO_MIDNIGHT.fullmatch(value)
    if iso:
        return date.fromisoformat(iso.group(1))
    dmy = _DMY.fullmatch(value)
    if dmy:
        day, month, year = (int(part) for part in dmy.groups())
        return date(year, month, day)
    raise ValueError(value)


@dataclass
class HolidayImport:
    """What one import did (dates), for the summary line."""

    file: str
    added: list[date] = field(default_factory=list)
    renamed: list[date] = field(default_factory=list)
    unchanged: int = 0
    removed: list[date] = field(default_factory=list)
    years: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.renamed or self.removed)

    def summary(self) -> str:
        years = ", ".join(str(y) for y in self.years)
        line = (
            f"holidays ({years}): {len(self.added)} added, {len(self.renamed)} renamed, "
            f"{self.unchanged} unchanged"
        )
        return line + (f", {len(self.removed)} removed" if self.removed else "")


@dataclass(frozen=True)
class _Record:
    line: int
    day: date
    name: str


def _check_row(p: Problems, row: Row) -> _Record | None:
    name = check_text(p, row, "name", required=True)
    raw = row.get("date")
    if not raw:
        p.add(row.line, "date", "required value is empty")
        return None
    try:
        day = parse_day(raw)
    except ValueError:
        p.add(
            row.line,
            "date",
            f"'{raw}' is not a date; write YYYY-MM-DD (2026-03-20) or DD/MM/YYYY (20/03/2026)",
        )
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        p.add(row.line, "date", f"'{raw}': the year must be between {FIRST_YEAR} and {LAST_YEAR}")
        return None
    return None if name is None else _Record(row.line, day, name)


def _read(path: Path) -> tuple[list[_Record], list[str]]:
    table = read_table(path, HOLIDAY_COLUMNS)
    p = Problems(table)
    records: list[_Record] = []
    first_line: dict[date, int] = {}
    for row in table.rows:
        record = _check_row(p, row)
        if record is None:
            continue
        if record.day in first_line:
            p.add(
                row.line,
                "date",
                f"{record.day} is listed twice (first on line {first_line[record.day]})",
            )
            continue
        first_line[record.day] = row.line
        records.append(record)
    p.raise_if_any()
    return records, table.notes


async def import_holidays(
    session: AsyncSession,
    path: str | Path,
    *,
    actor: str,
    now: datetime,
    replace: bool = False,
) -> HolidayImport:
    """Check the whole file, then add and rename days (and with ``replace`` remove the
    other days of the file's years); raises `RosterInvalid` and writes nothing on any
    problem. Runs in the caller's transaction."""
    records, notes = _read(Path(path))
    report = HolidayImport(str(path), notes=notes)
    report.years = tuple(sorted({r.day.year for r in records}))
    existing = {h.day: h for h in (await session.scalars(select(Holiday))).all()}
    for record in records:
        held = existing.get(record.day)
        if held is None:
            session.add(Holiday(day=record.day, name=record.name, imported_by=actor[:100]))
            report.added.append(record.day)
        elif held.name != record.name:
            held.name, held.imported_by, held.imported_at = record.name, actor[:100], now
            report.renamed.append(record.day)
        else:
            report.unchanged += 1
    if replace:
        listed = {r.day for r in records}
        report.removed = sorted(
            day for day in existing if day.year in report.years and day not in listed
        )
        if report.removed:
            await session.execute(delete(Holiday).where(Holiday.day.in_(report.removed)))
    if report.changed:
        detail = f"{Path(path).name}: {report.summary()}"
        session.add(AuditLog(at=now, actor=actor[:100], action="holidays.import", detail=detail))
    await session.flush()
    return report


async def holidays_between(
    session: AsyncSession, first: date | None = None, last: date | None = None
) -> list[Holiday]:
    """The loaded holidays in ``[first, last]`` (either end open), by date."""
    statement = select(Holiday).order_by(Holiday.day)
    if first is not None:
        statement = statement.where(Holiday.day >= first)
    if last is not None:
        statement = statement.where(Holiday.day <= last)
    return list((await session.scalars(statement)).all())


async def work_calendar(session: AsyncSession, settings: Settings) -> WorkCalendar:
    """The deployment's working days: ``WORK_DAYS`` minus every loaded holiday.

    The calendar is also a predicate (``calendar(day) -> bool``).
    """
    days = (await session.scalars(select(Holiday.day))).all()
    return WorkCalendar(parse_weekdays(settings.work_days), frozenset(days))
