"""``/kode``: an admin hands out account-link codes for a unit from Telegram.

The same rules as ``ulasan link-codes`` (`storage.link_codes`): a code goes to
each active employee of the unit (and the units below it) who has neither a
linked account nor a valid code, so running it again for new staff never voids
a slip already handed out; codes are stored only as hashes, so they are shown
this once. ``/kode`` → a unit (the admin's own, or a top-level unit for
BKPSDM) → how many are linked, hold a valid code, or have neither → "Issue N
codes" → the printable slips (PDF, eight per A4 sheet with cut lines,
`scheduler.documents.link_slips`) and the list (XLSX: NIP as text, name, unit,
code, link, expiry), both built in memory (no plain code is written to the
server's disk). Pressing it twice issues nothing more: the second time everyone holds
a valid code.

A lost slip: "Renew one employee's code" → the admin types the NIP → "Renew
the code of <name>? Their earlier code stops working" → on the binding
confirmation (``handlers/confirm.py``: bound to that NIP and unit) a new code
for that one employee, as a document; nobody else's code changes.

Callback data ``kd:u:<unit id>`` (a unit's figures), ``kd:i:<unit id>``
(issue), ``kd:n:<unit id>`` (renew one: asks for the NIP), ``kd:y:<nonce>`` and
``kd:x:<nonce>`` (confirm or cancel a renewal) is user input: the unit must be
within the admin's scope, the confirmation valid and the admin's.
"""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import local_day
from bot.core.i18n import Translate
from bot.core.links import deep_link
from handlers import common, confirm
from handlers.context import RENEW_INPUT_KEY, BotContext, expect_typed_input
from handlers.roles import roles_here
from storage import link_codes, review_cycles
from storage.link_codes import CodeStatus, IssuedCode
from storage.roles import scope_units
from storage.unit_admins import AdminScope

log = logging.getLogger(__name__)
PATTERN_UNIT = r"^kd:u:(?P<unit>\d{1,9})$"
PATTERN_ISSUE = r"^kd:i:(?P<unit>\d{1,9})$"
PATTERN_RENEW = r"^kd:n:(?P<unit>\d{1,9})$"
PATTERN_RENEW_YES = rf"^kd:y:{confirm.NONCE}$"
PATTERN_RENEW_NO = rf"^kd:x:{confirm.NONCE}$"
PATTERN_ANY = r"^kd:"
RENEW = "link_code_renew"


async def _scope(update: Update, context: BotContext) -> AdminScope | None:
    roles = await roles_here(update, context)
    return roles.admin if roles.is_admin else None


