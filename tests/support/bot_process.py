"""A bot in a process of its own (``ulasan run``) and a citizen who acts towards it.

Tests that kill, restart or back up a running bot start it with `BotProcess`;
`Citizen` acts as a user through the fake Bot API and waits on the calls the
bot makes, since the bot's update processor is in another process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bot.core.settings import Settings
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.fuzz import press_update, text_update
from tests.support.records import Call, Sent


class BotProcess:
    """``python -m bot --no-migrate`` (``ulasan run``) with the fake server; killed or stopped.

    ``env`` adds to or replaces the environment below (None removes a variable).
    """

    def __init__(
        self,
        tmp_path: Path,
        settings: Settings,
        api: FakeBotApi,
        env: dict[str, str | None] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.args = args  # more options of `ulasan run` (e.g. --webhook)
        self.tmp_path = tmp_path
        self.settings = settings
        self.api = api
        self.env = env or {}
        self.process: asyncio.subprocess.Process | None = None
        self.runs = 0

    async def start(self) -> None:
        self.runs += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.settings.database_url,
            "TELEGRAM_BASE_URL": self.api.base_url,
            "BOT_TOKEN": self.api.token,
            "BOT_USERNAME": "UlasanTestBot",
            "SECRET_KEY": "kill-test-secret-0123456789",
            "DATA_DIR": str(self.tmp_path / "data"),
            "LOG_LEVEL": "INFO",
        }
        for name, value in self.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        log = (self.tmp_path / f"bot{self.runs}.log").open("w")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",  # `ulasan run`
            "--no-migrate",
            *self.args,
            cwd=self.tmp_path,
            env=env,
            stdout=log,
            stderr=log,
        )

    def log(self) -> str:
        return "\n".join(
            (self.tmp_path / f"bot{n}.log").read_text() for n in range(1, self.runs + 1)
        )

    def kill_now(self) -> None:
        if self.process is not None and self.process.returncode is None:
            os.kill(self.process.pid, signal.SIGKILL)

    async def polling(self) -> None:
        """Wait until the server has been polled (the first start of a bot against it)."""
        await asyncio.wait_for(self.api.polled.wait(), timeout=30)

    async def killed(self) -> None:
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), timeout=20)
        assert code == -signal.SIGKILL, self.log()

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), timeout=20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


def answered(query_id: str) -> Callable[[list[Call]], bool]:
    def done(calls: list[Call]) -> bool:
        return any(
            c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
            for c in calls
        )

    return done


class Citizen:
    """Acts as a user towards a bot in another process: waits on the server's calls."""

    def __init__(self, api: FakeBotApi, user: FakeUser) -> None:
        self.api = api
        self.user = user

    def screen(self) -> Sent:
        return self.user.last_with_buttons()

    async def send(self, text: str) -> None:
        before = len(self.api.calls_to(self.user.id, "sendMessage"))
        self.api.push_update(text_update(self.user, text))
        await self.api.wait_for_calls(
            lambda _: len(self.api.calls_to(self.user.id, "sendMessage")) > before
        )

    def tap(self, position: int | None = None, label: str | None = None) -> str:
        """Press a button of the survey message without waiting; the query id."""
        message = self.screen()
        buttons = message.buttons()
        button = (
            buttons[position - 1]
            if position is not None
            else next(b for b in buttons if b["text"] == label)
        )
        update, query_id = press_update(self.user, button["callback_data"], message)
        self.api.push_update(update)
        return query_id

    async def press(self, position: int | None = None, label: str | None = None) -> None:
        """Press and wait until the press is answered and the screen edited."""
        edits = len(self.api.calls_to(self.user.id, "editMessageText"))
        query_id = self.tap(position, label)
        await self.api.wait_for_calls(answered(query_id))
        await self.api.wait_for_calls(
            lambda _: len(self.api.calls_to(self.user.id, "editMessageText")) > edits
        )
