"""``/siklus`` → "Open a new cycle": a short guided flow, one callback per step.

The steps (`STEPS`, drawn in ``handlers/cycle_opening.mmd``), one message
each: NAME (typed) → DEADLINE (+7/+14/+30 days, or typed as YYYY-MM-DD) →
SCOPE (all units or one unit with its sub-units, chosen or typed as a code) →
CONFIRM (what would be created: employees, reviews, raters) → open. Max peers
and self-assessment use the defaults; ``ulasan cycle open`` has the options.
A refused confirmation (a name taken meanwhile, a deadline now past, a unit
without employees) goes back to the step that can fix it.

Flow state lives in ``context.user_data[FLOW_KEY]`` (admins only): the step,
the nonce carried by the flow's buttons, and the answers so far. Every press
is checked against it (same nonce, same step), so stale or repeated presses
get a short notice and change nothing. Nothing is written until the admin
confirms, so losing it (a restart; it expires after `FLOW_TTL` of
inactivity; ``/siklus`` starts over) only means starting the flow again.
Typed steps need the shared text router to call `handle_admin_text` first:
it returns True when it consumed the message. Screens are drawn in
``handlers/cycles_screens.py``; the guards are ``handlers/cycles_admin.py``'s.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.clock import format_day, local_day
from handlers import common
from handlers import cycles_screens as screens
from handlers.context import BotContext
from handlers.cycles_admin import (
    FLOW_KEY,
    actor,
    admin_only,
    end_flow,
    forged_press,
    list_view,
    notice,
)
from scheduler.consultations import open_consultation
from scheduler.cycles import open_cycle
from storage import review_cycles
from storage.consultation_types import ConsultationExists
from storage.crypto import new_token
from storage.review_cycle_types import (
    CycleError,
    CycleExists,
    DeadlineInPast,
    InvalidName,
    NoEmployees,
    UnknownUnit,
)

log = logging.getLogger(__name__)

# -- the steps --------------------------------------------------------------------------------
STEP_NAME = "name"
STEP_DEADLINE = "deadline"
STEP_SCOPE = "scope"
STEP_CONFIRM = "confirm"
STEPS: tuple[str, ...] = (STEP_NAME, STEP_DEADLINE, STEP_SCOPE, STEP_CONFIRM)
FLOW_TTL = timedelta(minutes=30)
# Where a refused confirmation sends the admin back to.
_RETRY_STEP: dict[type[CycleError], str] = {
    CycleExists: STEP_NAME,
    InvalidName: STEP_NAME,
    DeadlineInPast: STEP_DEADLINE,
    UnknownUnit: STEP_SCOPE,
    NoEmployees: STEP_SCOPE,
    ConsultationExists: STEP_NAME,
}

Flow = dict[str, Any]

# -- the flow state ------------------------------------------------------------------------------


def _flow(context: BotContext) -> Flow | None:
    """The admin's unfinished opening flow, or None (expired flows are dropped)."""
    data = context.user_data
    if data is None:
        return None
    flow = data.get(FLOW_KEY)
    if not isinstance(flow, dict):
        return None
    touched = flow.get("touched")
    if not isinstance(touched, datetime) or context.clock.now() - touched > FLOW_TTL:
        data.pop(FLOW_KEY, None)
        return None
    return flow


def _new_flow(context: BotContext) -> Flow:
    flow: Flow = {
        "nonce": new_token(6),  # 8 characters
        "step": STEP_NAME,
        "name": None,
        "deadline": None,
        "unit_code": None,
        "message_id": None,
        "touched": context.clock.now(),
    }
    if context.user_data is not None:
        context.user_data[FLOW_KEY] = flow
    return flow


def _flow_for_press(context: BotContext, step: str) -> Flow | None:
    """The flow a flow button belongs to, if it is current and at ``step``."""
    flow = _flow(context)
    if flow is None or flow["nonce"] != context.match.group("nonce") or flow["step"] != step:
        return None
    flow["touched"] = context.clock.now()
    return flow


def _today(context: BotContext) -> date:
    return local_day(context.clock.now(), context.settings.tz)


