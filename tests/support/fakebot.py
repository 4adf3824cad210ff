"""A fake Telegram Bot API server over real HTTP (aiohttp, 127.0.0.1): the one fake of
the tests and the benchmarks.

The bot under test talks to it exactly as to Telegram: long-polling
``getUpdates``, ``sendMessage``, ``editMessageText``, ``answerCallbackQuery``,
``getFile`` and the download route (``GET /file/bot<token>/<file_path>``, PTB's
``base_file_url``, which ``Settings.telegram_file_url`` derives)… Tests act as
users (`FakeBotApi.user` → ``tests/support/fakeuser.py``) and read what the bot
sent (``tests/support/records.py``: each call, each message as the user sees it).

Like Telegram, an edit that changes nothing is refused ("message is not
modified") and a button press is answered once (a second answer: "query is
too old").

Failing like Telegram: `FakeBotApi.fault` is a test's hook that may refuse any
call (429 with retry_after, 5xx, 403, 400 …); ``pushback=`` adds Telegram's own
pushback as rules (``tests/support/pushback.py``: a rate limit, every n-th call
of chosen methods answered 502 or 429 or stalled past a timeout, a round trip).

Lean mode, for a benchmark's driver: ``record_calls=False`` keeps no call log
(every call is still counted in `counts`); ``message_listeners`` hear of each
message the bot sends or edits, as it arrives.

Waiting: a user's action returns once the bot has finished processing that
update. In-process tests connect `processed()` to the application's update
processor (see ``tests/support/app.py``); subprocess tests use `wait_for_calls`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from tests.support.fakeuser import FakeUser
from tests.support.pushback import Pushback, Refusal, Stall
from tests.support.records import BOT_ID, Call, Sent, StoredFile

BOT_USERNAME = "UlasanTestBot"
# Telegram's own descriptions of two refusals the fake gives as Telegram does.
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
TOKEN = "123456:TEST-TOKEN-0123456789abcdefghijklmn"

Fault = Callable[[str, dict[str, Any]], "tuple[int, str, int | None] | None"]
# Hears of each message the bot sends or edits: (method, the message as shown now).
MessageListener = Callable[[str, Sent], None]


class ApiError(Exception):
    """Raised by a method of the fake to answer like Telegram's errors."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.refusal = Refusal(status, description)


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeBotApi:
    def __init__(
        self,
        token: str = TOKEN,
        *,
        username: str = BOT_USERNAME,
        pushback: Pushback | None = None,
        record_calls: bool = True,
        max_poll_seconds: float = 0.5,
    ) -> None:
        self.token = token
        self.username = username
        self.pushback = pushback
        self.record_calls = record_calls  # False: the lean mode, no call log
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()  # every call by method, getUpdates too
        self.messages: dict[tuple[int, int], Sent] = {}
        self.message_listeners: list[MessageListener] = []
        self.files: dict[str, StoredFile] = {}
        self.fault: Fault | None = None
        self.polled = asyncio.Event()  # set by the first getUpdates
        self.processed_ids: set[int] = set()
        # How many times each update was processed (a redelivered one counts again).
        self.processed_times: Counter[int] = Counter()
        # Opt-in: user and bot messages share one id sequence per chat, as in Telegram
        # (off by default: the older tests number user messages from 10 001).
        self.shared_message_ids = False
        self._updates: list[dict[str, Any]] = []
        self._answered: set[str] = set()  # callback query ids answered
        self._again: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._new_update = asyncio.Event()
        self._processed = asyncio.Event()
        self._call_event = asyncio.Event()
        self._file_ids = itertools.count(1)
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.max_poll_seconds = max_poll_seconds
        # Public channels the bot can see: "@username" -> (chat id, title, bot is admin).
        self.channels: dict[str, tuple[int, str, bool]] = {}
        # Webhook mode: what setWebhook asked for; once set, updates are posted there (or
        # round-robin to `webhook_targets`, the reverse proxy's workers), one chat's in
        # order, each posted again until a worker answers 200, as Telegram does.
        self.webhook: dict[str, Any] | None = None
        self.webhook_set = asyncio.Event()
        self.webhook_targets: list[str] = []
        self.webhook_retry_seconds = 0.2
        # Redelivery: post every taken update once more, to the next target.
        self.webhook_redeliver = False
        self.webhook_posts: Counter[int] = Counter()  # posts per update_id, retries too
        self._chat_posts: dict[int, list[dict[str, Any]]] = {}
        self._chat_posters: dict[int, asyncio.Task[None]] = {}
        self._next_target = itertools.count()
        self._client: Any = None

    # -- server lifecycle ---------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        """Listen on ``port`` (0: any free port; a stopped server's port to reopen it)."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        self._stopping.clear()
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        for poster in self._chat_posters.values():
            poster.cancel()
        await asyncio.gather(*self._chat_posters.values(), return_exceptions=True)
        self._chat_posters.clear()
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._runner is not None:
            # Wake a pending long poll: the client has gone, and cleanup would
            # otherwise wait for its handler to time out. Likewise a stalled answer.
            self._new_update.set()
            self._stopping.set()
            await self._runner.cleanup()
            self._runner = None

    async def reopen(self) -> None:
        """Start again on the same port after `stop` (a network outage that ends)."""
        await self.start(self.port)

    # -- HTTP -----------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        rtt = self.pushback.rtt if self.pushback is not None else 0.0
        if rtt:
            await asyncio.sleep(rtt / 2)
        response = await self._respond(request)
        if rtt:
            await asyncio.sleep(rtt / 2)
        return response

    async def _respond(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _refuse(Refusal(401, "Unauthorized"))
        method = request.match_info["method"]
        self.counts[method] += 1
        params, files = await _read(request)
        stall: Stall | None = None
        if method != "getUpdates":
            if self.record_calls:
                self.calls.append(Call(method, params, time.monotonic()))
                self._call_event.set()
            verdict = self._verdict(method, params)
            if isinstance(verdict, Refusal):
                return _refuse(verdict)
            stall = verdict
        handler = getattr(self, f"_m_{method}", None)
        try:
            result = True if handler is None else await handler(params, files)
        except ApiError as error:
            return _refuse(error.refusal)
        if stall is not None:
            await self._hold(stall.seconds)
        return web.json_response({"ok": True, "result": result})

    def _verdict(self, method: str, params: dict[str, Any]) -> Refusal | Stall | None:
        """The test's fault hook first, then Telegram's pushback."""
        if self.fault is not None:
            outcome = self.fault(method, params)
            if outcome is not None:
                return Refusal(*outcome)
        if self.pushback is not None:
            return self.pushback.decide(method, params)
        return None

    async def _hold(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def _download(self, request: web.Request) -> web.Response:
        """``GET /file/bot<token>/<file_path>``: a file's bytes, as Telegram serves them."""
        path = request.match_info["file_path"]
        found = [f for f in self.files.values() if f.file_path == path]
        if request.match_info["token"] != self.token or not found:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=found[0].content, content_type="application/octet-stream")

    # -- Bot API methods ------------------------------------------------------
    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Ulasan",
            "username": self.username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.polled.set()
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

    def _channel(self, chat_id: Any) -> tuple[str, tuple[int, str, bool]]:
        for name, channel in self.channels.items():
            if str(chat_id).lower() in (name.lower(), str(channel[0])):
                return name, channel
        raise ApiError(400, "Bad Request: chat not found")

    async def _m_getChat(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        name, (chat_id, title, _admin) = self._channel(params["chat_id"])
        return {
            "id": chat_id,
            "type": "channel",
            "title": title,
            "username": name.lstrip("@"),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_getChatMember(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        _name, (_chat_id, _title, admin) = self._channel(params["chat_id"])
        user = {"id": int(params["user_id"]), "is_bot": True, "first_name": "Ulasan"}
        if not admin:
            return {"status": "left", "user": user}
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": False,
            "can_manage_video_chats": False,
            "can_restrict_members": False,
            "can_promote_members": False,
            "can_change_info": False,
            "can_invite_users": False,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_post_messages": True,
        }

    def _new_message(
        self, chat_id: int, text: str, markup: Any, kind: str = "text", file: bytes | None = None
    ) -> Sent:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        sent = Sent(chat_id, next(counter), text, markup or None, kind, file=file)
        self.messages[(chat_id, sent.message_id)] = sent
        return sent

    def _shown(self, method: str, sent: Sent) -> dict[str, Any]:
        for listener in self.message_listeners:
            listener(method, sent)
        return sent.as_message()

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(int(params["chat_id"]), params["text"], params.get("reply_markup"))
        return self._shown("sendMessage", sent)

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(
            int(params["chat_id"]),
            params.get("caption", ""),
            params.get("reply_markup"),
            "photo",
            files.get("photo"),
        )
        stored = self._upload(params, files, "photo", "photos", "photo.jpg")
        message = self._shown("sendPhoto", sent)
        message["photo"] = [stored.described(width=1, height=1)]
        return message

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._new_message(
            int(params["chat_id"]),
            params.get("caption", ""),
            params.get("reply_markup"),
            "document",
            files.get("document"),
        )
        stored = self._upload(params, files, "document", "documents", "document")
        message = self._shown("sendDocument", sent)
        message["document"] = stored.described()
        return message

    def _existing(self, params: dict[str, Any]) -> Sent:
        key = (int(params["chat_id"]), int(params["message_id"]))
        return self.messages[key]

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._existing(params)
        if sent.text == params["text"] and sent.reply_markup == (
            params.get("reply_markup") or None
        ):
            raise ApiError(400, NOT_MODIFIED)
        sent.text = params["text"]
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return self._shown("editMessageText", sent)

    async def _m_editMessageReplyMarkup(
        self, params: dict[str, Any], files: dict[str, bytes]
    ) -> Any:
        sent = self._existing(params)
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return self._shown("editMessageReplyMarkup", sent)

    async def _m_editMessageCaption(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        sent = self._existing(params)
        sent.text = params.get("caption", "")
        sent.reply_markup = params.get("reply_markup") or None
        sent.edits += 1
        return self._shown("editMessageCaption", sent)

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        """Telegram takes one answer per button press; a second is refused."""
        query_id = str(params.get("callback_query_id"))
        if query_id in self._answered:
            raise ApiError(400, QUERY_TOO_OLD)
        self._answered.add(query_id)
        return True

    # -- files ----------------------------------------------------------------
    def store_file(self, content: bytes, folder: str, name: str) -> StoredFile:
        """Hold ``content`` under a new file id, at ``<folder>/file_<n><suffix of name>``."""
        number = next(self._file_ids)
        suffix = PurePosixPath(name).suffix
        stored = StoredFile(
            f"file{number}", f"unique{number}", f"{folder}/file_{number}{suffix}", content
        )
        self.files[stored.file_id] = stored
        return stored

    def _upload(
        self, params: dict[str, Any], files: dict[str, bytes], field: str, folder: str, name: str
    ) -> StoredFile:
        """The file a send method carries: uploaded bytes, or a known file id sent again."""
        if field in files:
            return self.store_file(files[field], folder, name)
        known = self.files.get(str(params.get(field)))
        return known if known is not None else self.store_file(b"", folder, name)

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        stored = self.files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.as_file()

    # -- driving ---------------------------------------------------------------
    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update["update_id"] = update_id
        if self.webhook is not None:
            self._post_later(update)
            return update_id
        self._updates.append(update)
        self._new_update.set()
        return update_id

    # -- webhook mode -----------------------------------------------------------
    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        self.webhook_set.set()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = None
        return True

    def _post_later(self, update: dict[str, Any]) -> None:
        chat = _chat_of(update)
        self._chat_posts.setdefault(chat, []).append(update)
        poster = self._chat_posters.get(chat)
        if poster is None or poster.done():
            self._chat_posters[chat] = asyncio.create_task(self._post_chat(chat))

    async def _post_chat(self, chat: int) -> None:
        waiting = self._chat_posts[chat]
        while waiting:
            await self._post_until_accepted(waiting[0])
            if self.webhook_redeliver and self.webhook_targets:
                target = self.webhook_targets[next(self._next_target) % len(self.webhook_targets)]
                await self.post_webhook(waiting[0], url=target)
            waiting.pop(0)

    async def _post_until_accepted(self, update: dict[str, Any], limit: float = 60.0) -> None:
        deadline = time.monotonic() + limit
        while True:
            targets = self.webhook_targets or [self.webhook["url"] if self.webhook else ""]
            target = targets[next(self._next_target) % len(targets)]
            if await self.post_webhook(update, url=target) == 200:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no worker took update {update['update_id']}")
            await asyncio.sleep(self.webhook_retry_seconds)

    async def post_webhook(
        self, update: dict[str, Any], *, url: str | None = None, secret: str | None = None
    ) -> int:
        """Post one update to the bot's webhook once, with the secret (or ``secret``);
        the HTTP status, 0 when no worker answered (refused, reset, too slow)."""
        import aiohttp

        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        assert self.webhook is not None or url is not None, "no webhook set"
        target = url or (self.webhook or {})["url"]
        token = secret if secret is not None else (self.webhook or {}).get("secret_token") or ""
        if isinstance(update.get("update_id"), int):
            self.webhook_posts[update["update_id"]] += 1
        try:
            async with self._client.post(
                target, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": token}
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def webhook_idle(self, timeout: float = 30.0) -> None:
        """Wait until every update pushed has been taken by a worker (answered 200)."""
        deadline = time.monotonic() + timeout
        while any(not p.done() for p in self._chat_posters.values()):
            if time.monotonic() > deadline:
                raise TimeoutError("updates still waiting for a worker")
            await asyncio.sleep(0.05)

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
        update_id = update if isinstance(update, int) else getattr(update, "update_id", None)
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


def _chat_of(update: dict[str, Any]) -> int:
    """The chat an update belongs to (Telegram posts one chat's updates in order)."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        body = update.get(kind)
        if isinstance(body, dict):
            chat = body.get("chat") or (body.get("message") or {}).get("chat")
            if chat:
                return int(chat["id"])
            return int((body.get("from") or {}).get("id", 0))
    return 0


def _refuse(refusal: Refusal) -> web.Response:
    return web.json_response(refusal.body(), status=refusal.status)


async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A call's parameters (JSON-encoded values decoded) and its uploaded files."""
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
    return params, files
