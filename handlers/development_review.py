"""What the supervisor and the ratee do with a submitted plan: approve, send back, check in.

- The supervisor's request (queued by `scheduler.development.submit_plan`) has
  three buttons naming the plan and the revision shown: **Approve**
  (``dv:a:<token>:<revision>``) opens a binding confirmation (``dv:y:<nonce>``,
  `handlers.confirm`: stored, single-use, short-lived, bound to this supervisor
  and to the revision shown), so a forged, repeated or old press approves
  nothing; **Ask for a change** (``dv:r``) and **Comment** (``dv:k``) ask for a
  typed note, taken by `handle_typed` and checked again against the revision.
- ``dv:v:<token>`` shows a plan to its supervisor or named coach (from
  ``/rencana``): never to anyone else.
- The monthly check-in (``dc:<token>:<yyyymm>:<status>``, queued by the
  ``development_checkins`` job) stores one tap for the month asked; the ratee
  may then type a short note.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import N_, gettext_for
from handlers import common, confirm
from handlers.context import (
    CHECKIN_NOTE_KEY,
    PLAN_NOTE_KEY,
    BotContext,
    expect_typed_input,
)
from handlers.development import active_employee_id, instrument_for, refuse_press
from handlers.development_coach import coach_button
from handlers.development_screens import TOKEN
from scheduler import development
from scheduler import development_flow as flow
from scheduler.messages import development as texts
from storage import development_plans as plans
from storage.development_models import APPROVED, SUBMITTED
from storage.development_plans import PlanView, Reader

log = logging.getLogger(__name__)

APPROVE = "approve_plan"
_REV = r"(?P<rev>\d{1,6})"
PATTERN_VIEW = rf"^dv:v:{TOKEN}$"
PATTERN_APPROVE = rf"^dv:a:{TOKEN}:{_REV}$"
PATTERN_NOTE = rf"^dv:(?P<op>[rk]):{TOKEN}:{_REV}$"
PATTERN_YES = rf"^dv:y:{confirm.NONCE}$"
PATTERN_NO = rf"^dv:x:{confirm.NONCE}$"
PATTERN_ANY_REVIEW = r"^dv:"
PATTERN_CHECKIN = rf"^dc:{TOKEN}:(?P<month>\d{{6}}):(?P<status>belum|berjalan|selesai)$"
PATTERN_ANY_CHECKIN = r"^dc:"
NOTE_MIN, NOTE_MAX = 3, 500


class NoteLength(flow.Refused):
    template = N_("Please type a note of {low} to {high} characters.")


def _month(code: str) -> date | None:
    try:
        return date(int(code[:4]), int(code[4:]), 1)
    except ValueError:
        return None


# -- supervisors and coaches ----------------------------------------------------------------------


async def view_plan(update: Update, context: BotContext) -> None:
    """``dv:v:<token>``: the plan and its check-ins, to its supervisor or coach only."""
    employee_id = await active_employee_id(update, context)
    language = await context.language(update)
    _ = gettext_for(language)
    async with context.sessions() as session:
        view = await plans.plan_for(
            session,
            context.match.group("token"),
            employee_id or 0,
            readers=(Reader.SUPERVISOR, Reader.COACH),
        )
        checkins = await plans.checkins_of(session, view.id) if view is not None else []
    if view is None:
        await refuse_press(update, context, flow.Stale())
        return
    lines = texts.plan_lines(view, instrument_for(view), _, language)
    for row in checkins:
        if row.status:
            note = f" — {row.note}" if row.note else ""
            status = _(texts.CHECKIN_TEXT[row.status])
            lines.append(f"{texts.month_code(row.month)}: {status}{note}")
    rows: list[list[InlineKeyboardButton]] = []
    if view.reader is Reader.SUPERVISOR and view.status == SUBMITTED:
        buttons = texts.review_buttons(_, view.token, view.revision)
        rows = [
            [InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
            for row in buttons
        ]
    if view.reader is Reader.SUPERVISOR:  # the supervisor names the plan's coach
        rows.append(coach_button(_, view.token))
    markup = InlineKeyboardMarkup(rows) if rows else None
    await common.answer_query(update)
    await common.edit_or_send(update, "\n".join(lines), markup)


# -- approval -------------------------------------------------------------------------------------


async def _waiting_plan(update: Update, context: BotContext) -> PlanView | None:
    """The pressed plan if this person approves it and it waits at the pressed revision."""
    employee_id = await active_employee_id(update, context)
    async with context.sessions() as session:
        view = await plans.plan_for(
            session, context.match.group("token"), employee_id or 0, readers=(Reader.SUPERVISOR,)
        )
    if view is None or view.status != SUBMITTED or view.revision != int(context.match.group("rev")):
        return None
    return view


async def ask_approval(update: Update, context: BotContext) -> None:
    """``dv:a:<token>:<rev>``: shows what will be approved with a binding "Yes" (a nonce
    bound to this supervisor, this plan and this revision)."""
    view = await _waiting_plan(update, context)
    if view is None:
        await refuse_press(update, context, development.PlanChanged())
        return
    language = await context.language(update)
    _ = gettext_for(language)
    nonce = await confirm.issue(
        update, context, APPROVE, subject=f"plan:{view.id}", payload={"revision": view.revision}
    )
    lines = texts.plan_lines(view, instrument_for(view), _, language)[:-1]
    text = "\n".join([*lines, "", _("Approve this development plan as shown?")])
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, approve"), callback_data=f"dv:y:{nonce}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"dv:x:{nonce}")],
        ]
    )
    await common.answer_query(update)
    await common.edit_or_send(update, text, markup)


async def approve_confirmed(update: Update, context: BotContext) -> None:
    """``dv:y:<nonce>``: redeems the nonce and approves the revision it showed; a used,
    expired, forged or someone else's nonce, or a plan changed since, approves nothing."""
    employee_id = await active_employee_id(update, context)
    _ = await context.gettext(update)
    try:
        async with context.sessions.begin() as session:
            confirmed = await confirm.redeem(session, update, context, APPROVE)
            plan = None
            if confirmed is not None and confirmed.subject.startswith("plan:"):
                plan = await plans.plan_by_id(session, int(confirmed.subject[5:]))
            if confirmed is not None and (plan is None or plan.supervisor_id != employee_id):
                raise development.PlanChanged()
            if plan is not None and confirmed is not None:
                revision = int(confirmed.payload.get("revision", -1))
                await development.approve(
                    session, plan, revision, context.settings, context.clock.now()
                )
    except flow.Refused as refused:
        await refuse_press(update, context, refused)
        return
    if confirmed is None:
        await confirm.refuse(update, context, _("/rencana shows the plans of your team."))
        return
    await common.answer_query(update)
    token = plan.token if plan is not None else ""
    await common.edit_or_send(
        update,
        _("Approved. The plan's owner has been told."),
        InlineKeyboardMarkup([coach_button(_, token)]) if token else None,
    )


