"""``/ikm``: a unit head reads their unit's IKM for this month, last month, a chosen month or
the days of one of the unit's SKM periods (the figures as they stand now, not a frozen
approved version), with the figures per sub-unit and per service and a chart.

For the roster's unit heads in a private chat (admins have ``/laporan``). The
numbers are the IKM report's (`scheduler.ikm_views`), the chart
`scheduler.documents.ikm_chart`. Each press is checked again: the unit must be
one the person heads, the month not in the future; anything else changes
nothing and gets a short notice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.core.clock import local_day
from handlers import common
from handlers import ikm_screens as screens
from handlers.context import BotContext
from handlers.roles import roles_here
from scheduler.documents.ikm_chart import headline, render_chart
from scheduler.ikm_views import month_span, unit_ikm
from storage import periods as periods_store
from storage.period_models import SkmPeriod

log = logging.getLogger(__name__)
FIRST_YEAR = 2000


def _today(context: BotContext) -> date:
    return local_day(context.clock.now(), context.settings.tz)


async def ikm(update: Update, context: BotContext) -> None:
    """``/ikm``: this month's figures of the unit the person heads (a choice if several)."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    roles = await roles_here(update, context)
    if not roles.is_head:
        await message.reply_text(
            _(
                "/ikm is for unit heads: the employee the roster names as the head of a unit, "
                "with their Telegram account linked. Administrators get the IKM report with "
                "/laporan."
            )
        )
        return
    today = _today(context)
    if len(roles.headed) > 1:
        units = [(unit.id, unit.code) for unit in roles.headed]
        await message.reply_text(_("Which unit?"), reply_markup=screens.unit_buttons(units, today))
        return
    await _send(update, context, roles.headed[0].id, today.year, today.month)


async def show_month(update: Update, context: BotContext) -> None:
    """``ik:<unit>:<yyyymm>``: that month's figures, if the unit is the person's own."""
    match = context.match
    unit_id, year, month = (
        int(match.group("unit")),
        int(match.group("year")),
        int(match.group("month")),
    )
    today = _today(context)
    if not await _own(update, context, unit_id) or not (
        1 <= month <= 12 and FIRST_YEAR <= year and (year, month) <= (today.year, today.month)
    ):
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update, _("Counting…"))
    await _send(update, context, unit_id, year, month)


async def choose_month(update: Update, context: BotContext) -> None:
    """``ik:c:<unit>``: the last twelve months to choose from."""
    unit_id = int(context.match.group("unit"))
    if not await _own(update, context, unit_id):
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update)
    today = _today(context)
    async with context.sessions() as session:
        periods = [
            (period.id, period.name)
            for period in await periods_store.list_periods(session)
            if period.first_day <= today and await periods_store.in_scope(session, period, unit_id)
        ]
    language = await context.language(update)
    markup = screens.month_choice(unit_id, today, _, language, periods)
    await common.edit_or_send(update, _("Choose a period or a month:"), markup, edit=False)


async def show_period(update: Update, context: BotContext) -> None:
    """``ik:p:<unit>:<period>``: the figures of an SKM period's days (as they stand now)."""
    unit_id = int(context.match.group("unit"))
    today = _today(context)
    period = None
    if await _own(update, context, unit_id):
        async with context.sessions() as session:
            period = await session.get(SkmPeriod, int(context.match.group("period")))
            if period is not None and not await periods_store.in_scope(session, period, unit_id):
                period = None
    if period is None or period.first_day > today:
        await refuse(update, context)
        return
    _ = await context.gettext(update)
    await common.answer_query(update, _("Counting…"))
    await _send_days(update, context, unit_id, period.first_day, min(period.last_day, today))


async def _own(update: Update, context: BotContext, unit_id: int) -> bool:
    roles = await roles_here(update, context)
    return any(unit.id == unit_id for unit in roles.headed)


async def _send(update: Update, context: BotContext, unit_id: int, year: int, month: int) -> None:
    """A month's chart and figures."""
    first, last = month_span(year, month, _today(context))
    await _send_days(update, context, unit_id, first, last)


async def _send_days(
    update: Update, context: BotContext, unit_id: int, first: date, last: date
) -> None:
    """The chart with the headline, then the figures with the period buttons."""
    _ = await context.gettext(update)
    language = await context.language(update)
    today = _today(context)
    figures = await unit_ikm(context.sessions, context.settings.tz, unit_id, first, last)
    chart = await asyncio.to_thread(render_chart, figures, language)
    chat = update.effective_chat
    await chat.send_photo(
        photo=chart, caption=f"{figures.name}\n{headline(figures.overall, language)}"
    )
    await chat.send_message(
        screens.render_ikm(figures, _, language),
        reply_markup=screens.period_buttons(unit_id, today, _),
    )


async def refuse(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    log.info(
        "/ikm: refused press %r from %s", update.callback_query.data, common.who(update, context)
    )
    await common.answer_query(
        update, _("This button is no longer valid. Send /ikm again."), alert=True
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler("ikm", ikm),
    CallbackQueryHandler(show_month, pattern=screens.PATTERN_MONTH),
    CallbackQueryHandler(choose_month, pattern=screens.PATTERN_CHOOSE),
    CallbackQueryHandler(show_period, pattern=screens.PATTERN_PERIOD),
    CallbackQueryHandler(refuse, pattern=screens.PATTERN_ANY),
]