async def kode(update: Update, context: BotContext) -> None:
    """``/kode``: which unit."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    scope = await _scope(update, context)
    if scope is None:
        await message.reply_text(_("Sorry, /kode is only for administrators."))
        return
    async with context.sessions() as session:
        units = await scope_units(session, scope)
    if not units:
        await message.reply_text(_("There are no units yet: send the roster files first."))
        return
    buttons = [InlineKeyboardButton(u.code, callback_data=f"kd:u:{u.id}") for u in units]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    await message.reply_text(
        _("Link codes for which unit? The units below it are included."),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _unit_code(update: Update, context: BotContext) -> str | None:
    """The pressed unit's code, if it is within the admin's scope."""
    scope = await _scope(update, context)
    unit_id = int(context.match.group("unit"))
    if scope is None or not scope.covers(unit_id):
        return None
    async with context.sessions() as session:
        unit = await review_cycles.unit_by_id(session, unit_id)
    return unit.code if unit is not None else None


def render_status(code: str, rows: list[CodeStatus], _: Translate) -> str:
    linked = sum(1 for r in rows if r.linked)
    holding = sum(1 for r in rows if not r.linked and r.code_expires_at)
    return _(
        "{unit}: {total} active employee(s); {linked} linked their Telegram account, "
        "{holding} hold a valid code, {neither} have neither."
    ).format(
        unit=code,
        total=len(rows),
        linked=linked,
        holding=holding,
        neither=len(rows) - linked - holding,
    )


async def show_unit(update: Update, context: BotContext) -> None:
    """``kd:u:<unit>``: who is linked, who holds a code, and the issue button."""
    code = await _unit_code(update, context)
    if code is None:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    async with context.sessions() as session:
        rows = await link_codes.code_status(session, unit_code=code, now=context.clock.now())
    neither = sum(1 for r in rows if not r.linked and not r.code_expires_at)
    await common.answer_query(update)
    text = render_status(code, rows, _)
    unit_id = context.match.group("unit")
    buttons = []
    if neither:
        label = _("Issue codes for {count}").format(count=neither)
        buttons.append([InlineKeyboardButton(label, callback_data=f"kd:i:{unit_id}")])
    if rows:
        label = _("Renew one employee's code (a lost slip)")
        buttons.append([InlineKeyboardButton(label, callback_data=f"kd:n:{unit_id}")])
    await common.edit_or_send(update, text, InlineKeyboardMarkup(buttons) if buttons else None)


async def issue(update: Update, context: BotContext) -> None:
    """``kd:i:<unit>``: issue the codes and send them as a document."""
    code = await _unit_code(update, context)
    if code is None:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    policy = link_codes.LinkPolicy.from_settings(context.settings)
    actor = f"telegram:{context.user_key(update)[:16]}"
    async with context.sessions.begin() as session:
        issued = await link_codes.issue_link_codes(
            session, policy, actor=actor, unit_code=code, now=context.clock.now()
        )
    await common.answer_query(update)
    if not issued:
        await common.edit_or_send(
            update, _("Nothing to issue: everyone has an account or a valid code."), None
        )
        return
    log.info("/kode: %d code(s) issued for %s by %s", len(issued), code, actor)
    await _send_codes(update, context, issued, code)
    await common.edit_or_send(update, _("{count} code(s) issued.").format(count=len(issued)), None)


async def ask_nip(update: Update, context: BotContext) -> None:
    """``kd:n:<unit>``: ask for the NIP of the employee whose code is to be renewed."""
    code = await _unit_code(update, context)
    if code is None:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    message = await common.edit_or_send(
        update,
        _("Type the NIP of the employee whose code was lost ({unit} or a unit below it).").format(
            unit=code
        ),
        None,
    )
    expect_typed_input(
        context.user_data, RENEW_INPUT_KEY, {"unit": code, "prompt": message.message_id}
    )


async def handle_nip_text(update: Update, context: BotContext) -> bool:
    """Typed text: the awaited NIP (True, handled), or not ours (False, untouched)."""
    data = context.user_data if context.user_data is not None else {}
    pending = data.get(RENEW_INPUT_KEY)
    if pending is None or not common.is_private_text(update):
        return False
    _ = await context.gettext(update)
    message = update.message
    nip = "".join((message.text or "").split())
    if await _scope(update, context) is None:
        data.pop(RENEW_INPUT_KEY, None)
        return False
    async with context.sessions() as session:
        rows = await link_codes.code_status(
            session, unit_code=pending["unit"], now=context.clock.now()
        )
    found = next((row for row in rows if row.nip == nip), None)
    if found is None:
        await message.reply_text(
            _(
                "{nip} is not an active employee of {unit} or a unit below it. Type the NIP "
                "again (18 digits), or send /kode to start over."
            ).format(nip=nip or "-", unit=pending["unit"])
        )
        return True
    data.pop(RENEW_INPUT_KEY, None)
    nonce = await confirm.issue(
        update, context, RENEW, subject=f"nip:{nip}", payload={"nip": nip, "unit": pending["unit"]}
    )
    await message.reply_text(
        _(
            "Renew the link code of {name} ({nip}, {unit})? Their earlier code stops working; "
            "a linked account moves to whoever opens the new code."
        ).format(name=found.name, nip=nip, unit=found.unit_code),
        reply_markup=InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(_("Yes, renew the code"), callback_data=f"kd:y:{nonce}")],
                [InlineKeyboardButton(_("Cancel"), callback_data=f"kd:x:{nonce}")],
            ]
        ),
    )
    return True


async def renew_confirmed(update: Update, context: BotContext) -> None:
    """``kd:y:<nonce>``: a new code for the one employee the confirmation named."""
    _ = await context.gettext(update)
    if await _scope(update, context) is None:
        await refuse(update, context)
        return
    policy = link_codes.LinkPolicy.from_settings(context.settings)
    actor = f"telegram:{context.user_key(update)[:16]}"
    issued: list[IssuedCode] | None = None
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(session, update, context, RENEW)
            if confirmed is not None:
                issued = await link_codes.issue_link_codes(
                    session,
                    policy,
                    actor=actor,
                    unit_code=str(confirmed.payload["unit"]),
                    nips=[str(confirmed.payload["nip"])],
                    now=context.clock.now(),
                )
    except (link_codes.UnknownEmployee, link_codes.UnknownUnit) as exc:
        log.info("/kode: renewal refused (%s)", exc)
        issued = None
        confirmed = None
    if confirmed is None or not issued:
        await confirm.refuse(update, context, _("Send /kode again."))
        return
    await common.answer_query(update)
    await _send_codes(update, context, issued, str(confirmed.payload["unit"]))
    await common.edit_or_send(update, _("{count} code(s) issued.").format(count=1), None)


async def renew_cancelled(update: Update, context: BotContext) -> None:
    """``kd:x:<nonce>``: void the renewal; nothing changes."""
    _ = await context.gettext(update)
    await confirm.discard(update, context, RENEW)
    await common.answer_query(update)
    await common.edit_or_send(update, _("No code was renewed."), None)


async def _send_codes(
    update: Update, context: BotContext, issued: list[IssuedCode], code: str
) -> None:
    """The issued codes as printable slips (PDF) and as a list (XLSX), both built in memory,
    with what to do with them."""
    from scheduler.documents.link_codes_xlsx import local_time  # lazy: openpyxl

    _ = await context.gettext(update)
    today = local_day(context.clock.now(), context.settings.tz)
    slips = await asyncio.to_thread(_slips, issued, context.bot.username, context)
    await update.effective_chat.send_document(
        document=slips,
        filename=_("link-slips-{unit}-{day}.pdf").format(unit=code, day=today.isoformat()),
        caption=_(
            "Slips to print: eight per A4 sheet, cut along the dashed lines and hand each "
            "employee their own."
        ),
    )
    data = await asyncio.to_thread(_workbook, issued, context.bot.username, context)
    await update.effective_chat.send_document(
        document=data,
        filename=_("link-codes-{unit}-{day}.xlsx").format(unit=code, day=today.isoformat()),
        caption=_(
            "{count} link code(s) for {unit}, valid until {until}. They are shown only this "
            "once: hand each employee only their own link."
        ).format(
            count=len(issued),
            unit=code,
            until=local_time(issued[0].expires_at, context.settings.tz),
        ),
    )


def _slips(issued: list[IssuedCode], username: str, context: BotContext) -> bytes:
    from scheduler.documents.link_slips import (
        slips_for,
        slips_pdf,
    )  # lazy: openpyxl, PIL and numpy (~40 MB) only when a document is made

    buffer = io.BytesIO()
    slips_pdf(slips_for(issued, username, context.settings.tz), buffer)
    return buffer.getvalue()


def _workbook(issued: list[IssuedCode], username: str, context: BotContext) -> bytes:
    from scheduler.documents.link_codes_xlsx import (
        write_codes_xlsx,
    )  # lazy: openpyxl, PIL and numpy (~40 MB) only when a document is made

    buffer = io.BytesIO()
    links = [deep_link(username, item.payload) for item in issued]
    write_codes_xlsx(issued, links, context.settings.tz, buffer)
    return buffer.getvalue()


async def refuse(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    who = common.who(update, context)
    log.warning("/kode: refused press %r from %s", update.callback_query.data, who)
    await common.answer_query(
        update, _("This button is no longer valid. Send /kode again."), alert=True
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler("kode", kode),
    CallbackQueryHandler(show_unit, pattern=PATTERN_UNIT),
    CallbackQueryHandler(issue, pattern=PATTERN_ISSUE),
    CallbackQueryHandler(ask_nip, pattern=PATTERN_RENEW),
    CallbackQueryHandler(renew_confirmed, pattern=PATTERN_RENEW_YES),
    CallbackQueryHandler(renew_cancelled, pattern=PATTERN_RENEW_NO),
    CallbackQueryHandler(refuse, pattern=PATTERN_ANY),
]
