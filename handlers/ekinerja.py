"""``/ekinerja``: a supervisor gets the ready-to-paste e-Kinerja text of their subordinates.

BKN's e-Kinerja has no API (``scheduler/ekinerja_export.py``): a supervisor
pastes the text per subordinate. ``/ekinerja`` asks for the period whose cards
were built last, ``/ekinerja YYYY-MM`` for another; only the cards the roster
made this person the supervisor of are used (each block an audited view of
that card). The blocks go through the outbox, one message per subordinate,
so a large team does not run into Telegram's per-chat limit; the request's
update id is in their dedupe keys, so Telegram delivering the command twice
sends them once, and asking again later sends them again. A period with no
card of theirs gets the periods that have some, or why there are none.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.core.clock import local_day
from bot.core.i18n import Translate
from handlers import common
from handlers.context import BotContext
from scheduler import ekinerja_export
from scheduler.scoring.performance_periods import closed_period, parse_period
from storage import feedback_cards as cards
from storage.directory import employee_by_telegram

log = logging.getLogger(__name__)

PERIODS_LISTED = 6


async def ekinerja(update: Update, context: BotContext) -> None:
    """``/ekinerja [YYYY-MM]``: queue the text blocks of the period's cards this person holds."""
    _ = await context.gettext(update)
    message = update.effective_message
    settings = context.settings
    now = context.clock.now()
    args = context.args or []
    try:
        if args:
            period = parse_period(args[0], settings.feedback_cadence_months)
        else:
            period = closed_period(local_day(now, settings.tz), settings.feedback_cadence_months)
    except ValueError:
        await message.reply_text(
            _("Write the period as YYYY-MM, for example /ekinerja {example}.").format(
                example=closed_period(
                    local_day(now, settings.tz), settings.feedback_cadence_months
                ).label
            )
        )
        return
    async with context.sessions.begin() as session:
        me = await employee_by_telegram(session, update.effective_user.id)
        if me is None:
            count, held = 0, None
        else:
            count = await ekinerja_export.send_own_blocks(
                session,
                settings,
                supervisor_id=me.id,
                period=period.label,
                request=f":r{update.update_id}",
                actor=f"tg:{common.who(update, context)}",
                now=now,
            )
            held = [] if count else sorted({c.period for c in await cards.given_by(session, me.id)})
    await message.reply_text(_answer(_, period.label, count, held))
    if count:
        context.services.wake()


def _answer(_: Translate, period: str, count: int, held: list[str] | None) -> str:
    if held is None:
        return _("/ekinerja is for supervisors with a linked account (/akun shows yours).")
    if count:
        return _(
            "The e-Kinerja text for {count} subordinate(s), period {period}, is on its way: "
            "one message each, ready to paste. The recommended perilaku rating in it is only "
            "a recommendation; you decide."
        ).format(count=count, period=period)
    if not held:
        return _(
            "You hold no feedback cards yet. They come in the first working days after a "
            "period ends, one per subordinate."
        )
    return _("You hold no feedback cards for {period}. Periods with your cards: {periods}.").format(
        period=period, periods=", ".join(reversed(held[-PERIODS_LISTED:]))
    )


HANDLERS: list[BaseHandler] = [
    CommandHandler("ekinerja", ekinerja, filters=filters.ChatType.PRIVATE),
]
