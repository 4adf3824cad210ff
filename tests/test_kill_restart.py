"""SIGKILL of the bot process in the middle of a survey, then a restart: nothing lost or doubled.

The bot runs as a real process (``python -m bot``, i.e. ``ulasan run``) against the fake Bot
API server of the test. It is killed with SIGKILL at the worst moments: right
after an answer was committed but before the citizen's screen moved on, and
right after the survey was submitted but before "thank you" reached the
citizen. Meanwhile the citizen, seeing nothing happen, taps again; those
updates wait at the server until a new process starts. After each restart the
citizen's screen catches up with the database, the survey goes on from where
it was, and in the end exactly one response is stored with every answer as
given, counted once.

The other half of issue 7's kill test, SIGKILL in the middle of an outbox send,
is ``tests/test_sender.py::test_sigkill_mid_send_repeats_at_most_the_one_in_flight``
(the sender process runs the same `OutboxSender` the bot process runs).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.settings import Settings
from storage.db import SessionFactory
from tests.support.citizen import QR, Roster, responses, seed_roster
from tests.support.fakebot import FakeBotApi, Fault
from tests.support.fakeuser import FakeUser
from tests.support.fuzz import press_update, text_update
from tests.support.records import Call, Sent

SCORES = (4, 3, 2, 1, 4, 3, 2, 1, 3)


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


class BotProcess:
    """``python -m bot --no-migrate`` (``ulasan run``) with the fake server; killed or stopped."""

    def __init__(self, tmp_path: Path, settings: Settings, api: FakeBotApi) -> None:
        self.tmp_path = tmp_path
        self.settings = settings
        self.api = api
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
        log = (self.tmp_path / f"bot{self.runs}.log").open("w")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",  # `ulasan run`
            "--no-migrate",
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


def kill_when(api: FakeBotApi, bot: BotProcess, chat_id: int, needle: str) -> Fault:
    """A fault hook: SIGKILL the bot the moment it edits ``needle`` into the chat's message.

    The edit is not applied: the citizen's screen stays one step behind the database.
    """

    def fault(method: str, params: dict[str, Any]) -> tuple[int, str, int | None] | None:
        if (
            method == "editMessageText"
            and str(params.get("chat_id")) == str(chat_id)
            and needle in str(params.get("text", ""))
        ):
            api.fault = None
            bot.kill_now()
            return 502, "Bad Gateway", None
        return None

    return fault


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


async def test_sigkill_mid_survey_and_at_submission_loses_and_doubles_nothing(
    settings: Settings,
    sessions: SessionFactory,
    fake_api: FakeBotApi,
    roster: Roster,
    tmp_path: Path,
):
    api = fake_api
    bot = BotProcess(tmp_path, settings, api)
    citizen = Citizen(api, api.user(88_001))
    await bot.start()
    try:
        await citizen.send(f"/start {QR}")
        await citizen.press(label="Mulai")
        for score in SCORES[:4]:
            await citizen.press(score)
        assert "Pertanyaan 5/9" in citizen.screen().text

        # 1. Killed after the fifth answer was committed, before the screen moved on.
        api.fault = kill_when(api, bot, citizen.user.id, "Pertanyaan 6/9")
        citizen.tap(SCORES[4])
        await bot.killed()
        rows = await responses(sessions)
        assert len(rows) == 1 and rows[0].step == "U6" and rows[0].u5 == SCORES[4]
        assert "Pertanyaan 5/9" in citizen.screen().text  # what the citizen still sees
        # Nothing happens, so the citizen taps the same answer again (the bot is down).
        again = citizen.tap(SCORES[4])

        await bot.start()
        await api.wait_for_calls(answered(again))
        await api.wait_for_calls(lambda _: "Pertanyaan 6/9" in citizen.screen().text)
        rows = await responses(sessions)
        assert len(rows) == 1 and rows[0].step == "U6" and rows[0].u5 == SCORES[4]
        for score in SCORES[5:]:
            await citizen.press(score)
        for _ in range(5):  # no comment, no profile
            await citizen.press(label="Lewati")
        assert "menghubungi Anda" in citizen.screen().text

        # 2. Killed after the submission was committed, before "thank you" was shown.
        api.fault = kill_when(api, bot, citizen.user.id, "Terima kasih")
        citizen.tap(label="Lewati")
        await bot.killed()
        rows = await responses(sessions)
        assert [(r.status, r.step) for r in rows] == [("submitted", "done")]
        again = citizen.tap(label="Lewati")
        also = citizen.tap(label="Lewati")  # and once more, impatient

        await bot.start()
        for query_id in (again, also):
            await api.wait_for_calls(answered(query_id))
        await api.wait_for_calls(lambda _: "Terima kasih" in citizen.user.last.text)
        # Scanning the QR code again the same day counts nothing more.
        await citizen.send(f"/start {QR}")
        assert "sudah menilai" in citizen.user.last.text
    finally:
        api.fault = None
        await bot.stop()

    rows = await responses(sessions)
    assert len(rows) == 1
    row = rows[0]
    assert (row.status, row.step) == ("submitted", "done")
    assert tuple(row.answers().values()) == SCORES
    assert row.contact_ok is False and row.comment is None
    assert "Traceback" not in bot.log(), bot.log()
