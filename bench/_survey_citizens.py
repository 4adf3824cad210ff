"""The survey benchmark's simulated citizens and what their phones show.

The server is the tests' fake Bot API (``tests/support/fakebot.py``) in its
lean mode: it keeps no call log (the 5,000 reminders are only counted), so the
driver stays light on its core. `Phones` listens to it and keeps only the
*current* message of each simulated citizen, stamped with the moment the
server received it; messages to other chats (the reminders) are only timed.

A citizen (`Citizen.run`) sends ``/start <payload>``, then presses the buttons
of its script one after another, each after an optional think time, waiting for
the bot's answer (the edit, or a new message, in its chat) before the next
press. Latency is measured in this process from the moment the update is
offered to ``getUpdates`` to the moment the server receives that answer. In
the burst run the citizens share a ``wave`` (an `asyncio.Barrier`): each press
waits until every citizen has its answer to the previous one, then all press
in the same instant.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.fakebot import FakeBotApi
from tests.support.records import BOT_ID, Sent

BOT_USERNAME = "UlasanBenchBot"
TOKEN = "123456:BENCH-TOKEN-0123456789abcdefghijklmn"


def bench_api() -> FakeBotApi:
    """The fake Bot API in its lean mode, long polls held up to 5 s."""
    return FakeBotApi(TOKEN, username=BOT_USERNAME, record_calls=False, max_poll_seconds=5.0)


@dataclass
class Shown:
    """A citizen's survey message as their phone shows it now."""

    message_id: int
    text: str
    markup: dict[str, Any] | None
    at: float  # perf_counter() when the server received it

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def as_message(self, chat_id: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Ulasan"},
            "text": self.text,
        }
        if self.markup:
            message["reply_markup"] = self.markup
        return message


@dataclass
class Chat:
    """What a simulated citizen's phone shows."""

    current: Shown | None = None
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def show(self, shown: Shown) -> None:
        self.current = shown
        self.version += 1
        self.changed.set()


class Phones:
    """The phones of the ``tracked`` chats (the citizens); all other chats only count."""

    def __init__(self, api: FakeBotApi, *, tracked_from: int, tracked_to: int) -> None:
        self.api = api
        self.tracked = range(tracked_from, tracked_to)
        self.chats: dict[int, Chat] = {}
        self.other_sends: list[float] = []  # perf_counter() of each message to another chat
        self.others_from = 30  # `others_flowing` is set once this many were sent
        self.others_flowing = asyncio.Event()
        api.message_listeners.append(self.heard)

    def chat(self, chat_id: int) -> Chat:
        return self.chats.setdefault(chat_id, Chat())

    def offer(self, update: dict[str, Any]) -> float:
        """Offer an update to getUpdates; returns the perf_counter() it was offered at."""
        self.api.push_update(update)
        return time.perf_counter()

    def heard(self, method: str, sent: Sent) -> None:
        """A message the bot sent or edited, as the server receives it."""
        at = time.perf_counter()
        if method == "editMessageReplyMarkup":
            chat = self.chats.get(sent.chat_id)
            if chat is not None and chat.current is not None:
                if chat.current.message_id == sent.message_id:
                    chat.current.markup = sent.reply_markup
            return
        if method not in ("sendMessage", "editMessageText"):
            return
        if sent.chat_id not in self.tracked:
            self.other_sends.append(at)
            if len(self.other_sends) >= self.others_from:
                self.others_flowing.set()
            return
        chat = self.chat(sent.chat_id)
        if method == "editMessageText" and chat.current is not None:
            if chat.current.message_id != sent.message_id:
                return  # an edit of an older message: the phone keeps showing the newest one
        chat.show(Shown(sent.message_id, sent.text, sent.reply_markup, at))


class SurveyFailed(Exception):
    """The bot answered something the script did not expect."""


# A script step: "start" (the first button), an int 1..4 (that answer), or "skip".
Step = str | int


@dataclass
class Citizen:
    phones: Phones
    user_id: int
    payload: str
    script: list[Step]
    think: float  # mean seconds between seeing a question and pressing (0: none)
    rng: random.Random
    answer_timeout: float = 60.0
    # The burst run: every press waits here until all citizens are at the same step,
    # then all press at once (one synchronised wave per step).
    wave: asyncio.Barrier | None = None
    latencies: list[float] = field(default_factory=list)
    start_latency: float | None = None
    done_at: float | None = None
    closing: str = ""

    def _from(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Warga", "language_code": "id"}

    async def _act(self, update: dict[str, Any]) -> tuple[Shown, float]:
        chat = self.phones.chat(self.user_id)
        before = chat.version
        offered = self.phones.offer(update)
        deadline = offered + self.answer_timeout
        while chat.version <= before:
            chat.changed.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise SurveyFailed(f"user {self.user_id}: no answer in {self.answer_timeout} s")
            try:
                await asyncio.wait_for(chat.changed.wait(), remaining)
            except TimeoutError:
                continue
        assert chat.current is not None
        return chat.current, chat.current.at - offered

    def _button(self, shown: Shown, step: Step) -> dict[str, Any]:
        buttons = [b for b in shown.buttons() if "callback_data" in b]
        if step == "start":
            chosen = buttons[:1]
        elif step == "skip":
            chosen = [b for b in buttons if b["text"] == "Lewati"]
        else:
            chosen = buttons[int(step) - 1 : int(step)] if len(buttons) >= 5 else []
        if not chosen:
            raise SurveyFailed(
                f"user {self.user_id}: no button for {step!r} in {shown.text[:80]!r}"
            )
        return chosen[0]

    async def _pause(self) -> None:
        if self.wave is not None:
            try:
                await self.wave.wait()
            except asyncio.BrokenBarrierError:
                raise SurveyFailed(f"user {self.user_id}: another citizen failed") from None
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))

    async def run(self) -> None:
        try:
            await self._run()
        except BaseException:
            if self.wave is not None:
                await self.wave.abort()  # the others stop waiting for this one
            raise

    async def _run(self) -> None:
        message = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": "Warga"},
            "from": self._from(),
            "text": f"/start {self.payload}",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        }
        shown, self.start_latency = await self._act({"message": message})
        for number, step in enumerate(self.script, start=1):
            await self._pause()
            button = self._button(shown, step)
            press = {
                "callback_query": {
                    "id": f"{self.user_id}-{number}",
                    "from": self._from(),
                    "chat_instance": str(self.user_id),
                    "data": button["callback_data"],
                    "message": shown.as_message(self.user_id),
                }
            }
            shown, latency = await self._act(press)
            self.latencies.append(latency)
        if shown.buttons() or "Terima kasih" not in shown.text:
            raise SurveyFailed(f"user {self.user_id}: no closing message: {shown.text[:80]!r}")
        self.closing = shown.text
        self.done_at = time.perf_counter()


def survey_script(scores: list[int]) -> list[Step]:
    """Start, the nine answers, then skip the comment, the four profile steps and consent."""
    return ["start", *scores, *["skip"] * 6]
