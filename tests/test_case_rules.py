"""The pure rules of cases and praise: statuses, working-day targets, what opens a case.

November 2026: Monday 23, Friday 27, Saturday 28; Monday 30. Jakarta is UTC+7.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduler.scoring import alert_rules, case_rules, skm
from scheduler.scoring.case_rules import DONE, HANDLING, NEW
from scheduler.scoring.working_days import WorkCalendar

WIB = ZoneInfo("Asia/Jakarta")


WEEKDAYS = WorkCalendar.of(range(1, 6))


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


@pytest.mark.parametrize(
    ("opened", "last_day", "twice_day"),
    [
        (at(23), date(2026, 11, 25), date(2026, 11, 27)),  # Monday → Wed; twice → Fri
        (at(23, 23, 59), date(2026, 11, 25), date(2026, 11, 27)),  # late Monday counts as Monday
        (at(27, 15), date(2026, 12, 1), date(2026, 12, 3)),  # Friday → Tue; twice → Thu
        (at(28), date(2026, 12, 1), date(2026, 12, 3)),  # Saturday → Tue
        (at(29), date(2026, 12, 1), date(2026, 12, 3)),  # Sunday → Tue
    ],
)
def test_targets_count_working_days_after_the_day_of_opening(opened, last_day, twice_day):
    last, due, twice = case_rules.targets(opened, WIB, 2, WEEKDAYS)
    assert last == last_day
    # A target ends with its day in Jakarta: at the next day's 00:00 WIB.
    assert due == midnight_after(last_day) and due.tzinfo == UTC
    assert twice == midnight_after(twice_day)


def midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=WIB).astimezone(UTC)


def test_loaded_holidays_are_skipped():
    calendar = WorkCalendar.of(range(1, 6), [date(2026, 11, 24)])
    last, _due, twice = case_rules.targets(at(23), WIB, 2, calendar)
    assert last == date(2026, 11, 26)
    assert twice == midnight_after(date(2026, 11, 30))


def test_a_setting_of_one_day_and_a_broken_calendar():
    last, _due, _twice = case_rules.targets(at(27), WIB, 1, WEEKDAYS)
    assert last == date(2026, 11, 30)
    every_day_off = WorkCalendar.of(
        [1], [date(2026, 11, 23) + timedelta(weeks=w) for w in range(60)]
    )
    with pytest.raises(ValueError):
        case_rules.targets(at(22), WIB, 1, every_day_off)


def test_statuses_move_forward_only():
    assert case_rules.may_move(NEW, HANDLING)
    assert case_rules.may_move(NEW, DONE)
    assert case_rules.may_move(HANDLING, DONE)
    for target in (NEW, HANDLING, DONE):
        assert not case_rules.may_move(DONE, target)
    assert not case_rules.may_move(HANDLING, NEW)


def test_a_resolution_is_one_line():
    assert case_rules.one_line("  Petugas ditegur.\n\nLoket\tditambah  ") == (
        "Petugas ditegur. Loket ditambah"
    )


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        (("low_mean",), True),
        (("unsur_1",), True),
        (("levy",), True),
        (("comment",), False),  # a comment alone is a note, not a case
        (("levy", "comment"), True),
        ((), False),
    ],
)
def test_what_opens_a_case(reasons, expected):
    assert alert_rules.opens_case(reasons) is expected


def answers(*scores: int) -> dict[str, int | None]:
    return dict(zip(skm.UNSUR_CODES, scores, strict=True))


@pytest.mark.parametrize(
    ("scores", "comment", "officer", "expected"),
    [
        ((4,) * 9, "Pak Budi ramah sekali", True, True),
        ((4,) * 9, "Pak Budi ramah sekali", False, False),  # no officer on the QR code
        ((4,) * 9, "   ", True, False),  # no comment
        ((4,) * 9, None, True, False),
        ((4,) * 8 + (3,), "Bagus", True, False),  # not every answer at 4
    ],
)
def test_what_is_praise(scores, comment, officer, expected):
    assert alert_rules.is_praise(answers(*scores), comment, officer_named=officer) is expected
