"""``/hapusdata`` (``/deletemydata``): a citizen deletes their survey answers.

``/hapusdata`` counts what is kept under the citizen's pseudonym and asks;
the confirmation **binds** (``handlers/confirm.py``): its "Yes" button carries
a nonce issued with the question and stored with the ids of the responses it
counted, so only that person's press, once and within
``CONFIRMATION_TTL_MINUTES``, deletes, and only what the question counted (a
survey made after it was shown stays; ask again). A second press, an old
``hd:yes`` button, a forged or someone else's nonce write nothing and get a
short notice. Cancel voids the nonce. The buttons of the citizen's open survey
messages are taken off after the deletion. Registered before
``handlers/citizen.py``, whose catch-all answers any other ``hd:`` data.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers.context import BotContext
from storage import survey

log = logging.getLogger(__name__)

ERASE = "erase"  # the confirmation's action (storage.confirmations)
DELETE_YES = "hd:y:"
DELETE_NO = "hd:n:"
PATTERN_YES = rf"^hd:y:{confirm.NONCE}$"
PATTERN_NO = rf"^hd:n:{confirm.NONCE}$"
# A "Yes" without a valid-looking nonce: the constant "hd:yes" of messages sent before
# confirmations bound, or forged. (Other hd: data gets handlers/citizen.py's catch-all.)
PATTERN_OTHER = r"^hd:(yes|y:.*)$"


def nothing_to_delete_text(_: Translate) -> str:
    return _("We keep no survey answers linked to you, so there is nothing to delete.")


def delete_question(count: int, nonce: str, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        [InlineKeyboardButton(_("Yes, delete"), callback_data=DELETE_YES + nonce)],
        [InlineKeyboardButton(_("Cancel"), callback_data=DELETE_NO + nonce)],
    ]
    text = _(
        "Delete all your survey data?\n\n"
        "Survey responses linked to you, including unfinished ones and contact "
        "details: {count}. Deleting cannot be undone."
    ).format(count=count)
    return text, InlineKeyboardMarkup(buttons)


async def delete_my_data(update: Update, context: BotContext) -> None:
    """``/hapusdata``: counts the responses kept under the citizen's pseudonym and asks,
    with a confirmation bound to exactly those."""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        ids = await survey.user_response_ids(session, context.user_key(update))
    if not ids:
        await update.effective_message.reply_text(nothing_to_delete_text(_))
        return
    nonce = await confirm.issue(update, context, ERASE, payload={"responses": ids})
    text, markup = delete_question(len(ids), nonce, _)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def delete_confirmed(update: Update, context: BotContext) -> None:
    """``hd:y:<nonce>``: deletes the responses the confirmation counted and says how many."""
    _ = await context.gettext(update)
    key = context.user_key(update)
    deleted, open_messages = -1, []
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ERASE)
        if confirmed is not None:
            ids = [int(i) for i in confirmed.payload.get("responses", [])]
            open_messages = await survey.open_survey_messages(session, key, ids)
            deleted = await survey.delete_user_data(session, key, ids)
    if deleted < 0:
        await confirm.refuse(update, context, _("To delete your data, send /hapusdata again."))
        return
    log.info("deleted %d survey responses on request (update %s)", deleted, update.update_id)
    await common.answer_query(update)
    await common.edit_pressed(
        update, _("Done. Survey responses deleted: {count}.").format(count=deleted)
    )
    for message_id in open_messages:  # their buttons would only answer "no longer available"
        await common.remove_keyboard(context, update.effective_chat.id, message_id)


async def delete_cancelled(update: Update, context: BotContext) -> None:
    """``hd:n:<nonce>``: nothing is deleted and the confirmation is void; says so."""
    _ = await context.gettext(update)
    await confirm.discard(update, context, ERASE)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was deleted; your data is kept."))


async def other_press(update: Update, context: BotContext) -> None:
    """A "Yes" without a well-formed nonce (an old constant button, forged data): nothing
    happens; says how to ask again."""
    _ = await context.gettext(update)
    await confirm.refuse(update, context, _("To delete your data, send /hapusdata again."))


HANDLERS: list[BaseHandler] = [
    CommandHandler(["hapusdata", "deletemydata"], delete_my_data, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(delete_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(delete_cancelled, pattern=PATTERN_NO),
    CallbackQueryHandler(other_press, pattern=PATTERN_OTHER),
]
