"""Group -1, every update: who the outbox may write to again.

A user the outbox sender marked unreachable (a 403) who writes or presses
anything, or unblocks the bot, is reachable again; blocking the bot marks them
unreachable at once, before the next 403. An ordinary update costs a set
lookup in the process's `Reachability` copy, no query.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import TypeHandler

from handlers.context import BotContext
from scheduler.sender import describe
from storage import outbox

log = logging.getLogger(__name__)


async def mark_reachable(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or user.is_bot or (chat is not None and chat.type != ChatType.PRIVATE):
        return
    sessions = context.sessions
    cache = context.services.reachability
    try:
        member = update.my_chat_member
        if member is not None and member.new_chat_member.status in (
            ChatMemberStatus.BANNED,
            ChatMemberStatus.LEFT,
        ):
            # The user blocked the bot: stop queueing for them now, not at the next 403.
            async with sessions.begin() as session:
                await outbox.mark_unreachable(session, user.id)
            cache.add(user.id)
            return
        if not await cache.contains(user.id, sessions):
            return
        async with sessions.begin() as session:
            await outbox.mark_reachable(session, user.id)
        cache.discard(user.id)
        log.info("outbox: chat %s is reachable again", user.id)
    except (DBAPIError, OSError) as exc:
        # Never let bookkeeping stop the user's own update; the next one tries again.
        log.warning("outbox: could not update reachability of %s: %s", user.id, describe(exc))


HANDLERS = [TypeHandler(Update, mark_reachable)]
