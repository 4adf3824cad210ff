"""Account linking in Telegram: ``/start link_<code>`` and ``/akun``.

An employee opens the link from HR (BKPSDM), ``t.me/<bot>?start=link_<code>``;
`start_link` redeems the code (`storage.accounts.redeem_link_code`) and names
whom the account is now linked to, or says why the code did not work and that
HR can give a new one. ``/akun`` (``/account``) shows the current link.

Only private chats: in a group the answer would show the employee's name,
position (and for ``/akun`` the NIP) to everyone there, and deep links open
private chats anyway; in a group these commands fall through to the ordinary
greeting and replies.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.core.clock import format_clock_time
from bot.core.i18n import N_, Translate
from handlers.context import BotContext
from storage import accounts, unit_admins
from storage.accounts import EmployeeCard, Outcome, RedeemResult
from storage.link_codes import PAYLOAD_PREFIX, LinkPolicy, code_from_payload

log = logging.getLogger(__name__)

LINK_START = filters.Regex(rf"^/start(@\w+)?\s+{PAYLOAD_PREFIX}")

# Why a code did not link anything, by outcome (English message ids).
REFUSALS: dict[Outcome, str] = {
    Outcome.USED: N_(
        "This link code has already been used; each code works only once. "
        "If it was not you who used it, please ask HR (BKPSDM) for a new code."
    ),
    Outcome.EXPIRED: N_("This link code has expired. Please ask HR (BKPSDM) for a new code."),
    Outcome.REVOKED: N_(
        "This link code has been replaced by a newer one. Please open the latest "
        "link you received from HR (BKPSDM), or ask them for a new code."
    ),
    Outcome.INACTIVE: N_(
        "This link code belongs to an employee who is no longer active in the "
        "roster. Please contact HR (BKPSDM)."
    ),
    Outcome.UNKNOWN: N_(
        "This link code is not valid. Please check that you opened the whole link "
        "from HR (BKPSDM), or ask them for a new code."
    ),
}


def describe(card: EmployeeCard) -> str:
    """ "name, position, unit" (a position may be missing from the roster)."""
    return ", ".join(part for part in (card.name, card.position, card.unit_name) if part)


def render_redeem(result: RedeemResult, _: Translate, tz: tzinfo) -> str:
    """What a redeemed link code did: linked (to whom), already linked, or why not."""
    card = result.employee
    if result.outcome is Outcome.LINKED and card is not None:
        return _linked_text(result, card, _)
    if result.outcome is Outcome.ALREADY_LINKED and card is not None:
        return _("Your account is already linked: {employee}. There is nothing more to do.").format(
            employee=describe(card)
        )
    if result.outcome is Outcome.LOCKED_OUT and result.locked_until is not None:
        return locked_text(result.locked_until, _, tz)
    text = _(REFUSALS.get(result.outcome, REFUSALS[Outcome.UNKNOWN]))
    if result.locked_until is not None:  # this wrong code was the one too many
        text += "\n\n" + locked_text(result.locked_until, _, tz)
    return text


def _linked_text(result: RedeemResult, card: EmployeeCard, _: Translate) -> str:
    lines = [_("Your account is linked: {employee}.").format(employee=describe(card))]
    if result.moved:
        lines.append(
            _("The Telegram account that was linked to this employee before is no longer linked.")
        )
    if result.replaced is not None:
        lines.append(
            _("This Telegram account is no longer linked to {employee}.").format(
                employee=describe(result.replaced)
            )
        )
    lines.append(
        _(
            "You will receive your 360° review requests and your own results here. "
            "/akun shows this link at any time."
        )
    )
    return "\n\n".join(lines)


def locked_text(until: datetime, _: Translate, tz: tzinfo) -> str:
    return _(
        "Too many wrong link codes. For your security, account linking is paused "
        "until {time}. Then open your link again, or ask HR (BKPSDM) for a new code."
    ).format(time=format_clock_time(until, tz))


async def start_link(update: Update, context: BotContext) -> None:
    """``/start link_<code>``: redeem the code and say what happened."""
    payload = context.args[0] if context.args else ""
    language = await context.language(update)
    async with context.sessions.begin() as session:
        result = await accounts.redeem_link_code(
            session,
            LinkPolicy.from_settings(context.settings),
            code=code_from_payload(payload),
            telegram_user_id=update.effective_user.id,
            language=language,
        )
    # Outcomes only, never the code or the Telegram id.
    log.info("link code redeemed in update %s: %s", update.update_id, result.outcome.value)
    _ = await context.gettext(update)
    await update.effective_message.reply_text(render_redeem(result, _, context.settings.tz))


async def show_account(update: Update, context: BotContext) -> None:
    """``/akun``: whom this Telegram account is linked to."""
    async with context.sessions() as session:
        card = await accounts.linked_employee(session, update.effective_user.id)
    _ = await context.gettext(update)
    if card is None:
        text = _(
            "This Telegram account is not linked to an employee. Civil servants: open "
            "the link you received from HR (BKPSDM) to link it."
        )
    else:
        text = _(
            "This Telegram account is linked to:\n{name}\nNIP {nip}\n{position}\n{unit}"
        ).format(name=card.name, nip=card.nip, position=card.position or "-", unit=card.unit_name)
        if not card.active:
            text += "\n\n" + _(
                "This employee is no longer active in the roster. Please contact HR "
                "(BKPSDM) if this is a mistake."
            )
    text += "\n\n" + await _admin_lines(update, context, _)
    await update.effective_message.reply_text(text)


async def _admin_lines(update: Update, context: BotContext, _: Translate) -> str:
    """The user's own Telegram id (HR needs it to make them an admin) and what they
    administer, if anything."""
    user_id = update.effective_user.id
    lines = [_("Your Telegram user id: {id}").format(id=user_id)]
    if context.settings.is_admin(user_id):
        lines.append(_("You are an administrator of every unit (BKPSDM)."))
        return "\n".join(lines)
    async with context.sessions() as session:
        units = await unit_admins.granted_units(session, user_id)
    if units:
        names = "; ".join(f"{code} {name}" for code, name in units)
        lines.append(
            _("You are an administrator of: {units} (with their sub-units).").format(units=names)
        )
    return "\n".join(lines)


HANDLERS: list[BaseHandler] = [
    CommandHandler(
        "start",
        start_link,
        filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & LINK_START,
    ),
    CommandHandler(
        ["akun", "account"],
        show_account,
        filters=filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE,
    ),
]
