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

from pathlib import Path
from typing import Any

import pytest

from bot.core.settings import Settings
from storage.db import SessionFactory
from tests.support.bot_process import BotProcess, Citizen, answered
from tests.support.citizen import QR, Roster, responses, seed_roster
from tests.support.fakebot import FakeBotApi, Fault

SCORES = (4, 3, 2, 1, 4, 3, 2, 1, 3)


STARTED = 45.0  # seconds for a restarted bot process to answer


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


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
        # A restarted process answers what was waiting once it is up; on a loaded machine
        # its start-up alone may take longer than the default 10 s.
        await api.wait_for_calls(answered(again), timeout=STARTED)
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
            await api.wait_for_calls(answered(query_id), timeout=STARTED)
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