async def cancel_approval(update: Update, context: BotContext) -> None:
    """``dv:x:<nonce>``: voids the confirmation; nothing is approved."""
    await confirm.discard(update, context, APPROVE)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_or_send(
        update, _("Nothing was approved. /rencana shows the plan again."), None
    )


async def ask_note(update: Update, context: BotContext) -> None:
    """``dv:r|k:<token>:<rev>``: remembers which plan and revision the next typed text is a
    change request (r) or a comment (k) about, and asks for it."""
    view = await _waiting_plan(update, context)
    if view is None:
        await refuse_press(update, context, development.PlanChanged())
        return
    change = context.match.group("op") == "r"
    expect_typed_input(
        context.user_data,
        PLAN_NOTE_KEY,
        {"token": view.token, "revision": view.revision, "change": change},
    )
    _ = await context.gettext(update)
    ask = _("Type what {name} should change:") if change else _("Type your comment for {name}:")
    await common.answer_query(update)
    await context.bot.send_message(update.effective_chat.id, ask.format(name=view.employee_name))


# -- check-ins ------------------------------------------------------------------------------------


async def checkin_pressed(update: Update, context: BotContext) -> None:
    """``dc:<token>:<yyyymm>:<status>``: stores the month's answer of the ratee's approved
    plan (a month that was asked); then a short note may be typed."""
    employee_id = await active_employee_id(update, context)
    token, status = context.match.group("token"), context.match.group("status")
    month = _month(context.match.group("month"))
    stored = False
    async with context.sessions.begin() as session:
        plan = await plans.own_plan(session, token, employee_id or 0)
        if plan is not None and plan.status == APPROVED and month is not None:
            stored = await plans.answer_checkin(
                session, plan.id, month, status=status, now=context.clock.now()
            )
    if not stored:
        await refuse_press(update, context, flow.Stale())
        return
    expect_typed_input(
        context.user_data, CHECKIN_NOTE_KEY, {"token": token, "month": month.isoformat()}
    )
    _ = await context.gettext(update)
    text = _("Noted: {status}. You may type a short note now (optional).").format(
        status=_(texts.CHECKIN_TEXT[status])
    )
    await common.answer_query(update)
    await common.edit_or_send(update, text, None)


