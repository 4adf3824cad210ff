"""The bot's HTTP client on aiohttp (`scheduler.aiohttp_request`) behaves as PTB's own.

Real sockets on 127.0.0.1 throughout: the fake Bot API for what Telegram
answers, and two small servers of this module for what it cannot do (read a
multipart body back field by field, drop a connection without an answer).
Each failure must come out as PTB's exception with aiohttp's as its cause, and
say whether the request may have reached Telegram (`NOT_SENT`), because the
replies' retries (``scheduler/reply_request.py``) depend on exactly that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.core.clock import Clock
from scheduler.aiohttp_request import NOT_SENT, AiohttpRequest, PoolTimeout, telegram_request
from scheduler.reply_request import RetryingRequest
from tests.support.fakebot import TOKEN, FakeBotApi
from tests.support.pushback import Pushback, Stall

CHAT = 4200


async def started(request: AiohttpRequest, api_url: str) -> Bot:
    bot = Bot(TOKEN, base_url=api_url, request=request)
    await bot.initialize()
    return bot


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A server that answers every call ``ok`` and records its body part by part."""
    seen: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        parts: dict[str, Any] = {"content_type": request.content_type}
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, aiohttp.BodyPartReader)
                parts[part.name or ""] = (part.filename, part.headers.get("Content-Type"))
                parts[f"{part.name}:bytes"] = await part.read()
        else:
            parts.update(await request.post())
        parts["user_agent"] = request.headers.get("User-Agent", "")
        seen.append(parts)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/bot", seen
    await runner.cleanup()


