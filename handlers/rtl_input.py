"""Typed text and files for the follow-up plan flows, and the refusal of any other ``rl:``.

`handle_message` is asked first by the shared text router
(``handlers/typed_input.py``): it consumes a message only when the person has
a pending RTL step (`handlers.rtl_state`) — a head's activity, target date,
target, forum date or send-back note, an owner's batal reason or evidence —
and returns False otherwise, so every other feature sees the message as before.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers import rtl, rtl_state, rtl_tasks, rtl_verify
from handlers import rtl_screens as screens
from handlers.context import BotContext


async def handle_message(update: Update, context: BotContext) -> bool:
    """A message that answers a pending RTL step (True: consumed)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or chat.type != chat.PRIVATE:
        return False
    if message.text and message.text.startswith("/"):
        return False
    state = rtl_state.pending(context)
    if state is None:
        return False
    state["touched"] = context.clock.now()
    if await rtl_tasks.handle_input(update, context, state):
        return True
    if await rtl_verify.typed_note(update, context, state):
        return True
    return await rtl.handle_text(update, context, state)


async def stale_press(update: Update, context: BotContext) -> None:
    """Any ``rl:`` data no handler accepted (forged or from an older version)."""
    await rtl.refuse(update, context)


FALLBACKS: list[BaseHandler] = [CallbackQueryHandler(stale_press, pattern=screens.PATTERN_ANY)]
