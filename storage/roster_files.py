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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.core.i18n import N_

# Params whose value is itself a message id (a noun such as "unit code"), translated too.
TRANSLATED_PARAMS = frozenset({"noun"})


@dataclass(frozen=True)
class RowError:
    """One problem, printed as ``FILE:LINE: column: message`` (line 1 is the header).

    ``message`` is an English message id with ``{placeholders}`` filled from
    ``params``: the CLI prints it as is, the bot translates it (`text`).
    """

    file: str
    line: int | None
    column: str | None
    message: str
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    def text(self, translate: Callable[[str], str] = str) -> str:
        """The message in a language (``translate`` is a gettext), placeholders filled."""
        values = {
            key: translate(value) if key in TRANSLATED_PARAMS else value
            for key, value in self.params.items()
        }
        return translate(self.message).format(**values) if values else translate(self.message)

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        message = self.text()
        return f"{where}: {self.column}: {message}" if self.column else f"{where}: {message}"


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

    def missing(self, file: str) -> RowError:
        if self.alias:
            return RowError(
                file,
                1,
                self.key,
                N_("missing column (also accepted as {alias})"),
                {"alias": self.alias},
            )
        return RowError(file, 1, self.key, N_("missing column"))


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
    notes: list[RowError]  # not problems: what the import did not use, said once


class _Unreadable(Exception):
    """The file as a whole cannot be read; the message (a message id) says why, in one line."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params


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
            N_(
                "not UTF-8 text (invalid byte at position {position}); "
                "save it as 'CSV UTF-8' or XLSX"
            ),
            position=exc.start,
        ) from None
    if not text.strip():
        raise _Unreadable(N_("the file is empty"))
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
        raise _Unreadable(N_("not a valid CSV file: {reason}"), reason=str(exc)) from None


def _read_xlsx(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, data_only=True)
    except Exception:  # openpyxl raises many kinds on a damaged or foreign file
        raise _Unreadable(
            N_("not a valid XLSX workbook; save it again as .xlsx or CSV UTF-8")
        ) from None
    try:
        if not book.worksheets:
            raise _Unreadable(N_("the workbook has no sheet"))
        sheet = book.worksheets[0]
        return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _raw_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _Unreadable(
            N_("old Excel 97-2003 (.xls) files are not supported; save as .xlsx or CSV")
        )
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except IsADirectoryError:
        raise _Unreadable(N_("is a folder, not a file")) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise _Unreadable(N_("cannot read the file: {reason}"), reason=reason) from None
    if suffix in {".xlsx", ".xlsm"} or magic == b"PK\x03\x04":
        return _read_xlsx(path)
    return _read_csv(path)


def _map_header(
    header: list[str], columns: Sequence[Column], file: str
) -> tuple[dict[str, int], dict[str, str], list[RowError]]:
    """Column key → cell index, key → label as written, and notes on ignored columns."""
    by_name = {name: column for column in columns for name in column.names}
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    notes: list[RowError] = []
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        name = _normalise_header(cell)
        if not name:
            continue
        column = by_name.get(name)
        if column is None:
            notes.append(
                RowError(
                    file, 1, None, N_("column '{name}' is not used and was ignored"), {"name": cell}
                )
            )
        elif column.key in index:
            errors.append(
                RowError(
                    file,
                    1,
                    name,
                    N_("column given twice (also as '{other}')"),
                    {"other": labels[column.key]},
                )
            )
        else:
            index[column.key] = position
            labels[column.key] = name
    if not index:
        expected = ",".join(c.key for c in columns)
        raise RosterInvalid(
            [
                RowError(
                    file,
                    1,
                    None,
                    N_("no header row; line 1 must name the columns: {expected}"),
                    {"expected": expected},
                )
            ]
        )
    for column in columns:
        if column.required and column.key not in index:
            errors.append(column.missing(file))
    if errors:
        raise RosterInvalid(errors)
    return index, labels, notes


def read_table(path: str | Path, columns: Sequence[Column]) -> Table:
    """Read a CSV or XLSX file into rows keyed by column; raise `RosterInvalid` if unusable."""
    file = str(path)
    try:
        raw = _raw_rows(Path(path))
    except _Unreadable as exc:
        raise RosterInvalid([RowError(file, None, None, exc.message, exc.params)]) from None
    if not any(any(cell for cell in record) for record in raw):
        raise RosterInvalid([RowError(file, None, None, N_("the file is empty"))])
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
        raise RosterInvalid([RowError(file, None, None, N_("no rows below the header"))])
    return Table(file, labels, rows, notes)


def detect_kind(path: str | Path) -> str | None:
    """Which roster file this is, from its header: "skp" (a rencana hasil kerja column:
    ``ulasan import skp``'s file), "employees" (a ``nip`` column), "services" (a unit
    code but no NIP), "units" (a parent or head column), or None.
    Raises `RosterInvalid` when the file cannot be read at all."""
    file = str(path)
    try:
        raw = _raw_rows(Path(path))
    except _Unreadable as exc:
        raise RosterInvalid([RowError(file, None, None, exc.message, exc.params)]) from None
    header = next((record for record in raw if any(record)), [])
    names = {_normalise_header(cell) for cell in header}
    if names & {"rencana_hasil_kerja", "work_plan"}:
        return "skp"
    if "nip" in names:
        return "employees"
    if names & {"unit_code", "kode_unit"}:
        return "services"
    if names & {"parent_code", "kode_induk", "head_nip", "nip_kepala"}:
        return "units"
    return None
