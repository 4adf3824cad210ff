"""``/predikat``: a city-wide admin (BKPSDM) records, shows or removes the predikat mix that
applies (SE MenPANRB 03/2023), as ``ulasan development mix set|show|clear`` does.

Steps (`STEPS`, drawn in ``handlers/predikat_mix.mmd``): CYCLE (``/predikat`` lists
the cycles) → SCOPE (``pm:c``: what is recorded for the cycle, a button per scope:
every OPD or one OPD, and a Remove button per recorded scope) → ACHIEVEMENT (``pm:s``;
the organisation's achievement, typed) → LIMITS (the whole-percent limits in one
typed line, `scheduler.scoring.predikat_mix.parse_limits`; bad input gets the reason
and is asked again) → CONFIRM (the summary with a binding "Yes", ``pm:y:<nonce>``).
Removing: ``pm:d`` → CONFIRM_CLEAR (``pm:z:<nonce>``). ``pm:x`` cancels either.

The confirmations are `handlers.confirm`'s: stored, single-use, short-lived, bound to
this admin and to what the screen showed (the limits, and what the scope had recorded
then), so a forged, repeated or stale press records nothing. The deed is the CLI's
use case (`scheduler.predikat_mix`): audited, and for a closed cycle the heads whose
unit breaks the mix are warned at once. Every press and the confirmation check again
that the person is a city-wide admin; unit admins and others get a short notice.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers import predikat_mix_screens as screens
from handlers.context import MIX_INPUT_KEY, BotContext, expect_typed_input
from handlers.cycle_opening import end_flow
from handlers.roles import roles_here
from scheduler import predikat_mix as mix
from scheduler.scoring.predikat_mix import Limit, LimitsError, parse_limits
from scheduler.scoring.review_recommendation import Predikat
from storage import predikat_mix, review_cycles
from storage.review_cycle_types import CycleSummary
from storage.roles import HeadedUnit, scope_units
from storage.unit_admins import AdminScope

log = logging.getLogger(__name__)

STEP_CYCLE = "cycle"
STEP_SCOPE = "scope"
STEP_ACHIEVEMENT = "achievement"
STEP_LIMITS = "limits"
STEP_CONFIRM = "confirm"
STEP_CONFIRM_CLEAR = "confirm_clear"
STEPS: tuple[str, ...] = (
    STEP_CYCLE,
    STEP_SCOPE,
    STEP_ACHIEVEMENT,
    STEP_LIMITS,
    STEP_CONFIRM,
    STEP_CONFIRM_CLEAR,
)
SET_MIX = "predikat_mix_set"
CLEAR_MIX = "predikat_mix_clear"
PATTERN_YES = rf"^pm:y:{confirm.NONCE}$"
PATTERN_CLEAR_YES = rf"^pm:z:{confirm.NONCE}$"
PATTERN_NO = rf"^pm:x:{confirm.NONCE}$"
ACHIEVEMENT_MAX = 64


async def _city_admin(update: Update, context: BotContext) -> AdminScope | None:
    roles = await roles_here(update, context)
    return roles.admin if roles.is_admin and roles.admin.city_wide else None


def _actor(update: Update, context: BotContext) -> str:
    return f"telegram:{context.user_key(update)[:16]}"


async def refuse(update: Update, context: BotContext) -> None:
    """A press that is not a city-wide admin's, stale or malformed: nothing changes."""
    _ = await context.gettext(update)
    data = update.callback_query.data if update.callback_query else None
    log.warning("/predikat: refused press %r from %s", data, common.who(update, context))
    text = _("This button is no longer valid. Send /predikat again.")
    await common.answer_query(update, text, alert=True)


