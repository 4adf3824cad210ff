"""A service that stays up: the bot waits for Telegram instead of exiting, says why in one
line per attempt, never shows its token, and `ulasan check --online` asks Telegram.

The waits between attempts go through an injected sleep that the test releases,
never through real sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot import startup
from bot.app import build_application
from bot.core.redaction import REDACTED, RedactingFormatter, redact
from bot.core.settings import Settings
from bot.processor import PerChatUpdateProcessor
from tests.support.app import make_settings
from tests.support.bot_process import BotProcess
from tests.support.fakebot import FakeBotApi

TOKEN = "123456:TEST-TOKEN-0123456789abcdefghijklmn"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gate:
    """The waits between attempts: recorded, and over only when the test says so."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self._release = asyncio.Event()
        self._waited = asyncio.Condition()

    async def sleep(self, seconds: float) -> None:
        async with self._waited:
            self.waits.append(seconds)
            self._waited.notify_all()
        await self._release.wait()
        self._release.clear()

    async def until_waiting(self, count: int) -> None:
        async with self._waited:
            await asyncio.wait_for(self._waited.wait_for(lambda: len(self.waits) >= count), 10)

    def release(self) -> None:
        self._release.set()


async def test_the_bot_waits_for_telegram_and_then_serves_citizens(
    tmp_path: Path, migrated: str, caplog: pytest.LogCaptureFixture
):
    # The server boots before its network: nothing answers at Telegram's address yet.
    port = free_port()
    settings = make_settings(tmp_path, migrated, telegram_base_url=f"http://127.0.0.1:{port}/bot")
    api = FakeBotApi()
    processor = PerChatUpdateProcessor()
    processor.listeners.append(api.processed)
    application = build_application(settings, processor=processor)
    gate = Gate()
    caplog.set_level(logging.INFO, logger="ulasan.startup")
    starting = asyncio.create_task(startup.start(application, settings, gate.sleep))
    try:
        await gate.until_waiting(1)
        gate.release()
        await gate.until_waiting(2)
        # Backoff, one line per failed attempt, saying why, without the token.
        assert gate.waits == [1.0, 2.0]
        lines = [r.getMessage() for r in caplog.records if r.name == "ulasan.startup"]
        assert len(lines) == 2
        first = f"Telegram not reachable (attempt 1): cannot reach 127.0.0.1:{port}: "
        assert lines[0].startswith(first)
        assert lines[1].startswith("Telegram not reachable (attempt 2)")
        assert lines[1].endswith("trying again in 2 s")
        assert all("\n" not in line and TOKEN not in line for line in lines)
        assert not starting.done()

        # The network comes up: the bot gets through and a citizen is answered.
        await api.start(port)
        gate.release()
        await asyncio.wait_for(starting, 20)
        reply = await api.user(7001).send("/start")
        assert "Selamat datang" in reply.text
        assert "Telegram reached after 3 attempts" in caplog.text
    finally:
        starting.cancel()
        await startup.stop(application)
        await api.stop()


async def test_a_rejected_token_stops_at_once_with_one_line(
    tmp_path: Path, migrated: str, fake_api: FakeBotApi
):
    other = "654321:REVOKED-TOKEN-0123456789abcdefghijklm"
    settings = make_settings(
        tmp_path, migrated, telegram_base_url=fake_api.base_url, bot_token=other
    )
    application = build_application(settings)
    gate = Gate()
    try:
        with pytest.raises(startup.TokenRejected) as error:
            await startup.start(application, settings, gate.sleep)
    finally:
        await startup.stop(application)
    assert str(error.value) == (
        "Telegram rejected BOT_TOKEN (revoked or mistyped): copy it again from @BotFather"
    )
    assert gate.waits == []


def test_every_log_line_and_traceback_hides_anything_shaped_like_a_token():
    record = logging.LogRecord(
        "httpx",
        logging.ERROR,
        __file__,
        1,
        "HTTP Request: POST %s",
        (f"https://api.telegram.org/bot{TOKEN}/getMe",),
        None,
    )
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError:
        record.exc_info = sys.exc_info()
    text = RedactingFormatter("%(message)s").format(record)
    assert TOKEN not in text
    assert text.count(REDACTED) == 2
    assert redact("secret: hunter2-but-long", ["hunter2-but-long"]) == f"secret: {REDACTED}"
    assert redact("at 12:30:45 on 2026-01-01") == "at 12:30:45 on 2026-01-01"


