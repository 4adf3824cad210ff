"""Greeting, help, privacy, language choice, and the replies of last resort.

`HANDLERS` come first in group 0; `FALLBACKS` come last, so any text, sticker,
photo, unknown command or stale button that no feature claimed still gets a
short helpful answer. `error_handler` logs the update id and apologises.

Also the one home of what every conversation does with Telegram: answer a
press, edit the pressed message or send a new one, take the buttons off an
older message, tell who writes (for the log) and whether it is an admin or a
private message.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MaybeInaccessibleMessage, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.core.i18n import LANGUAGE_NAMES, LANGUAGES
from handlers.context import LANGUAGE_KEY, BotContext
from handlers.role_help import role_sections
from handlers.roles import roles_here
from storage import preferences

log = logging.getLogger(__name__)

LANGUAGE_CALLBACK = "lang:"
# The greeting's "Rate a service" button; handlers/citizen_entry.py answers it.
RATE_SERVICE_CALLBACK = "sp:rate"


def who(update: Update, context: BotContext) -> str:
    """A short pseudonym for the log: enough to follow one person, never their Telegram id."""
    return context.user_key(update)[:12] if update.effective_user is not None else "?"


def is_admin_here(update: Update, context: BotContext) -> bool:
    """An admin (``ADMIN_IDS``) in a private chat, where figures may be shown."""
    user = update.effective_user
    chat = update.effective_chat
    return (
        user is not None
        and chat is not None
        and chat.type == chat.PRIVATE
        and context.settings.is_admin(user.id)
    )


def is_private_text(update: Update) -> bool:
    """A message from a user in a private chat that is not a command (typed input)."""
    message = update.message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None or chat.type != chat.PRIVATE:
        return False
    return message.text is None or not message.text.startswith("/")


async def answer_query(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the button press. Telegram takes one answer per press, and none once the
    press is old (a redelivered update, a reply delayed by a restart or a locked
    database): that refusal is not an error, and the rest of the handler still runs."""
    try:
        await update.callback_query.answer(text, show_alert=alert)
    except BadRequest as exc:
        log.info("could not answer the button press of update %s (%s)", update.update_id, exc)


async def edit_pressed(update: Update, text: str) -> None:
    """Edit the pressed message into ``text``. Pressed again (a double tap, a redelivered
    update), it already says so: Telegram's "message is not modified" is no error."""
    try:
        await update.callback_query.edit_message_text(text)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def edit_or_send(
    update: Update, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool = True
) -> MaybeInaccessibleMessage:
    """Show ``text`` in the pressed message (``edit``), else as a new message; the message
    that shows it. A message that can no longer be edited (too old, deleted) is replaced
    by a new one; pressed again with the same text, the pressed message is kept as it is."""
    query = update.callback_query
    if edit and query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return query.message
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return query.message
            log.info("could not edit the pressed message (%s); sending a new one", exc)
    return await update.effective_chat.send_message(text, reply_markup=markup)


