"""Bias nudges at submit time, end to end: "Semua jawaban sama — yakin?", asked once.

Ani rates Budi and Citra (peers) and Hendra (her supervisor) in the seeded
cycle, and herself. The real Application runs against the fake Bot API; the
review rows are read back to prove what was (not) submitted.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import BotApplication
from storage.db import SessionFactory
from storage.review_models import ReviewAssignment
from tests.support.fakebot import FakeBotApi
from tests.support.fakeuser import FakeUser
from tests.support.rating_world import ANI_TG, Seeded, seed_review

SAME = "Semua jawaban sama — yakin?"
ALL_TOP = '"Di atas ekspektasi" untuk semua orang, pada semua nilai — yakin?'


@pytest.fixture
async def seeded(sessions: SessionFactory) -> Seeded:
    return await seed_review(sessions)


async def row(sessions: SessionFactory, token: str) -> ReviewAssignment:
    async with sessions() as session:
        found = await session.scalar(
            select(ReviewAssignment).where(ReviewAssignment.token == token)
        )
        assert found is not None
        return found


async def rate(user: FakeUser, label: str, values: tuple[int, ...]) -> None:
    """Open a review from /nilai, answer the items, skip both comments, press Kirim."""
    await user.send("/nilai")
    await user.press(label)
    for value in values:
        await user.press(("", "Di bawah", "Sesuai", "Di atas")[value])
    await user.press("Lewati")
    await user.press("Lewati")
    await user.press("Kirim")


async def test_same_answers_ask_once_before_the_review_counts(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await rate(ani, "Budi Santoso", (2,) * 7)
    nudge = ani.last
    assert SAME in nudge.text and '"Sesuai ekspektasi"' in nudge.text
    assert "hanya muncul sekali" in nudge.text
    assert nudge.button_texts()[:2] == ["Ya, kirim", "Ubah jawaban"]
    stored = await row(sessions, token)
    assert (stored.status, stored.nudge_pending) == ("in_progress", "same")
    # A second press of the old Kirim (a double tap) asks again; it never skips the question.
    await ani.press_data(f"rv:{token}:ok", nudge)
    assert SAME in ani.last.text
    assert (await row(sessions, token)).status == "in_progress"
    # Leaving and coming back shows the question where it was (it lives in the database).
    await ani.send("/nilai")
    await ani.press("✎ Budi Santoso")
    assert SAME in ani.last.text
    await ani.press("Ya, kirim")
    assert "sudah dikirim" in ani.last.text or "Terima kasih" in ani.last.text
    stored = await row(sessions, token)
    assert (stored.status, stored.nudge_pending, stored.nudges_asked) == ("submitted", None, "same")
    # Pressed again: already submitted, nothing changes.
    reply = await ani.press_data(f"rv:{token}:oks", nudge)
    assert reply.alerts
    # Reopened and submitted with the same answers again: not asked a second time.
    await ani.send("/nilai")
    await ani.press("✓ Budi Santoso")
    await ani.press("Ubah jawaban")
    for _ in range(7):
        await ani.press("Sesuai")
    await ani.press("Lewati")
    await ani.press("Lewati")
    await ani.press("Kirim")
    assert (await row(sessions, token)).status == "submitted"
    assert SAME not in ani.last.text


async def test_changing_the_answers_answers_the_nudge(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await rate(ani, "Budi Santoso", (1,) * 7)
    assert SAME in ani.last.text and '"Di bawah ekspektasi"' in ani.last.text
    await ani.press("Ubah jawaban")
    assert "Nilai dasar 1/7" in ani.last.text
    stored = await row(sessions, token)
    assert (stored.nudge_pending, stored.nudges_asked) == (None, "same")
    for value in ("Sesuai", "Di bawah", "Di bawah", "Di bawah", "Di bawah", "Di bawah", "Di bawah"):
        await ani.press(value)
    await ani.press("Lewati")
    await ani.press("Lewati")
    await ani.press("Kirim")
    assert (await row(sessions, token)).status == "submitted"


async def test_forged_submit_anyway_cannot_skip_the_nudge(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    token = seeded.tokens["ani>budi"]
    await ani.send("/nilai")
    await ani.press("Budi Santoso")
    for _ in range(7):
        await ani.press("Di atas")
    await ani.press("Lewati")
    await ani.press("Lewati")
    confirm = ani.last
    await ani.press_data(f"rv:{token}:oks", confirm)  # no nudge was asked: an ordinary Submit
    assert SAME in ani.last.text
    assert (await row(sessions, token)).status == "in_progress"


async def test_above_expectations_for_everyone_asks_at_the_last_colleague(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory, seeded: Seeded
):
    ani = fake_api.user(ANI_TG)
    # The self-assessment is never nudged, whatever it says.
    await rate(ani, "Penilaian diri", (3,) * 7)
    assert SAME not in ani.last.text
    assert (await row(sessions, seeded.tokens["ani>ani"])).status == "submitted"
    await rate(ani, "Budi Santoso", (3,) * 7)
    assert SAME in ani.last.text and ALL_TOP not in ani.last.text  # not the last yet
    await ani.press("Ya, kirim")
    await rate(ani, "Citra Dewi", (3,) * 7)
    assert SAME in ani.last.text
    await ani.press("Ya, kirim")
    await rate(ani, "Hendra Wijaya", (3,) * 7)
    last = ani.last
    assert ALL_TOP in last.text and "semua rekan yang Anda nilai" in last.text
    assert SAME not in last.text  # one question, not two
    assert (await row(sessions, seeded.tokens["ani>head"])).status == "in_progress"
    await ani.press("Ya, kirim")
    stored = await row(sessions, seeded.tokens["ani>head"])
    assert (stored.status, stored.nudges_asked) == ("submitted", "same,top")
    # Changed and submitted again, all still top: the question was asked in this cycle.
    await ani.send("/nilai")
    await ani.press("✓ Budi Santoso")
    await ani.press("Ubah jawaban")
    for _ in range(7):
        await ani.press("Di atas")
    await ani.press("Lewati")
    await ani.press("Lewati")
    await ani.press("Kirim")
    assert (await row(sessions, seeded.tokens["ani>budi"])).status == "submitted"
