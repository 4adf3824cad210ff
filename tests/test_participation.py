"""Participation per OPD (pure): the 80 % rule at its boundary, waiting cards, dialogues."""

from __future__ import annotations

from fractions import Fraction

from scheduler.scoring.participation import CardFact, participation


def card(opd: str, boss: int, who: int, status: str, *, talked=False, expected=False) -> CardFact:
    return CardFact(opd, boss, who, status, talked, expected)


def test_eighty_percent_is_compliant_and_below_is_not():
    rows = [card("DINAS", 1, 10 + i, "given" if i < 4 else "skipped") for i in range(5)]  # 4/5
    rows += [card("DINAS", 2, 20 + i, "given" if i < 3 else "open") for i in range(5)]  # 3/5
    (dinas,) = participation(rows)
    assert (dinas.supervisors, dinas.compliant) == (2, 1)
    assert dinas.compliant_share == Fraction(1, 2)
    assert (dinas.given, dinas.skipped_or_open) == (7, 3)


def test_waiting_cards_do_not_count_against_a_supervisor():
    rows = [
        card("A", 1, 11, "given", talked=True, expected=True),
        card("A", 1, 12, "waiting"),
        card("B", 3, 31, "open"),
    ]
    a, b = participation(rows)
    assert (a.opd, a.supervisors, a.compliant, a.waiting) == ("A", 1, 1, 1)
    assert a.dialogue_share == 1 and a.expectation_share == Fraction(1, 2)
    assert (b.compliant, b.dialogue_share, b.expectation_share) == (0, None, 0)
    only_waiting = participation([card("C", 4, 41, "waiting")])[0]
    assert only_waiting.supervisors == 0 and only_waiting.compliant_share is None
