"""A 360° cycle's progress per rater as an XLSX workbook (``/siklus`` → the table).

One row per rater: NIP (stored as text, so a spreadsheet never turns it into
1.98E+17), name, unit, whether their Telegram account is linked, and their
submitted, in-progress and not-started reviews. The same facts as ``ulasan
cycle status``; it says how many reviews each rater still has, never whom
they rated or what they answered. Labels in the admin's language.
"""

from __future__ import annotations

import io

from openpyxl import Workbook

from bot.core.clock import format_day
from bot.core.i18n import N_, gettext_for
from scheduler.documents.xlsx import BOLD, header, put
from storage.review_cycle_types import CycleStatus

TEXT = "@"  # the number format that keeps a cell's digits as written
ACCOUNT_LABELS = {
    "linked": N_("linked"),
    "unreachable": N_("blocked the bot"),
    "none": N_("not linked"),
}


def rater_table_xlsx(status: CycleStatus, language: str) -> bytes:
    """The workbook as bytes, ready to send as a document."""
    _ = gettext_for(language)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Raters")
    put(sheet, 1, 1, _("Cycle “{name}”").format(name=status.name)).font = BOLD
    deadline = format_day(status.deadline, language)
    put(sheet, 2, 1, _("Deadline: {deadline}").format(deadline=deadline))
    labels = [
        _("NIP"),
        _("Name"),
        _("Unit"),
        _("Telegram account"),
        _("Submitted"),
        _("In progress"),
        _("Not started"),
        _("Total"),
    ]
    header(sheet, 4, labels)
    for row, rater in enumerate(status.by_rater, start=5):
        put(sheet, row, 1, rater.nip, TEXT)
        put(sheet, row, 2, rater.name)
        put(sheet, row, 3, rater.unit_code)
        put(sheet, row, 4, _(ACCOUNT_LABELS.get(rater.account, rater.account)))
        for column, value in enumerate(
            (rater.counts.submitted, rater.counts.in_progress, rater.counts.pending), start=5
        ):
            put(sheet, row, column, value)
        put(sheet, row, 8, rater.counts.total)
    for column, width in zip("ABCDEFGH", (21, 32, 14, 18, 11, 11, 11, 9), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A5"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
