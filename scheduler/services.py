"""The services the composition root builds once and hands down.

``bot/app.py`` builds one `Services` per Application (settings, the session
factory, the clock, the outbox sender and the job runner) and puts it into
``bot_data`` under `SERVICES_KEY`, the way python-telegram-bot's rules-bot keeps
its services there; handlers reach it through ``context.services``
(``handlers/context.py``), jobs get what they need in their `JobContext`.
Nothing below the composition root looks settings or sessions up on its own.

The sender and the runner are typed loosely here on purpose: they live in
sibling modules that must not import this one back (no cycles).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from bot.core.clock import Clock
from bot.core.settings import Settings
from storage.db import SessionFactory

log = logging.getLogger(__name__)

SERVICES_KEY = "ulasan"


@dataclass
class Services:
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    engine: Any = None  # the AsyncEngine the root opened (closed in post_shutdown), if any
    sender: Any = None  # scheduler.sender.OutboxSender
    runner: Any = None  # scheduler.runner.JobRunner
    reachability: Any = None  # scheduler.sender.Reachability
    # Per-feature state of this process (e.g. the low-score alert trigger's run flags).
    state: dict[str, Any] = field(default_factory=dict)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def wake(self) -> None:
        """Tell this process's outbox sender to claim now (after a committed enqueue)."""
        if self.sender is not None:
            self.sender.wake()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run ``work`` in the background; `drain` waits for what is still running."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait for background work (shutdown), cancelling what outlasts ``timeout``."""
        tasks = [task for task in self._tasks if not task.done()]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def services_of(application: Any) -> Services:
    """The services of a python-telegram-bot Application (anything with ``bot_data``)."""
    return application.bot_data[SERVICES_KEY]
