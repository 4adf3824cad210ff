"""One leader among the webhook workers: it alone runs the outbox sender and the job runner.

Telegram's 30 messages a second hold for the bot as a whole, and a job must not
run twice; so of several workers on one PostgreSQL database exactly one sends
the outbox and ticks the jobs. The leader is whoever holds a PostgreSQL advisory
lock (``storage/advisory_locks.py``) on a connection kept for that purpose. Every
worker tries to take it every `CHECK_SECONDS`; the leader checks on the same beat
that its connection still answers.

When the leader dies, the server drops its connection and the lock with it, and
the next worker's try takes it over: within `CHECK_SECONDS` plus the time the
server needs to notice (immediate for a killed process on the same network; TCP
keepalive for a vanished host). The new leader's sender first re-queues the rows
the old one left in 'sending' (``scheduler/sender.py``: at most one message, the one
in flight, is sent twice) and its runner releases the runs left 'running'.

A leader whose connection fails steps down at once (`on_deposed` stops its sender
and runner) and competes again like any other worker. A leader that is cut off
from the database but still alive (a network partition) learns it on its next
beat: until then, up to `CHECK_SECONDS`, it may still send what it had claimed
while the new leader, after its one-window pause, starts; its rows stay 'sending'
in the database and the new leader re-queues them, so such a partition can
repeat the messages of about one second, unlike a dead leader's one.

One worker on SQLite is its own leader (`AlwaysLeader`): there is nobody to elect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import advisory_locks

log = logging.getLogger("ulasan.leader")

CHECK_SECONDS = 1.0
LEADER_KEY = 1

Hook = Callable[[], Awaitable[None]]


class LeaderLock(Protocol):
    async def try_acquire(self) -> bool: ...

    async def still_held(self) -> bool: ...

    async def release(self) -> None: ...


class AlwaysLeader:
    """A single worker leads from the start."""

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLeaderLock:
    """The leader's advisory lock on a connection held while leading."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        connection = await self.engine.connect()
        try:
            taken = await advisory_locks.try_lock(
                connection, advisory_locks.LEADER_NAMESPACE, LEADER_KEY
            )
        except BaseException:
            await connection.invalidate()
            await connection.close()
            raise
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def still_held(self) -> bool:
        if self._connection is None:
            return False
        try:
            return await advisory_locks.alive(self._connection)
        except Exception as exc:
            log.error("leader: the lock's connection failed (%s); stepping down", exc)
            await self._drop()
            return False

    async def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(Exception):
            await advisory_locks.unlock(
                self._connection, advisory_locks.LEADER_NAMESPACE, LEADER_KEY
            )
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()  # the lock must not live on in the pool
            with contextlib.suppress(Exception):
                await connection.close()


class Leadership:
    """Competes for the lock; calls `on_elected` when won and `on_deposed` when lost."""

    def __init__(
        self,
        lock: LeaderLock,
        on_elected: Hook,
        on_deposed: Hook,
        *,
        interval: float = CHECK_SECONDS,
        name: str = "",
    ) -> None:
        self.lock = lock
        self.on_elected = on_elected
        self.on_deposed = on_deposed
        self.interval = interval
        self.name = name
        self.leading = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def check(self) -> bool:
        """One beat: try to lead, or make sure we still do; whether we lead now."""
        if not self.leading:
            if await self.lock.try_acquire():
                self.leading = True
                log.info("leader: %s now runs the outbox sender and the jobs", self.name)
                await self.on_elected()
        elif not await self.lock.still_held():
            self.leading = False
            await self.on_deposed()
        return self.leading

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name="leadership")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.check()
            except Exception as exc:  # the database is away: try again on the next beat
                log.warning("leader: could not check the lock (%s)", exc)
            # Ends early on stop(): a beat cancelled inside a query could strand a connection.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def stop(self) -> None:
        """Stop competing; if leading, step down (the hook stops the work) and unlock."""
        self._stopping.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self.leading:
            self.leading = False
            await self.on_deposed()
        await self.lock.release()
