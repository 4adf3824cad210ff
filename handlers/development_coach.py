"""The supervisor names a development plan's coach from Telegram (``ulasan development coach``).

From the plan's screen the supervisor reads in ``/rencana`` (``dv:v``) or after
approving it, **Name a coach** (``dk:o:<token>``) lists the linked, active staff
of the ratee's unit (not the ratee, not the supervisor) as buttons
(``dk:p:<token>:<employee id>``), with **Remove the coach** (``dk:p:<token>:0``)
when one is named; a NIP may be typed instead (`handle_nip_text`). The choice is
shown with a binding confirmation (``dk:y:<nonce>``, `handlers.confirm`: stored,
single-use, short-lived, bound to this supervisor, this plan and the coach it was
shown with), so a forged, repeated or old press names nobody; ``dk:x:<nonce>``
cancels. The deed is `scheduler.development.assign_coach`, the CLI's: audited, and
the coach of an approved plan receives it at once.

Only the plan's supervisor may do this. Admins may not (decided; see the README): a
plan's text is read only by its ratee, supervisor and coach, and naming a coach
from a screen an admin cannot read would be blind; the server's CLI remains for
the rare correction by HR.
"""

from __future__ import annotations

import logging
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import N_, Translate
from handlers import common, confirm
from handlers.context import COACH_INPUT_KEY, BotContext, expect_typed_input
from handlers.development import active_employee_id, refuse_press
from handlers.development_screens import TOKEN
from scheduler import development
from scheduler import development_flow as flow
from storage import development_plans as plans
from storage.development_models import APPROVED
from storage.development_plans import Candidate

log = logging.getLogger(__name__)

NAME_COACH = "name_coach"
PATTERN_OPEN = rf"^dk:o:{TOKEN}$"
PATTERN_PICK = rf"^dk:p:{TOKEN}:(?P<coach>\d{{1,9}})$"
PATTERN_YES = rf"^dk:y:{confirm.NONCE}$"
PATTERN_NO = rf"^dk:x:{confirm.NONCE}$"
PATTERN_ANY = r"^dk:"
_NIP = re.compile(r"^\d{18}$")


class NotACoach(flow.Refused):
    template = N_(
        "No linked, active employee has that NIP (18 digits), or it is the plan's owner or "
        "supervisor. Type another NIP or choose a button."
    )


class NotYours(flow.Refused):
    template = N_("Only the plan's supervisor can name its coach. Nothing was changed.")


def coach_button(_: Translate, token: str) -> list[InlineKeyboardButton]:
    """The row the supervisor's plan screens carry."""
    return [InlineKeyboardButton(_("Name a coach"), callback_data=f"dk:o:{token}")]


async def _refuse(update: Update, context: BotContext, refused: flow.Refused) -> None:
    await refuse_press(update, context, refused, "coach")


async def open_chooser(update: Update, context: BotContext) -> None:
    """``dk:o:<token>``: the unit's linked staff as buttons; a typed NIP is awaited too."""
    supervisor = await active_employee_id(update, context)
    token = context.match.group("token")
    async with context.sessions() as session:
        plan = await plans.supervised_plan(session, token, supervisor or 0)
        view = await plans.view_of(session, plan, plans.Reader.SUPERVISOR) if plan else None
        staff = await plans.coach_candidates(session, plan) if plan else []
        current = (
            await plans.linked_candidate(session, plan.coach_id) if plan and plan.coach_id else None
        )
    if plan is None or view is None:
        await _refuse(update, context, NotYours())
        return
    expect_typed_input(context.user_data, COACH_INPUT_KEY, {"token": token})
    _ = await context.gettext(update)
    lines = [_("Who coaches {name} on this development plan?").format(name=view.employee_name)]
    if current is not None:
        lines.append(_("Coach now: {coach}").format(coach=current.name))
    lines.append(
        _(
            "Choose one of your unit's linked staff, or type the NIP of another linked "
            "employee. The coach reads the plan and its check-ins."
        )
    )
    rows = [
        [InlineKeyboardButton(c.name[:60], callback_data=f"dk:p:{token}:{c.employee_id}")]
        for c in staff
    ]
    if plan.coach_id is not None:
        rows.append([InlineKeyboardButton(_("Remove the coach"), callback_data=f"dk:p:{token}:0")])
    await common.answer_query(update)
    await common.edit_or_send(
        update, "\n\n".join(lines), InlineKeyboardMarkup(rows) if rows else None
    )


