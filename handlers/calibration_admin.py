"""``/siklus`` → a cycle → "Rater calibration per OPD": BKPSDM sees who calibrated, as counts.

``cy:kb:<cycle id>`` shows, per OPD (the top of each rater's unit tree), the
cycle's raters, how many completed the calibration situations, how many
skipped and the completion rate — the same figures as ``ulasan cycle
calibration NAME`` (`storage.calibration.completion_by_opd`), never who
answered what. City-wide admins only (`admin_only`), like all of ``/siklus``,
so every OPD is in their scope; a press naming no cycle gets a short notice.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import Translate
from handlers import common
from handlers.context import BotContext
from handlers.cycles_admin import admin_only, notice
from handlers.cycles_screens import CALIBRATION, LIST, SHOW
from storage import calibration, review_cycles
from storage.calibration import OpdCompletion

log = logging.getLogger(__name__)

PATTERN_SHOW = r"^cy:kb:(?P<id>\d{1,9})$"
LINES_LIMIT = 60


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label, callback_data=data)]


def render(
    cycle_id: int, name: str, rows: list[OpdCompletion], mode: str, _: Translate
) -> tuple[str, InlineKeyboardMarkup]:
    """The completion per OPD of one cycle, with the way back."""
    lines = [_("Rater calibration in “{name}”, per OPD").format(name=name)]
    if mode == "off":
        lines.append(_("Calibration is switched off (CALIBRATION=off)."))
    raters = sum(r.raters for r in rows)
    done = sum(r.completed for r in rows)
    lines.append(
        _("All: {done} of {raters} raters completed ({percent}%), {skipped} skipped").format(
            done=done,
            raters=raters,
            percent=OpdCompletion("", raters, done, 0).percent,
            skipped=sum(r.skipped for r in rows),
        )
    )
    lines.append("")
    for row in rows[:LINES_LIMIT]:
        lines.append(
            _("• {opd}: {done}/{raters} ({percent}%), skipped {skipped}").format(
                opd=row.opd,
                done=row.completed,
                raters=row.raters,
                percent=row.percent,
                skipped=row.skipped,
            )
        )
    if len(rows) > LINES_LIMIT:
        lines.append(_("… and {count} more units").format(count=len(rows) - LINES_LIMIT))
    if not rows:
        lines.append(_("No raters in this cycle."))
    markup = InlineKeyboardMarkup(
        [
            _button(_("Refresh"), f"{CALIBRATION}{cycle_id}"),
            _button(_("Show the cycle"), f"{SHOW}{cycle_id}"),
            _button(_("All cycles"), LIST),
        ]
    )
    return "\n".join(lines), markup


@admin_only
async def show(update: Update, context: BotContext) -> None:
    """``cy:kb:<id>``: the cycle's calibration completion per OPD (nothing changes)."""
    cycle_id = int(context.match.group("id"))
    async with context.sessions() as session:
        cycle = await review_cycles.cycle_by_id(session, cycle_id)
        rows = await calibration.completion_by_opd(session, cycle_id) if cycle else []
    if cycle is None:
        log.info("/siklus: calibration press names an unknown cycle (update %s)", update.update_id)
        await notice(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    text, markup = render(cycle.id, cycle.name, rows, context.settings.calibration, _)
    await common.edit_or_send(update, text, markup)


HANDLERS: list[BaseHandler] = [CallbackQueryHandler(show, pattern=PATTERN_SHOW)]