@pytest.fixture
async def dropper() -> AsyncIterator[tuple[str, list[int]]]:
    """A server that reads each request and closes the connection without an answer."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", connections
    server.close()
    await server.wait_closed()


async def test_a_call_is_a_form_and_a_document_is_multipart_with_its_name_and_type(recorder):
    url, seen = recorder
    request = AiohttpRequest()
    try:
        await request.post(f"{url}/sendMessage", _data(chat_id=CHAT, text="Halo"))
        report = InputFile(b"PK\x03\x04xlsx", filename="ikm.xlsx")
        await request.post(f"{url}/sendDocument", _data(chat_id=CHAT, document=report))
    finally:
        await request.shutdown()
    form, upload = seen
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert (form["chat_id"], form["text"]) == (str(CHAT), "Halo")
    assert form["user_agent"].startswith("python-telegram-bot")
    assert upload["content_type"] == "multipart/form-data"
    assert upload["document"][0] == "ikm.xlsx"
    assert upload["document"][1] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert upload["document:bytes"] == b"PK\x03\x04xlsx"
    assert upload["chat_id:bytes"] == str(CHAT).encode()


def _data(**values: Any) -> RequestData:
    """What PTB hands a request for a call with these parameters."""
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_a_document_reaches_the_fake_telegram_through_the_bot(fake_api: FakeBotApi):
    bot = await started(AiohttpRequest(), fake_api.base_url)
    try:
        sent = await bot.send_document(CHAT, b"%PDF-1.7 laporan", filename="laporan.pdf")
    finally:
        await bot.shutdown()
    assert sent.document is not None
    stored = fake_api.files[sent.document.file_id]
    assert stored.content == b"%PDF-1.7 laporan"


async def test_a_read_timeout_is_timed_out_and_may_have_arrived(fake_api: FakeBotApi):
    fake_api.pushback = Pushback(_First(Stall(2.0)))
    bot = await started(AiohttpRequest(read_timeout=0.2), fake_api.base_url)
    try:
        with pytest.raises(TimedOut) as raised:
            await bot.send_message(CHAT, "Pertanyaan 1/9")
    finally:
        await bot.shutdown()
    assert isinstance(raised.value.__cause__, aiohttp.SocketTimeoutError)
    assert not isinstance(raised.value.__cause__, NOT_SENT)
    assert [m.text for m in fake_api.chat_messages(CHAT)] == ["Pertanyaan 1/9"]


async def test_a_full_pool_times_out_without_sending(fake_api: FakeBotApi):
    fake_api.pushback = Pushback(_First(Stall(0.6)))
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.1)
    bot = await started(request, fake_api.base_url)
    try:
        slow = asyncio.ensure_future(bot.send_message(CHAT, "a"))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="Pool timeout") as raised:
            await bot.send_message(CHAT + 1, "b")
        await slow
    finally:
        await bot.shutdown()
    assert isinstance(raised.value.__cause__, PoolTimeout)
    assert isinstance(raised.value.__cause__, NOT_SENT)
    assert fake_api.chat_messages(CHAT + 1) == []


async def test_a_refused_connection_was_not_sent(fake_api: FakeBotApi):
    request = AiohttpRequest()
    await fake_api.stop()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"{fake_api.base_url}{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert isinstance(raised.value.__cause__, aiohttp.ClientConnectorError)
    assert isinstance(raised.value.__cause__, NOT_SENT)


async def test_a_dropped_connection_may_have_arrived_so_a_new_message_goes_once_more(dropper):
    url, connections = dropper
    request = AiohttpRequest()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(url, _data(chat_id=CHAT, text="Halo"))
    finally:
        await request.shutdown()
    assert isinstance(raised.value.__cause__, aiohttp.ServerDisconnectedError)
    assert not isinstance(raised.value.__cause__, NOT_SENT)
    assert len(connections) == 1  # aiohttp itself never repeats a POST

    retrying = RetryingRequest(budget=5.0, clock=_NoWait())
    try:
        with pytest.raises(NetworkError):
            await retrying.post(url, _data(chat_id=CHAT, text="Halo"))
        assert len(connections) == 3  # the first try, and one more for a new message
        edit = url.replace("sendMessage", "editMessageText")
        with pytest.raises(NetworkError):
            await retrying.post(edit, _data(chat_id=CHAT, message_id=1, text="Halo"))
        assert len(connections) > 5  # an edit is retried until the budget is spent
    finally:
        await retrying.shutdown()


async def test_the_long_poll_adds_its_time_to_the_read_timeout(fake_api: FakeBotApi):
    fake_api.max_poll_seconds = 1.0
    updates = AiohttpRequest(connection_pool_size=1, read_timeout=0.3)
    bot = Bot(TOKEN, base_url=fake_api.base_url, get_updates_request=updates)
    await bot.initialize()
    try:
        assert await bot.get_updates(timeout=1) == ()  # held ~1 s, past the 0.3 s read
    finally:
        await bot.shutdown()


async def test_a_request_works_again_after_shutdown(fake_api: FakeBotApi):
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    try:
        assert (await request.post(f"{fake_api.base_url}{TOKEN}/getMe"))["username"]
    finally:
        await request.shutdown()


def test_the_proxy_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    request = AiohttpRequest()
    assert request._proxy_for("https://api.telegram.org/botT/getMe") == "http://proxy.example:3128"
    assert request._proxy_for("https://internal.example/botT/getMe") is None
    assert request._proxy_for("http://plain.example/botT/getMe") is None
    explicit = AiohttpRequest(proxy="http://other.example:8080")
    assert explicit._proxy_for("https://api.telegram.org/botT/getMe") == "http://other.example:8080"


def test_the_setting_chooses_the_client():
    from telegram.request import HTTPXRequest

    assert isinstance(telegram_request("aiohttp", read_timeout=3.0), AiohttpRequest)
    fallback = telegram_request("httpx", read_timeout=3.0)
    assert isinstance(fallback, HTTPXRequest) and fallback.read_timeout == 3.0


class _First:
    """A pushback rule: the first sendMessage gets ``answer``."""

    def __init__(self, answer: Stall) -> None:
        self.answer, self.left = answer, 1

    def check(self, method: str, now: float) -> Stall | None:
        if method != "sendMessage" or self.left <= 0:
            return None
        self.left -= 1
        return self.answer

    def accept(self, method: str, now: float) -> None:
        pass


class _NoWait(Clock):
    """Waits are skipped, monotonic time moves on by them."""

    def __init__(self) -> None:
        self._skipped = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self._skipped

    async def sleep(self, seconds: float) -> None:
        self._skipped += seconds
        await asyncio.sleep(0)
