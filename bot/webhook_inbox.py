"""Webhook updates: stored on receipt, applied once each, one chat at a time and in order.

Telegram retries a webhook it got no 200 for, and with several workers behind a
proxy two updates of one chat may reach two workers at once. So a worker
(``bot/webhook_server.py``) answers 200 only after `WebhookInbox.receive` has
committed the update to the ``webhook_inbox`` table (``storage/webhook_inbox.py``),
keyed by ``update_id``: a retried webhook finds its row and is not stored again.

Applying is a per-chat loop, `WebhookInbox._drain`: take the chat's lock, apply the
chat's oldest pending update (python-telegram-bot's ``process_update``, inside one
reply window per update as the polling processor does), mark it done, release the
lock, and queue again for one of `CONCURRENT_CHATS` slots while the chat has more: a
citizen who presses as fast as the answers come cannot keep a slot from the others.
A lock alone does not order; the queue in the table does. The lock (`ChatLocks`) is
a PostgreSQL advisory lock on PostgreSQL, so two workers never apply one chat at
once, and an in-process lock on SQLite, where only one worker may run
(``bot/cli/run.py`` refuses more).

Nothing is stranded: a worker whose try-lock fails leaves the chat to the holder,
which looks for pending rows again after releasing (the failed worker's row was
committed before its try, so before the release); updates of a worker that died
mid-chat are found by every worker's sweep (`SWEEP_SECONDS`) once older than
`STALLED_AFTER`, and the dead worker's lock went with its connection.

The one window: a worker killed after an update's handler committed its writes and
sent its reply but before the row was marked done applies that update again when
the chat is resumed. Handlers are idempotent in the database (DESIGN.md: at-least-once
in, exactly-once effect), so the second application changes no stored row, but the
person may see that one reply twice. An update that was begun `MAX_ATTEMPTS` times
(it kills its worker each time) is given up, logged, so it cannot block its chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update

from bot.core.clock import Clock
from scheduler.reply_request import reply_window
from storage import advisory_locks
from storage import webhook_inbox as inbox
from storage.db import SessionFactory

log = logging.getLogger("ulasan.webhook")

MAX_ATTEMPTS = 3
STALLED_AFTER = timedelta(seconds=3)
SWEEP_SECONDS = 1.0
PRUNE_AFTER = timedelta(days=2)
# Chats applied at once by one worker: each holds a lock connection and a session.
CONCURRENT_CHATS = 16

Listener = Callable[[int], None]


class ChatLocks(Protocol):
    def held(self, chat_key: int) -> contextlib.AbstractAsyncContextManager[bool]:
        """Yield True while holding the chat's lock, False (at once) if someone holds it."""
        ...


class LocalChatLocks:
    """One worker (SQLite): the chat's lock lives in this process."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def held(self, chat_key: int) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(chat_key, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            try:
                yield True
            finally:
                self._locks.pop(chat_key, None)


class AdvisoryChatLocks:
    """Several workers (PostgreSQL): the chat's advisory lock, on a connection of its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @contextlib.asynccontextmanager
    async def held(self, chat_key: int) -> AsyncIterator[bool]:
        key = advisory_locks.fold(chat_key)
        async with self.engine.connect() as connection:
            if not await advisory_locks.try_lock(connection, advisory_locks.CHAT_NAMESPACE, key):
                yield False
                return
            try:
                yield True
            finally:
                try:
                    await advisory_locks.unlock(connection, advisory_locks.CHAT_NAMESPACE, key)
                except BaseException:
                    # Never hand a connection that may still hold the lock back to the pool.
                    await connection.invalidate()
                    raise


