"""``/rencana`` (``/plan``): the ratee writes their development plan (IDP), one callback per step.

After a cycle closes, a ratee with results gets "Choose your development
focus" with a button (``dp:o:<token>``); ``/rencana`` shows the same plan
again. The steps (`scheduler.development_flow.STEPS`, drawn in
``handlers/development.mmd``) are stored on the plan as each answer is given,
so the screen after a restart is the one before it: FOCUS (``dp:f`` toggles a
value, ``dp:n`` goes on) → ACTIVITY (``dp:a``) → ACTION (typed) → TARGET
(``dp:t`` or a typed date) → CONFIRM (``dp:s`` submits, ``dp:c`` changes a part).

Callback data is user input: every press names the plan by its token and the
step by its operation; a press on someone else's plan, on a plan that is no
longer a draft or at another step gets a short notice and changes nothing.
Typed text reaches `handle_plan_text` through ``handlers/typed_input.py``:
at ACTION and TARGET it is the answer; at a button step (within an hour of the
last answer) it gets "please use the buttons"; a photo or sticker where text
is expected gets "please type".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import format_day, local_day
from bot.core.i18n import N_, gettext_for
from handlers import common
from handlers import development_screens as screens
from handlers.context import BotContext
from handlers.cycle_opening import parse_typed_date
from scheduler import development_flow as flow
from scheduler.development import submit_plan
from scheduler.scoring.development_focus import add_months
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT, get_instrument
from storage import development_plans as plans
from storage.development_models import DevelopmentPlan
from storage.development_plans import PlanView, Reader
from storage.directory import employee_by_telegram

log = logging.getLogger(__name__)

# Text at a button step counts as a mistaken answer for this long after the last answer.
BUTTON_STEP_WINDOW = timedelta(hours=1)

Step = Callable[[AsyncSession, DevelopmentPlan], Awaitable[None]]


def instrument_for(view: PlanView) -> Instrument:
    try:
        return get_instrument(view.instrument_code)
    except InstrumentError:
        return DEFAULT_INSTRUMENT


def _today(context: BotContext) -> date:
    return local_day(context.clock.now(), context.settings.tz)


async def active_employee_id(update: Update, context: BotContext) -> int | None:
    """The presser's own employee id when their account is linked and they are active (the
    plan screens of the ratee, the supervisor and the coach all start from it)."""
    if update.effective_user is None:
        return None
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, update.effective_user.id)
    return employee.id if employee is not None and employee.active else None


async def _screen(
    session: AsyncSession, view: PlanView, context: BotContext, language: str
) -> screens.Screen:
    """The plan's screen as stored, with the latest target date it may have (the
    language is read before the session: the pool may hold one connection)."""
    _ = gettext_for(language)
    today = _today(context)
    latest = await flow.target_limit(session, view.employee_id, today, context.settings)
    return screens.render(view, instrument_for(view), _, language, latest, today)


async def refuse_press(
    update: Update, context: BotContext, refused: flow.Refused, kind: str = "plan"
) -> None:
    """Answer a refused press of a plan screen with its reason, and log it (no names)."""
    _ = await context.gettext(update)
    log.info(
        "refused a %s press (%s) from %s", kind, type(refused).__name__, common.who(update, context)
    )
    await common.answer_query(update, refused.translated(_)[:200], alert=True)


async def _press(update: Update, context: BotContext, step: Step) -> None:
    """Run one step on the presser's own plan and show the plan's next screen in place."""
    employee_id = await active_employee_id(update, context)
    token = context.match.group("token")
    language = await context.language(update)
    try:
        async with context.sessions.begin() as session:
            plan = await plans.own_plan(session, token, employee_id or 0)
            if plan is None:
                raise flow.Stale()
            await step(session, plan)
            view = await plans.view_of(session, plan, Reader.OWNER)
            text, markup = await _screen(session, view, context, language)
    except flow.Refused as refused:
        await refuse_press(update, context, refused)
        return
    await common.answer_query(update)
    await common.edit_or_send(update, text, markup)


# -- the buttons -------------------------------------------------------------------------------


async def open_plan(update: Update, context: BotContext) -> None:
    """``dp:o:<token>``: stores nothing; shows the plan at its stored step."""

    async def nothing(session: AsyncSession, plan: DevelopmentPlan) -> None:
        return None

    await _press(update, context, nothing)


async def toggle_value(update: Update, context: BotContext) -> None:
    """``dp:f:<token>:<code>`` at FOCUS: stores the value chosen or removed; asks again."""
    code = context.match.group("code")

    async def step(session: AsyncSession, plan: DevelopmentPlan) -> None:
        view = await plans.view_of(session, plan, Reader.OWNER)
        instrument = instrument_for(view)
        await flow.toggle_value(session, plan, code, instrument, context.clock.now())

    await _press(update, context, step)


async def values_chosen(update: Update, context: BotContext) -> None:
    """``dp:n:<token>`` at FOCUS: stores the step; asks the first value's activity."""
    await _press(
        update,
        context,
        lambda session, plan: flow.confirm_focus(session, plan, context.clock.now()),
    )