# -- showing a step --------------------------------------------------------------------------------


async def _render_step(
    update: Update, context: BotContext, flow: Flow, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The current step of ``flow`` (the confirmation may fall back to an earlier step)."""
    _ = await context.gettext(update)
    language = await context.language(update)
    step = flow["step"]
    if step == STEP_NAME:
        return screens.render_name_step(flow, _)
    if step == STEP_DEADLINE:
        return screens.render_deadline_step(flow, _, language, _today(context))
    if step == STEP_SCOPE:
        async with context.sessions() as session:
            units = await review_cycles.list_units(session)
        return screens.render_scope_step(flow, _, units, page)
    try:
        async with context.sessions() as session:
            preview = await review_cycles.preview_cycle(session, unit_code=flow["unit_code"])
    except CycleError as exc:  # e.g. the unit lost its last active employee meanwhile
        flow["step"] = _RETRY_STEP.get(type(exc), STEP_SCOPE)
        text, markup = await _render_step(update, context, flow)
        return f"{exc.translated(_)}\n\n{text}", markup
    return screens.render_confirm_step(flow, preview, _, language)


async def _show_step_in_place(
    update: Update, context: BotContext, flow: Flow, lead: str | None = None, page: int = 0
) -> None:
    text, markup = await _render_step(update, context, flow, page)
    if lead:
        text = f"{lead}\n\n{text}"
    shown = await common.edit_or_send(update, text, markup)
    flow["message_id"] = shown.message_id


async def _send_step(
    update: Update, context: BotContext, flow: Flow, lead: str | None = None
) -> None:
    """The step as a new message below the admin's typed text; the old one loses its buttons."""
    text, markup = await _render_step(update, context, flow)
    if lead:
        text = f"{lead}\n\n{text}"
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, text, reply_markup=markup)
    old = flow.get("message_id")
    flow["message_id"] = sent.message_id
    if old != sent.message_id:
        await common.remove_keyboard(context, chat_id, old)


async def _move_to(update: Update, context: BotContext, flow: Flow, step: str) -> None:
    """Store the flow at ``step`` and ask it, in the pressed message."""
    await common.answer_query(update)
    flow["step"] = step
    await _show_step_in_place(update, context, flow)


# -- the steps' buttons -------------------------------------------------------------------------


@admin_only
async def start_new(update: Update, context: BotContext) -> None:
    """``cy:n``: stores a new flow at NAME (any earlier flow is replaced) and asks for the
    cycle's name."""
    await common.answer_query(update)
    flow = _new_flow(context)
    await _show_step_in_place(update, context, flow)


@admin_only
async def deadline_chosen(update: Update, context: BotContext) -> None:
    """``cy:d:<nonce>:<days>`` at DEADLINE: stores today + days and asks for the scope."""
    flow = _flow_for_press(context, STEP_DEADLINE)
    days = int(context.match.group("days"))
    if flow is None or days not in screens.DEADLINE_DAYS:
        await notice(update, context)
        return
    flow["deadline"] = (_today(context) + timedelta(days=days)).isoformat()
    await _move_to(update, context, flow, STEP_SCOPE)


@admin_only
async def unit_page(update: Update, context: BotContext) -> None:
    """``cy:p:<nonce>:<page>`` at SCOPE: stores nothing; shows another page of units."""
    flow = _flow_for_press(context, STEP_SCOPE)
    if flow is None:
        await notice(update, context)
        return
    await common.answer_query(update)
    await _show_step_in_place(update, context, flow, page=int(context.match.group("page")))


@admin_only
async def scope_all(update: Update, context: BotContext) -> None:
    """``cy:a:<nonce>`` at SCOPE: stores "everyone takes part" and asks to confirm."""
    flow = _flow_for_press(context, STEP_SCOPE)
    if flow is None:
        await notice(update, context)
        return
    flow["unit_code"] = None
    await _move_to(update, context, flow, STEP_CONFIRM)


