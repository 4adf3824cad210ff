"""The outbox benchmark's fake Bot API: tests/support/fakebot.py plus Telegram's pushback.

`LimitedBotApi` is the tests' `FakeBotApi` (real HTTP on 127.0.0.1) with, on
``sendMessage``/``sendPhoto`` only:

* a rate limit: a send arriving when ``limit`` sends were already accepted in the
  last second (a sliding window, stricter than fixed one-second buckets) is
  answered 429 with ``retry_after`` = 1, as Telegram does; 429s and 502s do not
  count as accepted;
* every ``fail_every``-th send (counted over all arrivals) answered 502 Bad Gateway;
* an optional round trip (``rtt`` seconds, half before and half after handling),
  to show what a distant Bot API server does to a sender with one request in flight;
* ``on_accept(n)``, called when the n-th send is accepted and *before* it is
  answered: the crash run SIGKILLs the bot there, so that message is delivered
  but its sender never hears so (the worst case for duplicates).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.support.fakebot import FakeBotApi

SEND_METHODS = ("sendMessage", "sendPhoto")


class LimitedBotApi(FakeBotApi):
    def __init__(
        self,
        *,
        limit: int | None = 30,
        fail_every: int | None = None,
        rtt: float = 0.0,
        on_accept: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self.limit = limit
        self.fail_every = fail_every
        self.rtt = rtt
        self.on_accept = on_accept
        self.arrivals = 0  # every send request
        self.rate_limited = 0  # answered 429
        self.bad_gateway = 0  # answered 502
        self.accepted: list[tuple[float, int]] = []  # (monotonic time, chat id)
        self._window: deque[float] = deque()
        self.fault = self._decide

    async def _handle(self, request: web.Request) -> web.Response:
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        response = await super()._handle(request)
        if self.rtt:
            await asyncio.sleep(self.rtt / 2)
        return response

    def _decide(self, method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        if method not in SEND_METHODS:
            return None
        now = time.monotonic()
        self.arrivals += 1
        if self.fail_every and self.arrivals % self.fail_every == 0:
            self.bad_gateway += 1
            return (502, "Bad Gateway", None)
        if self.limit is not None:
            while self._window and self._window[0] <= now - 1.0:
                self._window.popleft()
            if len(self._window) >= self.limit:
                self.rate_limited += 1
                return (429, "Too Many Requests: retry after 1", 1)
            self._window.append(now)
        self.accepted.append((now, int(params["chat_id"])))
        if self.on_accept is not None:
            self.on_accept(len(self.accepted))
        return None

    def per_chat(self) -> Counter[int]:
        return Counter(chat_id for _, chat_id in self.accepted)


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most arrivals in any window (t - window, t]."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best
