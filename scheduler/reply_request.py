"""Replies that survive Telegram's failures: the Application's HTTP request, with retries.

Every reply and edit the bot makes in answer to a person (the next survey
question, the linking confirmation, a /nilai or /siklus screen, /hasil, a Balas
preview, an apology) goes out through the Application's own `telegram.Bot`,
and that Bot sends through this request class (``bot/app.py``:
``ApplicationBuilder().request(RetryingRequest(...))``). Its answers have no
outbox behind them: a reply that meets a 502 is otherwise simply lost, and
the person's next press lands on a screen that never changed.

Why this layer. python-telegram-bot hands every Bot API call, whatever the
method, to one `BaseRequest.do_request(url, method, request_data, timeouts)`
that returns the HTTP status and body, or raises `TimedOut` / `NetworkError`
with the HTTP client's exception as its cause (PTB's own
``telegram/request/_httpxrequest.py`` does so, and so does the bot's client on
aiohttp, ``scheduler/aiohttp_request.py``; the retries are the same on either,
`retrying_request` picks the one ``TELEGRAM_HTTP_CLIENT`` names);
`BaseRequest.post` turns the status
into PTB's exceptions only afterwards. Here, and only here, everything needed
is in view at once: the API method (the last part of the URL), the status
(5xx, 429), the 429's ``retry_after`` in the body, and whether a failure
happened before the request left (connect or pool timeout, connection
refused) or after it may have reached Telegram (read timeout, a dropped
connection). Retrying in the handlers would repeat this in every one of them;
a wrapper around the `Bot` methods would see only PTB's exceptions, which
lose the connect/read distinction. The request object is the Application's
only (``getUpdates`` has its own, with its own long-poll timeout), so the
**outbox sender**, which has its own `Bot` and its own request
(``scheduler/sender.py``) with its own pacing, per-row attempts and
``retry_after`` pause across all chats, is not touched: retrying its calls
here too would multiply its attempts and break its one-request-in-flight
accounting of duplicates.

What is retried, within ``REPLY_RETRY_SECONDS`` (the budget; a person is
waiting, so a few seconds) counted from the first failure of the update:

* **5xx** and failures before the request left (connect error, connect or
  pool timeout, a proxy's refusal: `scheduler.aiohttp_request.NOT_SENT`):
  always, with a short backoff (0.25 s doubling, at most 2 s);
* **429**: after exactly ``retry_after`` when that fits the rest of the
  budget; at once given up when it does not (PTB then raises `RetryAfter`);
* **a read timeout or a dropped connection** (the call may have reached
  Telegram): an edit, an answer to a button or any other call that is the
  same when repeated, again; a new message (``send*``, ``copy*``,
  ``forward*``) at most once more for one such failure, so a person sees at
  most one duplicate, never more. An edit repeated after it did arrive
  answers "message is not modified": that counts as success here.

Each update gets one budget (`reply_window`, entered by the update processor
``bot/processor.py`` around each update): once it is spent in one call,
later calls of the same update (the apology of ``handlers/common.py``'s
error handler) get one attempt each. Outside an update (the command menu at
start) each call has a budget of its own. Waiting happens in this update's
task only, so other chats are served meanwhile (the processor runs chats in
parallel). A retry never holds the database: handlers send only after their
transaction has committed (``tests/test_reply_retry.py`` checks that no
handler calls Telegram inside a session block), because the bot process
shares one SQLite connection. When the budget is spent the last error goes
up as PTB's exception; the error handler apologises, and since the answer was
stored before, the person's next press shows where they really are.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.core.clock import Clock
from scheduler.aiohttp_request import NOT_SENT, AiohttpRequest, HttpClient

log = logging.getLogger(__name__)

FIRST_BACKOFF = 0.25
MAX_BACKOFF = 2.0
# Methods that create a message: repeated after it arrived, the person sees it twice.
NEW_MESSAGE_PREFIXES = ("send", "copy", "forward")
_NOT_MODIFIED = b"message is not modified"
_SUCCESS = b'{"ok": true, "result": true}'
# Causes of failures raised before anything reached the server, on either client.
_NOT_SENT = (*NOT_SENT, httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass
class _Window:
    """One update's retry budget: its deadline, set by the first failure."""

    deadline: float | None = None
    spent: bool = False


