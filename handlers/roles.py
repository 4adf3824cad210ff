"""Who is asking: the roles of the user of an update, for the role-aware commands.

Figures and documents are shown in private chats only, so in a group everyone
is `storage.roles.NOBODY` here.
"""

from __future__ import annotations

from telegram import Update

from handlers.context import BotContext
from storage.roles import NOBODY, Roles, roles_of


async def roles_here(update: Update, context: BotContext) -> Roles:
    """The user's roles (admin scope, headed units) in a private chat; nobody elsewhere."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != chat.PRIVATE:
        return NOBODY
    async with context.sessions() as session:
        return await roles_of(session, context.settings, user.id)
