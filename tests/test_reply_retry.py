"""The Application's replies survive Telegram's failures (`scheduler.reply_request`).

First the request on its own, with a `telegram.Bot` over real HTTP against the
fake Bot API and a clock that records waits instead of waiting: 5xx retried,
429 honoured when it fits the budget and given up at once when not, a new
message sent at most once more after a timeout, an edit repeated safely, one
budget per update. Then the rule that makes retries safe: no handler calls
Telegram while it holds the database. The scenarios with people pressing
through a failing Telegram are in ``tests/test_e2e_faults.py``.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.core.clock import Clock
from scheduler.reply_request import RetryingRequest, reply_window
from tests.support.fakebot import TOKEN, FakeBotApi
from tests.support.pushback import BAD_GATEWAY, Pushback, Refusal, Stall, too_many_requests

CHAT = 4100


class RecordingClock(Clock):
    """Real time, except that waits are recorded and skipped (monotonic time moves on)."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._skipped = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self._skipped

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._skipped += seconds
        await asyncio.sleep(0)


class First:
    """A pushback rule: the first ``n`` calls of ``methods`` get ``answer``."""

    def __init__(self, n: int, answer: Refusal | Stall, methods: set[str]) -> None:
        self.left, self.answer, self.methods = n, answer, methods

    def check(self, method: str, now: float) -> Refusal | Stall | None:
        if method not in self.methods or self.left <= 0:
            return None
        self.left -= 1
        return self.answer

    def accept(self, method: str, now: float) -> None:
        pass


@pytest.fixture
def clock() -> RecordingClock:
    return RecordingClock()


async def make_bot(api: FakeBotApi, clock: Clock, budget: float = 6.0, timeout: float = 5.0) -> Bot:
    request = RetryingRequest(budget=budget, clock=clock, read_timeout=timeout)
    bot = Bot(TOKEN, base_url=api.base_url, request=request)
    await bot.initialize()
    return bot


@pytest.fixture
async def bot(fake_api: FakeBotApi, clock: RecordingClock) -> AsyncIterator[Bot]:
    bot = await make_bot(fake_api, clock)
    yield bot
    await bot.shutdown()


def sends(api: FakeBotApi) -> int:
    return len([c for c in api.calls if c.method == "sendMessage"])


async def test_5xx_is_retried_until_it_goes(fake_api: FakeBotApi, bot: Bot, clock: RecordingClock):
    fake_api.pushback = Pushback(First(2, BAD_GATEWAY, {"sendMessage"}))
    message = await bot.send_message(CHAT, "Pertanyaan 2/9")
    assert message.text == "Pertanyaan 2/9"
    assert [m.text for m in fake_api.chat_messages(CHAT)] == ["Pertanyaan 2/9"]
    assert sends(fake_api) == 3 and clock.waits == [0.25, 0.5]


async def test_429_waits_its_retry_after_when_that_fits(
    fake_api: FakeBotApi, bot: Bot, clock: RecordingClock
):
    fake_api.pushback = Pushback(First(1, too_many_requests(2), {"editMessageText"}))
    sent = await bot.send_message(CHAT, "a")
    await bot.edit_message_text("b", CHAT, sent.message_id)
    assert fake_api.chat_messages(CHAT)[0].text == "b"
    assert clock.waits == [2.0]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_beyond_the_budget_is_given_up_at_once(
    fake_api: FakeBotApi, bot: Bot, clock: RecordingClock
):
    fake_api.pushback = Pushback(First(1, too_many_requests(30), {"sendMessage"}))
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "a")
    assert sends(fake_api) == 1 and clock.waits == []


async def test_a_new_message_after_a_timeout_goes_at_most_once_more(
    fake_api: FakeBotApi, clock: RecordingClock
):
    bot = await make_bot(fake_api, clock, timeout=0.3)
    try:
        # The first answer is lost (the message did arrive): one more try, one duplicate.
        fake_api.pushback = Pushback(First(1, Stall(2.0), {"sendMessage"}))
        await bot.send_message(CHAT, "Terima kasih")
        assert [m.text for m in fake_api.chat_messages(CHAT)] == ["Terima kasih"] * 2
        # Every answer lost: two deliveries at most, then the error goes up.
        fake_api.pushback = Pushback(First(99, Stall(2.0), {"sendMessage"}))
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT + 1, "Halo")
        assert [m.text for m in fake_api.chat_messages(CHAT + 1)] == ["Halo"] * 2
    finally:
        await bot.shutdown()


