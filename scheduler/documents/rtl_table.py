"""The follow-up plans (RTL) as the operator reads them: a text table and an XLSX sheet.

The columns follow the report template's RTL table (BAB IV 4.2: No, unsur
prioritas, program/kegiatan, waktu, penanggung jawab) plus what the plan
tracks (target, status, verification, evidence, forum date). Statuses keep
their Indonesian terms (belum_mulai, berjalan, selesai, batal).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from scheduler.documents.text_table import aligned
from scheduler.documents.xlsx import header, put
from storage.rtl import LineView

HEADERS = (
    "No",
    "Periode",
    "Unit",
    "Unsur",
    "Program/kegiatan",
    "Waktu",
    "Penanggung jawab",
    "Target",
    "Status",
    "Alasan/catatan",
    "Diverifikasi",
    "Bukti",
    "FKP",
)
ACTIVITY_WIDTH = 40


def _cells(number: int, line: LineView) -> list[str]:
    due = line.due_label or (line.due_date.isoformat() if line.due_date else "")
    note = line.status_reason or line.returned_note or ""
    return [
        str(number),
        line.period_name,
        line.unit_code,
        line.unsur,
        line.activity,
        due,
        line.owner_name or "",
        line.target,
        line.status,
        note,
        line.verified_at.date().isoformat() if line.verified_at else "",
        str(line.evidence),
        line.forum_date.isoformat() if line.forum_date else "",
    ]


def text_table(lines: Sequence[LineView]) -> str:
    if not lines:
        return "No follow-up lines.\n"
    rows = []
    for number, line in enumerate(lines, start=1):
        cells = _cells(number, line)
        if len(cells[4]) > ACTIVITY_WIDTH:
            cells[4] = cells[4][: ACTIVITY_WIDTH - 1] + "…"
        rows.append(cells)
    return "\n".join(aligned(HEADERS, rows, right={0, 11})) + "\n"


def write_xlsx(lines: Sequence[LineView], path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "RTL"
    header(sheet, 1, HEADERS)
    for number, line in enumerate(lines, start=1):
        for column, value in enumerate(_cells(number, line), start=1):
            put(sheet, number + 1, column, int(value) if column in (1, 12) else value)
    widths = (4, 16, 12, 6, 50, 12, 24, 24, 12, 30, 12, 6, 12)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    book.save(path)
