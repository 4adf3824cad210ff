"""The e-Kinerja export as CSV or XLSX: the evaluation form's columns, NIP as text.

CSV is UTF-8 with a BOM (spreadsheets then read the Indonesian text right),
comma-separated, every cell quoted so a NIP is never read as a number. XLSX
is one sheet with a bold header, NIP cells formatted as text (``@``), and no
cell that turns into a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from scheduler.documents.xlsx import header, put
from scheduler.ekinerja_export import COLUMNS, Row

TEXT = "@"
TEXT_COLUMNS = frozenset({"NIP", "NIP Pejabat Penilai Kinerja"})
WIDTHS = (21, 28, 28, 9, 21, 28, 14, 18, 44, 40, 12, 44, 50, 24, 44, 12, 40)


def csv_text(rows: Sequence[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.cells())
    return buffer.getvalue()


def write_csv(rows: Sequence[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(rows), encoding="utf-8-sig")


def write_xlsx(rows: Sequence[Row], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Evaluasi Kinerja"
    header(sheet, 1, COLUMNS)
    for number, row in enumerate(rows, start=2):
        for column, (name, value) in enumerate(zip(COLUMNS, row.cells(), strict=True), start=1):
            put(sheet, number, column, value, TEXT if name in TEXT_COLUMNS else None)
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = width
    sheet.freeze_panes = "C2"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
