"""The divergence flag: a supervisor whose perilaku view differs from the pooled peers and
subordinates by a level or more is named to their own superior and to BKPSDM at close.

The world is tests/support/result_world.py: R supervises B1, B2, B3 and reports to S
(linked, English); the admin is tests.support.app.ADMIN_ID.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.core.settings import Settings
from scheduler.cycles import close_cycle
from scheduler.scoring.perilaku_divergence import divergence
from scheduler.scoring.review_instrument import Expectation
from scheduler.scoring.review_math import Rating, aggregate
from scheduler.scoring.shipped_instruments import BERAKHLAK_3
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage
from storage.review_models import OPEN, PEER, SUPERVISOR
from tests.support.app import ADMIN_ID
from tests.support.result_world import NOW, TG, Review, seed

CODES = BERAKHLAK_3.item_codes


def result(supervisor: int, peers: list[int]):
    ratings = [Rating(1, "supervisor", code, supervisor) for code in CODES]
    for n, value in enumerate(peers, start=2):
        ratings += [Rating(n, "peer", code, value) for code in CODES]
    return aggregate(ratings, BERAKHLAK_3, min_raters=3)


def test_a_level_apart_is_flagged_with_the_pool_without_the_supervisor():
    found = divergence(result(3, [1, 1, 1]), BERAKHLAK_3)
    assert found is not None and found.levels == 2
    assert (found.supervisor, found.others) == (Expectation.DI_ATAS, Expectation.DI_BAWAH)
    assert found.values == CODES
    # "Others" with the supervisor in it reads 2.25 (sesuai); the pool without the
    # supervisor reads 2.00 (sesuai) against the supervisor's 3 (di atas): one level.
    found = divergence(result(3, [2, 2, 2]), BERAKHLAK_3)
    assert found is not None and found.levels == 1


def test_the_same_level_or_a_pool_that_may_not_be_shown_is_not_flagged():
    assert divergence(result(2, [2, 2, 2]), BERAKHLAK_3) is None
    assert divergence(result(3, [1, 1]), BERAKHLAK_3) is None  # two peers: not shown


async def test_at_close_the_superior_and_bkpsdm_are_told(
    sessions: SessionFactory, settings: Settings
):
    reviews = [
        Review("R", "B1", SUPERVISOR, 3),
        Review("B2", "B1", PEER, 1),
        Review("B3", "B1", PEER, 1),
        Review("U", "B1", PEER, 1),
        # B2: the supervisor agrees with the colleagues: no flag.
        Review("R", "B2", SUPERVISOR, 2),
        Review("B1", "B2", PEER, 2),
        Review("B3", "B2", PEER, 2),
        Review("U", "B2", PEER, 2),
    ]
    await seed(sessions, reviews, status=OPEN)
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", NOW, settings)
    async with sessions() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "divergence"))
        )
    texts = {row.chat_id: json.loads(row.content)["text"] for row in rows}
    assert sorted(texts) == sorted([TG["S"], ADMIN_ID])
    superior = texts[TG["S"]]  # S reads English
    assert (
        "Pegawai R on Pegawai B1 (Seksi Pelayanan): supervisor Above expectations, "
        "colleagues Below expectations" in superior
    )
    assert "Pegawai B2" not in superior and "not a verdict" in superior
    admin = texts[ADMIN_ID]
    assert (
        "Pegawai R terhadap Pegawai B1 (Seksi Pelayanan): atasan Di atas ekspektasi, "
        "rekan Di bawah ekspektasi" in admin
    )
    assert "Pegawai B2 (" not in admin
    for text in texts.values():
        assert "1,00" not in text and "3,00" not in text  # levels only, never means
