"""Working days (`scheduler.scoring.working_days`): WORK_DAYS minus holidays, counted as an
office counts a deadline, on worked examples around the end of TW I 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from scheduler.scoring.working_days import (
    WorkCalendar,
    add_working_days,
    is_working_day,
    next_working_day,
    nth_working_day_after,
    working_days_between,
)

MON_FRI = WorkCalendar.of(range(1, 6))
GOOD_FRIDAY = date(2026, 4, 3)  # Wafat Yesus Kristus, a Friday
# Idul Fitri 1447 H falls on 20–21 March 2026 (Friday–Saturday) with cuti bersama around it.
LEBARAN = {date(2026, 3, 18), date(2026, 3, 19), date(2026, 3, 20), date(2026, 3, 23)}
WITH_HOLIDAYS = WorkCalendar.of(range(1, 6), {GOOD_FRIDAY, *LEBARAN})
END_TW1 = date(2026, 3, 31)  # a Tuesday


def test_weekends_and_holidays_are_not_working_days():
    assert is_working_day(date(2026, 4, 2), WITH_HOLIDAYS)  # Thursday
    assert not is_working_day(GOOD_FRIDAY, WITH_HOLIDAYS)
    assert is_working_day(GOOD_FRIDAY, MON_FRI)
    assert not is_working_day(date(2026, 4, 4), WITH_HOLIDAYS)  # Saturday
    assert WITH_HOLIDAYS(date(2026, 4, 6)) and not WITH_HOLIDAYS(GOOD_FRIDAY)  # a predicate too


def test_a_six_day_week_works_saturdays():
    six_days = WorkCalendar.of(range(1, 7))
    assert is_working_day(date(2026, 4, 4), six_days)
    assert next_working_day(date(2026, 4, 3), six_days) == date(2026, 4, 4)


def test_the_first_working_day_after_the_period_never_is_the_last_day_itself():
    assert next_working_day(END_TW1, WITH_HOLIDAYS) == date(2026, 4, 1)
    assert nth_working_day_after(END_TW1, 1, WITH_HOLIDAYS) == date(2026, 4, 1)
    # A period ending on a Friday before a holiday Monday closes on Tuesday.
    calendar = WorkCalendar.of(range(1, 6), {date(2026, 6, 1)})  # Hari Lahir Pancasila
    assert next_working_day(date(2026, 5, 29), calendar) == date(2026, 6, 2)


def test_ten_and_fifteen_working_days_after_tw1_skip_good_friday():
    assert nth_working_day_after(END_TW1, 10, MON_FRI) == date(2026, 4, 14)
    assert nth_working_day_after(END_TW1, 10, WITH_HOLIDAYS) == date(2026, 4, 15)
    assert nth_working_day_after(END_TW1, 15, WITH_HOLIDAYS) == date(2026, 4, 22)


def test_lebaran_week_holds_only_two_working_days():
    # Monday 16 – Monday 23 March: only 16 and 17 are worked.
    assert working_days_between(date(2026, 3, 16), date(2026, 3, 23), WITH_HOLIDAYS) == 2
    assert nth_working_day_after(date(2026, 3, 17), 1, WITH_HOLIDAYS) == date(2026, 3, 24)


def test_add_working_days_rolls_a_non_working_day_forward_first():
    saturday = date(2026, 4, 4)
    assert add_working_days(saturday, 0, WITH_HOLIDAYS) == date(2026, 4, 6)
    assert add_working_days(saturday, 1, WITH_HOLIDAYS) == date(2026, 4, 7)
    assert add_working_days(date(2026, 4, 2), 1, WITH_HOLIDAYS) == date(2026, 4, 6)
    assert add_working_days(date(2026, 4, 2), 0, WITH_HOLIDAYS) == date(2026, 4, 2)


def test_counting_agrees_with_stepping_day_by_day():
    start = date(2026, 1, 1)
    for length in range(0, 60, 7):
        for offset in range(7):
            first = start + timedelta(days=offset)
            last = first + timedelta(days=length)
            stepped = sum(
                1
                for i in range((last - first).days + 1)
                if is_working_day(first + timedelta(days=i), WITH_HOLIDAYS)
            )
            assert working_days_between(first, last, WITH_HOLIDAYS) == stepped
    assert working_days_between(END_TW1, END_TW1 - timedelta(days=1), MON_FRI) == 0


def test_whole_quarter_counts():
    # TW I 2026: 90 days, 64 of them Monday–Friday; the four Lebaran days are weekdays.
    assert working_days_between(date(2026, 1, 1), END_TW1, MON_FRI) == 64
    assert working_days_between(date(2026, 1, 1), END_TW1, WITH_HOLIDAYS) == 60


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_nth_needs_a_positive_whole_number(n):
    with pytest.raises(ValueError):
        nth_working_day_after(END_TW1, n, MON_FRI)  # type: ignore[arg-type]


def test_a_calendar_without_working_days_is_refused_not_looped():
    with pytest.raises(ValueError):
        WorkCalendar.of([])
    every_day = {date(2026, 1, 1) + timedelta(days=i) for i in range(800)}
    broken = WorkCalendar.of(range(1, 6), every_day)
    with pytest.raises(ValueError, match="no working day within a year"):
        next_working_day(date(2026, 1, 1), broken)
