"""The one outbox sender: delivers queued rows within Telegram's limits, crash-safe.

Jobs and handlers queue messages with `storage.outbox.enqueue`; the sender runs
as a background task of the bot process (started in ``bot/app.py``'s
``open_resources``) and delivers them with its **own** `telegram.Bot` and
connection pool, so a large reminder run never queues in front of the
interactive replies (which go through the Application's bot, with no shared
limiter; see ../shared/ENGINEERING.md on AIORateLimiter).

Limits
    * Overall: at most ``OUTBOX_RATE_PER_SECOND`` requests in any one-second
      window *as the server sees them*. Requests are paced evenly (one every
      1/rate s) and, because they go one at a time, a request reaches the server
      between its own start and its answer; so waiting until one second has
      passed since the answer to the request ``rate`` sends back bounds every
      server-side window, whatever the network jitter. That costs one round trip
      per second (≈99% of the limit on a near link). A request that starts up
      to ``CATCH_UP`` s late (a slow commit, a busy event loop or machine) keeps
      the schedule: the missed slots are made up at no more than twice the pace,
      still within the one-second rule, instead of being lost for good (the
      outbox benchmark in BENCHMARKS.md shows the difference). After a longer
      gap (nothing to send, a 429 pause) the schedule starts again from now.
    * Per chat: the next message to a chat starts at least
      ``OUTBOX_PER_CHAT_INTERVAL_SECONDS`` after the answer to the previous one.
      The sender keeps at most one row per chat in memory; a chat's other claimed
      rows go back to the queue spread one interval apart (`storage.outbox.defer`),
      so one busy chat never holds up the rest.
    * Priority: rows are claimed and sent lowest ``priority`` first (alerts, then
      replies, notices, reminders, reports, digests), then oldest. `wake()` makes
      the sender claim at once, so an alert queued in this process overtakes the
      reminders already claimed.

Errors (matched on PTB's exception classes, never on their text)
    * 429 `RetryAfter`: nothing at all is sent for exactly ``retry_after``
      seconds from the answer; then the same row is sent again. Not counted as an
      attempt: the message was not at fault.
    * `TimedOut`, `NetworkError`, 5xx: the row is queued again after an
      exponential backoff with jitter, ``base · 2^(attempt-1)`` capped at
      ``backoff_cap`` and scaled by a random factor in [0.5, 1) (so a burst of
      failures does not come back as a burst), until ``OUTBOX_MAX_ATTEMPTS``;
      then 'failed' with the last error. Two or more such failures in a row
      (Telegram or the network is down) also pause the whole sender with the
      same backoff, so an outage does not burn every row's attempts.
    * 403 `Forbidden` (blocked, or never started the bot): the chat is marked
      unreachable and its other queued rows cancelled; `mark_reachable_callback`
      undoes that when the user writes to the bot again.
    * 400 `BadRequest` and other Telegram errors: 'failed', no retry.
    * `InvalidToken`: the row goes back untouched and the sender pauses; a
      wrong token is an operator's problem, not the message's.

Crash safety and the duplicate window
    claim (queued → sending), send, then mark (sending → sent) are separate
    short transactions, and **one request is in flight at a time**. Rows are
    claimed in batches, but a claimed row that has not been handed to HTTP yet
    is merely recovered at the next start (`recover_in_flight`), never
    duplicated. So after a SIGKILL, the restart repeats **at most one message**:
    the one whose request had reached Telegram but whose 'sent' mark had not
    been committed. (A `TimedOut` whose request did arrive is the same window at
    run time.) Concurrency is fixed at one because that is what keeps this
    window at one message; N parallel requests would widen it to N. The price:
    the rate is at most 1 / (round trip + one short commit). 30/s needs that
    under 33 ms, which holds on loopback (≈1 ms + ≈2 ms; the benchmark) and
    close to the Bot API servers, but a host 150 ms away sends ≈6/s. One sender
    per database: recovery at start assumes no other sender is running.

Time is injectable (`Clock`: monotonic time for pacing, UTC wall time for the
rows, and sleep), so tests can check the waits without waiting.
``ulasan outbox send [--once]`` runs the sender alone (the crash-resume test and
benchmarks use it); `send_pending_once` delivers what is due and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from scheduler.aiohttp_request import telegram_request
from storage import outbox
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage

log = logging.getLogger(__name__)

T = TypeVar("T")


# The server's rate window, and a hair more so that an answer at t and a
# request at t + 1 s never land in the same window.
RATE_WINDOW = 1.0
RATE_WINDOW_MARGIN = 0.002
# A start this late for its slot (a slow commit, a busy event loop or machine) keeps
# the schedule: the missed slots are made up with requests at least half a spacing
# apart, and the one-second rule still bounds what the server sees. Without it,
# every stall longer than one spacing was lost for good.
CATCH_UP = 0.25
CATCH_UP_SPACING = 0.5
GLOBAL_PAUSE_CAP = 60.0
INVALID_TOKEN_PAUSE = 60.0
DB_RETRY_LIMIT = 10


@dataclass(frozen=True)
class Outgoing:
    """A claimed row, detached from its session."""

    id: int
    chat_id: int
    kind: str
    priority: int
    content: str
    image: bytes | None
    attempts: int

    @classmethod
    def of(cls, row: OutboxMessage) -> Outgoing:
        return cls(
            row.id, row.chat_id, row.kind, row.priority, row.content, row.image, row.attempts
        )

    @property
    def order(self) -> tuple[int, int]:
        return (self.priority, self.id)


@dataclass
class SendReport:
    """What one run of the sender did (counts of rows, and of 429 answers)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    cancelled: int = 0
    deferred: int = 0
    rate_limited: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class RateLimiter:
    """At most ``rate`` requests in any window of one second at the server.

    Starts follow a schedule of one slot every 1/rate s, and request n starts only
    one window after the answer to request n - rate (a request reaches the server
    before its answer comes back, and the sender has one request in flight at a
    time). A start up to `CATCH_UP` s behind its slot (a stall) keeps the
    schedule, so the missed slots are made up, two requests a spacing at most; a
    start further behind (a lull with nothing to send, a long stall) restarts the
    schedule from now, with no burst.
    """

    def __init__(self, rate: int, catch_up: float = CATCH_UP) -> None:
        self.rate = max(1, int(rate))
        self.spacing = 1.0 / self.rate
        self.catch_up = catch_up
        self._answers: deque[float] = deque(maxlen=self.rate)
        self._next_slot = -math.inf
        self._last_start = -math.inf
        self._resume_at = -math.inf

    def _slot(self) -> float:
        """The next slot: the schedule, a 429 pause, and the one-second rule."""
        slot = max(self._next_slot, self._resume_at)
        if len(self._answers) == self.rate:
            slot = max(slot, self._answers[0] + RATE_WINDOW + RATE_WINDOW_MARGIN)
        return slot

    def wait(self, now: float) -> float:
        earliest = max(self._slot(), self._last_start + self.spacing * CATCH_UP_SPACING)
        return max(0.0, earliest - now)

    def started(self, at: float) -> None:
        if at - self._slot() > self.catch_up:
            base = at  # a lull or a long stall: start the schedule again, no burst
        else:
            # On time, or a stall: keep the schedule (so its missed slots are made up),
            # but never let it fall more than `catch_up` behind.
            base = max(self._next_slot, self._resume_at, at - self.catch_up)
        self._next_slot = base + self.spacing
        self._last_start = at

    def answered(self, at: float) -> None:
        self._answers.append(at)

    def pause_until(self, at: float) -> None:
        self._resume_at = max(self._resume_at, at)


