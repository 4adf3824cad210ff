"""Shared pieces of the fault-injection tests: watching for errors, locking the database.

`ErrorWatch` fails a test when the application logged anything at ERROR (the
error handler in ``handlers/common.py`` logs every unhandled exception there)
or sent its apology to a user. `database_locked` holds the database (SQLite:
``BEGIN IMMEDIATE`` plus a write from another connection; PostgreSQL: ``LOCK
TABLE … IN ACCESS EXCLUSIVE MODE``) for a moment, as a backup, an import or a
second process would. `answered` checks that every update got an answer.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy.engine import make_url

from tests.support.fakebot import FakeBotApi, Fault
from tests.support.fakeuser import FakeUser
from tests.support.records import Call, Sent

# The error handler's apology (handlers/common.py), in both languages and its fallback.
APOLOGIES = ("Sorry, something went wrong", "Maaf, terjadi kesalahan")


class ErrorWatch(logging.Handler):
    """Collects every ERROR (or worse) record logged anywhere while installed."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def describe(self) -> str:
        lines = []
        for record in self.records:
            lines.append(f"{record.name}: {record.getMessage()}")
            if record.exc_info and record.exc_info[1] is not None:
                lines.append(f"    {record.exc_info[0].__name__}: {record.exc_info[1]}")
        return "\n".join(lines)

    def check(self, calls: Iterable[Call] = ()) -> None:
        """Fail if an error was logged or a user was sent the apology."""
        assert not self.records, "the application logged errors:\n" + self.describe()
        apologies = [c for c in calls if any(a in c.text for a in APOLOGIES)]
        assert not apologies, f"a user was told something went wrong: {apologies[0]}"


@contextmanager
def watch_errors() -> Iterator[ErrorWatch]:
    watch = ErrorWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    try:
        yield watch
    finally:
        root.removeHandler(watch)


def unanswered_queries(calls: list[Call], query_ids: Iterable[str]) -> list[str]:
    """The callback query ids among ``query_ids`` that got no answerCallbackQuery."""
    answered = {
        str(c.params.get("callback_query_id")) for c in calls if c.method == "answerCallbackQuery"
    }
    return [q for q in query_ids if q not in answered]


@asynccontextmanager
async def database_locked(
    url: str, seconds: float, table: str = "survey_responses"
) -> AsyncIterator[asyncio.Task[None]]:
    """Lock the database from another connection for ``seconds``, starting now.

    Yields once the lock is held; the lock is released by a background task
    after ``seconds`` (awaited on exit). SQLite: ``BEGIN IMMEDIATE`` and a real
    write (so the bot's earlier read snapshots are outdated when it commits),
    the whole file is locked for writers. PostgreSQL: the table locked in
    ACCESS EXCLUSIVE mode, so even reading it waits.
    """
    parsed = make_url(url)
    release: asyncio.Task[None]
    if parsed.get_backend_name() == "sqlite":
        import aiosqlite

        connection = await aiosqlite.connect(parsed.database or "", isolation_level=None)
        await connection.execute("BEGIN IMMEDIATE")
        await connection.execute(
            f"UPDATE {table} SET id = id WHERE id IN (SELECT min(id) FROM {table})"
        )

        async def hold_sqlite() -> None:
            try:
                await asyncio.sleep(seconds)
                await connection.execute("COMMIT")
            finally:
                await connection.close()

        release = asyncio.create_task(hold_sqlite())
    else:
        import asyncpg

        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        connection_pg: Any = await asyncpg.connect(dsn)
        transaction = connection_pg.transaction()
        await transaction.start()
        await connection_pg.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        async def hold_pg() -> None:
            try:
                await asyncio.sleep(seconds)
                await transaction.commit()
            finally:
                await connection_pg.close()

        release = asyncio.create_task(hold_pg())
    try:
        yield release
    finally:
        await release


# -- Telegram's refusals that the fake server does not make by itself ---------------------

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
NOT_FOUND = "Bad Request: message to edit not found"


