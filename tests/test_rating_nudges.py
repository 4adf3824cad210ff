"""The bias nudges' rule (scheduler.scoring.rating_nudges): pure, every edge."""

from __future__ import annotations

from scheduler.scoring.rating_nudges import Nudge, all_same, all_top, nudges_due
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5

ITEMS = BERAKHLAK_3.item_codes


def answers(*values: int | None) -> dict[str, int | None]:
    return dict(zip(ITEMS, values, strict=True))


SAME2 = answers(*(2,) * 7)
TOP = answers(*(3,) * 7)
MIXED = answers(3, 2, 2, 2, 2, 2, 2)


def test_same_level_everywhere_asks():
    assert all_same(BERAKHLAK_3, SAME2) and all_same(BERAKHLAK_3, TOP)
    assert not all_same(BERAKHLAK_3, MIXED)
    # "cannot assess" is telling values apart; a missing answer is not a review to judge.
    assert not all_same(BERAKHLAK_3, answers(2, 2, 2, None, 2, 2, 2))
    assert not all_same(BERAKHLAK_3, {code: 2 for code in ITEMS[:6]})
    assert nudges_due(BERAKHLAK_3, "peer", SAME2, None) == {Nudge.SAME}
    assert nudges_due(BERAKHLAK_3, "supervisor", SAME2, None) == {Nudge.SAME}
    assert nudges_due(BERAKHLAK_3, "peer", MIXED, None) == frozenset()


def test_self_assessment_is_never_nudged():
    assert nudges_due(BERAKHLAK_3, "self", TOP, [TOP, TOP]) == frozenset()


def test_all_top_only_for_the_last_of_at_least_two_colleagues():
    assert nudges_due(BERAKHLAK_3, "peer", TOP, [TOP]) == {Nudge.SAME, Nudge.ALL_TOP}
    assert nudges_due(BERAKHLAK_3, "peer", TOP, [TOP, TOP]) == {Nudge.SAME, Nudge.ALL_TOP}
    assert nudges_due(BERAKHLAK_3, "peer", TOP, None) == {Nudge.SAME}  # others not all in
    assert nudges_due(BERAKHLAK_3, "peer", TOP, []) == {Nudge.SAME}  # only one colleague
    assert nudges_due(BERAKHLAK_3, "peer", TOP, [MIXED]) == {Nudge.SAME}
    assert nudges_due(BERAKHLAK_3, "peer", TOP, [answers(3, 3, 3, None, 3, 3, 3)]) == {Nudge.SAME}


def test_top_is_the_scales_highest():
    five_top = {code: 5 for code in BERAKHLAK_5.item_codes}
    four = {code: 4 for code in BERAKHLAK_5.item_codes}
    assert all_top(BERAKHLAK_5, five_top) and not all_top(BERAKHLAK_5, four)
    assert Nudge.ALL_TOP in nudges_due(BERAKHLAK_5, "subordinate", five_top, [five_top])
    assert Nudge.ALL_TOP not in nudges_due(BERAKHLAK_5, "subordinate", four, [four])