async def predikat(update: Update, context: BotContext) -> None:
    """``/predikat``: CYCLE, the cycles to choose from (city-wide admins only)."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    if await _city_admin(update, context) is None:
        log.info("/predikat: refused %s (not a city-wide admin)", common.who(update, context))
        await message.reply_text(
            _("Sorry, /predikat is only for city-wide administrators (BKPSDM).")
        )
        return
    async with context.sessions() as session:
        cycles = await review_cycles.list_cycles(session)
    text, markup = screens.render_cycles(cycles, _)
    await message.reply_text(text, reply_markup=markup)


async def _cycle(context: BotContext, cycle_id: int) -> CycleSummary | None:
    async with context.sessions() as session:
        cycles = await review_cycles.list_cycles(session)
    return next((c for c in cycles if c.id == cycle_id), None)


async def _units(context: BotContext, scope: AdminScope) -> tuple[HeadedUnit, ...]:
    async with context.sessions() as session:
        return await scope_units(session, scope)  # the top-level units (OPDs)


async def _chosen(update: Update, context: BotContext) -> tuple[CycleSummary, str] | None:
    """The pressed cycle and scope (``*`` or an OPD's code) if valid for a city-wide admin."""
    admin = await _city_admin(update, context)
    cycle = await _cycle(context, int(context.match.group("cycle")))
    if admin is None or cycle is None:
        return None
    value = context.match.group("scope")
    if value == "all":
        return cycle, predikat_mix.EVERY_OPD
    unit = next((u for u in await _units(context, admin) if u.id == int(value)), None)
    return (cycle, unit.code) if unit is not None else None


async def cycle_chosen(update: Update, context: BotContext) -> None:
    """``pm:c:<cycle>``: SCOPE, what is recorded (the CLI's ``mix show``) and the scopes."""
    admin = await _city_admin(update, context)
    cycle = await _cycle(context, int(context.match.group("cycle")))
    if admin is None or cycle is None:
        await refuse(update, context)
        return
    if context.user_data is not None:
        context.user_data.pop(MIX_INPUT_KEY, None)
    async with context.sessions() as session:
        recorded = await predikat_mix.recorded(session, cycle.id)
    _ = await context.gettext(update)
    text, markup = screens.render_cycle(cycle, recorded, await _units(context, admin), _)
    await common.answer_query(update)
    await common.edit_or_send(update, text, markup)


async def scope_chosen(update: Update, context: BotContext) -> None:
    """``pm:s:<cycle>:<scope>``: ACHIEVEMENT, asks for the organisation's achievement."""
    chosen = await _chosen(update, context)
    if chosen is None:
        await refuse(update, context)
        return
    cycle, scope = chosen
    end_flow(context)  # an unfinished /siklus flow must not take the achievement typed next
    expect_typed_input(
        context.user_data,
        MIX_INPUT_KEY,
        {"step": STEP_ACHIEVEMENT, "cycle": cycle.id, "scope": scope},
    )
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_or_send(update, screens.ask_achievement(cycle.name, scope, _), None)


def _reason(error: LimitsError, _: Translate) -> str:
    params = {
        key: _(value.label) if isinstance(value, Predikat) else value
        for key, value in error.params.items()
    }
    return _(error.template).format(**params)


async def handle_mix_text(update: Update, context: BotContext) -> bool:
    """Text while ACHIEVEMENT or LIMITS is awaited: stores the achievement and asks for the
    limits, or shows the summary to confirm (CONFIRM); a bad answer is told and asked again."""
    data = context.user_data
    message = update.effective_message
    if data is None or message is None or MIX_INPUT_KEY not in data:
        return False
    if not common.is_private_text(update):
        return False
    _ = await context.gettext(update)
    wanted: dict[str, Any] = data[MIX_INPUT_KEY]
    cycle = await _cycle(context, int(wanted["cycle"]))
    if await _city_admin(update, context) is None or cycle is None:
        data.pop(MIX_INPUT_KEY, None)
        await message.reply_text(_("Nothing was recorded. Send /predikat again."))
        return True
    text = " ".join((message.text or "").split())
    if wanted["step"] == STEP_ACHIEVEMENT:
        if not 1 <= len(text) <= ACHIEVEMENT_MAX:
            await message.reply_text(
                _("Please type the achievement in 1 to {most} characters.").format(
                    most=ACHIEVEMENT_MAX
                )
            )
            return True
        wanted.update(step=STEP_LIMITS, achievement=text)
        await message.reply_text(screens.ask_limits(text, _))
        return True
    try:
        limits = parse_limits(text)
    except LimitsError as error:
        await message.reply_text(screens.bad_limits(_reason(error, _), _))
        return True
    data.pop(MIX_INPUT_KEY, None)
    await _summary(update, context, cycle, str(wanted["scope"]), str(wanted["achievement"]), limits)
    return True


async def _summary(
    update: Update,
    context: BotContext,
    cycle: CycleSummary,
    scope: str,
    achievement: str,
    limits: list[Limit],
) -> None:
    """CONFIRM: the mix as it will be recorded, bound to what the scope holds now."""
    async with context.sessions() as session:
        was = await mix.current(session, cycle.id, scope)
    nonce = await confirm.issue(
        update,
        context,
        SET_MIX,
        subject=f"mix:{cycle.id}:{scope}",
        payload={
            "achievement": achievement,
            "limits": [[x.predikat.value, x.min_percent, x.max_percent] for x in limits],
            "was": was,
        },
    )
    _ = await context.gettext(update)
    text, markup = screens.render_summary(
        cycle_name=cycle.name,
        closed=cycle.status != "open",
        scope=scope,
        achievement=achievement,
        limits=limits,
        was=was,
        nonce=nonce,
        _=_,
    )
    await update.effective_message.reply_text(text, reply_markup=markup)


def _subject(subject: str) -> tuple[int, str]:
    _, cycle, scope = subject.split(":", 2)
    return int(cycle), scope


async def mix_confirmed(update: Update, context: BotContext) -> None:
    """``pm:y:<nonce>``: records the mix the summary showed (audited; a closed cycle's heads
    warned now); a used, expired, forged or someone else's nonce, or a scope whose record
    changed since the summary, records nothing."""
    _ = await context.gettext(update)
    if await _city_admin(update, context) is None:
        await refuse(update, context)
        return
    now = context.clock.now()
    warned = None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, SET_MIX)
        if confirmed is not None:
            cycle_id, scope = _subject(confirmed.subject)
            cycle = await review_cycles.cycle_by_id(session, cycle_id)
            if cycle is not None and await mix.current(session, cycle_id, scope) == str(
                confirmed.payload.get("was", "")
            ):
                entry = await predikat_mix.audit(session, _actor(update, context), now)
                limits = [
                    Limit(Predikat(p), low, high) for p, low, high in confirmed.payload["limits"]
                ]
                warned = await mix.record(
                    session,
                    context.settings,
                    entry=entry,
                    cycle_id=cycle_id,
                    cycle_name=cycle.name,
                    scope=scope,
                    achievement=str(confirmed.payload["achievement"]),
                    limits=limits,
                    actor=_actor(update, context),
                    now=now,
                )
    if warned is None:
        await confirm.refuse(update, context, _("/predikat shows what is recorded now."))
        return
    done = (
        _("Recorded. {count} unit head(s) were warned now.").format(count=warned)
        if cycle is not None and cycle.closed_at is not None
        else _("Recorded. Heads are warned when the cycle closes if their unit breaks it.")
    )
    await common.answer_query(update)
    await common.edit_or_send(update, done, None)