# -- typed notes ----------------------------------------------------------------------------------


async def _plan_note(update: Update, context: BotContext, wanted: dict, text: str) -> str:
    employee_id = await active_employee_id(update, context)
    _ = await context.gettext(update)
    async with context.sessions.begin() as session:
        plan = await plans.supervised_plan(session, str(wanted["token"]), employee_id or 0)
        if plan is None:
            raise flow.Stale()
        await development.answer_with_note(
            session,
            plan,
            int(wanted["revision"]),
            text,
            change=bool(wanted["change"]),
            settings=context.settings,
            now=context.clock.now(),
        )
    return _("Sent to the plan's owner.")


async def _checkin_note(update: Update, context: BotContext, wanted: dict, text: str) -> str:
    employee_id = await active_employee_id(update, context)
    _ = await context.gettext(update)
    async with context.sessions.begin() as session:
        plan = await plans.own_plan(session, str(wanted["token"]), employee_id or 0)
        month = date.fromisoformat(str(wanted["month"]))
        if plan is None or not await plans.answer_checkin(
            session, plan.id, month, note=text, now=context.clock.now()
        ):
            raise flow.Stale()
    return _("Note saved.")


async def handle_typed(update: Update, context: BotContext) -> bool:
    """A message that is a supervisor's note or a check-in note asked for: consume it."""
    data = context.user_data
    message = update.effective_message
    if data is None or message is None or not common.is_private_text(update):
        return False
    key = next((k for k in (PLAN_NOTE_KEY, CHECKIN_NOTE_KEY) if k in data), None)
    if key is None:
        return False
    _ = await context.gettext(update)
    text = " ".join((message.text or "").split())
    if not NOTE_MIN <= len(text) <= NOTE_MAX:
        await message.reply_text(NoteLength(low=NOTE_MIN, high=NOTE_MAX).translated(_))
        return True
    wanted = data.pop(key)
    handler = _plan_note if key == PLAN_NOTE_KEY else _checkin_note
    try:
        answer = await handler(update, context, wanted, text)
    except flow.Refused as refused:
        answer = refused.translated(_)
    await message.reply_text(answer)
    return True


async def forged_press(update: Update, context: BotContext) -> None:
    """Any other ``dv:`` or ``dc:`` data: a short notice, nothing stored."""
    await refuse_press(update, context, flow.Stale())


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(view_plan, pattern=PATTERN_VIEW),
    CallbackQueryHandler(ask_approval, pattern=PATTERN_APPROVE),
    CallbackQueryHandler(ask_note, pattern=PATTERN_NOTE),
    CallbackQueryHandler(approve_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(cancel_approval, pattern=PATTERN_NO),
    CallbackQueryHandler(checkin_pressed, pattern=PATTERN_CHECKIN),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY_REVIEW),
    CallbackQueryHandler(forged_press, pattern=PATTERN_ANY_CHECKIN),
]
