"""Telegram delivers an update twice, or the user taps twice: counted once.

Two ways the same input arrives again:

- redelivery: the very same update (same ``update_id``) comes back after the
  bot confirmed it, as after a restart that lost the offset (the fake server
  returns it with the next poll, `FakeBotApi.redeliver(confirmed=True)`);
- double tap: the same button pressed twice quickly, two updates with
  different ids and the same callback data, both on their way before the
  first is answered.

Each scenario walks the whole citizen survey or a whole peer review with
every step arriving twice, against a fake server that refuses what Telegram
refuses (a second answer to one callback query, an edit that changes
nothing, `tests.support.fuzz.telegram_refusals`). The database must hold
exactly what a single delivery would have written; every press is answered;
nothing is logged as an error.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import BotApplication
from storage.db import SessionFactory
from storage.review_models import ReviewAnswer, ReviewAssignment
from tests.support.citizen import QR, Roster, responses, seed_roster
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.fuzz import (
    deliver,
    deliver_again,
    press_update,
    telegram_refusals,
    text_update,
    unanswered_queries,
    watch_errors,
)
from tests.support.rating_world import ANI_TG, ITEMS, Seeded, seed_review
from tests.support.records import Sent

SCORES = (4, 3, 2, 1, 4, 3, 2, 1, 3)


@pytest.fixture
def telegram_like(fake_api: FakeBotApi) -> FakeBotApi:
    fake_api.fault = telegram_refusals(fake_api)
    fake_api.shared_message_ids = True  # a redelivered message is older than the bot's reply
    return fake_api


def button_data(message: Sent, label: str | None = None, position: int | None = None) -> str:
    buttons = message.buttons()
    if position is not None:
        return buttons[position - 1]["callback_data"]
    for button in buttons:
        if str(label) in button["text"]:
            return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {message.button_texts()}")


class Twice:
    """Sends every step twice, redelivered or double-tapped; remembers the query ids."""

    def __init__(self, api: FakeBotApi, user: FakeUser, mode: str) -> None:
        self.api = api
        self.user = user
        self.mode = mode
        self.queries: list[str] = []

    async def send(self, text: str) -> None:
        update = text_update(self.user, text)
        update_id = await deliver(self.api, update)
        await deliver_again(self.api, update_id, update)

    async def press(self, label: str | None = None, *, position: int | None = None) -> None:
        message = self.user.last_with_buttons()
        data = button_data(message, label, position)
        first, query = press_update(self.user, data, message)
        self.queries.append(query)
        if self.mode == "redelivery":
            update_id = await deliver(self.api, first)
            await deliver_again(self.api, update_id, first)
            return
        second, again = press_update(self.user, data, message)
        self.queries.append(again)
        ids = [self.api.push_update(first), self.api.push_update(second)]
        for update_id in ids:
            await self.api.wait_processed(update_id)


# -- the citizen survey ---------------------------------------------------------------------


@pytest.fixture
async def roster(sessions: SessionFactory) -> Roster:
    return await seed_roster(sessions)


@pytest.mark.parametrize("mode", ["redelivery", "double_tap"])
async def test_citizen_survey_with_every_step_twice(
    bot: BotApplication,
    telegram_like: FakeBotApi,
    sessions: SessionFactory,
    roster: Roster,
    mode: str,
):
    api = telegram_like
    user = api.user(71_001)
    twice = Twice(api, user, mode)
    with watch_errors() as errors:
        await twice.send(f"/start {QR}")
        await twice.press("Mulai")
        for score in SCORES:
            await twice.press(position=score)
        # Back from the comment step and the last answer again, twice.
        await twice.press("Kembali")
        await twice.press(position=4)
        await twice.send("Antrean rapi, petugas ramah.")
        for position in (1, 2, 3, 4):  # one answer to each profile question
            await twice.press(position=position)
        await twice.press("Ya")
    errors.check(api.calls)
    assert unanswered_queries(api.calls, twice.queries) == []

    rows = await responses(sessions)
    assert len(rows) == 1
    row = rows[0]
    assert (row.status, row.step) == ("submitted", "done")
    assert tuple(row.answers().values()) == (*SCORES[:8], 4)
    assert row.comment == "Antrean rapi, petugas ramah."
    assert row.contact_ok is True and row.contact_chat_id == user.id
    assert "Terima kasih" in user.last.text
    # Scanning again the same day counts nothing more.
    await twice.send(f"/start {QR}")
    assert len(await responses(sessions)) == 1


# -- the peer review --------------------------------------------------------------------------


async def review_state(sessions: SessionFactory, token: str) -> dict[str, Any]:
    async with sessions() as session:
        row = await session.scalar(select(ReviewAssignment).where(ReviewAssignment.token == token))
        assert row is not None
        answers = dict(
            (
                await session.execute(
                    select(ReviewAnswer.item_code, ReviewAnswer.value).where(
                        ReviewAnswer.assignment_id == row.id
                    )
                )
            ).all()
        )
        count = await session.scalar(
            select(func.count())
            .select_from(ReviewAnswer)
            .where(ReviewAnswer.assignment_id == row.id)
        )
    return {
        "status": row.status,
        "step": row.step,
        "keep": row.comment_keep,
        "improve": row.comment_improve,
        "answers": answers,
        "rows": count,
    }


AGAIN = (2, 2, 2, 2, 2, 2, 3)


@pytest.mark.parametrize("mode", ["redelivery", "double_tap"])
async def test_peer_review_with_every_step_twice(
    bot: BotApplication, telegram_like: FakeBotApi, sessions: SessionFactory, mode: str
):
    api = telegram_like
    seeded: Seeded = await seed_review(sessions)
    token = seeded.tokens["ani>budi"]
    ani = api.user(ANI_TG)
    twice = Twice(api, ani, mode)
    values = (3, 2, 1, 3, 2, 1, 3)
    with watch_errors() as errors:
        await twice.send("/nilai")
        await twice.press("Budi Santoso")
        for value in values:
            await twice.press(position=value)
        await twice.send("Ramah kepada pemohon.")
        await twice.press("Lewati")
        await twice.press("Kirim")
        # Reopened and submitted again: still one review, the answers replaced.
        await twice.press("Nilai rekan berikutnya")
        await twice.press("Budi Santoso")
        await twice.press("Ubah jawaban")
        for position in AGAIN:  # not all the same: no "are you sure?" (test_e2e_review_nudges)
            await twice.press(position=position)
        await twice.press("Simpan")  # keep the comment as it is
        await twice.press("Lewati")
        await twice.press("Kirim")
    errors.check(api.calls)
    assert unanswered_queries(api.calls, twice.queries) == []
    state = await review_state(sessions, token)
    assert state == {
        "status": "submitted",
        "step": "confirm",
        "keep": "Ramah kepada pemohon.",
        "improve": None,
        "answers": dict(zip(ITEMS, AGAIN, strict=True)),
        "rows": len(ITEMS),
    }
