"""Reading a roster file (CSV or XLSX) into rows keyed by column, and the errors it reports.

`read_table` accepts what spreadsheets produce: UTF-8 CSV with ',', ';' or
tab (the header line decides), a BOM, XLSX, Indonesian column names beside
the English ones, blank rows. A file that cannot be used raises
`RosterInvalid`, which lists every problem as ``FILE:LINE: column: what is
wrong`` (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any


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