class Reachability:
    """The process's copy of the unreachable chats, so that the group -1 handler
    costs no query on an ordinary update.

    Re-read from the database every ``refresh_seconds`` (another process, such
    as a separate sender, may have marked a chat); updated at once by this
    process's sender and handler.
    """

    def __init__(self, refresh_seconds: float = 30.0) -> None:
        self.refresh_seconds = refresh_seconds
        self._chats: set[int] = set()
        self._loaded_at = -math.inf
        self._lock = asyncio.Lock()
        # Marks made while a refresh reads: the read may predate them.
        self._added_during_refresh: set[int] = set()
        self._refreshing = False

    async def contains(self, chat_id: int, sessions: SessionFactory) -> bool:
        if time.monotonic() - self._loaded_at > self.refresh_seconds:
            await self.refresh(sessions)
        return chat_id in self._chats

    async def refresh(self, sessions: SessionFactory, *, force: bool = False) -> None:
        async with self._lock:
            if not force and time.monotonic() - self._loaded_at <= self.refresh_seconds:
                return
            self._refreshing = True
            self._added_during_refresh.clear()
            try:
                async with sessions() as session:
                    chats = await outbox.unreachable_chat_ids(session)
            finally:
                self._refreshing = False
            self._chats = chats | self._added_during_refresh
            self._loaded_at = time.monotonic()

    def add(self, chat_id: int) -> None:
        self._chats.add(chat_id)
        if self._refreshing:
            self._added_during_refresh.add(chat_id)

    def discard(self, chat_id: int) -> None:
        self._chats.discard(chat_id)
        self._added_during_refresh.discard(chat_id)


