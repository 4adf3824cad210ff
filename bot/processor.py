"""Update processor: different chats in parallel, one chat strictly in order.

PTB's ``concurrent_updates(True)`` lets two presses of the same user race
inside a ConversationHandler; serialising per (chat, user) keeps every
conversation sequential while other users are served concurrently. Each update
is handled inside its own reply window: the retries of its replies share one
short budget (``scheduler/reply_request.py``), and a retry's wait holds up
only this chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from scheduler.reply_request import reply_window

Listener = Callable[[object], None]


def _key(update: object) -> tuple[int | None, int | None]:
    if isinstance(update, Update):
        chat = update.effective_chat
        user = update.effective_user
        return (chat.id if chat else None, user.id if user else None)
    return (None, None)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[tuple[int | None, int | None], asyncio.Lock] = {}
        self._waiting: dict[tuple[int | None, int | None], int] = {}
        self.listeners: list[Listener] = []

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                with reply_window():  # one retry budget per update (scheduler.reply_request)
                    await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:
                del self._waiting[key]
                self._locks.pop(key, None)
            for listener in self.listeners:
                listener(update)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        self._locks.clear()
        self._waiting.clear()
