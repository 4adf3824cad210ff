"""``/tim``: a unit head sees how far their team is with the 360° reviews and with feedback.

For the roster's unit heads (the employee linked to this Telegram account is a
unit's ``head_nip``), in a private chat: the team is every active employee of
the units they head and the units below them (`storage.team_progress`).
Anyone else is told who may use it. Counts and names of who still has reviews
to give, never who rated whom or what anyone answered; then the supervisors'
continuous feedback of the period whose cards were built last (cards given,
skipped, still open, dialogues, the supervisors holding open cards, and
special expectations for the year: `storage.team_feedback`), never its content.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.core.clock import local_day
from handlers import common
from handlers.context import BotContext
from handlers.roles import roles_here
from handlers.team_screens import render_team
from scheduler.scoring.performance_periods import closed_period
from storage.directory import unit_subtree_ids
from storage.team_feedback import team_feedback
from storage.team_progress import team_view

log = logging.getLogger(__name__)


async def tim(update: Update, context: BotContext) -> None:
    """``/tim``: the team's progress in the open cycles and the latest closed one."""
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    roles = await roles_here(update, context)
    if not roles.is_head:
        log.info("/tim: %s is not a unit head", common.who(update, context))
        await message.reply_text(
            _(
                "/tim is for unit heads: the employee the roster names as the head of a unit, "
                "with their Telegram account linked (/akun shows yours)."
            )
        )
        return
    async with context.sessions() as session:
        unit_ids: list[int] = []
        for unit in roles.headed:
            unit_ids += [i for i in await unit_subtree_ids(session, unit.id) if i not in unit_ids]
        view = await team_view(session, unit_ids)
        today = local_day(context.clock.now(), context.settings.tz)
        period = closed_period(today, context.settings.feedback_cadence_months)
        feedback = await team_feedback(session, unit_ids, period.label, today.year)
    language = await context.language(update)
    await message.reply_text(render_team(roles.headed, view, _, language, feedback))


HANDLERS: list[BaseHandler] = [CommandHandler(["tim", "team"], tim)]