async def clear_asked(update: Update, context: BotContext) -> None:
    """``pm:d:<cycle>:<scope>``: CONFIRM_CLEAR, what will be removed, with a binding "Yes"."""
    chosen = await _chosen(update, context)
    if chosen is None:
        await refuse(update, context)
        return
    cycle, scope = chosen
    async with context.sessions() as session:
        was = await mix.current(session, cycle.id, scope)
    if not was:
        await refuse(update, context)
        return
    nonce = await confirm.issue(
        update, context, CLEAR_MIX, subject=f"mix:{cycle.id}:{scope}", payload={"was": was}
    )
    _ = await context.gettext(update)
    text, markup = screens.render_clear(cycle.name, scope, was, nonce, _)
    await common.answer_query(update)
    await common.edit_or_send(update, text, markup)


async def clear_confirmed(update: Update, context: BotContext) -> None:
    """``pm:z:<nonce>``: removes the scope's mix if it is still the one shown (audited)."""
    _ = await context.gettext(update)
    if await _city_admin(update, context) is None:
        await refuse(update, context)
        return
    removed = None
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, CLEAR_MIX)
        if confirmed is not None:
            cycle_id, scope = _subject(confirmed.subject)
            cycle = await review_cycles.cycle_by_id(session, cycle_id)
            shown = str(confirmed.payload.get("was", ""))
            if cycle is not None and shown and await mix.current(session, cycle_id, scope) == shown:
                entry = await predikat_mix.audit(
                    session, _actor(update, context), context.clock.now()
                )
                removed = await mix.remove(
                    session, entry=entry, cycle_id=cycle_id, cycle_name=cycle.name, scope=scope
                )
    if removed is None:
        await confirm.refuse(update, context, _("/predikat shows what is recorded now."))
        return
    await common.answer_query(update)
    await common.edit_or_send(update, _("Removed. /predikat shows what is recorded now."), None)


async def cancel(update: Update, context: BotContext) -> None:
    """``pm:x:<nonce>``: voids the confirmation; nothing is recorded or removed."""
    await confirm.discard(update, context, SET_MIX)
    await confirm.discard(update, context, CLEAR_MIX)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_or_send(
        update, _("Nothing was changed. Send /predikat to start again."), None
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler(["predikat", "mix"], predikat),
    CallbackQueryHandler(cycle_chosen, pattern=screens.PATTERN_CYCLE),
    CallbackQueryHandler(scope_chosen, pattern=screens.PATTERN_SCOPE),
    CallbackQueryHandler(clear_asked, pattern=screens.PATTERN_CLEAR),
    CallbackQueryHandler(mix_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(clear_confirmed, pattern=PATTERN_CLEAR_YES),
    CallbackQueryHandler(cancel, pattern=PATTERN_NO),
    CallbackQueryHandler(refuse, pattern=screens.PATTERN_ANY),
]
