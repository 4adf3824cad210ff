"""The survey benchmark's fake Bot API server and its simulated citizens.

A lean cousin of ``tests/support/fakebot.py`` (aiohttp on 127.0.0.1): it answers
``getUpdates`` by long polling and every sending method the bot and its outbox
sender use, keeps only the *current* message of each simulated citizen, and
stamps the moment the bot's answer to each press arrives. It keeps no call log
(the 5,000 reminders are only counted), so the driver stays light on its core.

A citizen (`Citizen.run`) sends ``/start <payload>``, then presses the buttons
of its script one after another, each after an optional think time, waiting for
the bot's answer (the edit, or a new message, in its chat) before the next
press. Latency is measured in this process from the moment the update is
offered to ``getUpdates`` to the moment the server receives that answer.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "UlasanBenchBot"
TOKEN = "123456:BENCH-TOKEN"


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
    """What the server knows of one simulated citizen's chat."""

    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    current: Shown | None = None
    version: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def show(self, shown: Shown) -> None:
        self.current = shown
        self.version += 1
        self.changed.set()


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class BenchApi:
    """The fake Bot API. ``tracked`` chats are citizens; all other chats only count."""

    def __init__(self, token: str = TOKEN, *, tracked_from: int, tracked_to: int) -> None:
        self.token = token
        self.tracked = range(tracked_from, tracked_to)
        self.chats: dict[int, Chat] = {}
        self.counts: Counter[str] = Counter()
        self.other_sends: list[float] = []  # perf_counter() of each message to another chat
        self.others_from = 30  # `others_flowing` is set once this many were sent
        self.others_flowing = asyncio.Event()
        self.get_updates_calls = 0
        self.polled = asyncio.Event()
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._other_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def chat(self, chat_id: int) -> Chat:
        return self.chats.setdefault(chat_id, Chat())

    def push(self, update: dict[str, Any]) -> float:
        """Offer an update to getUpdates; returns the perf_counter() it was offered at."""
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()
        return time.perf_counter()

    # -- HTTP ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            unauthorized = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(unauthorized)
        method = request.match_info["method"]
        self.counts[method] += 1
        if request.content_type == "application/json":
            params: dict[str, Any] = await request.json()
        else:
            params = {k: _decode(v) for k, v in (await request.post()).items()}
        handler = getattr(self, f"_m_{method}", None)
        result = True if handler is None else await handler(params)
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Ulasan",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        self.get_updates_calls += 1
        self.polled.set()
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        timeout = min(float(params.get("timeout") or 0), 5.0)
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self._updates, limit))

    def _answer(self, params: dict[str, Any], message_id: int | None) -> Any:
        at = time.perf_counter()
        chat_id = int(params["chat_id"])
        text = str(params.get("text", ""))
        markup = params.get("reply_markup") or None
        if chat_id not in self.tracked:
            self.other_sends.append(at)
            if len(self.other_sends) >= self.others_from:
                self.others_flowing.set()
            shown = Shown(message_id or next(self._other_ids), text, markup, at)
            return shown.as_message(chat_id)
        chat = self.chat(chat_id)
        if message_id is None:
            message_id = next(chat.ids)
        elif chat.current is not None and chat.current.message_id != message_id:
            # An edit of an older message: the simulated phone keeps showing the newest one.
            return Shown(message_id, text, markup, at).as_message(chat_id)
        shown = Shown(message_id, text, markup, at)
        chat.show(shown)
        return shown.as_message(chat_id)

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        return self._answer(params, None)

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        return self._answer(params, int(params["message_id"]))

    async def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        chat = self.chats.get(int(params["chat_id"]))
        if chat is not None and chat.current is not None:
            if chat.current.message_id == int(params["message_id"]):
                chat.current.markup = params.get("reply_markup") or None
        return True


class SurveyFailed(Exception):
    """The bot answered something the script did not expect."""


# A script step: "start" (the first button), an int 1..4 (that answer), or "skip".
Step = str | int


@dataclass
class Citizen:
    api: BenchApi
    user_id: int
    payload: str
    script: list[Step]
    think: float  # mean seconds between seeing a question and pressing (0: none)
    rng: random.Random
    answer_timeout: float = 60.0
    latencies: list[float] = field(default_factory=list)
    start_latency: float | None = None
    done_at: float | None = None
    closing: str = ""

    def _from(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": "Warga", "language_code": "id"}

    async def _act(self, update: dict[str, Any]) -> tuple[Shown, float]:
        chat = self.api.chat(self.user_id)
        before = chat.version
        offered = self.api.push(update)
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
        if self.think > 0:
            await asyncio.sleep(self.rng.uniform(0.5 * self.think, 1.5 * self.think))

    async def run(self) -> None:
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
