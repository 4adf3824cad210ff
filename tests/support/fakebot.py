"""A fake Telegram Bot API server over real HTTP (aiohttp, 127.0.0.1), and scripted users.

The bot under test talks to it exactly as to Telegram: long-polling
``getUpdates``, ``sendMessage``, ``editMessageText``, ``answerCallbackQuery``…
Tests act as users (`FakeUser.send`, `FakeUser.press`) and read what the bot
sent. Faults (429 with retry_after, 5xx, 403) are injected with `FakeBotApi.fault`.

Waiting: an action returns once the bot has finished processing that update.
In-process tests connect `processed()` to the application's update processor
(see ``tests/support/app.py``); subprocess tests use `wait_for_calls`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 777000
BOT_USERNAME = "UlasanTestBot"

Fault = Callable[[str, dict[str, Any]], "tuple[int, str, int | None] | None"]


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value not in (None, "") else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")


@dataclass
class Sent:
    """A message as the user sees it now (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    kind: str = "text"
    edits: int = 0
    file: bytes | None = None

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.buttons()]

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Ulasan"},
        }
        if self.kind == "text":
            message["text"] = self.text
        else:
            message["caption"] = self.text
        if self.reply_markup:
            message["reply_markup"] = self.reply_markup
        return message


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        self.fault: Fault | None = None
        self.processed_ids: set[int] = set()
        # How many times each update was processed (a redelivered one counts again).
        self.processed_times: Counter[int] = Counter()
        # Opt-in: user and bot messages share one id sequence per chat, as in Telegram
        # (off by default: the older tests number user messages from 10 001).
        self.shared_message_ids = False
        self._updates: list[dict[str, Any]] = []
        self._again: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._new_update = asyncio.Event()
        self._processed = asyncio.Event()
        self._call_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.max_poll_seconds = 0.5

    # -- server lifecycle ---------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        """Listen on ``port`` (0: any free port; a stopped server's port to reopen it)."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            # Wake a pending long poll: the client has gone, and cleanup would
            # otherwise wait for its handler to time out.
            self._new_update.set()
            await self._runner.cleanup()
            self._runner = None

    async def reopen(self) -> None:
        """Start again on the same port after `stop` (a network outage that ends)."""
        await self.start(self.port)

    # -- HTTP -----------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params = await request.json()
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    files[key] = value.file.read()
                else:
                    params[key] = _decode(value)
        params.update({k: _decode(v) for k, v in request.query.items()})
        if method != "getUpdates":
            self.calls.append(Call(method, params, time.monotonic()))
            self._call_event.set()
            if self.fault is not None:
                outcome = self.fault(method, params)
                if outcome is not None:
                    status, description, retry_after = outcome
                    body: dict[str, Any] = {
                        "ok": False,
                        "error_code": status,
                        "description": description,
                    }
                    if retry_after is not None:
                        body["parameters"] = {"retry_after": retry_after}
                    return web.json_response(body, status=status)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return web.json_response({"ok": True, "result": True})
        result = await handler(params, files)
        return web.json_response({"ok": True, "result": result})

    # -- Bot API methods ------------------------------------------------------
    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Ulasan",
            "username": BOT_USERNAME,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_seconds)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and not self._again and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        limit = int(params.get("limit") or 100)
        again, self._again = self._again, []
        return again + self._updates[:limit]

    def _new_message(
        self, chat_id: int, text: str, markup: Any, kind: str = "text", file: bytes | None = None
    ) -> Sent:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        sent = Sent(chat_id, next(counter), text, markup or None, kind, file=file)
        self.messages[(chat_id, sent.message_id)] = sent
        return sent

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(int(params["chat_id"]), params["text"], params.get("reply_markup"))
        return sent.as_message()

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(
            int(params["chat_id"]),
            params.get("caption", ""),
            params.get("reply_markup"),
            "photo",
            files.get("photo"),
        )
        message = sent.as_message()
        message["photo"] = [
            {"file_id": f"photo{sent.message_id}", "file_unique_id": "p", "width": 1, "height": 1}
        ]
        return message

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(
            int(params["chat_id"]),
            params.get("caption", ""),
            params.get("reply_markup"),
            "document",
            files.get("document"),
        )
        message = sent.as_message()
        message["document"] = {"file_id": f"doc{sent.message_id}", "file_unique_id": "d"}
        return message

    def _existing(self, params: dict[str, Any]) -> Sent:
        key = (int(params["chat_id"]), int(params["message_id"]))
        return self.messages[key]

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._existing(params)
        sent.text = params["text"]
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return sent.as_message()

    async def _m_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        sent = self._existing(params)
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return sent.as_message()

    async def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._existing(params)
        sent.text = params.get("caption", "")
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return sent.as_message()

    # -- driving ---------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        self._updates.append(update)
        self._new_update.set()
        return update_id

    def redeliver(
        self, update_id: int, payload: dict[str, Any], *, confirmed: bool = False
    ) -> None:
        """Deliver an update again with the same id (Telegram's at-least-once).

        ``confirmed``: even though the bot already confirmed it (a later offset),
        as after a restart that lost the offset; it goes out with the next poll.
        """
        again = dict(payload)
        again["update_id"] = update_id
        (self._again if confirmed else self._updates).append(again)
        self._new_update.set()

    def processed(self, update: object) -> None:
        """Listener for the update processor: record a finished update."""
        update_id = getattr(update, "update_id", None)
        if update_id is not None:
            self.processed_ids.add(update_id)
            self.processed_times[update_id] += 1
            self._processed.set()

    async def wait_processed(self, update_id: int, timeout: float = 10.0, times: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self.processed_times[update_id] < times:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"update {update_id} was not processed in {timeout}s")
            self._processed.clear()
            try:
                await asyncio.wait_for(self._processed.wait(), remaining)
            except TimeoutError:
                continue

    async def wait_for_calls(
        self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.calls):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("the bot did not make the expected calls in time")
            self._call_event.clear()
            try:
                await asyncio.wait_for(self._call_event.wait(), min(remaining, 0.2))
            except TimeoutError:
                continue

    def user(
        self, user_id: int, first_name: str = "Warga", language_code: str | None = "id"
    ) -> FakeUser:
        return FakeUser(self, user_id, first_name, language_code)

    def chat_messages(self, chat_id: int) -> list[Sent]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def delivered(self) -> Counter[str]:
        """How many times each text (or caption) was accepted, over all chats."""
        return Counter(message.text for message in self.messages.values())

    def delivered_to(self) -> Counter[int]:
        """How many messages each chat was sent (accepted calls only)."""
        return Counter(chat_id for chat_id, _ in self.messages)

    def calls_to(self, chat_id: int, method: str | None = None) -> list[Call]:
        return [
            c for c in self.calls if c.chat_id == chat_id and (method is None or c.method == method)
        ]


