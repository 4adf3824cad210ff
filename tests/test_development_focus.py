"""The development plan's suggested focus and its latest target date, on worked examples.

Each example aggregates real answers with `review_math.aggregate` (so the
anonymity rule applies as in a report) and checks `suggest_focus` by hand:
the lowest pooled ("others") value first, then the largest blind spot where
the others are at least a third of the scale below self; ties by the
instrument's order.
"""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.scoring.development_activities import ACTIVITIES, activity
from scheduler.scoring.development_focus import (
    add_months,
    blind_spot_gap,
    largest_blind_spot,
    latest_target,
    lowest_value,
    suggest_focus,
)
from scheduler.scoring.review_instrument import Relation
from scheduler.scoring.review_math import Rating, aggregate
from scheduler.scoring.shipped_instruments import BERAKHLAK_3, BERAKHLAK_5

CODES = BERAKHLAK_3.item_codes
SELF, SUP, PEER = Relation.SELF, Relation.SUPERVISOR, Relation.PEER


def ratings(self_values: list[int], others: dict[str, list[int]]) -> list[Rating]:
    """Self's value per item, and per item the values of the supervisor then 3 peers."""
    out = [Rating(1, SELF, code, value) for code, value in zip(CODES, self_values, strict=True)]
    for code, values in others.items():
        for index, value in enumerate(values):
            relation = SUP if index == 0 else PEER
            out.append(Rating(10 + index, relation, code, value))
    return out


# Others' means per value (supervisor + 3 peers): B1 2.50, B2 2.00, B3 1.75, B4 2.25,
# B5 2.75, B6 2.00, B7 2.50. Self: 3 everywhere but B3 (2).
EXAMPLE = {
    "B1": [3, 3, 2, 2],
    "B2": [2, 2, 2, 2],
    "B3": [2, 2, 2, 1],
    "B4": [3, 2, 2, 2],
    "B5": [3, 3, 3, 2],
    "B6": [2, 2, 2, 2],
    "B7": [3, 3, 2, 2],
}
SELF_VALUES = [3, 3, 2, 3, 3, 3, 3]


def test_worked_example_lowest_then_largest_blind_spot_first_in_order():
    result = aggregate(ratings(SELF_VALUES, EXAMPLE), BERAKHLAK_3)
    # Lowest others: B3 1.75. Gaps: B1 .50, B2 1.00, B3 .25, B4 .75, B5 .25, B6 1.00,
    # B7 .50; a third of the 1-3 scale prints as 0.67: B2, B4, B6 qualify, B2 and B6
    # tie at 1.00 and B2 comes first.
    assert blind_spot_gap(BERAKHLAK_3) == 0.67
    assert lowest_value(result) == "B3"
    assert suggest_focus(result, BERAKHLAK_3) == ("B3", "B2")


def test_ties_on_the_lowest_value_go_by_instrument_order_and_no_blind_spot_gives_one():
    others = {code: [2, 2, 2, 2] for code in CODES}
    others["B4"] = [3, 3, 3, 3]
    result = aggregate(ratings([2, 2, 2, 3, 2, 2, 2], others), BERAKHLAK_3)
    # Every value but B4 at 2.00: B1 first; self never above others: no second value.
    assert suggest_focus(result, BERAKHLAK_3) == ("B1",)


def test_a_gap_that_prints_as_a_third_qualifies_and_a_quarter_does_not():
    others = {code: [3, 3, 3, 3] for code in CODES}
    others["B5"] = [2, 2, 2, 3]  # 2.25 lowest: gap 0.75
    others["B6"] = [2, 2, 3, 3]  # 2.50: gap 0.50, the report's blind spot, not a plan's
    result = aggregate(ratings([3] * 7, others), BERAKHLAK_3)
    assert suggest_focus(result, BERAKHLAK_3) == ("B5",)
    six = {code: [3] * 6 for code in CODES}  # the supervisor and five peers
    six["B2"] = [2, 2, 3, 3, 2, 2]  # 14/6 = 2.333…: gap 0.666… prints 0.67
    six["B7"] = [2] * 6
    result = aggregate(ratings([3] * 7, six), BERAKHLAK_3)
    assert largest_blind_spot(result, BERAKHLAK_3, frozenset({"B7"})) == "B2"
    assert suggest_focus(result, BERAKHLAK_3) == ("B7", "B2")


def test_five_level_scale_needs_four_thirds():
    assert blind_spot_gap(BERAKHLAK_5) == 1.33
    answers = [Rating(1, SELF, code, 5) for code in CODES]
    values = {"B1": [4, 4, 4, 3], "B2": [4, 4, 3, 3], "B3": [2, 2, 2, 2]}
    for code in CODES:
        for index, value in enumerate(values.get(code, [5, 5, 5, 5])):
            answers.append(Rating(10 + index, SUP if index == 0 else PEER, code, value))
    result = aggregate(answers, BERAKHLAK_5)
    # B3 lowest (2.00); B1 gap 1.25 does not reach 1.33, B2 gap 1.50 does.
    assert suggest_focus(result, BERAKHLAK_5) == ("B3", "B2")


def test_suppressed_others_fall_back_to_the_supervisor_and_nothing_released_gives_none():
    # The supervisor and two peers: peers and others below the minimum of 3.
    answers = [Rating(1, SELF, code, 3) for code in CODES]
    sup = [3, 2, 3, 1, 3, 3, 2]
    for code, value in zip(CODES, sup, strict=True):
        answers += [Rating(10, SUP, code, value), Rating(11, PEER, code, 1)]
        answers.append(Rating(12, PEER, code, 1))
    result = aggregate(answers, BERAKHLAK_3)
    assert suggest_focus(result, BERAKHLAK_3) == ("B4",)  # the supervisor's lowest
    alone = aggregate([Rating(1, SELF, code, 1) for code in CODES], BERAKHLAK_3)
    assert suggest_focus(alone, BERAKHLAK_3) == ()
    with pytest.raises(ValueError):
        suggest_focus(result, BERAKHLAK_5)


def test_latest_target_is_the_open_deadline_else_months_from_today():
    today = date(2030, 1, 31)
    assert latest_target(today, date(2030, 6, 30), 6) == date(2030, 6, 30)
    assert latest_target(today, date(2030, 1, 30), 6) == date(2030, 7, 31)  # passed
    assert latest_target(today, None, 6) == date(2030, 7, 31)
    assert add_months(today, 1) == date(2030, 2, 28)
    assert add_months(date(2031, 11, 30), 3) == date(2032, 2, 29)


def test_the_activity_catalogue_is_data_with_plain_codes():
    assert [a.code for a in ACTIVITIES][:6] == [
        "klasikal",
        "elearning",
        "coaching",
        "mentoring",
        "magang",
        "penugasan",
    ]
    assert activity("coaching") is not None and activity("sneaky") is None