async def _confirmation(
    update: Update, context: BotContext, token: str, coach_id: int | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The binding question for ``coach_id`` (None: remove), or `flow.Refused`."""
    supervisor = await active_employee_id(update, context)
    async with context.sessions() as session:
        plan = await plans.supervised_plan(session, token, supervisor or 0)
        if plan is None:
            raise NotYours()
        view = await plans.view_of(session, plan, plans.Reader.SUPERVISOR)
        coach: Candidate | None = None
        if coach_id is not None:
            coach = await plans.linked_candidate(session, coach_id)
            if coach is None or coach_id in (plan.employee_id, plan.supervisor_id):
                raise NotACoach()
        elif plan.coach_id is None:
            raise flow.Stale()
    nonce = await confirm.issue(
        update,
        context,
        NAME_COACH,
        subject=f"plan:{view.id}",
        payload={"coach": coach_id, "was": plan.coach_id},
    )
    _ = await context.gettext(update)
    if coach is None:
        text = _("Remove the coach of {name}'s development plan? They will no longer read it.")
        text = text.format(name=view.employee_name)
    else:
        text = _(
            "Name {coach} (NIP {nip}) as the coach of {name}'s development plan? They will "
            "read the plan and its check-ins{now}."
        ).format(
            coach=coach.name,
            nip=coach.nip,
            name=view.employee_name,
            now=_(", and receive it now") if plan.status == APPROVED else "",
        )
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes"), callback_data=f"dk:y:{nonce}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"dk:x:{nonce}")],
        ]
    )
    return text, markup


async def coach_picked(update: Update, context: BotContext) -> None:
    """``dk:p:<token>:<employee id|0>``: shows the binding confirmation; stores nothing."""
    value = int(context.match.group("coach"))
    try:
        text, markup = await _confirmation(
            update, context, context.match.group("token"), value or None
        )
    except flow.Refused as refused:
        await _refuse(update, context, refused)
        return
    await common.answer_query(update)
    await common.edit_or_send(update, text, markup)


async def handle_nip_text(update: Update, context: BotContext) -> bool:
    """A NIP typed after "Name a coach": the binding confirmation, or why not (still awaited
    while digits are typed; any other text drops it and goes to whoever else awaits text)."""
    data = context.user_data
    message = update.effective_message
    if data is None or message is None or COACH_INPUT_KEY not in data:
        return False
    if not common.is_private_text(update):
        return False
    _ = await context.gettext(update)
    token = str(data[COACH_INPUT_KEY]["token"])
    nip = "".join((message.text or "").split())
    if not nip.isdigit():  # not meant as a NIP: the awaited NIP is dropped, the text goes on
        data.pop(COACH_INPUT_KEY, None)
        return False
    coach_id = None
    if _NIP.match(nip):
        async with context.sessions() as session:
            coach_id = await plans.active_employee_id(session, nip)
    try:
        if coach_id is None:
            raise NotACoach()
        text, markup = await _confirmation(update, context, token, coach_id)
    except NotACoach as refused:
        await message.reply_text(refused.translated(_))
        return True
    except flow.Refused as refused:
        data.pop(COACH_INPUT_KEY, None)
        await message.reply_text(refused.translated(_))
        return True
    data.pop(COACH_INPUT_KEY, None)
    await message.reply_text(text, reply_markup=markup)
    return True


async def coach_confirmed(update: Update, context: BotContext) -> None:
    """``dk:y:<nonce>``: redeems the confirmation and names (or removes) the coach it showed;
    a used, expired, forged or someone else's nonce, or a plan whose coach or supervisor
    changed since, changes nothing."""
    supervisor = await active_employee_id(update, context)
    _ = await context.gettext(update)
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(session, update, context, NAME_COACH)
            if confirmed is not None:
                entry = await plans.audit(
                    session, f"telegram:{context.user_key(update)[:16]}", context.clock.now()
                )
                plan = await plans.plan_by_id(session, int(confirmed.subject.split(":")[1]))
                if plan is None or plan.supervisor_id != supervisor:
                    raise NotYours()
                if plan.coach_id != confirmed.payload.get("was"):
                    raise flow.Stale()
                coach = confirmed.payload.get("coach")
                await development.assign_coach(
                    session,
                    context.settings,
                    plan,
                    int(coach) if coach is not None else None,
                    entry=entry,
                    now=context.clock.now(),
                )
    except development.CoachRefused:
        await _refuse(update, context, NotACoach())
        return
    except flow.Refused as refused:
        await _refuse(update, context, refused)
        return
    if confirmed is None:
        await confirm.refuse(update, context, _("/rencana shows the plans of your team."))
        return
    done = (
        _("Done: the plan has no coach now.") if coach is None else _("Done: the coach is named.")
    )
    await common.answer_query(update)
    await common.edit_or_send(update, done, None)


async def cancel(update: Update, context: BotContext) -> None:
    """``dk:x:<nonce>``: voids the confirmation; nothing changes."""
    await confirm.discard(update, context, NAME_COACH)
    if context.user_data is not None:
        context.user_data.pop(COACH_INPUT_KEY, None)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_or_send(
        update, _("Nothing was changed. /rencana shows the plan again."), None
    )


async def forged_press(update: Update, context: BotContext) -> None:
    """Any other ``dk:`` data: a short notice, nothing stored."""
    await _refuse(update, context, flow.Stale())


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(open_chooser, pattern=PATTERN_OPEN),
    CallbackQueryHandler(coach_picked, pattern=PATTERN_PICK),
    CallbackQueryHandler(coach_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(cancel, pattern=PATTERN_NO),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY),
]
