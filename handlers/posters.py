"""``/poster``: an admin gets the QR posters of a unit's services as one PDF, a page each.

``/poster`` → a unit (a unit admin's own, or a top-level unit for BKPSDM; the
units below it are included) → the PDF (`scheduler.poster_sets`, the file
``ulasan qr --unit CODE`` writes as ``<unit>_posters.pdf``). Payloads are
reused, so posters already on the counters stay valid. Callback data
``ps:<unit id>`` is user input: the unit must be within the admin's scope.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers import common
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler.poster_sets import unit_posters_file
from storage import review_cycles
from storage.roles import scope_units

log = logging.getLogger(__name__)
PATTERN_UNIT = r"^ps:(?P<unit>\d{1,9})$"
PATTERN_ANY = r"^ps:"


async def poster(update: Update, context: BotContext) -> None:
    """``/poster``: which unit."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    roles = await roles_here(update, context)
    if not roles.is_admin:
        await message.reply_text(_("Sorry, /poster is only for administrators."))
        return
    async with context.sessions() as session:
        units = await scope_units(session, roles.admin)
    if not units:
        await message.reply_text(_("There are no units yet: send the roster files first."))
        return
    buttons = [InlineKeyboardButton(u.code, callback_data=f"ps:{u.id}") for u in units]
    await message.reply_text(
        _("QR posters for which unit? The units below it are included."),
        reply_markup=InlineKeyboardMarkup([buttons[i : i + 3] for i in range(0, len(buttons), 3)]),
    )


async def send_posters(update: Update, context: BotContext) -> None:
    """``ps:<unit>``: the unit's posters as one PDF."""
    _ = await context.gettext(update)
    roles = await roles_here(update, context)
    unit_id = int(context.match.group("unit"))
    unit = None
    if roles.is_admin and roles.admin.covers(unit_id):
        async with context.sessions() as session:
            unit = await review_cycles.unit_by_id(session, unit_id)
    if unit is None:
        await refuse(update, context)
        return
    await common.answer_query(update, _("Drawing the posters…"))
    try:
        data = await unit_posters_file(
            context.sessions, context.settings, context.bot.username, unit.code
        )
    except OSError as exc:
        log.error("/poster: %s", exc)
        await common.edit_or_send(
            update, _("The poster logo cannot be read; ask the server's operator."), None
        )
        return
    if data is None:
        await common.edit_or_send(
            update,
            _("{unit} has no active service to put on a poster.").format(unit=unit.code),
            None,
        )
        return
    await update.effective_chat.send_document(
        document=data,
        filename=_("posters-{unit}.pdf").format(unit=unit.code),
        caption=_(
            "QR posters of {unit}, one page (A5) per service. Print and put each at its counter."
        ).format(unit=unit.code),
    )
    await common.edit_or_send(update, _("Posters of {unit} sent.").format(unit=unit.code), None)


async def refuse(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    who = common.who(update, context)
    log.warning("/poster: refused press %r from %s", update.callback_query.data, who)
    await common.answer_query(
        update, _("This button is no longer valid. Send /poster again."), alert=True
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler("poster", poster),
    CallbackQueryHandler(send_posters, pattern=PATTERN_UNIT),
    CallbackQueryHandler(refuse, pattern=PATTERN_ANY),
]
