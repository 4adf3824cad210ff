"""``/admin``: BKPSDM (the city-wide admins of ``ADMIN_IDS``) make staff unit admins, or stop it.

The same as ``ulasan admin add|list|remove`` (`storage.unit_admins`), from
Telegram: the list of unit admins; "Add a unit admin" → a unit (a page at a
time) → a linked, active employee of that unit or a unit below it → added,
and the person is told; "Remove" on one of them → a confirmation (a binding
nonce, ``handlers/confirm.py``: once, by whom it was shown to, for the grant it
showed, for a few minutes) → removed, and the person is told. Someone who is
not in the roster (an operator without an NIP) is added with
``ulasan admin add TELEGRAM_ID --unit CODE``.

Only city-wide admins in a private chat; anyone else is refused, and the
refusal is logged under their pseudonym. Callback data ``ad:…`` is user input:
each press is checked again (the unit exists, the employee may be chosen, the
grant still exists); anything else under ``ad:`` is refused.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers.context import BotContext
from scheduler import unit_admin_flows
from scheduler.messages.limits import shorten
from storage import case_access, unit_admins
from storage.directory import accounts_by_employee
from storage.unit_admins import Grant

log = logging.getLogger(__name__)

PREFIX = "ad"
PAGE = 8
SHOWN_GRANTS = 20
PATTERN_LIST = rf"^{PREFIX}:l$"
PATTERN_UNITS = rf"^{PREFIX}:u:(?P<page>\d{{1,3}})$"
PATTERN_PEOPLE = rf"^{PREFIX}:p:(?P<unit>\d{{1,9}}):(?P<page>\d{{1,3}})$"
PATTERN_GRANT = rf"^{PREFIX}:g:(?P<unit>\d{{1,9}}):(?P<employee>\d{{1,12}})$"
PATTERN_REMOVE = rf"^{PREFIX}:r:(?P<grant>\d{{1,12}})$"
PATTERN_CONFIRM = rf"^{PREFIX}:rc:{confirm.NONCE}$"
PATTERN_NOT_NOW = rf"^{PREFIX}:rx:{confirm.NONCE}$"
REMOVE_ACTION = "unit_admin.remove"

Screen = tuple[str, InlineKeyboardMarkup]


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(shorten(text, 60), callback_data=data)


def _actor(update: Update, context: BotContext) -> str:
    return f"telegram:{context.user_key(update)[:16]}"


async def _guard(update: Update, context: BotContext) -> Translate | None:
    """The translator for a city-wide admin in a private chat; None (answered) otherwise."""
    _ = await context.gettext(update)
    if common.is_admin_here(update, context):
        return _
    log.warning("/admin: refused %s (not a city-wide admin here)", common.who(update, context))
    text = _("Sorry, managing unit admins is only for BKPSDM administrators.")
    if update.callback_query is not None:
        await common.answer_query(update, text, alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return None


def _grant_label(grant: Grant, _: Translate) -> str:
    who = grant.employee.split(" ", 1)[-1] if grant.employee else None
    return who or _("Telegram id {id}").format(id=grant.telegram_user_id)


def render_list(grants: list[Grant], _: Translate) -> Screen:
    lines = [_("👥 Unit admins ({n})").format(n=len(grants)), ""]
    if not grants:
        lines.append(_("No unit admins yet."))
    rows = []
    for grant in grants[:SHOWN_GRANTS]:
        lines.append(f"• {grant.unit_code} {grant.unit_name}: {_grant_label(grant, _)}")
        label = _("Remove: {who} ({unit})").format(who=_grant_label(grant, _), unit=grant.unit_code)
        rows.append([_button(label, f"{PREFIX}:r:{grant.id}")])
    if len(grants) > SHOWN_GRANTS:
        lines.append(_("…and {n} more (ulasan admin list).").format(n=len(grants) - SHOWN_GRANTS))
    lines += [
        "",
        _(
            "A unit admin receives the alerts of their unit and its sub-units and works "
            "their cases in /kasus. City-wide admins are set in ADMIN_IDS."
        ),
    ]
    rows.insert(0, [_button(_("Add a unit admin"), f"{PREFIX}:u:0")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _paging(data: str, page: int, more: bool, _: Translate) -> list[InlineKeyboardButton]:
    row = []
    if page > 0:
        row.append(_button(_("« Previous"), f"{data}:{page - 1}"))
    if more:
        row.append(_button(_("Next »"), f"{data}:{page + 1}"))
    return row


async def _show(update: Update, context: BotContext, screen: Screen, *, edit: bool = True) -> None:
    text, markup = screen
    await common.edit_or_send(update, text, markup, edit=edit)


async def _list_screen(context: BotContext, _: Translate) -> Screen:
    async with context.sessions() as session:
        return render_list(await unit_admins.list_grants(session), _)


async def admin_command(update: Update, context: BotContext) -> None:
    """``/admin``: the unit admins, with Add and Remove."""
    _ = await _guard(update, context)
    if _ is None:
        return
    await _show(update, context, await _list_screen(context, _), edit=False)


async def press_list(update: Update, context: BotContext) -> None:
    _ = await _guard(update, context)
    if _ is None:
        return
    await common.answer_query(update)
    await _show(update, context, await _list_screen(context, _))


async def press_units(update: Update, context: BotContext) -> None:
    """``ad:u:<page>``: choose the unit."""
    _ = await _guard(update, context)
    if _ is None:
        return
    page = int(context.match.group("page"))
    async with context.sessions() as session:
        found = await unit_admins.units(session)
    shown = found[page * PAGE : (page + 1) * PAGE]
    rows = [[_button(f"{code} {name}", f"{PREFIX}:p:{unit_id}:0")] for unit_id, code, name in shown]
    paging = _paging(f"{PREFIX}:u", page, (page + 1) * PAGE < len(found), _)
    rows += [paging] if paging else []
    rows.append([_button(_("« Back"), f"{PREFIX}:l")])
    await common.answer_query(update)
    text = _("Which unit? Its admin manages its sub-units too.") if found else _("No units yet.")
    await _show(update, context, (text, InlineKeyboardMarkup(rows)))


async def press_people(update: Update, context: BotContext) -> None:
    """``ad:p:<unit>:<page>``: choose the person (linked staff of the unit and below)."""
    _ = await _guard(update, context)
    if _ is None:
        return
    unit_id, page = int(context.match.group("unit")), int(context.match.group("page"))
    async with context.sessions() as session:
        unit = {u: (code, name) for u, code, name in await unit_admins.units(session)}.get(unit_id)
        staff = await case_access.eligible_staff(session, unit_id) if unit else []
    if unit is None:
        await common.answer_query(update, _("This unit no longer exists."), alert=True)
        return
    shown = staff[page * PAGE : (page + 1) * PAGE]
    rows = [
        [
            _button(
                f"{p.name} · {p.position}" if p.position else p.name,
                f"{PREFIX}:g:{unit_id}:{p.employee_id}",
            )
        ]
        for p in shown
    ]
    paging = _paging(f"{PREFIX}:p:{unit_id}", page, (page + 1) * PAGE < len(staff), _)
    rows += [paging] if paging else []
    rows.append([_button(_("« Back"), f"{PREFIX}:u:0")])
    text = _("Who becomes an admin of {code} {unit}?").format(code=unit[0], unit=unit[1])
    text += "\n\n" + _(
        "Only employees who linked their Telegram account are listed. For someone who is "
        "not in the roster, use “ulasan admin add TELEGRAM_ID --unit {code}” on the server."
    ).format(code=unit[0])
    await common.answer_query(update)
    await _show(update, context, (text, InlineKeyboardMarkup(rows)))


async def press_grant(update: Update, context: BotContext) -> None:
    """``ad:g:<unit>:<employee>``: make them an admin (checked again), tell them."""
    _ = await _guard(update, context)
    if _ is None:
        return
    unit_id, employee_id = int(context.match.group("unit")), int(context.match.group("employee"))
    async with context.sessions.begin() as session:
        unit = {u: code for u, code, _name in await unit_admins.units(session)}.get(unit_id)
        allowed = unit is not None and await case_access.may_own(session, unit_id, employee_id)
        account = (await accounts_by_employee(session, [employee_id])).get(employee_id)
        done = None
        if allowed and account is not None and unit is not None:
            done = await unit_admin_flows.grant(
                session,
                context.settings,
                account.telegram_user_id,
                unit,
                actor=_actor(update, context),
                now=context.clock.now(),
            )
    if done is None:
        log.warning(
            "/admin: refused a grant (%s) from %s",
            context.match.group(0),
            common.who(update, context),
        )
        await common.answer_query(
            update, _("This person cannot be chosen for this unit."), alert=True
        )
        return
    context.services.wake()
    answer = _("Added; they were told.") if done.created else _("They were an admin of it already.")
    await common.answer_query(update, answer)
    await _show(update, context, await _list_screen(context, _))


async def press_remove(update: Update, context: BotContext) -> None:
    """``ad:r:<grant>``: ask before removing; the Yes button carries a binding nonce."""
    _ = await _guard(update, context)
    if _ is None:
        return
    grant_id = int(context.match.group("grant"))
    async with context.sessions() as session:
        grant = await unit_admins.grant_by_id(session, grant_id)
    if grant is None:
        await common.answer_query(update, _("This admin was removed already."), alert=True)
        await _show(update, context, await _list_screen(context, _))
        return
    nonce = await confirm.issue(
        update, context, REMOVE_ACTION, subject=f"grant:{grant.id}", payload={"grant": grant.id}
    )
    text = _("Remove {who} as an admin of {code} {unit}? They will be told.").format(
        who=_grant_label(grant, _), code=grant.unit_code, unit=grant.unit_name
    )
    rows = [
        [_button(_("Yes, remove"), f"{PREFIX}:rc:{nonce}")],
        [_button(_("« Back"), f"{PREFIX}:rx:{nonce}")],
    ]
    await common.answer_query(update)
    await _show(update, context, (text, InlineKeyboardMarkup(rows)))


async def press_confirm(update: Update, context: BotContext) -> None:
    """``ad:rc:<nonce>``: remove what the confirmation showed (once; forged, used or
    expired nonces change nothing)."""
    _ = await _guard(update, context)
    if _ is None:
        return
    gone = None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, REMOVE_ACTION)
        if confirmed is not None:
            gone = await unit_admin_flows.revoke(
                session,
                context.settings,
                int(confirmed.payload["grant"]),
                actor=_actor(update, context),
                now=context.clock.now(),
            )
    if confirmed is None:
        await confirm.refuse(update, context, _("Open /admin again."))
        return
    context.services.wake()
    await common.answer_query(
        update, _("Removed; they were told.") if gone else _("This admin was removed already.")
    )
    await _show(update, context, await _list_screen(context, _))


async def press_back_from_confirm(update: Update, context: BotContext) -> None:
    """``ad:rx:<nonce>``: not now; the confirmation is voided."""
    _ = await _guard(update, context)
    if _ is None:
        return
    await confirm.discard(update, context, REMOVE_ACTION)
    await common.answer_query(update)
    await _show(update, context, await _list_screen(context, _))


async def forged_press(update: Update, context: BotContext) -> None:
    _ = await _guard(update, context)
    if _ is None:
        return
    log.warning("/admin: refused malformed callback data from %s", common.who(update, context))
    await common.answer_query(update, _("This button is not valid."), alert=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler("admin", admin_command, filters=filters.UpdateType.MESSAGE),
    CallbackQueryHandler(press_list, pattern=PATTERN_LIST),
    CallbackQueryHandler(press_units, pattern=PATTERN_UNITS),
    CallbackQueryHandler(press_people, pattern=PATTERN_PEOPLE),
    CallbackQueryHandler(press_grant, pattern=PATTERN_GRANT),
    CallbackQueryHandler(press_remove, pattern=PATTERN_REMOVE),
    CallbackQueryHandler(press_confirm, pattern=PATTERN_CONFIRM),
    CallbackQueryHandler(press_back_from_confirm, pattern=PATTERN_NOT_NOW),
    CallbackQueryHandler(forged_press, pattern=rf"^{PREFIX}:"),
]