async def remove_keyboard(context: BotContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an older message (one that no longer shows where the user is)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
    except TelegramError:  # too old, deleted, or already without buttons: nothing to do
        pass


async def start(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    button = InlineKeyboardButton(_("Rate a service"), callback_data=RATE_SERVICE_CALLBACK)
    await update.effective_message.reply_text(
        _(
            "Welcome to Ulasan, the feedback service of the city government.\n\n"
            "• Citizens: scan the QR code at the service counter, or press "
            '"Rate a service" below, to rate the service you just received. It takes '
            "less than a minute and is anonymous.\n"
            "• Civil servants: open the link code you received from HR (BKPSDM) "
            "to link your account, then give 360° feedback to your colleagues.\n\n"
            "/help shows all commands."
        ),
        reply_markup=InlineKeyboardMarkup([[button]]),
    )


async def help_command(update: Update, context: BotContext) -> None:
    """``/help``: what everyone can do, then what this person's roles add (admin, head)."""
    _ = await context.gettext(update)
    roles = await roles_here(update, context)
    text = "\n\n".join(
        [
            _(
                "What I can do:\n"
                "/start: begin, or open a link from a QR code or from HR\n"
                "/language: choose Bahasa Indonesia or English\n"
                "/privacy: what we keep about you and how to ask for deletion\n"
                "/hapusdata: delete your survey answers\n"
                "\nFor civil servants:\n"
                "/akun: which employee this Telegram account is linked to\n"
                "/nilai: rate the colleagues you are asked to review\n"
                "/hasil: your latest 360° results\n"
                "/help: this message"
            ),
            _(
                "For unit heads, unit admins and staff handed a case:\n"
                "/kasus: the cases citizens' feedback opened, and what was done\n"
                "/pengaturan: which alerts and notes you receive"
            ),
            _("/rencana: your development plan after a 360° cycle, and those you approve"),
            _(
                "/kriteria: the 360° criteria: what is rated, what each level means, how "
                "the rating is computed and who sees what"
            ),
            _(
                "/konsultasi: while a consultation is open, propose examples of behaviour "
                "for the criteria and vote on them"
            ),
            _("/id: your Telegram user id (an admin needs it to give you access)"),
            *role_sections(roles, _),
        ]
    )
    await update.effective_message.reply_text(text)


async def privacy(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    settings = context.settings
    text = _(
        "Privacy\n\n"
        "Citizens: we do not keep your Telegram identity. Your survey answers are "
        "stored under a keyed code (pseudonym) so that one person counts once per "
        "service per day; comments are kept with NIK, phone numbers and e-mail "
        "addresses hidden. An unfinished survey is closed after {draft_hours} hours "
        "and never counted. After {days} days the pseudonym is removed and only the "
        "scores remain. Your chat is kept only if you agree to be contacted about "
        "your feedback. /hapusdata deletes all your survey answers at any time.\n\n"
        "Employees: we keep the link between your Telegram account and your NIP, "
        "your language and whether you can be reached, so that we can send you "
        "review requests and your own results.\n\n"
        "Why: to run and improve public services. The legal basis is the performance "
        "of public services in the public interest under UU 27/2022 on Personal Data "
        "Protection (Article 20(2)(e)) and the public service law (UU 25/2009). "
        "Questions or requests: {contact}."
    ).format(
        days=settings.retention_days,
        draft_hours=settings.survey_draft_ttl_hours,
        contact=settings.dpo_contact,
    )
    erasure = _(
        "Deleting your data: /hapusdata shows what we keep under your pseudonym and, "
        "when you confirm, deletes it: your survey answers (unfinished ones too), your "
        "contact chat, the messages you exchanged with a unit, the notifications about "
        "your answers and your language choice. Deleted text is overwritten in our "
        "database, not just hidden. A notification a unit official already received "
        "stays in that official's Telegram, which we cannot reach. Backup copies of "
        "the database are kept for at most {backup_days} days, so what you delete is "
        "gone from them after that."
    ).format(backup_days=settings.backup_keep_days)
    performance = _(
        "Employees' performance records (PermenPANRB 6/2022): your supervisor's notes about "
        "you, the monthly feedback card with what citizens said about you (only from "
        "{minimum} answers, comments masked), the feedback, the dialogue date and your "
        "replies, special expectations and your questions, and the achievements you log "
        "with their evidence files. Only you and your supervisor (and their superior, if "
        "your agency set it) see them; every view of another person's card is logged. "
        "/hapusdata deletes your achievements and their evidence files; the rest is the "
        "performance documentation your agency must keep: ask {contact} about it."
    ).format(minimum=settings.feedback_min_citizens, contact=settings.dpo_contact)
    await update.effective_message.reply_text(f"{text}\n\n{performance}\n\n{erasure}")


async def language_menu(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    buttons = [
        [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=LANGUAGE_CALLBACK + code)]
        for code in LANGUAGES
    ]
    await update.effective_message.reply_text(
        _("Choose your language:"), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    code = (query.data or "").removeprefix(LANGUAGE_CALLBACK)
    if code not in LANGUAGES:
        _ = await context.gettext(update)
        await answer_query(update, _("This button is no longer valid."))
        return
    async with context.sessions.begin() as session:
        await preferences.set_language(
            session, context.user_key(update), update.effective_user.id, code
        )
    if context.user_data is not None:
        context.user_data[LANGUAGE_KEY] = code
    _ = await context.gettext(update)
    await answer_query(update)
    done = _("Language set to English.") if code == "en" else _("Language set to Bahasa Indonesia.")
    await edit_pressed(update, done)


async def unknown_command(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    await update.effective_message.reply_text(
        _("I do not know that command. /help lists what I can do.")
    )


async def unexpected_message(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    await update.effective_message.reply_text(
        _(
            "I only understand commands and buttons here. To rate a service, scan the QR "
            "code at the counter; /help lists what I can do."
        )
    )


async def stale_button(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.info("stale or unknown callback data from update %s", update.update_id)
    await answer_query(
        update, _("This button is no longer active. Please start again with /start."), alert=True
    )


async def error_handler(update: object, context: BotContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        _ = await context.gettext(update)
        text = _(
            "Sorry, something went wrong on our side. Your earlier answers are kept; "
            "please try again in a moment."
        )
    except Exception:  # the database itself may be what failed
        text = "Maaf, terjadi kesalahan. Silakan coba lagi sebentar lagi."
    try:
        await _apologise(update, context, text)
    except Exception:
        log.warning("could not send the apology for update %s", update_id, exc_info=True)


async def _apologise(update: Update, context: BotContext, text: str) -> None:
    """As the press's answer if it has none yet, else as a message in the chat (Telegram
    takes one answer per press, and the handler may have answered before it failed)."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:200], show_alert=True)
            return
        except BadRequest:
            pass
    if update.effective_chat is not None:
        await context.bot.send_message(update.effective_chat.id, text)


HANDLERS: list[BaseHandler] = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CommandHandler("privacy", privacy),
    CommandHandler(["language", "bahasa"], language_menu),
    CallbackQueryHandler(language_chosen, pattern=f"^{LANGUAGE_CALLBACK}"),
]

FALLBACKS: list[BaseHandler] = [
    MessageHandler(filters.COMMAND, unknown_command),
    MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, unexpected_message),
    CallbackQueryHandler(stale_button),
]