# -- the command line, as an operator runs it -------------------------------------------


def ulasan(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k.isupper()}
    for name in ("DATABASE_URL", "BOT_USERNAME", "SECRET_KEY", "DATA_DIR"):
        environment.pop(name, None)
    environment.update({"BOT_TOKEN": TOKEN, "LOG_LEVEL": "INFO", **env})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_check_online_prints_the_bots_username(tmp_path: Path, fake_api: FakeBotApi):
    result = await asyncio.to_thread(
        ulasan, tmp_path, "check", "--online", TELEGRAM_BASE_URL=fake_api.base_url
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Telegram OK: the token belongs to @UlasanTestBot."


async def test_check_online_says_in_one_line_why_not(tmp_path: Path, fake_api: FakeBotApi):
    rejected = await asyncio.to_thread(
        ulasan,
        tmp_path,
        "check",
        "--online",
        TELEGRAM_BASE_URL=fake_api.base_url,
        BOT_TOKEN="999:WRONG-TOKEN-0123456789abcdefghijklmnop",
    )
    assert rejected.returncode == 2
    assert rejected.stderr.strip() == (
        "Telegram: Telegram rejected BOT_TOKEN (revoked or mistyped): copy it again from @BotFather"
    )
    port = free_port()
    unreachable = await asyncio.to_thread(
        ulasan, tmp_path, "check", "--online", TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot"
    )
    assert unreachable.returncode == 2
    line = unreachable.stderr.strip()
    assert line.startswith(f"Telegram: cannot reach 127.0.0.1:{port}: ")
    assert "\n" not in line and TOKEN not in line and "Traceback" not in line


async def test_check_online_names_a_failing_proxy(tmp_path: Path, fake_api: FakeBotApi):
    async def bad_gateway(_request: web.Request) -> web.Response:
        return web.Response(status=502, text="proxy: upstream unreachable")

    proxy = web.Application()
    proxy.router.add_route("*", "/{tail:.*}", bad_gateway)
    runner = web.AppRunner(proxy)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    proxy_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        result = await asyncio.to_thread(
            ulasan,
            tmp_path,
            "check",
            "--online",
            TELEGRAM_BASE_URL=fake_api.base_url,
            HTTP_PROXY=f"http://127.0.0.1:{proxy_port}",
            NO_PROXY="",
            no_proxy="",
        )
    finally:
        await runner.cleanup()
    assert result.returncode == 2
    line = result.stderr.strip()
    assert f"through the proxy http://127.0.0.1:{proxy_port}" in line, line
    assert "\n" not in line and TOKEN not in line


async def test_run_with_a_rejected_token_exits_2_without_the_token(
    tmp_path: Path, migrated: str, fake_api: FakeBotApi
):
    wrong = "999:WRONG-TOKEN-0123456789abcdefghijklmnop"
    result = await asyncio.to_thread(
        ulasan,
        tmp_path,
        "run",
        DATABASE_URL=migrated,
        SECRET_KEY="test-secret-key-0123456789",
        TELEGRAM_BASE_URL=fake_api.base_url,
        BOT_TOKEN=wrong,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Telegram rejected BOT_TOKEN (revoked or mistyped): copy it again from @BotFather"
    )
    assert wrong not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM])
async def test_a_closed_terminal_or_a_stop_ends_the_bot_with_a_log_line(
    tmp_path: Path, settings: Settings, fake_api: FakeBotApi, signum: signal.Signals
):
    bot = BotProcess(tmp_path, settings, fake_api)
    await bot.start()
    try:
        await bot.polling()
        assert bot.process is not None
        bot.process.send_signal(signum)
        code = await asyncio.wait_for(bot.process.wait(), timeout=30)
    finally:
        await bot.stop()
    assert code == 0, bot.log()
    assert f"Stopping on {signum.name}: finishing the work in hand" in bot.log()
    assert "Traceback" not in bot.log()