def telegram_refusals(api: FakeBotApi) -> Fault:
    """A fault hook that answers like Telegram where the fake server is lenient.

    A callback query can be answered once (a redelivered press gets "query is
    too old"); an edit that changes nothing is "not modified"; an edit of a
    message that does not exist is "not found".
    """
    answered: set[str] = set()

    def fault(method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        if method == "answerCallbackQuery":
            query_id = str(params.get("callback_query_id"))
            if query_id in answered:
                return 400, QUERY_TOO_OLD, None
            answered.add(query_id)
            return None
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            try:
                key = (int(params["chat_id"]), int(params["message_id"]))
            except (KeyError, TypeError, ValueError):
                return None
            shown = api.messages.get(key)
            if shown is None:
                return 400, NOT_FOUND, None
            markup = params.get("reply_markup") or None
            text = params.get("text", params.get("caption", shown.text))
            if method == "editMessageReplyMarkup":
                text = shown.text
            if text == shown.text and markup == shown.reply_markup:
                return 400, NOT_MODIFIED, None
        return None

    return fault


# -- raw updates, for delivering the same one twice ----------------------------------------


def press_update(
    user: FakeUser, data: str, message: Sent | None = None
) -> tuple[dict[str, Any], str]:
    """A callback query update as `FakeUser.press_data` builds it; (update, query id)."""
    if message is None:
        messages = user.messages
        message = messages[-1] if messages else Sent(user.id, 1, "", None)
    query_id = f"{user.id}-{next(user._query_ids)}"
    update = {
        "callback_query": {
            "id": query_id,
            "from": user._from(),
            "chat_instance": str(user.id),
            "data": data,
            "message": message.as_message(),
        }
    }
    return update, query_id


def text_update(user: FakeUser, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": user._message(**content)}


async def deliver(api: FakeBotApi, update: dict[str, Any]) -> int:
    """Deliver an update once and wait until the bot has processed it; its id."""
    update_id = api.push_update(update)
    await api.wait_processed(update_id)
    return update_id


async def deliver_again(api: FakeBotApi, update_id: int, update: dict[str, Any]) -> None:
    """Telegram sends an update the bot already confirmed once more, with the same id."""
    times = api.processed_times[update_id]
    api.redeliver(update_id, update, confirmed=True)
    await api.wait_processed(update_id, times=times + 1)


# -- a driver for property-based tests against the running Application ------------------


def media_update(user: FakeUser, kind: str) -> dict[str, Any]:
    """A sticker, photo, voice message, contact or location from ``user``."""
    content: dict[str, Any] = {
        "sticker": {
            "sticker": {
                "file_id": "sticker1",
                "file_unique_id": "s1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        "photo": {
            "photo": [{"file_id": "photo1", "file_unique_id": "p1", "width": 90, "height": 90}],
            "caption": "foto antrean",
        },
        "voice": {"voice": {"file_id": "voice1", "file_unique_id": "v1", "duration": 2}},
        "contact": {"contact": {"phone_number": "+6281234567890", "first_name": "Warga"}},
        "location": {"location": {"latitude": -6.2, "longitude": 106.8}},
    }[kind]
    return {"message": user._message(**content)}


class Driver:
    """Delivers updates one by one (or two at once) and checks that each is answered.

    Every callback query must get an ``answerCallbackQuery`` and every new
    message a message back, while the update is being processed. Keyboards
    the user has seen are kept (as they were) for stale presses later.
    """

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.seen: dict[int, list[Sent]] = {}
        self.last: dict[int, tuple[int, dict[str, Any]]] = {}
        self.trace: list[str] = []

    def _remember_keyboards(self, user: FakeUser) -> None:
        seen = self.seen.setdefault(user.id, [])
        for message in user.messages:
            if message.buttons() and not any(
                s.message_id == message.message_id and s.reply_markup == message.reply_markup
                for s in seen
            ):
                seen.append(copy.deepcopy(message))

    def _describe(self, user: FakeUser, what: str, calls: list[Call]) -> None:
        replies = [f"{c.method}:{(c.text or '')[:60]!r}" for c in calls if c.method != "getUpdates"]
        self.trace.append(f"{user.id} {what} -> {replies}")

    async def deliver(
        self, user: FakeUser, update: dict[str, Any], what: str, query_id: str | None = None
    ) -> list[Call]:
        before = len(self.api.calls)
        update_id = self.api.push_update(update)
        await self.api.wait_processed(update_id)
        calls = self.api.calls[before:]
        self._describe(user, what, calls)
        self.last[user.id] = (update_id, update)
        self._check_answered(user, calls, [query_id] if query_id else [], "message" in update)
        self._remember_keyboards(user)
        return calls

    async def deliver_two(
        self, user: FakeUser, first: tuple[dict[str, Any], str], second: tuple[dict[str, Any], str]
    ) -> list[Call]:
        """A double tap: both updates on their way before the first is processed."""
        before = len(self.api.calls)
        ids = [self.api.push_update(first[0]), self.api.push_update(second[0])]
        for update_id in ids:
            await self.api.wait_processed(update_id)
        calls = self.api.calls[before:]
        self._describe(user, f"double tap {first[0]['callback_query']['data']!r}", calls)
        self.last[user.id] = (ids[1], second[0])
        self._check_answered(user, calls, [first[1], second[1]], False)
        self._remember_keyboards(user)
        return calls

    async def redeliver_last(self, user: FakeUser) -> list[Call]:
        if user.id not in self.last:
            return []
        update_id, update = self.last[user.id]
        before = len(self.api.calls)
        await deliver_again(self.api, update_id, update)
        calls = self.api.calls[before:]
        self._describe(user, f"redelivered update {update_id}", calls)
        self._remember_keyboards(user)
        return calls

    def _check_answered(
        self, user: FakeUser, calls: list[Call], query_ids: list[str], is_message: bool
    ) -> None:
        missing = unanswered_queries(calls, query_ids)
        assert not missing, f"button presses not answered: {missing}\n" + "\n".join(self.trace)
        if is_message:
            sent = [c for c in calls if c.method.startswith("send") and c.chat_id == user.id]
            assert sent, "a message got no reply\n" + "\n".join(self.trace)

    def pressable(self, user: FakeUser) -> Sent | None:
        """A message a forged press can come from: the bot's latest (None: nothing yet).

        Telegram only sends a press for a message of the bot in that chat, whatever
        data a modified client puts in it."""
        messages = user.messages
        return messages[-1] if messages else None

    async def press(self, user: FakeUser, data: str, message: Sent | None, what: str) -> None:
        if message is None:  # nothing to press yet: the user opens the bot instead
            await self.send(user, "/start")
            return
        update, query_id = press_update(user, data, message)
        await self.deliver(user, update, f"{what} {data!r}", query_id)

    async def double_tap(self, user: FakeUser, data: str, message: Sent | None) -> None:
        await self.deliver_two(
            user, press_update(user, data, message), press_update(user, data, message)
        )

    async def send(self, user: FakeUser, text: str) -> None:
        await self.deliver(user, text_update(user, text), f"text {text[:40]!r}")

    async def send_media(self, user: FakeUser, kind: str) -> None:
        await self.deliver(user, media_update(user, kind), kind)

    async def press_current(
        self,
        user: FakeUser,
        kind: str,
        args: list[Any],
        *,
        entry: str,
        forward: Callable[[str], bool],
        record: Callable[[str], None],
    ) -> None:
        """The script steps on the user's current keyboard: ``advance``/``run`` press
        a button that moves forward (``run``: ``args[1]`` times), ``press`` any
        button, ``double`` any button twice; with no keyboard yet, send ``entry``."""
        for _ in range(args[1] if kind == "run" else 1):
            message = self.current_keyboard(user)
            if message is None:
                await self.send(user, entry)
                continue
            buttons = [b for b in message.buttons() if "callback_data" in b]
            if kind in ("advance", "run"):
                buttons = [b for b in buttons if forward(b["callback_data"])] or buttons
            data = buttons[args[0] % len(buttons)]["callback_data"]
            record(data)
            if kind == "double":
                await self.double_tap(user, data, message)
            else:
                await self.press(user, data, message, kind)

    async def press_stale(
        self, user: FakeUser, args: list[Any], record: Callable[[str], None]
    ) -> None:
        """Press a button of one of the user's older keyboards (``args``: which, which button)."""
        message = self.stale_keyboard(user, args[0])
        if message is None:
            return
        buttons = [b for b in message.buttons() if "callback_data" in b]
        data = buttons[args[1] % len(buttons)]["callback_data"]
        record(data)
        await self.press(user, data, message, "stale")

    def stale_keyboard(self, user: FakeUser, index: int) -> Sent | None:
        seen = self.seen.get(user.id) or []
        return seen[index % len(seen)] if seen else None

    def current_keyboard(self, user: FakeUser) -> Sent | None:
        for message in reversed(user.messages):
            if message.buttons():
                return message
        return None
