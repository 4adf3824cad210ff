"""``/hapusdata`` (``/deletemydata``): a citizen deletes their survey answers.

Everything stored under the citizen's pseudonym (submitted responses, open
drafts, contact details) goes after one confirmation (``hd:yes``), and the
buttons of their open survey messages are taken off. A second tap finds
nothing left and keeps the message that says how many went. Registered before
``handlers/citizen.py``, whose catch-all answers any other ``hd:`` data.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import common
from handlers.context import BotContext
from storage import survey

log = logging.getLogger(__name__)

DELETE_YES = "hd:yes"
DELETE_NO = "hd:no"


def nothing_to_delete_text(_: Translate) -> str:
    return _("We keep no survey answers linked to you, so there is nothing to delete.")


def delete_question(count: int, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [InlineKeyboardButton(_("Yes, delete"), callback_data=DELETE_YES)],
        [InlineKeyboardButton(_("Cancel"), callback_data=DELETE_NO)],
    ]
    text = _(
        "Delete all your survey data?\n\n"
        "Survey responses linked to you, including unfinished ones and contact "
        "details: {count}. Deleting cannot be undone."
    ).format(count=count)
    return text, InlineKeyboardMarkup(buttons)


async def delete_my_data(update: Update, context: BotContext) -> None:
    """``/hapusdata``: how many responses are kept under the citizen's pseudonym; asks
    whether to delete them."""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        count = await survey.count_user_responses(session, context.user_key(update))
    if count == 0:
        await update.effective_message.reply_text(nothing_to_delete_text(_))
        return
    text, markup = delete_question(count, _)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def delete_confirmed(update: Update, context: BotContext) -> None:
    """``hd:yes``: deletes every response under the citizen's pseudonym and says how many."""
    _ = await context.gettext(update)
    key = context.user_key(update)
    async with context.sessions.begin() as session:
        open_messages = await survey.open_survey_messages(session, key)
        deleted = await survey.delete_user_data(session, key)
    log.info("deleted %d survey responses on request (update %s)", deleted, update.update_id)
    if deleted == 0:  # a second tap: keep the message that says how many went
        await common.answer_query(update, nothing_to_delete_text(_))
        return
    await common.answer_query(update)
    await common.edit_pressed(
        update, _("Done. Survey responses deleted: {count}.").format(count=deleted)
    )
    for message_id in open_messages:  # their buttons would only answer "no longer available"
        await common.remove_keyboard(context, update.effective_chat.id, message_id)


async def delete_cancelled(update: Update, context: BotContext) -> None:
    """``hd:no``: nothing is deleted; says so."""
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was deleted; your data is kept."))


HANDLERS: list[BaseHandler] = [
    CommandHandler(["hapusdata", "deletemydata"], delete_my_data, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(delete_confirmed, pattern=f"^{DELETE_YES}$"),
    CallbackQueryHandler(delete_cancelled, pattern=f"^{DELETE_NO}$"),
]