async def activity_chosen(update: Update, context: BotContext) -> None:
    """``dp:a:<token>:<code>:<activity>`` at ACTIVITY: stores it; asks for the action."""
    code, activity = context.match.group("code"), context.match.group("activity")
    await _press(
        update,
        context,
        lambda session, plan: flow.choose_activity(
            session, plan, code, activity, context.clock.now()
        ),
    )


async def target_chosen(update: Update, context: BotContext) -> None:
    """``dp:t:<token>:<1|3|x>`` at TARGET: stores the date; shows the plan to confirm."""
    months = context.match.group("months")
    today = _today(context)
    language = await context.language(update)

    async def step(session: AsyncSession, plan: DevelopmentPlan) -> None:
        latest = await flow.target_limit(session, plan.employee_id, today, context.settings)
        day = latest if months == "x" else add_months(today, int(months))
        await _set_target(session, plan, day, context, latest, language)

    await _press(update, context, step)


async def _set_target(
    session: AsyncSession,
    plan: DevelopmentPlan,
    day: date,
    context: BotContext,
    latest: date,
    language: str,
) -> None:
    await flow.set_target(
        session,
        plan,
        day,
        today=_today(context),
        latest=latest,
        latest_text=format_day(latest, language),
        now=context.clock.now(),
    )


async def change_part(update: Update, context: BotContext) -> None:
    """``dp:c:<token>:<part>`` at CONFIRM: goes back to FOCUS, ACTIVITY or TARGET."""
    part = context.match.group("part")
    await _press(
        update, context, lambda session, plan: flow.change(session, plan, part, context.clock.now())
    )


async def submit(update: Update, context: BotContext) -> None:
    """``dp:s:<token>`` at CONFIRM: checks the plan is complete and its date allowed, stores
    it as submitted and queues it for the supervisor (`scheduler.development.submit`)."""
    today = _today(context)
    language = await context.language(update)

    async def step(session: AsyncSession, plan: DevelopmentPlan) -> None:
        latest = await flow.target_limit(session, plan.employee_id, today, context.settings)
        await flow.ready_to_submit(
            session, plan, today=today, latest=latest, latest_text=format_day(latest, language)
        )
        await submit_plan(session, plan, context.settings, context.clock.now())

    await _press(update, context, step)


async def forged_press(update: Update, context: BotContext) -> None:
    """Any other ``dp:`` data: a short notice, nothing stored."""
    await refuse_press(update, context, flow.Stale())


# -- /rencana -------------------------------------------------------------------------------------