@admin_only
async def scope_unit(update: Update, context: BotContext) -> None:
    """``cy:u:<nonce>:<unit id>`` at SCOPE: stores one unit with its sub-units (the unit
    must exist) and asks to confirm."""
    flow = _flow_for_press(context, STEP_SCOPE)
    unit = None
    if flow is not None:
        async with context.sessions() as session:
            unit = await review_cycles.unit_by_id(session, int(context.match.group("id")))
    if flow is None or unit is None:
        await notice(update, context)
        return
    flow["unit_code"] = unit.code
    await _move_to(update, context, flow, STEP_CONFIRM)


@admin_only
async def confirm_open(update: Update, context: BotContext) -> None:
    """``cy:ok:<nonce>`` at CONFIRM: opens the cycle and ends the flow (a second tap finds
    no flow); a refusal goes back to the step that can fix it."""
    flow = _flow_for_press(context, STEP_CONFIRM)
    if flow is None:
        await notice(update, context)
        return
    _ = await context.gettext(update)
    who = actor(update, context)
    try:
        async with context.sessions.begin() as session:
            opened = await open_cycle(
                session,
                name=flow["name"],
                deadline=date.fromisoformat(flow["deadline"]),
                unit_code=flow["unit_code"],
                actor=who,
                now=context.clock.now(),
                settings=context.settings,
            )
    except CycleError as exc:
        await common.answer_query(update)
        flow["step"] = _RETRY_STEP.get(type(exc), STEP_NAME)
        await _show_step_in_place(update, context, flow, lead=exc.translated(_))
        return
    end_flow(context)
    log.info("cycle %s opened from Telegram by %s", opened.name, who)
    await common.answer_query(update)
    text, markup = screens.render_opened(opened, _)
    await common.edit_or_send(update, text, markup)


@admin_only
async def confirm_consult(update: Update, context: BotContext) -> None:
    """``cy:kc:<nonce>`` at CONFIRM: instead of the cycle, opens a consultation on example
    behaviours under the cycle's name and scope (``CONSULTATION_DAYS``) and ends the flow;
    a refusal goes back to the step that can fix it."""
    flow = _flow_for_press(context, STEP_CONFIRM)
    if flow is None:
        await notice(update, context)
        return
    _ = await context.gettext(update)
    who = actor(update, context)
    try:
        async with context.sessions.begin() as session:
            opened = await open_consultation(
                session,
                name=flow["name"],
                unit_code=flow["unit_code"],
                days=context.settings.consultation_days,
                actor=who,
                now=context.clock.now(),
                settings=context.settings,
            )
    except CycleError as exc:
        await common.answer_query(update)
        flow["step"] = _RETRY_STEP.get(type(exc), STEP_NAME)
        await _show_step_in_place(update, context, flow, lead=exc.translated(_))
        return
    end_flow(context)
    log.info("consultation %s opened from Telegram by %s", opened.name, who)
    await common.answer_query(update)
    language = await context.language(update)
    until = format_day(opened.closes_at.astimezone(context.settings.tz).date(), language)
    text, markup = screens.render_consultation_opened(opened, _, until)
    await common.edit_or_send(update, text, markup)


@admin_only
async def cancel_flow(update: Update, context: BotContext) -> None:
    """``cy:x:<nonce>``: drops the flow (nothing was written) and shows the list."""
    flow = _flow(context)
    if flow is None or flow["nonce"] != context.match.group("nonce"):
        await notice(update, context)
        return
    end_flow(context)
    await common.answer_query(update)
    _ = await context.gettext(update)
    lead = _("No cycle was opened.")
    text, markup = await list_view(update, context)
    await common.edit_or_send(update, f"{lead}\n\n{text}", markup)


# -- typed input ---------------------------------------------------------------------------------

_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})$"),
)


def parse_typed_date(text: str) -> date | None:
    """YYYY-MM-DD, or the Indonesian habit DD-MM-YYYY / DD/MM/YYYY; None if not a date."""
    for pattern in _DATE_FORMATS:
        found = pattern.match(text.strip())
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError:
                return None
    return None