_window: ContextVar[_Window | None] = ContextVar("reply_window", default=None)


@contextlib.contextmanager
def reply_window() -> Iterator[None]:
    """Give the calls made inside (one update's handling) one shared retry budget."""
    token = _window.set(_Window())
    try:
        yield
    finally:
        _window.reset(token)


@dataclass
class _Attempts:
    """What one call has been through so far."""

    method: str
    window: _Window
    maybe_arrived: int = 0  # failures after which the call may have reached Telegram
    backoff: float = FIRST_BACKOFF
    retried: list[str] = field(default_factory=list)

    @property
    def creates_message(self) -> bool:
        return self.method.startswith(NEW_MESSAGE_PREFIXES)


class _Retries(BaseRequest):
    """Retries a reply within a short budget (see the module doc), around the
    ``do_request`` of the HTTP client it is mixed into."""

    def __init__(self, *, budget: float, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._budget = budget
        self._clock = clock

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        attempts = _Attempts(url.rsplit("/", 1)[-1], _window.get() or _Window())
        while True:
            try:
                code, payload = await super().do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (TimedOut, NetworkError) as exc:
                await self._after_error(attempts, exc)
                continue
            if code == 400 and attempts.retried and _NOT_MODIFIED in payload.lower():
                return 200, _SUCCESS  # the edit had arrived before its answer was lost
            wait = self._wait_for(attempts, code, payload)
            if wait is None:
                return code, payload
            await self._clock.sleep(wait)

    def _remaining(self, window: _Window) -> float:
        now = self._clock.monotonic()
        if window.deadline is None:
            window.deadline = now + self._budget
        return 0.0 if window.spent else window.deadline - now

    def _wait_for(self, attempts: _Attempts, code: int, payload: bytes) -> float | None:
        """How long to wait before trying an answered call again; None: take the answer."""
        if code == 429:
            wait = _retry_after(payload)
        elif code >= 500:
            wait = attempts.backoff
        else:
            return None
        if wait is None or not self._fits(attempts, wait, f"HTTP {code}"):
            return None
        return wait

    async def _after_error(self, attempts: _Attempts, exc: TelegramError) -> None:
        """Wait before the next try after a network error or timeout, or raise ``exc``."""
        if not isinstance(exc.__cause__, _NOT_SENT):
            attempts.maybe_arrived += 1
            if attempts.creates_message and attempts.maybe_arrived > 1:
                raise exc  # one possible duplicate already: never risk a second
        if not self._fits(attempts, attempts.backoff, type(exc).__name__):
            raise exc
        await self._clock.sleep(attempts.backoff)

    def _fits(self, attempts: _Attempts, wait: float, why: str) -> bool:
        """Whether waiting ``wait`` and trying again fits the update's budget (it is
        spent once a retry does not fit); records and logs the retry if it does."""
        remaining = self._remaining(attempts.window)
        if wait >= remaining:
            attempts.window.spent = True
            log.warning("%s failed (%s); the reply budget is spent", attempts.method, why)
            return False
        attempts.retried.append(why)
        attempts.backoff = min(attempts.backoff * 2, MAX_BACKOFF)
        log.info("%s failed (%s); trying again in %.2f s", attempts.method, why, wait)
        return True


class RetryingRequest(_Retries, AiohttpRequest):
    """The replies' request on aiohttp (``TELEGRAM_HTTP_CLIENT=aiohttp``, the default)."""


class RetryingHTTPXRequest(_Retries, HTTPXRequest):
    """The same on python-telegram-bot's default httpx client (``TELEGRAM_HTTP_CLIENT=httpx``)."""


def retrying_request(
    client: HttpClient, *, budget: float, clock: Clock, **kwargs: Any
) -> RetryingRequest | RetryingHTTPXRequest:
    """The replies' request on ``client`` (``TELEGRAM_HTTP_CLIENT``)."""
    if client == "httpx":
        return RetryingHTTPXRequest(budget=budget, clock=clock, **kwargs)
    return RetryingRequest(budget=budget, clock=clock, **kwargs)


def _retry_after(payload: bytes) -> float | None:
    """The ``retry_after`` of a 429's body, if it has one."""
    try:
        parameters = json.loads(payload).get("parameters") or {}
        value = parameters.get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) and value >= 0 else None
