"""``/pengaturan``: which kinds of alerts and notes a person receives.

Offered to whoever may receive them: heads and admins (new cases, comment
notes, escalations) and linked employees (praise notes). Each kind has one
button that sets it on or off (``pg:<kind>:<1 mute|0 unmute>``): pressing
twice, or an old message's button, leaves the same setting, never a flip.
A head cannot mute the cases they own; the screen says so, and the alert job
never asks (`storage.mutes`). Anything else under ``pg:`` is refused.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import N_, Translate
from handlers import common
from handlers.context import BotContext
from storage import case_access, mutes

log = logging.getLogger(__name__)

PREFIX = "pg"
PATTERN = rf"^{PREFIX}:(?P<kind>{'|'.join(mutes.KINDS)}):(?P<muted>[01])$"

KIND_LABELS = {
    mutes.CASES: N_("New cases in the units you look after"),
    mutes.COMMENTS: N_("Suggestions and complaints on good surveys (no case)"),
    mutes.ESCALATIONS: N_("Cases passed up to you (no response for twice the target)"),
    mutes.PRAISE: N_("Daily praise notes (for you or your team)"),
}


def offered_kinds(oversees: bool, linked: bool) -> list[str]:
    """The kinds this person can receive at all."""
    kinds = [mutes.CASES, mutes.COMMENTS, mutes.ESCALATIONS] if oversees else []
    if linked:
        kinds.append(mutes.PRAISE)
    return kinds


def render(kinds: list[str], muted: set[str], _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("⚙️ Alerts and notes you receive"), ""]
    rows = []
    for kind in kinds:
        off = kind in muted
        lines.append(
            f"{'🔕' if off else '🔔'} {_(KIND_LABELS[kind])}: " + (_("off") if off else _("on"))
        )
        label = _("Turn on: {kind}") if off else _("Turn off: {kind}")
        data = f"{PREFIX}:{kind}:{0 if off else 1}"
        rows.append(
            [InlineKeyboardButton(label.format(kind=_(KIND_LABELS[kind])), callback_data=data)]
        )
    if mutes.CASES in kinds:
        lines += [
            "",
            _(
                "The cases you own (as the head of their unit, or because they were handed "
                "to you) and their reminders always reach you; they cannot be turned off."
            ),
        ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _offered(update: Update, context: BotContext) -> tuple[list[str], set[str]]:
    user_id = update.effective_user.id
    async with context.sessions() as session:
        viewer = await case_access.viewer_for(session, context.settings, user_id)
        muted = await mutes.muted_kinds(session, user_id)
    return offered_kinds(viewer.oversees, viewer.employee_id is not None), muted


async def pengaturan(update: Update, context: BotContext) -> None:
    """``/pengaturan``: the kinds this person receives, each with its on/off button."""
    _ = await context.gettext(update)
    kinds, muted = await _offered(update, context)
    if not kinds:
        await update.effective_message.reply_text(
            _("You receive no alerts or notes from this bot, so there is nothing to set.")
        )
        return
    text, markup = render(kinds, muted, _)
    await update.effective_message.reply_text(text, reply_markup=markup)


async def press(update: Update, context: BotContext) -> None:
    """``pg:<kind>:<0|1>``: set one kind on or off, then show the settings again."""
    _ = await context.gettext(update)
    kind, wants_muted = context.match.group("kind"), context.match.group("muted") == "1"
    kinds, _muted = await _offered(update, context)
    if kind not in kinds:
        log.warning("/pengaturan: refused %s for %s", kind, common.who(update, context))
        await common.answer_query(update, _("This button is not valid."), alert=True)
        return
    async with context.sessions.begin() as session:
        await mutes.set_muted(
            session, update.effective_user.id, kind, wants_muted, context.clock.now()
        )
    kinds, muted = await _offered(update, context)
    await common.answer_query(update, _("Turned off.") if wants_muted else _("Turned on."))
    text, markup = render(kinds, muted, _)
    await common.edit_or_send(update, text, markup)


async def forged_press(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.warning("/pengaturan: refused malformed callback data from %s", common.who(update, context))
    await common.answer_query(update, _("This button is not valid."), alert=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(
        ["pengaturan", "settings"],
        pengaturan,
        filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE,
    ),
    CallbackQueryHandler(press, pattern=PATTERN),
    CallbackQueryHandler(forged_press, pattern=rf"^{PREFIX}:"),
]
