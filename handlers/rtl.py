"""``/rtl``: a unit head draws up the follow-up plan (Rencana Tindak Lanjut) of a period.

The screens (`STEPS`, drawn in ``handlers/rtl.mmd``): PERIOD (the unit's
periods with figures) → PROPOSAL (the last plan's outcome, the three weakest
unsur with NRR and masked low-score comments) → PLAN (every line, the forum
date) → LINE (one line) → ACTIVITY (a suggestion or typed) / OWNER (a linked
employee of the unit or its sub-units) / DUE (a quarter or a typed date) /
TARGET (the suggested one or typed); from PLAN also FORUM (typed date) and ADD
(an unsur); from LINE also DROP (binding confirmation, ``handlers/rtl_verify.py``)
and VERIFY.

Every answer is written to the database at once (`storage.rtl`, each change
audited), so nothing is lost between steps. Every press names its unit, plan
or line and is checked again: the unit must be one the person heads (or lie
below one). Typed answers need the pending step of `handlers.rtl_state`;
`handle_text` consumes them for the shared text router.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import local_day
from handlers import common, rtl_state
from handlers import rtl_screens as screens
from handlers.context import BotContext
from handlers.cycle_opening import parse_typed_date
from handlers.roles import roles_here
from scheduler import rtl as plans
from scheduler.messages import rtl as texts
from scheduler.scoring.rtl_suggestions import SUGGESTIONS
from scheduler.scoring.skm import round_half_up
from storage import periods as periods_store
from storage import rtl
from storage.directory import unit_ancestor_ids
from storage.period_models import SkmPeriod
from storage.rtl import LineView
from storage.rtl_models import RtlPlan

log = logging.getLogger(__name__)

STEP_PERIOD = "period"
STEP_PROPOSAL = "proposal"
STEP_PLAN = "plan"
STEP_LINE = "line"
STEP_ACTIVITY = "activity"
STEP_OWNER = "owner"
STEP_DUE = "due"
STEP_TARGET = "target"
STEP_FORUM = "forum"
STEP_ADD = "add"
STEP_DROP = "drop"
STEP_VERIFY = "verify"
STEPS: tuple[str, ...] = (
    STEP_PERIOD,
    STEP_PROPOSAL,
    STEP_PLAN,
    STEP_LINE,
    STEP_ACTIVITY,
    STEP_OWNER,
    STEP_DUE,
    STEP_TARGET,
    STEP_FORUM,
    STEP_ADD,
    STEP_DROP,
    STEP_VERIFY,
)
PERIODS_OFFERED = 6
TYPED_MAX = 300


def actor(update: Update) -> str:
    user = update.effective_user
    return f"telegram:{user.id}" if user else "telegram"


def _today(context: BotContext) -> date:
    return local_day(context.clock.now(), context.settings.tz)


async def heads(update: Update, context: BotContext, unit_id: int) -> bool:
    """Whether the person heads this unit or a unit above it."""
    roles = await roles_here(update, context)
    if not roles.is_head:
        return False
    async with context.sessions() as session:
        above = set(await unit_ancestor_ids(session, unit_id))
    return any(unit.id in above for unit in roles.headed)


async def line_for_head(update: Update, context: BotContext, line_id: int) -> LineView | None:
    async with context.sessions() as session:
        line = await rtl.line_view(session, line_id)
    if line is None or not await heads(update, context, line.unit_id):
        return None
    return line


async def refuse(update: Update, context: BotContext) -> None:
    """A press that names nothing of this person's (forged, stale, another unit's)."""
    _ = await context.gettext(update)
    data = update.callback_query.data if update.callback_query else None
    log.info("/rtl: refused press %r from %s", data, common.who(update, context))
    await common.answer_query(
        update, _("This button is no longer valid. Send /rtl again."), alert=True
    )


# -- /rtl, PERIOD, PROPOSAL -------------------------------------------------------------------


async def rtl_command(update: Update, context: BotContext) -> None:
    """``/rtl``: the unit to plan for (a choice if several), then its periods."""
    _ = await context.gettext(update)
    message = update.effective_message
    rtl_state.clear(context)
    roles = await roles_here(update, context)
    if not roles.is_head:
        await message.reply_text(
            _(
                "/rtl is for unit heads: the follow-up plan (RTL) of a period is drawn up by "
                "the head of the unit. Owners of follow-up lines use /tugas."
            )
        )
        return
    if len(roles.headed) > 1:
        units = [(unit.id, unit.code) for unit in roles.headed]
        await message.reply_text(_("Which unit?"), reply_markup=screens.unit_choice(units))
        return
    text, markup = await _periods_screen(update, context, roles.headed[0].id)
    await message.reply_text(text, reply_markup=markup)


async def unit_chosen(update: Update, context: BotContext) -> None:
    """``rl:u:<unit>``: stores nothing; shows the unit's periods."""
    unit_id = int(context.match.group("unit"))
    if not await heads(update, context, unit_id):
        await refuse(update, context)
        return
    await common.answer_query(update)
    text, markup = await _periods_screen(update, context, unit_id)
    await common.edit_or_send(update, text, markup)


