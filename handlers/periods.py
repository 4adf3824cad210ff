"""``/periode``: a unit head (or an admin in scope) follows the unit's SKM periods.

The screens (`STEPS`, drawn in ``handlers/periods.mmd``): UNIT (a choice when the
person has several units: the units they head, the units of their admin scope)
→ PERIODS (the unit's periods, the latest first, each with its status: open,
waiting for the close, waiting for approval, approved vN, a pending correction
with its effect on n and the IKM) → PERIOD (the figures, the versions with their
change logs, the pending correction; buttons Per layanan and Setujui & umumkan
of `handlers.period_approval` while not approved, Terbitkan koreksi when a
correction is pending) → CORRECT (the change log that will be published, a
binding confirmation).

Nothing is typed, so nothing is kept between screens: every press names its
unit and period and is checked again (`handlers.period_approval.may_approve`:
the head of exactly that unit, or an admin whose scope covers it). Opening a
period that has ended but was not closed yet makes the close (as ``ulasan period
approve`` does), so it can be approved at once. Publishing a correction goes
through a binding confirmation (action `ACTION`) bound to the person, the
version it corrects and the digest of the live figures shown: if a response
entered or left meanwhile, or another version was published, nothing is written.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.i18n import Translate
from handlers import common, confirm
from handlers import period_approval as approval
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler import period_overview
from scheduler.messages import periods as texts
from scheduler.period_overview import APPROVED, AWAITING, UnitOverview
from scheduler.periods import (
    PeriodError,
    bring_rollup_up_to_date,
    cut_period,
    has_ended,
    publish_correction,
)
from storage import directory, periods
from storage.models import Unit
from storage.period_models import SkmPeriod
from storage.roles import HeadedUnit, scope_units

log = logging.getLogger(__name__)

STEP_UNIT = "unit"
STEP_PERIODS = "periods"
STEP_PERIOD = "period"
STEP_CORRECT = "correct"
STEPS: tuple[str, ...] = (STEP_UNIT, STEP_PERIODS, STEP_PERIOD, STEP_CORRECT)

ACTION = "period_correct"
ID = r"\d{1,9}"
PATTERN_UNIT = rf"^pe:u:(?P<unit>{ID})$"
PATTERN_PERIOD = rf"^pe:p:(?P<period>{ID}):(?P<unit>{ID})$"
PATTERN_CORRECT = rf"^pe:c:(?P<period>{ID}):(?P<unit>{ID})$"
PATTERN_YES = rf"^pe:y:{confirm.NONCE}$"
PATTERN_CANCEL = rf"^pe:n:{confirm.NONCE}$"
PATTERN_OTHER = r"^pe:"
PERIODS_SHOWN = 8


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


async def _units(update: Update, context: BotContext) -> list[HeadedUnit]:
    """The units this person may follow: those they head, then their admin scope's."""
    roles = await roles_here(update, context)
    units = list(roles.headed)
    if roles.is_admin:
        async with context.sessions() as session:
            units += [u for u in await scope_units(session, roles.admin) if u not in units]
    return units


async def periode_command(update: Update, context: BotContext) -> None:
    """``/periode``: UNIT when the person has several units, else PERIODS."""
    _ = await context.gettext(update)
    message = update.effective_message
    units = await _units(update, context)
    if not units:
        await message.reply_text(
            _(
                "/periode is for unit heads and admins: the SKM periods of a unit and "
                "approving them."
            )
        )
        return
    if len(units) > 1:
        markup = InlineKeyboardMarkup([[_button(u.code, f"pe:u:{u.id}")] for u in units])
        await message.reply_text(_("Which unit?"), reply_markup=markup)
        return
    text, markup = await _periods_screen(update, context, units[0].id)
    await message.reply_text(text, reply_markup=markup)


async def _allowed(update: Update, context: BotContext, unit_id: int) -> bool:
    return approval.may_approve(await roles_here(update, context), unit_id)


