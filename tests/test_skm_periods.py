"""SKM periods as dates (`scheduler.scoring.skm_periods`): kinds, the period before, the days
after the end that matter, the three weakest unsur, and how responses moved."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from scheduler.scoring import skm
from scheduler.scoring.skm_periods import (
    CUSTOM,
    QUARTER,
    SEMESTER,
    YEAR,
    Movement,
    classify,
    close_day,
    escalation_day,
    movement,
    previous_span,
    quarter,
    reminder_day,
    semester,
    weakest,
)
from scheduler.scoring.working_days import WorkCalendar


@pytest.mark.parametrize(
    ("first", "last", "kind", "number"),
    [
        (date(2026, 1, 1), date(2026, 3, 31), QUARTER, 1),
        (date(2026, 4, 1), date(2026, 6, 30), QUARTER, 2),
        (date(2026, 7, 1), date(2026, 9, 30), QUARTER, 3),
        (date(2026, 10, 1), date(2026, 12, 31), QUARTER, 4),
        (date(2026, 1, 1), date(2026, 6, 30), SEMESTER, 1),
        (date(2026, 7, 1), date(2026, 12, 31), SEMESTER, 2),
        (date(2026, 1, 1), date(2026, 12, 31), YEAR, 0),
        (date(2026, 5, 1), date(2026, 5, 20), CUSTOM, 0),
        (date(2026, 1, 1), date(2026, 3, 30), CUSTOM, 0),  # one day short of TW I
        (date(2024, 1, 1), date(2024, 2, 29), CUSTOM, 0),
    ],
)
def test_the_kind_is_read_from_the_dates(first, last, kind, number):
    found = classify(first, last)
    assert (found.kind, found.number, found.year) == (kind, number, first.year)


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        classify(date(2026, 3, 1), date(2026, 2, 1))


def test_the_period_before_has_the_same_kind():
    assert previous_span(*quarter(2026, 1)) == quarter(2025, 4)
    assert previous_span(*quarter(2026, 3)) == quarter(2026, 2)
    assert previous_span(*semester(2026, 1)) == semester(2025, 2)
    assert previous_span(*semester(2026, 2)) == semester(2026, 1)
    assert previous_span(date(2026, 1, 1), date(2026, 12, 31)) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    # A custom span: the same number of days right before it.
    assert previous_span(date(2026, 5, 1), date(2026, 5, 20)) == (
        date(2026, 4, 11),
        date(2026, 4, 30),
    )


def test_close_reminder_and_escalation_count_working_days_after_the_end():
    calendar = WorkCalendar.of(range(1, 6), {date(2026, 4, 3)})  # Good Friday
    end = date(2026, 3, 31)
    assert close_day(end, calendar) == date(2026, 4, 1)
    assert reminder_day(end, calendar, 10) == date(2026, 4, 15)
    assert escalation_day(end, calendar, 15) == date(2026, 4, 22)
    # TW II 2026 ends on Tuesday 30 June; with 1 July a holiday its close is Thursday 2 July.
    calendar = WorkCalendar.of(range(1, 6), {date(2026, 7, 1)})
    assert close_day(date(2026, 6, 30), calendar) == date(2026, 7, 2)


def test_the_three_weakest_by_exact_nrr_ties_in_code_order():
    nrr = {code: Fraction(4) for code in skm.UNSUR_CODES}
    nrr.update(U7=Fraction(3), U3=Fraction(10, 3), U4=Fraction(10, 3), U8=Fraction(10, 3))
    assert weakest(nrr) == ["U7", "U3", "U4"]
    nrr["U3"] = Fraction(33334, 10000)  # 3.3334 is not a tie with 3.3333…
    assert weakest(nrr) == ["U7", "U4", "U8"]
    assert weakest({}) == []


@pytest.mark.parametrize(
    ("frozen", "before", "after", "expected"),
    [
        (10, 10, 0, Movement(0, 0)),
        (10, 9, 0, Movement(0, 1)),  # one erased
        (10, 10, 3, Movement(3, 0)),  # three counted after an early approval
        (10, 9, 2, Movement(2, 1)),  # both
        (0, 4, 0, Movement(4, 0)),  # a service that moved into the unit
        (4, 0, 0, Movement(0, 4)),  # … and out of it
    ],
)
def test_movement(frozen, before, after, expected):
    assert movement(frozen, before, after) == expected
    assert movement(frozen, before, after).any == (expected != Movement(0, 0))


def test_movement_needs_counts():
    with pytest.raises(ValueError):
        movement(-1, 0, 0)