async def rencana(update: Update, context: BotContext) -> None:
    """``/rencana``: the person's latest plan at its step (or as submitted), and the plans
    they read as a supervisor or coach."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    _ = await context.gettext(update)
    language = await context.language(update)
    employee_id = await active_employee_id(update, context)
    if employee_id is None:
        await update.effective_message.reply_text(
            _("This Telegram account is not linked to an employee. Link it with /akun first.")
        )
        return
    async with context.sessions() as session:
        view = await plans.latest_own(session, employee_id)
        screen = await _screen(session, view, context, language) if view is not None else None
        others = await plans.others_plans(session, employee_id)
    if screen is None:
        text = _(
            "You have no development plan yet: one is offered when a 360° cycle closes "
            "with your results."
        )
        await update.effective_message.reply_text(text)
    else:
        await update.effective_message.reply_text(screen[0], reply_markup=screen[1])
    if others:
        text, markup = screens.others_screen(others, _)
        await update.effective_message.reply_text(text, reply_markup=markup)


# -- typed input ----------------------------------------------------------------------------------


async def _typed(
    session: AsyncSession,
    plan: DevelopmentPlan,
    text: str,
    context: BotContext,
    language: str,
) -> None:
    """ACTION: stores the action; TARGET: stores a typed date (the step checks both)."""
    now = context.clock.now()
    if plan.step == flow.STEP_ACTION:
        await flow.write_action(session, plan, text, now)
        return
    if plan.step == flow.STEP_TARGET:
        day = parse_typed_date(text)
        if day is None:
            raise NotADate()
        latest = await flow.target_limit(
            session, plan.employee_id, _today(context), context.settings
        )
        await _set_target(session, plan, day, context, latest, language)
        return
    raise UseButtons()


class NotADate(flow.Refused):
    template = N_("That is not a date. Type it as YYYY-MM-DD, or choose a button.")


class UseButtons(flow.Refused):
    template = N_("Please use the buttons of your plan's last message.")


class TypeText(flow.Refused):
    template = N_("Please type the answer as text.")


async def handle_plan_text(update: Update, context: BotContext) -> bool:
    """A message from an employee with a draft plan waiting for it: consume it (True).

    At ACTION or TARGET always; at a button step only within `BUTTON_STEP_WINDOW`
    of the last answer. The answer is stored, or refused with the reason and the
    step asked again, as a new message.
    """
    message = update.effective_message
    if message is None or not common.is_private_text(update):
        return False
    employee_id = await active_employee_id(update, context)
    if employee_id is None:
        return False
    since = context.clock.now() - BUTTON_STEP_WINDOW
    language = await context.language(update)
    async with context.sessions() as session:
        waiting = await plans.typing_draft(session, employee_id, since)
    if waiting is None:
        return False
    lead = None
    try:
        async with context.sessions.begin() as session:
            plan = await plans.own_plan(session, waiting.token, employee_id)
            if plan is None:
                raise flow.Stale()
            if not message.text:
                raise TypeText()
            await _typed(session, plan, message.text, context, language)
    except flow.Refused as refused:
        lead = refused.translated(gettext_for(language))
    async with context.sessions() as session:
        plan = await plans.own_plan(session, waiting.token, employee_id)
        if plan is None:
            return True
        view = await plans.view_of(session, plan, Reader.OWNER)
        text, markup = await _screen(session, view, context, language)
    if lead:
        text = f"{lead}\n\n{text}"
    await message.reply_text(text, reply_markup=markup)
    return True


HANDLERS: list[BaseHandler] = [
    CommandHandler(["rencana", "plan"], rencana),
    CallbackQueryHandler(open_plan, pattern=screens.PATTERN_OPEN),
    CallbackQueryHandler(toggle_value, pattern=screens.PATTERN_TOGGLE),
    CallbackQueryHandler(values_chosen, pattern=screens.PATTERN_NEXT),
    CallbackQueryHandler(activity_chosen, pattern=screens.PATTERN_ACTIVITY),
    CallbackQueryHandler(target_chosen, pattern=screens.PATTERN_TARGET),
    CallbackQueryHandler(change_part, pattern=screens.PATTERN_CHANGE),
    CallbackQueryHandler(submit, pattern=screens.PATTERN_SUBMIT),
    CallbackQueryHandler(forged_press, pattern=screens.PATTERN_ANY),
]
