"""Telegram pushing back, for the fake Bot API: flood control, 5xx and slow answers.

A `Pushback` given to the fake server (``FakeBotApi(pushback=…)`` in
``tests/support/fakebot.py``) decides, call by call, whether Telegram would
refuse a call. Its rules are asked in order; the first refusal answers the
call, and a rule only counts the calls that reached it:

* `EveryNth`: every n-th call of ``methods`` (counted over them all, or per
  method) is answered with a `Refusal` (``BAD_GATEWAY``, `too_many_requests`
  with ``retry_after`` …) or a `Stall`: the call takes effect but its answer
  comes only after ``seconds``, past the client's timeout (the message reached
  the user, the bot never heard so);
* `RateLimit`: a call of ``methods`` arriving when ``per_second`` calls were
  already accepted in the last second (a sliding window, stricter than
  Telegram's fixed one-second buckets) is answered 429 with ``retry_after``;
  refused calls do not count.

``rtt`` adds a round trip to every call (half before handling, half after),
as a distant Bot API server would. For the calls of ``counted`` (the sends, by
default) the pushback records arrivals and accepted calls (time, chat id), and
calls ``on_accept(n)`` when the n-th is accepted, *before* it is answered: the
outbox benchmark SIGKILLs the bot there. Times are ``time.monotonic()``.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

SEND_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
REPLY_METHODS = SEND_METHODS | {"editMessageText", "answerCallbackQuery"}


@dataclass(frozen=True)
class Refusal:
    """An error answer: HTTP status, Telegram's description, and retry_after for a 429."""

    status: int
    description: str
    retry_after: int | None = None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


BAD_GATEWAY = Refusal(502, "Bad Gateway")


def too_many_requests(retry_after: int = 1) -> Refusal:
    return Refusal(429, f"Too Many Requests: retry after {retry_after}", retry_after)


@dataclass(frozen=True)
class Stall:
    """Handle the call, then hold its answer for ``seconds`` (or until the server stops)."""

    seconds: float


Verdict = Refusal | Stall | None


@dataclass
class EveryNth:
    """Every ``n``-th call of ``methods`` answered with ``answer``."""

    n: int
    answer: Refusal | Stall
    methods: frozenset[str] = REPLY_METHODS
    per_method: bool = False  # count each method on its own, not all of them together
    seen: Counter[str] = field(default_factory=Counter)

    def check(self, method: str, now: float) -> Verdict:
        if method not in self.methods:
            return None
        key = method if self.per_method else ""
        self.seen[key] += 1
        return self.answer if self.seen[key] % self.n == 0 else None

    def accept(self, method: str, now: float) -> None:
        pass


@dataclass
class RateLimit:
    """At most ``per_second`` accepted calls of ``methods`` in any one-second window."""

    per_second: int = 30
    retry_after: int = 1
    methods: frozenset[str] = SEND_METHODS
    window: deque[float] = field(default_factory=deque)

    def check(self, method: str, now: float) -> Verdict:
        if method not in self.methods:
            return None
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= self.per_second:
            return too_many_requests(self.retry_after)
        return None

    def accept(self, method: str, now: float) -> None:
        if method in self.methods:
            self.window.append(now)


Rule = EveryNth | RateLimit


class Pushback:
    def __init__(
        self,
        *rules: Rule,
        rtt: float = 0.0,
        counted: frozenset[str] = SEND_METHODS,
        on_accept: Callable[[int], None] | None = None,
    ) -> None:
        self.rules = rules
        self.rtt = rtt
        self.counted = counted
        self.on_accept = on_accept
        self.arrivals = 0  # calls of `counted`
        self.refused: Counter[int] = Counter()  # refusals by HTTP status, over all methods
        self.stalled = 0
        self.accepted: list[tuple[float, int]] = []  # (time, chat id) of accepted `counted` calls

    def decide(self, method: str, params: dict[str, Any]) -> Verdict:
        """Refuse the call, stall it, or accept it (None)."""
        now = time.monotonic()
        counted = method in self.counted
        if counted:
            self.arrivals += 1
        stall: Stall | None = None
        for rule in self.rules:
            verdict = rule.check(method, now)
            if isinstance(verdict, Refusal):
                self.refused[verdict.status] += 1
                return verdict
            stall = stall or verdict
        for rule in self.rules:
            rule.accept(method, now)
        if counted:
            self.accepted.append((now, int(params["chat_id"])))
            if self.on_accept is not None:
                self.on_accept(len(self.accepted))
        if stall is not None:
            self.stalled += 1
        return stall

    def per_chat(self) -> Counter[int]:
        """How many calls each chat was accepted (of the counted methods)."""
        return Counter(chat_id for _, chat_id in self.accepted)


def max_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most arrivals in any window (t - window, t]."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best