async def _periods_screen(
    update: Update, context: BotContext, unit_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """PERIOD: the unit's periods whose figures are cut (the latest first)."""
    _ = await context.gettext(update)
    found: list[tuple[int, str]] = []
    async with context.sessions() as session:
        for period in await periods_store.list_periods(session):
            if len(found) >= PERIODS_OFFERED:
                break
            if not await periods_store.in_scope(session, period, unit_id):
                continue
            if await plans.figures_of(session, period.id, unit_id) is not None:
                found.append((period.id, period.name))
    if not found:
        return (
            _(
                "No SKM period of your unit has been closed yet: a plan starts from a "
                "period's figures (after its close)."
            ),
            None,
        )
    return _("Which period is the plan for?"), screens.period_choice(unit_id, found)


async def _period_of(
    update: Update, context: BotContext, unit_id: int, period_id: int
) -> SkmPeriod | None:
    if not await heads(update, context, unit_id):
        return None
    async with context.sessions() as session:
        period = await session.get(SkmPeriod, period_id)
        if period is None or not await periods_store.in_scope(session, period, unit_id):
            return None
    return period


async def period_chosen(update: Update, context: BotContext) -> None:
    """``rl:p:<unit>:<period>[:n]``: the plan when there is one, else the PROPOSAL (``:n``,
    from a period's close message: as a new message, so the close message stays)."""
    unit_id, period_id = int(context.match.group("unit")), int(context.match.group("period"))
    period = await _period_of(update, context, unit_id, period_id)
    if period is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    rtl_state.clear(context)
    async with context.sessions() as session:
        plan = await rtl.plan_for(session, period_id, unit_id)
    new_message = context.match.group("new") is not None
    if plan is not None:
        await show_plan(update, context, plan.id, new_message=new_message)
        return
    text, markup = await proposal_screen(update, context, period, unit_id)
    await common.edit_or_send(update, text, markup, edit=not new_message)


async def proposal_screen(
    update: Update, context: BotContext, period: SkmPeriod, unit_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """PROPOSAL: the previous plan's outcome and the three weakest unsur."""
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        proposal = await plans.propose(session, period, unit_id, context.settings)
        outcome = await plans.outcome_of_previous(session, period, unit_id)
    if proposal is None:
        return _("This period has no respondents for your unit: there is nothing to plan."), None
    text = screens.proposal_text(proposal, outcome, _, language)
    return text, screens.proposal_buttons(unit_id, period.id, _)


async def start_chosen(update: Update, context: BotContext) -> None:
    """``rl:s:<unit>:<period>``: stores the plan with a line per proposed unsur (once; a
    second press finds the plan) and shows the PLAN."""
    unit_id, period_id = int(context.match.group("unit")), int(context.match.group("period"))
    period = await _period_of(update, context, unit_id, period_id)
    if period is None:
        await refuse(update, context)
        return
    async with context.sessions.begin() as session:
        proposal = await plans.propose(session, period, unit_id, context.settings)
        if proposal is None:
            plan = None
        else:
            plan, _created = await plans.start_plan(
                session, proposal, actor=actor(update), now=context.clock.now()
            )
    if plan is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    await show_plan(update, context, plan.id)


# -- PLAN, LINE -----------------------------------------------------------------------------------


async def show_plan(
    update: Update, context: BotContext, plan_id: int, *, new_message: bool = False
) -> None:
    """PLAN: every line and the forum date, with a button per line."""
    _ = await context.gettext(update)
    language = await context.language(update)
    async with context.sessions() as session:
        plan = await session.get(RtlPlan, plan_id)
        if plan is None:
            return
        period = await session.get(SkmPeriod, plan.period_id)
        lines = await rtl.plan_lines(session, plan.unit_id, plan.period_id)
        name = await plans.unit_name(session, plan.unit_id)
    text = screens.plan_text(name, period.name if period else "", plan.forum_date, lines, language)
    markup = screens.plan_buttons(plan.id, lines, _)
    await common.edit_or_send(update, text, markup, edit=not new_message)


async def show_line(
    update: Update,
    context: BotContext,
    line: LineView,
    *,
    lead: str = "",
    new_message: bool = False,
) -> None:
    """LINE: one line with its fields' buttons."""
    _ = await context.gettext(update)
    language = await context.language(update)
    text = texts.line_text(line, language)
    if lead:
        text = f"{lead}\n\n{text}"
    await common.edit_or_send(update, text, screens.line_buttons(line, _), edit=not new_message)


async def line_chosen(update: Update, context: BotContext) -> None:
    """``rl:l:<line>``: stores nothing; shows the LINE."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    if line is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    rtl_state.clear(context)
    await show_line(update, context, line)


async def edit_chosen(update: Update, context: BotContext) -> None:
    """``rl:e:<line>:<field>``: asks for ACTIVITY, OWNER, DUE or TARGET (typed answers are
    pending from now on)."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    if line is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    field = context.match.group("field")
    if field == "act":
        rtl_state.expect(context, STEP_ACTIVITY, line=line.id)
        text = _("{unsur}: choose an activity, or type your own.").format(
            unsur=texts.unsur_label(line.unsur, _)
        )
        await common.edit_or_send(update, text, screens.suggestion_buttons(line, _))
    elif field == "own":
        await _ask_owner(update, context, line)
    elif field == "due":
        rtl_state.expect(context, STEP_DUE, line=line.id)
        text = _("When is it due? Choose a quarter, or type a date (YYYY-MM-DD).")
        await common.edit_or_send(update, text, screens.quarter_buttons(line, _today(context)))
    else:
        rtl_state.expect(context, STEP_TARGET, line=line.id)
        suggestion = await _suggested_target(context, line)
        text = _("Type the target, e.g. “{example}”.").format(
            example=suggestion or "U3 NRR 2,91 → ≥ 3,10"
        )
        await common.edit_or_send(update, text, screens.target_buttons(line, suggestion))


async def _ask_owner(update: Update, context: BotContext, line: LineView) -> None:
    _ = await context.gettext(update)
    async with context.sessions() as session:
        owners = await rtl.eligible_owners(session, line.unit_id)
    if not owners:
        text = _(
            "Nobody in your unit or its sub-units has linked their Telegram account yet; "
            "a person responsible must be able to use /tugas."
        )
        await common.edit_or_send(update, text, screens.line_buttons(line, _))
        return
    rtl_state.clear(context)
    await common.edit_or_send(
        update, _("Who is responsible for this line?"), screens.owner_buttons(line, owners)
    )


async def _suggested_target(context: BotContext, line: LineView) -> str | None:
    """ "U3 NRR 2,91 → ≥ 3,10": the unsur's NRR of the period and 0,20 more (up to 4)."""
    async with context.sessions() as session:
        figures = await plans.figures_of(session, line.period_id, line.unit_id)
    if figures is None:
        return None
    nrr, _n = plans.nrr_of(figures)
    if line.unsur not in nrr:
        return None
    now = round_half_up(nrr[line.unsur], 2)
    goal = min(now + round_half_up(0.2, 2), round_half_up(4, 2))
    return f"{line.unsur} NRR {str(now).replace('.', ',')} → ≥ {str(goal).replace('.', ',')}"


async def _save(
    update: Update, context: BotContext, line_id: int, *, new_message: bool, **fields: object
) -> None:
    """Write fields of a line, end the pending step and show the LINE again."""
    _ = await context.gettext(update)
    async with context.sessions.begin() as session:
        await rtl.change_line(
            session, line_id, actor=actor(update), now=context.clock.now(), **fields
        )
    rtl_state.clear(context)
    async with context.sessions() as session:
        line = await rtl.line_view(session, line_id)
    if line is not None:
        await show_line(update, context, line, lead=_("Saved."), new_message=new_message)


async def suggestion_chosen(update: Update, context: BotContext) -> None:
    """``rl:sg:<line>:<i>`` at ACTIVITY: stores that suggestion as the activity."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    index = int(context.match.group("index"))
    options = SUGGESTIONS.get(line.unsur, ()) if line else ()
    if line is None or index >= len(options):
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    await _save(update, context, line.id, new_message=False, activity=_(options[index]))


async def owner_chosen(update: Update, context: BotContext) -> None:
    """``rl:o:<line>:<employee>`` at OWNER: stores an eligible employee as the owner."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    employee_id = int(context.match.group("employee"))
    owners: list[rtl.Owner] = []
    if line is not None:
        async with context.sessions() as session:
            owners = await rtl.eligible_owners(session, line.unit_id)
    if line is None or all(o.employee_id != employee_id for o in owners):
        await refuse(update, context)
        return
    await common.answer_query(update)
    await _save(update, context, line.id, new_message=False, owner_employee_id=employee_id)


async def quarter_chosen(update: Update, context: BotContext) -> None:
    """``rl:q:<line>:<yyyy><n>`` at DUE: stores the quarter (its last day, its label)."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    year, number = int(context.match.group("year")), int(context.match.group("number"))
    if line is None or (year, number) not in screens.next_quarters(_today(context), 8):
        await refuse(update, context)
        return
    await common.answer_query(update)
    await _save(
        update,
        context,
        line.id,
        new_message=False,
        due_date=screens.quarter_last_day(year, number),
        due_label=screens.quarter_label(year, number),
    )


async def target_chosen(update: Update, context: BotContext) -> None:
    """``rl:tg:<line>`` at TARGET: stores the suggested target."""
    line = await line_for_head(update, context, int(context.match.group("line")))
    suggestion = await _suggested_target(context, line) if line else None
    if line is None or suggestion is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    await _save(update, context, line.id, new_message=False, target=suggestion)


# -- FORUM, ADD ------------------------------------------------------------------------------------


async def _plan_for_head(update: Update, context: BotContext, plan_id: int) -> RtlPlan | None:
    async with context.sessions() as session:
        plan = await session.get(RtlPlan, plan_id)
    if plan is None or not await heads(update, context, plan.unit_id):
        return None
    return plan


async def forum_chosen(update: Update, context: BotContext) -> None:
    """``rl:f:<plan>``: asks for the FORUM date (typed), or none."""
    plan = await _plan_for_head(update, context, int(context.match.group("plan")))
    if plan is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    rtl_state.expect(context, STEP_FORUM, plan=plan.id)
    text = _(
        "On which day was the plan discussed in a Forum Konsultasi Publik? Type the date "
        "(YYYY-MM-DD)."
    )
    await common.edit_or_send(update, text, screens.forum_buttons(plan.id, _))


async def forum_cleared(update: Update, context: BotContext) -> None:
    """``rl:fx:<plan>`` at FORUM: stores no forum date; shows the PLAN."""
    plan = await _plan_for_head(update, context, int(context.match.group("plan")))
    if plan is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    async with context.sessions.begin() as session:
        stored = await session.get(RtlPlan, plan.id)
        await rtl.set_forum_date(
            session, stored, None, actor=actor(update), now=context.clock.now()
        )
    rtl_state.clear(context)
    await show_plan(update, context, plan.id)


async def add_chosen(update: Update, context: BotContext) -> None:
    """``rl:a:<plan>``: asks which unsur the new line is for (ADD)."""
    plan = await _plan_for_head(update, context, int(context.match.group("plan")))
    if plan is None:
        await refuse(update, context)
        return
    await common.answer_query(update)
    _ = await context.gettext(update)
    await common.edit_or_send(
        update, _("Which unsur is the new line for?"), screens.unsur_buttons(plan.id, _)
    )


async def unsur_chosen(update: Update, context: BotContext) -> None:
    """``rl:n:<plan>:<unsur>`` at ADD: stores a new line for the unsur; shows the LINE."""
    plan = await _plan_for_head(update, context, int(context.match.group("plan")))
    if plan is None:
        await refuse(update, context)
        return
    try:
        async with context.sessions.begin() as session:
            stored = await session.get(RtlPlan, plan.id)
            line = await rtl.add_line(
                session,
                stored,
                context.match.group("unsur"),
                actor=actor(update),
                now=context.clock.now(),
            )
    except rtl.RtlError:
        await refuse(update, context)
        return
    await common.answer_query(update)
    async with context.sessions() as session:
        view = await rtl.line_view(session, line.id)
    if view is not None:
        await show_line(update, context, view)


# -- typed answers ---------------------------------------------------------------------------------


async def _typed_activity(update: Update, context: BotContext, line: LineView, text: str) -> None:
    await _save(update, context, line.id, new_message=True, activity=text)


async def _typed_due(update: Update, context: BotContext, line: LineView, text: str) -> None:
    _ = await context.gettext(update)
    day = parse_typed_date(text)
    if day is None or day < _today(context):
        await update.effective_message.reply_text(
            _("“{text}” is not a date from today on. Type it as YYYY-MM-DD.").format(text=text[:40])
        )
        return
    await _save(update, context, line.id, new_message=True, due_date=day, due_label=None)


async def _typed_target(update: Update, context: BotContext, line: LineView, text: str) -> None:
    await _save(update, context, line.id, new_message=True, target=text)


_TYPED_LINE = {
    STEP_ACTIVITY: _typed_activity,
    STEP_DUE: _typed_due,
    STEP_TARGET: _typed_target,
}


async def _typed_forum(update: Update, context: BotContext, plan_id: int, text: str) -> None:
    _ = await context.gettext(update)
    day = parse_typed_date(text)
    if day is None or day > _today(context):
        await update.effective_message.reply_text(
            _("“{text}” is not a past date. Type it as YYYY-MM-DD.").format(text=text[:40])
        )
        return
    plan = await _plan_for_head(update, context, plan_id)
    if plan is None:
        rtl_state.clear(context)
        return
    async with context.sessions.begin() as session:
        stored = await session.get(RtlPlan, plan_id)
        await rtl.set_forum_date(session, stored, day, actor=actor(update), now=context.clock.now())
    rtl_state.clear(context)
    await show_plan(update, context, plan_id, new_message=True)


async def handle_text(update: Update, context: BotContext, state: dict[str, object]) -> bool:
    """A head's typed answer to ACTIVITY, DUE, TARGET or FORUM (True: consumed)."""
    message = update.effective_message
    step = state["step"]
    if step not in (*_TYPED_LINE, STEP_FORUM):
        return False
    _ = await context.gettext(update)
    if not message.text:
        await message.reply_text(_("Please type the answer as text, or use the buttons."))
        return True
    text = " ".join(message.text.split())
    if len(text) > TYPED_MAX:
        await message.reply_text(
            _("That is {count} characters; please keep it to {limit}.").format(
                count=len(text), limit=TYPED_MAX
            )
        )
        return True
    if step == STEP_FORUM:
        await _typed_forum(update, context, int(state["plan"]), text)  # type: ignore[arg-type]
        return True
    line = await line_for_head(update, context, int(state["line"]))  # type: ignore[arg-type]
    if line is None:
        rtl_state.clear(context)
        return False
    await _TYPED_LINE[str(step)](update, context, line, text)
    return True


HANDLERS: list[BaseHandler] = [
    CommandHandler("rtl", rtl_command),
    CallbackQueryHandler(unit_chosen, pattern=screens.PATTERN_UNIT),
    CallbackQueryHandler(period_chosen, pattern=screens.PATTERN_PERIOD),
    CallbackQueryHandler(start_chosen, pattern=screens.PATTERN_START),
    CallbackQueryHandler(line_chosen, pattern=screens.PATTERN_LINE),
    CallbackQueryHandler(edit_chosen, pattern=screens.PATTERN_EDIT),
    CallbackQueryHandler(suggestion_chosen, pattern=screens.PATTERN_SUGGESTION),
    CallbackQueryHandler(owner_chosen, pattern=screens.PATTERN_OWNER),
    CallbackQueryHandler(quarter_chosen, pattern=screens.PATTERN_QUARTER),
    CallbackQueryHandler(target_chosen, pattern=screens.PATTERN_TARGET),
    CallbackQueryHandler(forum_chosen, pattern=screens.PATTERN_FORUM),
    CallbackQueryHandler(forum_cleared, pattern=screens.PATTERN_FORUM_NONE),
    CallbackQueryHandler(add_chosen, pattern=screens.PATTERN_ADD),
    CallbackQueryHandler(unsur_chosen, pattern=screens.PATTERN_ADD_UNSUR),
]