async def test_an_edit_repeated_after_a_timeout_is_a_success(
    fake_api: FakeBotApi, clock: RecordingClock
):
    bot = await make_bot(fake_api, clock, timeout=0.3)
    try:
        sent = await bot.send_message(CHAT, "Pertanyaan 1/9")
        fake_api.pushback = Pushback(First(1, Stall(2.0), {"editMessageText"}))
        # The first edit arrives but its answer is lost; the repeat is "not modified".
        result = await bot.edit_message_text("Pertanyaan 2/9", CHAT, sent.message_id)
        assert result is True
        assert fake_api.chat_messages(CHAT)[0].text == "Pertanyaan 2/9"
        edits = [c for c in fake_api.calls if c.method == "editMessageText"]
        assert len(edits) == 2
    finally:
        await bot.shutdown()


async def test_an_update_has_one_budget(fake_api: FakeBotApi, clock: RecordingClock):
    bot = await make_bot(fake_api, clock, budget=1.0)
    fake_api.fault = lambda method, params: (
        (502, "Bad Gateway", None) if method == "sendMessage" else None
    )
    try:
        with reply_window():
            with pytest.raises(NetworkError):
                await bot.send_message(CHAT, "Pertanyaan 3/9")
            assert clock.waits == [0.25, 0.5] and sends(fake_api) == 3
            with pytest.raises(NetworkError):  # the apology: one try, the budget is spent
                await bot.send_message(CHAT, "Maaf")
            assert clock.waits == [0.25, 0.5] and sends(fake_api) == 4
        with pytest.raises(NetworkError):  # another update: a budget of its own
            await bot.send_message(CHAT, "Halo")
        assert len(clock.waits) == 4
    finally:
        await bot.shutdown()


async def test_a_connection_refused_is_retried_until_telegram_is_back(fake_api: FakeBotApi):
    bot = await make_bot(fake_api, Clock(), budget=5.0)
    try:
        await fake_api.stop()
        reopening = asyncio.get_running_loop().create_task(_reopen_later(fake_api, 0.4))
        message = await bot.send_message(CHAT, "Akun Anda tertaut")  # while it is down
        assert message.text == "Akun Anda tertaut"
        await reopening
    finally:
        await bot.shutdown()


async def _reopen_later(api: FakeBotApi, seconds: float) -> None:
    await asyncio.sleep(seconds)  # an outage of this length, in real time: real sockets
    await api.reopen()


# -- no handler holds the database while it talks to Telegram -----------------------------

TELEGRAM_CALLS = {
    "answer",
    "reply_text",
    "reply_photo",
    "reply_document",
    "send_message",
    "send_photo",
    "send_document",
    "edit_message_text",
    "edit_message_reply_markup",
    "edit_message_caption",
    "delete_message",
}
HANDLER_HELPERS = {"answer_query", "edit_pressed", "edit_or_send", "remove_keyboard", "refuse"}


def _telegram_calls_inside_sessions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.AsyncWith):
            continue
        if not any("session" in ast.unparse(item.context_expr) for item in node.items):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Call):
                name = ast.unparse(inner.func).rsplit(".", 1)[-1]
                if name in TELEGRAM_CALLS | HANDLER_HELPERS or name.startswith("_show"):
                    found.append(f"{path}:{inner.lineno}: {ast.unparse(inner.func)}")
    return found


def test_no_handler_calls_telegram_inside_a_session():
    """The bot shares one SQLite connection: a reply retried inside a transaction would
    hold every other user's update for the whole budget."""
    root = Path(__file__).resolve().parent.parent / "handlers"
    found = [
        hit for path in sorted(root.glob("*.py")) for hit in _telegram_calls_inside_sessions(path)
    ]
    assert found == []


def test_the_guard_sees_a_send_inside_a_session(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "async def f(update, context):\n"
        "    async with context.sessions.begin() as session:\n"
        "        await update.effective_message.reply_text('x')\n"
    )
    assert _telegram_calls_inside_sessions(sample) == [
        f"{sample}:3: update.effective_message.reply_text"
    ]
