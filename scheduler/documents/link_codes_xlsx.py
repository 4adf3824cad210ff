"""Link codes and who holds one, as XLSX workbooks HR can open in a spreadsheet.

NIP cells are text with the text number format, so a spreadsheet shows all 18
digits instead of 1.98001E+17 (what happens to the CSV's NIP column when it
is opened by double-clicking it in Excel). Times are local (TIMEZONE) text.
The sheet names and headers are Indonesian: the file is for the BKPSDM office.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.i18n import gettext_for
from scheduler.documents.xlsx import header, put
from storage.link_codes import CodeStatus, IssuedCode

TEXT = "@"  # the number format that keeps a cell's digits as written
_ = gettext_for("id")


def local_time(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"


def write_codes_xlsx(
    issued: Sequence[IssuedCode], links: Sequence[str], tz: tzinfo, path: Path | BinaryIO
) -> None:
    """One row per issued code: NIP, name, unit, code, link, expiry (``links`` in order).

    ``path`` may be an open binary file: the bot builds the workbook in memory, so
    no plain code is ever written to the server's disk by it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Link codes")
    header(
        sheet,
        1,
        [_("NIP"), _("Name"), _("Unit code"), _("Unit"), _("Code"), _("Link"), _("Valid until")],
    )
    for row, (item, link) in enumerate(zip(issued, links, strict=True), start=2):
        put(sheet, row, 1, item.nip, TEXT)
        put(sheet, row, 2, item.name)
        put(sheet, row, 3, item.unit_code)
        put(sheet, row, 4, item.unit_name)
        put(sheet, row, 5, item.code, TEXT)
        put(sheet, row, 6, link)
        put(sheet, row, 7, local_time(item.expires_at, tz))
    _widths(sheet, (21, 30, 14, 34, 20, 52, 22))
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def write_status_xlsx(rows: Sequence[CodeStatus], tz: tzinfo, path: Path) -> None:
    """One row per active employee: linked or not, and the valid code's expiry."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Accounts")
    header(
        sheet,
        1,
        [_("NIP"), _("Name"), _("Unit code"), _("Unit"), _("Telegram account"), _("Valid code")],
    )
    for row, item in enumerate(rows, start=2):
        put(sheet, row, 1, item.nip, TEXT)
        put(sheet, row, 2, item.name)
        put(sheet, row, 3, item.unit_code)
        put(sheet, row, 4, item.unit_name)
        put(sheet, row, 5, _("linked") if item.linked else _("not linked"))
        expiry = item.code_expires_at
        put(sheet, row, 6, local_time(expiry, tz) if expiry else _("none"))
    _widths(sheet, (21, 30, 14, 34, 16, 22))
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