@dataclass
class Reply:
    """What the bot did in answer to one user action."""

    calls: list[Call] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.calls if c.text]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


class FakeUser:
    def __init__(
        self, api: FakeBotApi, user_id: int, first_name: str, language_code: str | None
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        if self.api.shared_message_ids:
            message_id = next(self.api._message_ids.setdefault(self.id, itertools.count(1)))
        else:
            message_id = 10_000 + next(self._message_ids)
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "from": self._from(),
            **content,
        }

    async def _act(self, update: dict[str, Any], query_id: str | None = None) -> Reply:
        before = len(self.api.calls)
        update_id = self.api.push_update(update)
        await self.api.wait_processed(update_id)
        calls = self.api.calls[before:]
        mine = [c for c in calls if c.chat_id == self.id]
        alerts = [
            str(c.params.get("text", ""))
            for c in calls
            if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        ]
        answered = [
            c
            for c in calls
            if c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
        ]
        return Reply(calls=mine + answered, alerts=[a for a in alerts if a])

    async def send(self, text: str) -> Reply:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._act({"message": self._message(**content)})

    async def send_sticker(self) -> Reply:
        sticker = {
            "file_id": "sticker1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._act({"message": self._message(sticker=sticker)})

    async def send_photo(self) -> Reply:
        photo = [{"file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90}]
        return await self._act({"message": self._message(photo=photo)})

    async def send_voice(self) -> Reply:
        voice = {"file_id": "voice1", "file_unique_id": "v1", "duration": 2}
        return await self._act({"message": self._message(voice=voice)})

    @property
    def messages(self) -> list[Sent]:
        return self.api.chat_messages(self.id)

    @property
    def last(self) -> Sent:
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot sent nothing to user {self.id}")
        return messages[-1]

    def last_with_buttons(self) -> Sent:
        for message in reversed(self.messages):
            if message.buttons():
                return message
        raise AssertionError(f"no message with buttons for user {self.id}")

    async def press(self, label: str, message: Sent | None = None) -> Reply:
        """Press the button whose text equals (or starts with) ``label``."""
        message = message or self.last_with_buttons()
        buttons = message.buttons()
        match = [b for b in buttons if b["text"] == label] or [
            b for b in buttons if b["text"].startswith(label)
        ]
        if not match:
            raise AssertionError(f"no button {label!r} in {message.button_texts()}")
        button = match[0]
        if "url" in button:
            raise AssertionError(f"button {label!r} is a URL button")
        return await self.press_data(button["callback_data"], message)

    async def press_data(self, data: str, message: Sent | None = None) -> Reply:
        """Send a callback query with any data (also forged) from ``message``."""
        if message is None:
            messages = self.messages
            message = messages[-1] if messages else Sent(self.id, 1, "", None)
        query_id = f"{self.id}-{next(self._query_ids)}"
        update = {
            "callback_query": {
                "id": query_id,
                "from": self._from(),
                "chat_instance": str(self.id),
                "data": data,
                "message": message.as_message(),
            }
        }
        return await self._act(update, query_id)
