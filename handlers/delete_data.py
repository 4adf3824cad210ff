"""``/hapusdata`` (``/deletemydata``): a citizen erases what is kept about them.

``/hapusdata`` counts what is kept under the citizen's pseudonym
(`storage.erasure.holdings`: responses, unfinished ones, contact chats,
relayed messages, a language choice) and asks; the confirmation **binds**
(``handlers/confirm.py``): its "Yes" button carries a nonce issued with the
question and stored with the ids of the responses it counted, so only that
person's press, once and within ``CONFIRMATION_TTL_MINUTES``, erases, and only
what the question counted (a survey made after it was shown stays; ask again).
A second press, an old ``hd:yes`` button, a forged or someone else's nonce
write nothing and get a short notice. Cancel voids the nonce.

Confirmed, `storage.erasure.erase` takes the responses and everything about
them in one transaction; after the commit the SQLite write-ahead log is
truncated, so erased pages leave the ``-wal`` file too. The buttons of the
citizen's open survey messages are taken off. Registered before
``handlers/citizen.py``, whose catch-all answers any other ``hd:`` data.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers.context import LANGUAGE_KEY, BotContext
from storage import achievements, erasure, survey

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


def delete_question(
    held: erasure.Holdings, nonce: str, _: Translate, achievements_held: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """What will go, counted, with the bound Yes and Cancel."""
    buttons = [
        [InlineKeyboardButton(_("Yes, delete"), callback_data=DELETE_YES + nonce)],
        [InlineKeyboardButton(_("Cancel"), callback_data=DELETE_NO + nonce)],
    ]
    lines = [
        _("Delete all your survey data?"),
        "",
        _("This deletes:"),
        _("• survey responses: {count} (unfinished: {unfinished})").format(
            count=len(held.response_ids), unfinished=held.unfinished
        ),
        _("• contact details you left: {count}").format(count=held.contacts),
        _("• messages exchanged with a service unit: {count}").format(count=held.messages),
    ]
    if held.preference:
        lines.append(_("• your language choice (/language)"))
    if achievements_held:
        lines.append(
            _("• achievements you logged with /capaian, with their evidence files: {count}").format(
                count=achievements_held
            )
        )
    lines += [
        "",
        _(
            "Notifications the units received about these answers are deleted from our "
            "records too. Surveys you start after this question are not part of it. "
            "Deleting cannot be undone."
        ),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def done_text(erased: erasure.Erased, _: Translate, achievements_erased: int = 0) -> str:
    lines = [
        _("Done. Survey responses deleted: {count}.").format(count=erased.responses),
        _("Messages with service units deleted: {count}.").format(count=erased.messages),
        _("Notifications carrying your answers deleted: {count}.").format(
            count=erased.notifications
        ),
    ]
    if erased.preference:
        lines.append(_("Your language choice is deleted too."))
    if achievements_erased:
        lines.append(
            _("Achievements and their evidence files deleted: {count}.").format(
                count=achievements_erased
            )
        )
    return "\n".join(lines)


async def delete_my_data(update: Update, context: BotContext) -> None:
    """``/hapusdata``: counts what is kept under the citizen's pseudonym and asks, with a
    confirmation bound to exactly those responses (and the language choice, if any)."""
    _ = await context.gettext(update)
    async with context.sessions() as session:
        held = await erasure.holdings(session, context.user_key(update))
        evidence = await achievements.achievement_ids_of_telegram(session, update.effective_user.id)
    if held.empty and not evidence:
        await update.effective_message.reply_text(nothing_to_delete_text(_))
        return
    payload = {
        "responses": held.response_ids,
        "preference": held.preference,
        "achievements": evidence,
    }
    nonce = await confirm.issue(update, context, ERASE, payload=payload)
    text, markup = delete_question(held, nonce, _, len(evidence))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _erase_confirmed(
    update: Update, context: BotContext
) -> tuple[erasure.Erased, list[int], int] | None:
    """Erase what the pressed confirmation counted, in one transaction; None when the
    press carries no valid confirmation (nothing written)."""
    key = context.user_key(update)
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ERASE)
        if confirmed is None:
            return None
        ids = [int(i) for i in confirmed.payload.get("responses", [])]
        open_messages = await survey.open_survey_messages(session, key, ids)
        erased = await erasure.erase(
            session,
            user_key=key,
            chat_id=update.effective_chat.id,
            response_ids=ids,
            preference=bool(confirmed.payload.get("preference")),
        )
        counted = [int(i) for i in confirmed.payload.get("achievements", [])]
        evidence, files = await achievements.erase_achievements(
            session, update.effective_user.id, counted
        )
    # After the commit: the evidence files go, and the erased pages leave the WAL too.
    achievements.remove_files(context.settings.data_dir, files)
    async with context.sessions() as session:
        if not await erasure.truncate_wal(session):
            log.info("the WAL checkpoint after an erasure waits for another reader")
    return erased, open_messages, evidence


async def delete_confirmed(update: Update, context: BotContext) -> None:
    """``hd:y:<nonce>``: erases what the confirmation counted and says what went."""
    _ = await context.gettext(update)
    result = await _erase_confirmed(update, context)
    if result is None:
        await confirm.refuse(update, context, _("To delete your data, send /hapusdata again."))
        return
    erased, open_messages, evidence = result
    if erased.preference and context.user_data is not None:
        context.user_data.pop(LANGUAGE_KEY, None)  # the cached choice goes with the stored one
    log.info(
        "erased %d survey responses on request (update %s)", erased.responses, update.update_id
    )
    await common.answer_query(update)
    await common.edit_pressed(update, done_text(erased, _, evidence))
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
