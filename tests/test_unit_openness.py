"""Openness of 360° results: a unit's per-value figures for all its ASN, and each
person's place against the unit median, only with MIN_ANONYMOUS_RATERS + 1 ratees.

The pure rule (scheduler.scoring.unit_openness) with an attacker who tries to derive
one person's result from the unit figures; then the close of a real cycle
(tests/support/result_world.py: four ratees of SEKSI rated by three peers each) and
the messages queued to the unit's linked members.
"""

from __future__ import annotations

import itertools
import json
import random

from sqlalchemy import select

from bot.core.settings import Settings
from scheduler.cycles import close_cycle
from scheduler.scoring.shipped_instruments import BERAKHLAK_3
from scheduler.scoring.unit_openness import Standing, standing, unit_figures
from storage.db import SessionFactory
from storage.outbox_models import OutboxMessage
from storage.review_models import OPEN, PEER
from tests.support.result_world import NOW, TG, Review, seed

CODES = BERAKHLAK_3.item_codes
M = 3


def test_nothing_below_m_plus_one_ratees():
    figures = {r: dict.fromkeys(CODES, 2.0) for r in range(M)}
    found = unit_figures(figures, CODES, M)
    assert not found.published and found.withheld == CODES
    figures[99] = dict.fromkeys(CODES, 3.0)
    found = unit_figures(figures, CODES, M)
    assert found.published and [v.ratees for v in found.values] == [M + 1] * 7


def test_a_value_with_too_few_ratees_is_withheld_alone():
    figures = {r: dict.fromkeys(CODES, 2.0) for r in range(M + 1)}
    del figures[0]["B5"]  # B5 of one ratee was suppressed by the anonymity rule
    found = unit_figures(figures, CODES, M)
    assert found.withheld == ("B5",)
    assert [v.code for v in found.values] == [c for c in CODES if c != "B5"]


def test_mean_median_and_standing():
    figures = {1: {"B1": 1.5}, 2: {"B1": 2.0}, 3: {"B1": 2.5}, 4: {"B1": 3.0}}
    (value,) = unit_figures(figures, ("B1",), M).values
    assert (value.mean, value.median, value.ratees) == (2.25, 2.25, 4)
    assert standing(3.0, value.median) is Standing.ABOVE
    assert standing(1.5, value.median) is Standing.BELOW
    assert standing(2.254, 2.249) is Standing.AT  # the printed figures are equal


def test_an_insider_cannot_derive_fewer_than_the_minimum():
    """For every unit size and every ratee: what the published figures plus one's own
    figure reveal is the mean of at least MIN_ANONYMOUS_RATERS other people, never one."""
    rng = random.Random(21)
    for size, m in itertools.product(range(1, 10), (2, 3, 4, 5)):
        figures = {r: {"B1": rng.choice([1.0, 1.5, 2.0, 2.33, 2.67, 3.0])} for r in range(size)}
        found = unit_figures(figures, ("B1",), m)
        if not found.published:
            assert size < m + 1
            continue
        (value,) = found.values
        for me, own in figures.items():
            others = [f["B1"] for r, f in figures.items() if r != me]
            derived = (value.mean * value.ratees - own["B1"]) / (value.ratees - 1)
            # What subtracting oneself reveals is exactly the mean of everyone else …
            assert abs(derived - sum(others) / len(others)) < 1e-9
            # … and that group is never smaller than the anonymity minimum.
            assert len(others) >= m


def unit_reviews() -> list[Review]:
    """R, P1, P2, P3 of SEKSI, each rated by the other three as peers."""
    people = ("R", "P1", "P2", "P3")
    given = {"R": 3, "P1": 2, "P2": 2, "P3": 1}  # what each rater gives everyone
    return [
        Review(rater, ratee, PEER, given[rater])
        for ratee in people
        for rater in people
        if rater != ratee
    ]


async def test_at_close_every_member_gets_the_units_figures_and_their_own_place(
    sessions: SessionFactory, settings: Settings
):
    await seed(sessions, unit_reviews(), status=OPEN)
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", NOW, settings)
    async with sessions() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "unit_results"))
        )
    by_chat = {row.chat_id: json.loads(row.content)["text"] for row in rows}
    # R and P1 are the linked members of SEKSI; S (DINAS) is not in the unit.
    assert sorted(by_chat) == sorted([TG["R"], TG["P1"]])
    r_text = by_chat[TG["R"]]
    # Others' means: R 1.67 (P1 2, P2 2, P3 1), P1 2.00, P2 2.00, P3 2.33: mean 2.00.
    assert "Hasil Seksi Pelayanan pada siklus 360° “Semester I 2030”" in r_text
    assert "• Berorientasi Pelayanan: 2,00 (4 pegawai)" in r_text
    assert "Pegawai" not in r_text.split("Hanya untuk Anda")[0]  # no names in the unit part
    assert "Berorientasi Pelayanan: Anda 1,67, median 2,00, di bawah median unit" in r_text
    assert (
        "Berorientasi Pelayanan: Anda 2,00, median 2,00, sama dengan median unit"
        in (by_chat[TG["P1"]])
    )
    # Queued once: closing logic run again adds nothing.
    from scheduler.cycles import queue_close_reports

    async with sessions.begin() as session:
        cycle_id = rows[0].dedupe_key.split(":")[1]
        await queue_close_reports(session, settings, int(cycle_id), NOW)
    async with sessions() as session:
        again = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "unit_results"))
        )
    assert len(again) == 2


async def test_a_unit_with_only_m_ratees_publishes_nothing(
    sessions: SessionFactory, settings: Settings
):
    reviews = [r for r in unit_reviews() if r.ratee != "P3"]  # three ratees only
    await seed(sessions, reviews, status=OPEN)
    async with sessions.begin() as session:
        await close_cycle(session, "Semester I 2030", "cli:test", NOW, settings)
    async with sessions() as session:
        rows = list(
            await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "unit_results"))
        )
    assert rows == []
