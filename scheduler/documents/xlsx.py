"""What the XLSX writers share: a cell that never turns into a formula, a bold header row.

Names and comments are user input: a text that starts with "=" stays text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

BOLD = Font(bold=True)


def put(sheet: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> Cell:
    """One cell; a string is always text, ``fmt`` is its number format."""
    cell = sheet.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        # Comments and names are user input: never let "=…" become a formula.
        cell.data_type = "s"
    if fmt:
        cell.number_format = fmt
    return cell


def header(sheet: Worksheet, row: int, values: Sequence[str]) -> None:
    """A bold header row from column A."""
    for column, value in enumerate(values, start=1):
        put(sheet, row, column, value).font = BOLD