async def _typed_name(update: Update, context: BotContext, flow: Flow, text: str) -> None:
    """NAME, typed: stores a valid name not taken yet and asks for the deadline."""
    _ = await context.gettext(update)
    try:
        name = review_cycles.clean_name(text)
        async with context.sessions() as session:
            if await review_cycles.name_taken(session, name):
                raise CycleExists(name=name)
    except CycleError as exc:
        await _send_step(update, context, flow, lead=exc.translated(_))
        return
    flow["name"] = name
    flow["step"] = STEP_DEADLINE
    await _send_step(update, context, flow)


async def _typed_deadline(update: Update, context: BotContext, flow: Flow, text: str) -> None:
    """DEADLINE, typed: stores a date from today on and asks for the scope."""
    _ = await context.gettext(update)
    day = parse_typed_date(text)
    if day is None:
        lead = _("“{text}” is not a date. Type it as YYYY-MM-DD, or choose a button.").format(
            text=text[:40]
        )
        await _send_step(update, context, flow, lead=lead)
        return
    if day < _today(context):
        await _send_step(
            update, context, flow, lead=DeadlineInPast(deadline=day.isoformat()).translated(_)
        )
        return
    flow["deadline"] = day.isoformat()
    flow["step"] = STEP_SCOPE
    await _send_step(update, context, flow)


async def _typed_unit(update: Update, context: BotContext, flow: Flow, text: str) -> None:
    """SCOPE, typed: stores a known unit code and asks to confirm."""
    _ = await context.gettext(update)
    try:
        async with context.sessions() as session:
            unit = await review_cycles.unit_by_code(session, text[:32])
    except CycleError as exc:
        await _send_step(update, context, flow, lead=exc.translated(_))
        return
    flow["unit_code"] = unit.code
    flow["step"] = STEP_CONFIRM
    await _send_step(update, context, flow)


async def _typed_at_confirm(update: Update, context: BotContext, flow: Flow, text: str) -> None:
    """CONFIRM takes buttons only: stores nothing and asks again."""
    _ = await context.gettext(update)
    await _send_step(
        update, context, flow, lead=_("Please use the buttons: open the cycle, or cancel.")
    )


_TYPED_STEPS = {
    STEP_NAME: _typed_name,
    STEP_DEADLINE: _typed_deadline,
    STEP_SCOPE: _typed_unit,
    STEP_CONFIRM: _typed_at_confirm,
}


async def handle_admin_text(update: Update, context: BotContext) -> bool:
    """A typed message: consume it (True) when it answers an admin's /siklus flow step.

    For the shared text router, before any other feature's free-text handling.
    Returns False (and touches nothing) for everyone who is not an admin in an
    unfinished, unexpired flow in a private chat.
    """
    user = update.effective_user
    chat = update.effective_chat
    message = update.effective_message
    if user is None or chat is None or message is None or not message.text:
        return False
    if message.text.startswith("/"):  # commands are never a step's answer
        return False
    flow = _flow(context)
    if flow is None:
        return False
    if not common.is_admin_here(update, context):
        end_flow(context)  # no longer an admin: the flow must not capture their messages
        return False
    flow["touched"] = context.clock.now()
    await _TYPED_STEPS[flow["step"]](update, context, flow, message.text)
    return True


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(start_new, pattern=screens.PATTERN_NEW),
    CallbackQueryHandler(deadline_chosen, pattern=screens.PATTERN_DEADLINE),
    CallbackQueryHandler(scope_all, pattern=screens.PATTERN_SCOPE_ALL),
    CallbackQueryHandler(scope_unit, pattern=screens.PATTERN_SCOPE_UNIT),
    CallbackQueryHandler(unit_page, pattern=screens.PATTERN_UNIT_PAGE),
    CallbackQueryHandler(confirm_open, pattern=screens.PATTERN_CONFIRM),
    CallbackQueryHandler(confirm_consult, pattern=screens.PATTERN_CONSULT),
    CallbackQueryHandler(cancel_flow, pattern=screens.PATTERN_CANCEL),
    # Any other cy: data, after /siklus's own handlers (registered before) and these.
    CallbackQueryHandler(forged_press, pattern=screens.PATTERN_ANY),
]
