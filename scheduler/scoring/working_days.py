"""Working days: the deployment's ``WORK_DAYS`` minus the holidays an admin loaded.

Pure functions over a `WorkCalendar` (the ISO weekdays that are worked and a
set of holiday dates), shared by everything that counts in working days: the
first working day after an SKM period ends (its close message), the reminder
after 10 and the escalation after 15 working days, a case's response target,
and the "working days" column of a survey timeline. Loading the calendar
(settings plus the ``holidays`` table) is `storage.holidays.work_calendar`.

Counting rules, the way an office counts a deadline:

- `nth_working_day_after(day, n)` never counts ``day`` itself: the 1st working
  day after Friday 27 March is Monday 30 March (or the next day that is neither
  a weekend nor a holiday).
- `add_working_days(day, n)` first rolls a non-working ``day`` forward to the
  next working day (a letter received on Saturday is handled from Monday),
  then moves ``n`` working days on; ``n = 0`` is that rolled day.
- `working_days_between(first, last)` counts the working days in
  ``[first, last]``, both included.

A calendar with no working day in a whole year (every weekday a holiday) is a
broken calendar: the functions raise `ValueError` rather than loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

# A year without one working day is a broken calendar, not a long wait.
MAX_SEARCH_DAYS = 366
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked: ISO weekdays (1 = Monday … 7 = Sunday) minus holidays.

    A calendar is also a predicate (``calendar(day)``), for code that only asks
    "is this a working day?".
    """

    weekdays: frozenset[int]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.weekdays or not all(1 <= d <= 7 for d in self.weekdays):
            raise ValueError(f"working weekdays must be ISO weekdays 1–7, got {self.weekdays}")

    @classmethod
    def of(cls, weekdays: Iterable[int], holidays: Iterable[date] = ()) -> WorkCalendar:
        return cls(frozenset(weekdays), frozenset(holidays))

    def __call__(self, day: date) -> bool:
        return is_working_day(day, self)


def is_working_day(day: date, calendar: WorkCalendar) -> bool:
    """A worked weekday that is not a holiday."""
    return day.isoweekday() in calendar.weekdays and day not in calendar.holidays


def _check_count(n: int, least: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        raise ValueError(f"a number of working days must be a whole number ≥ {least}, got {n!r}")


def _next_working(day: date, calendar: WorkCalendar, *, include_day: bool) -> date:
    current = day if include_day else day + ONE_DAY
    for _ in range(MAX_SEARCH_DAYS):
        if is_working_day(current, calendar):
            return current
        current += ONE_DAY
    raise ValueError(f"no working day within a year after {day}: check WORK_DAYS and the holidays")


def next_working_day(day: date, calendar: WorkCalendar) -> date:
    """The first working day after ``day`` (``day`` itself never counts)."""
    return _next_working(day, calendar, include_day=False)


def nth_working_day_after(day: date, n: int, calendar: WorkCalendar) -> date:
    """The n-th working day after ``day`` (n ≥ 1; ``day`` itself never counts)."""
    _check_count(n, 1)
    current = day
    for _ in range(n):
        current = _next_working(current, calendar, include_day=False)
    return current


def add_working_days(day: date, n: int, calendar: WorkCalendar) -> date:
    """``day`` rolled forward to a working day, then ``n`` (≥ 0) working days on."""
    _check_count(n, 0)
    start = _next_working(day, calendar, include_day=True)
    return start if n == 0 else nth_working_day_after(start, n, calendar)


def working_days_between(first: date, last: date, calendar: WorkCalendar) -> int:
    """How many working days ``[first, last]`` holds, both ends included (0 if last < first)."""
    if last < first:
        return 0
    whole_weeks, rest = divmod((last - first).days + 1, 7)
    count = whole_weeks * len(calendar.weekdays)
    for offset in range(rest):
        if (first + timedelta(days=whole_weeks * 7 + offset)).isoweekday() in calendar.weekdays:
            count += 1
    count -= sum(
        1
        for holiday in calendar.holidays
        if first <= holiday <= last and holiday.isoweekday() in calendar.weekdays
    )
    return count