def retry_after_seconds(error: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB gives an int or (PTB_TIMEDELTA) a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def describe(error: BaseException) -> str:
    """``Class: message`` for last_error and the log (Telegram's 403 text names its class)."""
    name = type(error).__name__
    message = error.message if isinstance(error, TelegramError) else str(error)
    return message if message.startswith(f"{name}:") else f"{name}: {message}"


def keyboard(buttons: Iterable[Iterable[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(**button) for button in row] for row in buttons]
    )


def build_bot(settings: Settings) -> Bot:
    """The sender's own Bot: its own HTTP connection pool, apart from the Application's,
    on TELEGRAM_HTTP_CLIENT."""
    request = telegram_request(
        settings.telegram_http_client,
        connection_pool_size=4,
        connect_timeout=5.0,
        read_timeout=10.0,
        write_timeout=10.0,
        pool_timeout=5.0,
        media_write_timeout=30.0,
    )
    return Bot(
        settings.token(),
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_file_url,
        request=request,
        get_updates_request=telegram_request(settings.telegram_http_client, connection_pool_size=1),
    )


class OutboxSender:
    """Claims due outbox rows and delivers them one at a time (see the module docstring)."""

    def __init__(
        self,
        sessions: SessionFactory,
        bot: Bot,
        *,
        rate_per_second: int = 30,
        per_chat_interval: float = 1.0,
        max_attempts: int = 8,
        batch_size: int = 50,
        poll_interval: float = 0.5,
        backoff_base: float = 1.0,
        backoff_cap: float = 300.0,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        reachability: Reachability | None = None,
    ) -> None:
        self.sessions = sessions
        self.bot = bot
        self.per_chat_interval = per_chat_interval
        self.max_attempts = max_attempts
        self.batch_size = max(1, batch_size)
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.clock: Clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self.reachability = reachability
        self.limiter = RateLimiter(rate_per_second)
        self.totals = SendReport()
        self._held: list[Outgoing] = []
        self._chat_ready: dict[int, float] = {}
        self._consecutive_transient = 0
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._bot_ready = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: SessionFactory,
        *,
        bot: Bot | None = None,
        **options: Any,
    ) -> OutboxSender:
        return cls(
            sessions,
            bot or build_bot(settings),
            rate_per_second=settings.outbox_rate_per_second,
            per_chat_interval=settings.outbox_per_chat_interval_seconds,
            max_attempts=settings.outbox_max_attempts,
            batch_size=settings.outbox_batch_size,
            **options,
        )

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Start the background task (recovers rows a crash left in 'sending' first)."""
        if self.running:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self, timeout: float = 15.0) -> None:
        """Finish the message in flight, give claimed rows back, close the connections."""
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                log.warning("outbox sender: still busy after %.0f s; cancelling it", timeout)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._bot_ready:
            self._bot_ready = False
            await self.bot.shutdown()

    def wake(self) -> None:
        """Claim at once (call after committing an enqueue in this process)."""
        self._woken.set()

    async def send_pending_once(self, *, recover: bool = False) -> SendReport:
        """Deliver every row that is due now, within the limits, and return what happened.

        For tests and hand-run jobs in a process without the background task.
        ``recover=True`` first re-queues rows a crashed sender left in 'sending'.
        """
        if self.running:
            raise RuntimeError("the background sender is running; call wake() instead")
        self._stopping.clear()
        await self._ensure_bot()
        if recover:
            await self._recover()
        report = SendReport()
        await self._drain(report, until_idle=True)
        return report

    async def _ensure_bot(self) -> None:
        if not self._bot_ready:
            await self.bot.initialize()
            self._bot_ready = True

    async def _recover(self) -> None:
        recovered = await self._write(outbox.recover_in_flight)
        if recovered:
            log.warning(
                "outbox: %d message(s) left 'sending' by an earlier run are queued again "
                "(at most one of them may reach its chat twice)",
                recovered,
            )

    async def _run(self) -> None:
        failures = 0
        recovered = False
        while not self._stopping.is_set():
            try:
                await self._ensure_bot()
                if not recovered:
                    await self._recover()
                    recovered = True
                await self._drain(self.totals, until_idle=False)
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(GLOBAL_PAUSE_CAP, 2.0 ** min(failures, 6))
                log.error("outbox sender: %s; trying again in %.0f s", describe(exc), delay)
                await self._pause(delay)

    # -- the loop --------------------------------------------------------------------------
    async def _drain(self, report: SendReport, *, until_idle: bool) -> None:
        async with self._drain_lock:
            try:
                await self._drain_locked(report, until_idle=until_idle)
            finally:
                await self._release_held()

    async def _drain_locked(self, report: SendReport, *, until_idle: bool) -> None:
        refill_below = max(1, self.batch_size // 2)
        next_claim = -math.inf
        while not self._stopping.is_set():
            now = self.clock.monotonic()
            woken = self._woken.is_set()
            claimed_nothing = False
            if woken or (now >= next_claim and len(self._held) < refill_below):
                self._woken.clear()
                asked = max(1 if woken else 0, self.batch_size - len(self._held))
                if asked:
                    # Run mode gives a chat's surplus rows back to the queue; a one-off
                    # drain keeps them, to deliver everything that is due before it returns.
                    claimed = await self._claim(asked, report, defer_surplus=not until_idle)
                    claimed_nothing = claimed == 0
                    # A short batch means the queue is empty for now: poll again later.
                    next_claim = now if claimed >= asked else now + self.poll_interval
            if not self._held:
                if until_idle:
                    if claimed_nothing:
                        return
                    next_claim = -math.inf
                    continue
                await self._pause(max(next_claim - self.clock.monotonic(), 0.0), wakeable=True)
                continue
            item, chat_wait = self._next_ready(self.clock.monotonic())
            if item is None:
                # Every held chat is inside its per-chat interval.
                wait = chat_wait
                if len(self._held) < refill_below:
                    wait = min(wait, max(next_claim - self.clock.monotonic(), 0.0))
                await self._pause(wait, wakeable=True)
                continue
            gate = self.limiter.wait(self.clock.monotonic())
            if gate > 0:
                await self._pause(gate)
                continue
            self._held.remove(item)
            if not await self._deliver(item, report):
                self._hold([item])

    def _next_ready(self, now: float) -> tuple[Outgoing | None, float]:
        soonest = math.inf
        for item in self._held:
            ready = self._chat_ready.get(item.chat_id, -math.inf)
            if ready <= now:
                return item, 0.0
            soonest = min(soonest, ready - now)
        return None, soonest

    def _hold(self, items: Iterable[Outgoing]) -> None:
        self._held.extend(items)
        self._held.sort(key=lambda item: item.order)

    async def _claim(self, limit: int, report: SendReport, *, defer_surplus: bool) -> int:
        """Claim up to ``limit`` due rows and return how many.

        With ``defer_surplus``, one row per chat is held and the chat's others go
        back to the queue; otherwise all are held.
        """
        now = self.clock.now()
        # A read first: while idle, polling costs no write lock.
        async with self.sessions() as session:
            if not await outbox.has_due(session, now):
                return 0
        rows = await self._write(lambda session: outbox.claim_due(session, now, limit))
        fresh = [Outgoing.of(row) for row in rows]
        if self.per_chat_interval <= 0 or not defer_surplus:
            self._hold(fresh)
            return len(fresh)
        # The best (priority, id) row of each chat is held; the others go back to the
        # queue one per-chat interval apart, behind it.
        best: dict[int, Outgoing] = {item.chat_id: item for item in self._held}
        surplus: dict[int, list[Outgoing]] = {}
        for item in fresh:
            current = best.get(item.chat_id)
            if current is None:
                best[item.chat_id] = item
            elif item.order < current.order:
                best[item.chat_id] = item
                surplus.setdefault(item.chat_id, []).append(current)
            else:
                surplus.setdefault(item.chat_id, []).append(item)
        self._held = sorted(best.values(), key=lambda item: item.order)
        schedule: list[tuple[int, datetime]] = []
        mono = self.clock.monotonic()
        for chat_id, items in surplus.items():
            ready = max(self._chat_ready.get(chat_id, mono), mono) - mono
            for slot, item in enumerate(sorted(items, key=lambda i: i.order), start=1):
                delay = ready + slot * self.per_chat_interval
                schedule.append((item.id, now + timedelta(seconds=delay)))
        if schedule:
            await self._write(lambda session: outbox.defer(session, schedule))
            report.deferred += len(schedule)
        return len(fresh)

    async def _release_held(self) -> None:
        held, self._held = self._held, []
        if not held:
            return
        try:
            await self._write(lambda session: outbox.release(session, [i.id for i in held]))
        except Exception as exc:  # they stay 'sending' and are recovered at the next start
            log.error("outbox: could not give back %d claimed rows: %s", len(held), describe(exc))

    # -- one message -----------------------------------------------------------------------
    async def _send(self, item: Outgoing) -> Message:
        content = json.loads(item.content)
        markup = keyboard(content.get("buttons"))
        parse_mode = content.get("parse_mode")
        if item.image is not None and content.get("file_name"):
            return await self.bot.send_document(
                item.chat_id,
                document=InputFile(item.image, filename=content["file_name"]),
                caption=content["text"],
                parse_mode=parse_mode,
                reply_markup=markup,
            )
        if item.image is not None:
            return await self.bot.send_photo(
                item.chat_id,
                photo=item.image,
                caption=content["text"],
                parse_mode=parse_mode,
                reply_markup=markup,
            )
        return await self.bot.send_message(
            item.chat_id, content["text"], parse_mode=parse_mode, reply_markup=markup
        )

    async def _deliver(self, item: Outgoing, report: SendReport) -> bool:
        """Send one row and record the outcome; False if it must be sent again now (429)."""
        self.limiter.started(self.clock.monotonic())
        try:
            message = await self._send(item)
        except RetryAfter as error:
            answered = self._answered(item)
            wait = retry_after_seconds(error)
            self.limiter.pause_until(answered + wait)
            report.rate_limited += 1
            log.warning("outbox: 429 from Telegram; sending nothing for %s s", wait)
            return False
        except Forbidden as error:
            self._answered(item)
            self._consecutive_transient = 0
            reason = describe(error)
            cancelled = await self._write(
                lambda session: outbox.mark_unreachable(
                    session, item.chat_id, message_id=item.id, error=reason
                )
            )
            self._drop_chat(item.chat_id)
            if self.reachability is not None:
                self.reachability.add(item.chat_id)
            report.unreachable += 1
            report.cancelled += cancelled
            log.info("outbox: chat %s is unreachable (%s)", item.chat_id, error.message)
            return True
        except InvalidToken as error:
            self._answered(item)
            await self._write(lambda session: outbox.release(session, [item.id]))
            self.limiter.pause_until(self.clock.monotonic() + INVALID_TOKEN_PAUSE)
            log.error("outbox: Telegram refused the token (%s); pausing", error.message)
            return True
        except BadRequest as error:  # before NetworkError: BadRequest subclasses it
            self._answered(item)
            self._consecutive_transient = 0
            await self._fail(item, describe(error), report)
            return True
        except (TimedOut, NetworkError) as error:
            self._answered(item)
            await self._transient(item, describe(error), report)
            return True
        except (TelegramError, ValueError, KeyError, TypeError) as error:
            # Other Telegram answers (e.g. ChatMigrated) and rows whose content is broken.
            self._answered(item)
            await self._fail(item, describe(error), report)
            return True
        self._answered(item)
        self._consecutive_transient = 0
        await self._write(
            lambda session: outbox.mark_sent(
                session, item.id, telegram_message_id=message.message_id, sent_at=self.clock.now()
            )
        )
        report.sent += 1
        return True

    def _answered(self, item: Outgoing) -> float:
        at = self.clock.monotonic()
        self.limiter.answered(at)
        self._chat_ready[item.chat_id] = at + self.per_chat_interval
        if len(self._chat_ready) > 4 * self.batch_size + 1000:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > at}
        return at

    def backoff(self, attempt: int, cap: float | None = None) -> float:
        """Delay before attempt ``attempt + 1``: base·2^(attempt-1), capped, times [0.5, 1)."""
        limit = self.backoff_cap if cap is None else cap
        delay = min(limit, self.backoff_base * 2.0 ** max(attempt - 1, 0))
        return delay * (0.5 + 0.5 * self.rng.random())

    async def _transient(self, item: Outgoing, error: str, report: SendReport) -> None:
        attempt = item.attempts + 1
        if attempt >= self.max_attempts:
            await self._fail(item, error, report)
        else:
            not_before = self.clock.now() + timedelta(seconds=self.backoff(attempt))
            await self._write(
                lambda session: outbox.mark_retry(
                    session, item.id, not_before=not_before, error=error
                )
            )
            report.retried += 1
        self._consecutive_transient += 1
        if self._consecutive_transient >= 2:
            pause = self.backoff(self._consecutive_transient - 1, cap=GLOBAL_PAUSE_CAP)
            self.limiter.pause_until(self.clock.monotonic() + pause)
            log.warning("outbox: %s; pausing %.1f s", error, pause)

    async def _fail(self, item: Outgoing, error: str, report: SendReport) -> None:
        await self._write(lambda session: outbox.mark_failed(session, item.id, error=error))
        report.failed += 1
        log.warning("outbox: message %s (%s) failed: %s", item.id, item.kind, error)

    def _drop_chat(self, chat_id: int) -> None:
        # mark_unreachable cancelled them in the database too.
        self._held = [item for item in self._held if item.chat_id != chat_id]

    # -- helpers ---------------------------------------------------------------------------
    async def _write(self, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run one short transaction, retrying while the database is locked or unreachable.

        A 'sent' mark that is not written leaves the row 'sending', to be sent
        again after the next restart, so it is worth waiting for.
        """
        delay = 0.05
        for attempt in range(1, DB_RETRY_LIMIT + 1):
            try:
                async with self.sessions.begin() as session:
                    await outbox.commit_without_flush_wait(session)
                    return await action(session)
            except (DBAPIError, OSError) as exc:
                transient = isinstance(exc, OSError | OperationalError | InterfaceError) or (
                    isinstance(exc, DBAPIError) and exc.connection_invalidated
                )
                if not transient or attempt == DB_RETRY_LIMIT:
                    raise
                log.warning("outbox: database write failed (%s); retrying", describe(exc))
                await self.clock.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def _pause(self, seconds: float, *, wakeable: bool = False) -> None:
        """Sleep on the clock; return early on stop() (and on wake() if ``wakeable``)."""
        if seconds <= 0 or self._stopping.is_set():
            return
        waiters = [
            asyncio.ensure_future(self.clock.sleep(seconds)),
            asyncio.ensure_future(self._stopping.wait()),
        ]
        if wakeable:
            waiters.append(asyncio.ensure_future(self._woken.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()


# -- running the sender alone -------------------------------------------------------------


async def send_pending_once(
    settings: Settings,
    sessions: SessionFactory,
    *,
    bot: Bot | None = None,
    recover: bool = False,
    **options: Any,
) -> SendReport:
    """Deliver what is due now with a fresh sender, then close it."""
    sender = OutboxSender.from_settings(settings, sessions, bot=bot, **options)
    try:
        return await sender.send_pending_once(recover=recover)
    finally:
        await sender.stop()