async def unit_chosen(update: Update, context: BotContext) -> None:
    """``pe:u:<unit>``: stores nothing; PERIODS of that unit."""
    unit_id = int(context.match.group("unit"))
    if not await _allowed(update, context, unit_id):
        await approval.refuse(update, context)
        return
    await common.answer_query(update)
    text, markup = await _periods_screen(update, context, unit_id)
    await common.edit_or_send(update, text, markup)


async def _overview(context: BotContext, period: SkmPeriod, unit_id: int) -> UnitOverview | None:
    """Where the unit stands in the period now (the rollup caught up first)."""
    async with context.sessions.begin() as session:
        await bring_rollup_up_to_date(session, context.settings)
    async with context.sessions() as session:
        found = await period_overview.overview(
            session, period, context.settings, context.clock.now(), unit_ids={unit_id}
        )
    return found.units[0] if found.units else None


async def _periods_screen(
    update: Update, context: BotContext, unit_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """PERIODS: the unit's periods (the latest first) with their status; an admin also
    gets a button per sub-unit (each approved on its own)."""
    _ = await context.gettext(update)
    language = await context.language(update)
    is_admin = (await roles_here(update, context)).is_admin
    async with context.sessions() as session:
        unit = await session.get(Unit, unit_id)
        listed = [
            p
            for p in await periods.list_periods(session)
            if await periods.in_scope(session, p, unit_id)
        ][:PERIODS_SHOWN]
        children = await directory.child_units(session, unit_id) if is_admin else []
    entries: list[tuple[str, UnitOverview]] = []
    buttons = []
    for period in listed:
        found = await _overview(context, period, unit_id)
        if found is not None:
            entries.append((period.name, found))
            buttons.append([_button(period.name, f"pe:p:{period.id}:{unit_id}")])
    buttons += [
        [_button(_("Sub-unit {code}").format(code=c.code), f"pe:u:{c.id}")] for c in children
    ]
    text = texts.list_text(unit.name if unit else "", entries, language)
    return text, InlineKeyboardMarkup(buttons) if buttons else None


async def _period_of(update: Update, context: BotContext) -> tuple[SkmPeriod, int] | None:
    """The period and unit a press names, if this person may follow that unit in it."""
    period_id, unit_id = int(context.match.group("period")), int(context.match.group("unit"))
    if not await _allowed(update, context, unit_id):
        return None
    async with context.sessions() as session:
        period = await session.get(SkmPeriod, period_id)
        if period is None or not await periods.in_scope(session, period, unit_id):
            return None
    return period, unit_id


async def _close_if_ended(context: BotContext, period: SkmPeriod) -> None:
    """Make the close of an ended period nobody closed yet (as the CLI's approve does)."""
    now = context.clock.now()
    if period.cut_at is not None or not has_ended(period, now, context.settings):
        return
    async with context.sessions.begin() as session:
        fresh = await session.get(SkmPeriod, period.id)
        if fresh is not None and fresh.cut_at is None:
            await cut_period(session, fresh, context.settings, now)


def _period_buttons(period: SkmPeriod, unit: UnitOverview, _: Translate) -> InlineKeyboardMarkup:
    ids = f"{period.id}:{unit.unit.id}"
    rows = [[_button(_("Per service"), f"pd:s:{ids}")]]
    if unit.state == AWAITING:
        rows[0].append(_button(_("Approve & publish"), f"pd:a:{ids}"))
    if unit.state == APPROVED and unit.pending is not None:
        rows.append([_button(_("Publish the correction"), f"pe:c:{ids}")])
    rows.append([_button(_("« Periods"), f"pe:u:{unit.unit.id}")])
    return InlineKeyboardMarkup(rows)


async def period_chosen(update: Update, context: BotContext) -> None:
    """``pe:p:<period>:<unit>``: PERIOD (the close is made first if it is due)."""
    found = await _period_of(update, context)
    if found is None:
        await approval.refuse(update, context)
        return
    period, unit_id = found
    await common.answer_query(update)
    _ = await context.gettext(update)
    language = await context.language(update)
    await _close_if_ended(context, period)
    async with context.sessions() as session:
        fresh = await session.get(SkmPeriod, period.id)
    unit = await _overview(context, fresh or period, unit_id)
    if unit is None:
        await common.edit_or_send(update, _("This unit has no services in the period."), None)
        return
    text = texts.period_view(period.name, unit, context.settings.tz, language)
    await common.edit_or_send(update, text, _period_buttons(period, unit, _))


async def correct_chosen(update: Update, context: BotContext) -> None:
    """``pe:c:<period>:<unit>``: CORRECT: the change log, with a binding Yes / Cancel."""
    found = await _period_of(update, context)
    if found is None:
        await approval.refuse(update, context)
        return
    period, unit_id = found
    await common.answer_query(update)
    _ = await context.gettext(update)
    language = await context.language(update)
    unit = await _overview(context, period, unit_id)
    if unit is None or unit.pending is None:
        text = _("Nothing to correct: the latest version equals the live figures.")
        await common.edit_or_send(update, text, None)
        return
    correction = unit.pending
    payload = {
        "period": period.id,
        "unit": unit_id,
        "from_version": correction.version,
        "live_digest": correction.live_digest,
    }
    nonce = await confirm.issue(
        update, context, ACTION, subject=approval.subject(period.id, unit_id), payload=payload
    )
    title = f"{unit.unit.name} · {period.name}"
    yes = _("Yes, publish version {version}")
    markup = InlineKeyboardMarkup(
        [
            [_button(yes.format(version=correction.version + 1), f"pe:y:{nonce}")],
            [_button(_("Cancel"), f"pe:n:{nonce}")],
        ]
    )
    await common.edit_or_send(update, texts.correction_confirm(title, correction, language), markup)


async def correct_confirmed(update: Update, context: BotContext) -> None:
    """``pe:y:<nonce>``: publishes the correction it showed as the next version (once)."""
    _ = await context.gettext(update)
    language = await context.language(update)
    roles = await roles_here(update, context)  # read before the transaction: one connection
    published, title = None, ""
    async with context.sessions.begin() as session:
        confirmed = await confirm.redeem(session, update, context, ACTION)
        if confirmed is not None:
            payload = confirmed.payload
            period = await session.get(SkmPeriod, int(payload["period"]))
            unit_id = int(payload["unit"])
            if period is not None and approval.may_approve(roles, unit_id):
                try:
                    published = await publish_correction(
                        session, period, unit_id, context.settings,
                        now=context.clock.now(), actor=approval.actor(update),
                        live_digest=str(payload["live_digest"]),
                        from_version=int(payload["from_version"]),
                    )  # fmt: skip
                    title = f"{published[1].live['unit']['name']} · {period.name}"
                except PeriodError as exc:
                    log.info("correction refused: %s", exc)
    if published is None:
        await confirm.refuse(update, context, _("Open the period again with /periode."))
        return
    version, _correction = published
    await common.answer_query(update)
    await common.edit_pressed(update, texts.correction_published(title, version.version, language))
    approval.announce(context, version.period_id, version.unit_id, version.version)


async def cancelled(update: Update, context: BotContext) -> None:
    """``pe:n:<nonce>``: voids the confirmation; nothing changed."""
    await confirm.discard(update, context, ACTION)
    _ = await context.gettext(update)
    await common.answer_query(update)
    await common.edit_pressed(update, _("Nothing was changed."))


async def other_press(update: Update, context: BotContext) -> None:
    """Any other ``pe:`` data: refused, nothing changed."""
    await approval.refuse(update, context)


HANDLERS: list[BaseHandler] = [
    CommandHandler("periode", periode_command),
    CallbackQueryHandler(unit_chosen, pattern=PATTERN_UNIT),
    CallbackQueryHandler(period_chosen, pattern=PATTERN_PERIOD),
    CallbackQueryHandler(correct_chosen, pattern=PATTERN_CORRECT),
    CallbackQueryHandler(correct_confirmed, pattern=PATTERN_YES),
    CallbackQueryHandler(cancelled, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(other_press, pattern=PATTERN_OTHER),
]
