"""``/hasil`` through the real Application and the fake Bot API over HTTP.

A ratee asks for their report after close (a chart and the text, sent as a
direct reply), before close (a clear "results come at close"), an unlinked
user asks, forged ``rs:`` presses are refused, and a supervisor opens the team
summary and confirms or overrides a recommended perilaku kerja rating.
The cycle is seeded with the models (tests/support/result_world.py).
"""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from bot.app import BotApplication
from storage.db import SessionFactory
from storage.review_models import OPEN, PEER, SELF, SUPERVISOR, PerilakuDecision, ReviewCycle
from tests.support.fakebot import FakeBotApi
from tests.support.result_world import TG, Review, base_reviews, seed


async def test_ratee_sees_their_report_after_close(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed(sessions, base_reviews(peers=3))
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")

    reply = await ratee.send("/hasil")
    methods = [call.method for call in reply.calls]
    assert methods[0] == "sendPhoto" and "sendMessage" in methods
    photo = ratee.messages[0]
    assert photo.kind == "photo" and photo.file is not None
    assert Image.open(io.BytesIO(photo.file)).format == "PNG"
    assert len(photo.text) <= 1024 and "Umpan balik 360°: Semester I 2030" in photo.text
    text = "\n".join(m.text for m in ratee.messages[1:])
    assert "Keseluruhan: penilai lain 2,25 (n=4) · diri sendiri 3,00" in text
    assert "Rekomendasi perilaku kerja: Sesuai ekspektasi" in text
    assert "Rekan P2: ramah sekali" in text
    assert all(len(m.text) <= 4096 for m in ratee.messages)
    assert not any(m.buttons() for m in ratee.messages)  # not a supervisor: no team button

    # The English alias gives the same report again.
    before = len(ratee.messages)
    again = await ratee.send("/results")
    assert [c.method for c in again.calls] == methods
    assert len(ratee.messages) == 2 * before


async def test_before_close_and_unlinked(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed(sessions, base_reviews(peers=3), status=OPEN)
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    reply = await ratee.send("/hasil")
    assert [c.method for c in reply.calls] == ["sendMessage"]
    assert "baru dirilis setelah siklus ditutup" in reply.text
    assert "Semester I 2030" in reply.text and "31 Januari 2030" in reply.text
    assert "2,25" not in reply.text  # nothing of the results leaks before close

    stranger = fake_api.user(555, "Warga", language_code="en")
    reply = await stranger.send("/hasil")
    assert "not linked to an employee" in reply.text

    # A supervisor's team button of an open cycle is refused like a forged one.
    boss = fake_api.user(TG["S"], "Sari", language_code="en")
    async with sessions() as session:
        cycle_id = await session.scalar(select(ReviewCycle.id))
    reply = await boss.press_data(f"rs:t:{cycle_id}")
    assert reply.alerts and "not valid for you" in reply.alerts[0]


async def test_forged_presses_are_refused(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    seeded = await seed(sessions, base_reviews(peers=3))
    cycle, r = seeded.cycle_id, seeded.ids["R"]
    peer = fake_api.user(TG["P1"], "Putri", language_code="id")
    stranger = fake_api.user(556, "Warga", language_code="id")
    for user, data in [
        (peer, f"rs:t:{cycle}"),  # a peer is nobody's supervisor here
        (peer, f"rs:m:{cycle}:{r}"),
        (peer, f"rs:d:{cycle}:{r}:3"),  # cannot decide R's perilaku
        (stranger, f"rs:d:{cycle}:{r}:3"),
        (peer, "rs:t:abc"),
        (peer, "rs:d:1:2:3:4"),
        (peer, "rs:" + "9" * 60),
    ]:
        reply = await user.press_data(data)
        assert reply.alerts and "tidak (lagi) berlaku" in reply.alerts[0], data
        assert not [c for c in reply.calls if c.method in ("sendMessage", "sendPhoto")]
    async with sessions() as session:
        assert await session.scalar(select(PerilakuDecision.id)) is None


async def test_supervisor_team_summary_and_decision(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    seeded = await seed(sessions, base_reviews(peers=3))
    boss = fake_api.user(TG["S"], "Sari", language_code="en")

    reply = await boss.send("/hasil")
    assert "You were not rated in the cycle “Semester I 2030”" in reply.text
    assert boss.last.button_texts() == ["Team summary"]

    reply = await boss.press("Team summary")
    summary = boss.last
    assert "Team summary: Semester I 2030" in summary.text
    assert "Others 2.25 (n=4) · perilaku kerja (recommended): Meets expectations" in summary.text
    assert "predikat: Good" in summary.text
    assert summary.button_texts() == ["Perilaku kerja: Pegawai R"]

    await boss.press("Perilaku kerja: Pegawai R")
    view = boss.last
    assert "Recommended: Meets expectations (from others 2.25, n=4)" in view.text
    assert "Not decided yet." in view.text
    assert view.button_texts() == [
        "Below expectations",
        "Meets expectations ✓",
        "Above expectations",
        "Back to the team",
    ]
    reply = await boss.press("Above expectations", view)
    assert reply.alerts == ["Saved: you changed the recommended rating."]
    decided = fake_api.messages[(TG["S"], view.message_id)]
    assert "Your decision: Above expectations" in decided.text
    assert "Predikat kinerja: Excellent" in decided.text
    # The same choice again changes nothing and breaks nothing.
    reply = await boss.press("Above expectations", decided)
    assert reply.alerts and "Saved" in reply.alerts[0]
    async with sessions() as session:
        rows = (await session.scalars(select(PerilakuDecision))).all()
    assert [(row.ratee_id, row.recommended, row.decided) for row in rows] == [
        (seeded.ids["R"], 2, 3)
    ]

    # The ratee's report now shows the decision and the predikat that follows from it.
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    await ratee.send("/hasil")
    text = "\n".join(m.text for m in ratee.messages)
    assert "Perilaku kerja yang ditetapkan atasan Anda: Di atas ekspektasi" in text
    assert "Predikat kinerja: Sangat Baik" in text


async def test_too_few_core_values_give_no_recommendation(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    """Three peers, two of whom could not assess six of the seven core values, and a
    supervisor who could assess only the last: B7 alone survives. No perilaku kerja is
    recommended and no predikat follows, in the ratee's report and the team summary."""
    b7_only: list[int | None] = [None] * 6 + [2]
    await seed(
        sessions,
        [
            Review("R", "R", SELF, 3),
            Review("S", "R", SUPERVISOR, b7_only, hasil=3),
            Review("P1", "R", PEER, 1),
            Review("P2", "R", PEER, b7_only),
            Review("P3", "R", PEER, b7_only),
        ],
    )
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    await ratee.send("/hasil")
    text = "\n".join(m.text for m in ratee.messages)
    assert "Rekomendasi perilaku kerja: belum cukup data" in text
    assert "Hanya 1 dari 7 nilai inti" in text and "paling sedikit 4" in text
    assert "Predikat kinerja" not in text

    boss = fake_api.user(TG["S"], "Sari", language_code="id")
    await boss.send("/hasil")
    await boss.press("Ringkasan tim")
    summary = boss.last
    assert "perilaku kerja: belum cukup data (1 dari 7 nilai inti)" in summary.text
    assert "predikat: —" in summary.text
    await boss.press("Perilaku kerja: Pegawai R")
    assert "belum cukup data" in boss.last.text


async def test_a_recommendation_names_the_values_it_rests_on(
    bot: BotApplication, fake_api: FakeBotApi, sessions: SessionFactory
):
    await seed(sessions, base_reviews(peers=3))
    ratee = fake_api.user(TG["R"], "Rina", language_code="id")
    await ratee.send("/hasil")
    text = "\n".join(m.text for m in ratee.messages)
    assert "Rekomendasi ini bertumpu pada 7 dari 7 nilai inti: Berorientasi Pelayanan" in text