def chat_key_of(update: Update) -> int:
    """The chat whose updates are serialised (else the user; 0 for neither)."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return 0


class WebhookInbox:
    """Receives posted updates and applies them through ``application.process_update``."""

    def __init__(
        self,
        application: Any,
        sessions: SessionFactory,
        locks: ChatLocks,
        clock: Clock,
        *,
        concurrency: int = CONCURRENT_CHATS,
    ) -> None:
        self.application = application
        self.sessions = sessions
        self.locks = locks
        self.clock = clock
        self.listeners: list[Listener] = []  # hear of each applied update_id (tests)
        self._slots = asyncio.Semaphore(concurrency)
        self._drains: dict[int, asyncio.Task[None]] = {}
        self._again: set[int] = set()
        self._closing = False
        self._closed = asyncio.Event()

    async def receive(self, payload: dict[str, Any]) -> bool:
        """Store a posted update (committed when this returns) and start applying its chat.

        False when the update was stored before (Telegram retried the webhook).
        Raises ValueError for a body that is no update.
        """
        if not isinstance(payload.get("update_id"), int):
            raise ValueError("not a Telegram update")
        try:
            update = Update.de_json(payload, self.application.bot)
        except (TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not a Telegram update: {exc}") from None
        chat_key = chat_key_of(update)
        async with self.sessions.begin() as session:
            new = await inbox.add(
                session, update.update_id, chat_key, json.dumps(payload), self.clock.now()
            )
        self.schedule(chat_key)  # a retried one may still be pending: apply it then
        return new

    def schedule(self, chat_key: int) -> None:
        """Apply the chat's pending updates in the background (once per chat at a time)."""
        if self._closing:
            return
        running = self._drains.get(chat_key)
        if running is not None and not running.done():
            self._again.add(chat_key)  # the drain looks once more before it ends
            return
        self._drains[chat_key] = asyncio.create_task(
            self._drain(chat_key), name=f"webhook-chat:{chat_key}"
        )

    async def _drain(self, chat_key: int) -> None:
        """Apply the chat's pending updates, one per turn: after each the chat queues for a
        slot again, so a chat that keeps sending cannot starve the others."""
        try:
            while not self._closing:
                async with self._slots:
                    async with self.locks.held(chat_key) as locked:
                        more = await self._apply_next(chat_key) if locked else None
                if not locked:
                    return  # the holder looks for pending rows again after its release
                if more:
                    continue
                # Nothing left under the lock: look once more after the release (a row
                # committed by a worker whose try failed while we held the lock).
                if chat_key in self._again or await self._has_pending(chat_key):
                    self._again.discard(chat_key)
                    continue
                if chat_key not in self._again:  # (no await between this look and the end)
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            # The database went away for a moment: the sweep tries this chat again.
            log.exception("webhook: applying chat %s failed; the sweep retries it", chat_key)
        finally:
            if self._drains.get(chat_key) is asyncio.current_task():
                del self._drains[chat_key]

    async def _has_pending(self, chat_key: int) -> bool:
        async with self.sessions() as session:
            return await inbox.has_pending(session, chat_key)

    async def _apply_next(self, chat_key: int) -> bool:
        """Under the chat's lock: apply its oldest pending update and mark it done; whether
        another one is pending now."""
        async with self.sessions.begin() as session:
            row = await inbox.oldest_pending(session, chat_key)
            if row is None:
                return False
            update_id, payload = row.update_id, row.payload
            attempts = await inbox.begin_attempt(session, update_id)
        if attempts > MAX_ATTEMPTS:
            log.error("webhook: update %s failed %d times; given up", update_id, attempts - 1)
        else:
            update = Update.de_json(json.loads(payload), self.application.bot)
            with reply_window():
                await self.application.process_update(update)
        async with self.sessions.begin() as session:
            await inbox.mark_done(session, update_id, self.clock.now())
            more = await inbox.has_pending(session, chat_key)
        for listener in self.listeners:
            listener(update_id)
        return more

    async def sweep(self) -> int:
        """Schedule the chats whose pending updates wait too long (their worker died)."""
        now = self.clock.now()
        async with self.sessions() as session:
            chats = await inbox.stalled_chats(session, now - STALLED_AFTER, limit=500)
        for chat_key in chats:
            self.schedule(chat_key)
        return len(chats)

    async def prune(self) -> int:
        async with self.sessions.begin() as session:
            return await inbox.prune(session, self.clock.now() - PRUNE_AFTER)

    async def sweep_forever(self, interval: float = SWEEP_SECONDS) -> None:
        pruned_at = None
        while not self._closing:
            try:
                await self.sweep()
                now = self.clock.now()
                if pruned_at is None or now - pruned_at > timedelta(hours=1):
                    await self.prune()
                    pruned_at = now
            except Exception as exc:
                log.warning("webhook: the inbox sweep failed (%s); trying again", exc)
            # Ends early on close(): cancelling it inside a query could strand a connection.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), interval)

    async def close(self, timeout: float = 10.0) -> None:
        """Stop taking chats; let the updates in hand finish, then cancel what is left."""
        self._closing = True
        self._closed.set()
        tasks = [task for task in self._drains.values() if not task.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
