"""SKM periods as dates: their kind and name, the period before, and the days that matter.

Pure functions. A period is a span of local days ``[first, last]``. Its kind is
read from the dates, so an operator only types dates:

- a calendar quarter is a *triwulan* (TW I … TW IV),
- a calendar half year is a *semester* (S1, S2),
- a calendar year is *tahunan*,
- anything else is *custom* (a pilot month, a campaign).

The period before (for "the change from the previous period") has the same
kind: the quarter, half or year before; for a custom period, the same number of
days right before it.

What happens after a period ends, in working days (`scheduler.scoring.working_days`):
the close message on the first working day after the last day, a reminder to a
head who has not approved after `REMINDER_WORKING_DAYS`, and the head above
hears after `ESCALATION_WORKING_DAYS` (both settings; these are the product's
defaults, not numbers from the regulation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Literal

from scheduler.scoring import skm
from scheduler.scoring.working_days import WorkCalendar, nth_working_day_after

QUARTER = "quarter"
SEMESTER = "semester"
YEAR = "year"
CUSTOM = "custom"
Kind = Literal["quarter", "semester", "year", "custom"]
KINDS: tuple[str, ...] = (QUARTER, SEMESTER, YEAR, CUSTOM)
ROMAN = ("I", "II", "III", "IV")

REMINDER_WORKING_DAYS = 10
ESCALATION_WORKING_DAYS = 15
WEAKEST_SHOWN = 3


@dataclass(frozen=True)
class PeriodKind:
    """What a span of days is: its kind, its number in the year (1-based; 0 for a year
    or a custom span) and the year it lies in (of its first day)."""

    kind: str
    number: int
    year: int


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _span(year: int, first_month: int, months: int) -> tuple[date, date]:
    last_month = first_month + months - 1
    return date(year, first_month, 1), _month_end(year, last_month)


def classify(first: date, last: date) -> PeriodKind:
    """The kind of the span ``[first, last]`` (see the module docstring)."""
    if last < first:
        raise ValueError(f"a period cannot end ({last}) before it starts ({first})")
    year = first.year
    if (first, last) == (date(year, 1, 1), date(year, 12, 31)):
        return PeriodKind(YEAR, 0, year)
    for number in (1, 2):
        if (first, last) == _span(year, 6 * number - 5, 6):
            return PeriodKind(SEMESTER, number, year)
    for number in range(1, 5):
        if (first, last) == _span(year, 3 * number - 2, 3):
            return PeriodKind(QUARTER, number, year)
    return PeriodKind(CUSTOM, 0, year)


def quarter(year: int, number: int) -> tuple[date, date]:
    """The days of TW ``number`` (1–4) of ``year``."""
    if not 1 <= number <= 4:
        raise ValueError(f"a quarter is 1–4, got {number}")
    return _span(year, 3 * number - 2, 3)


def semester(year: int, number: int) -> tuple[date, date]:
    """The days of semester ``number`` (1–2) of ``year``."""
    if number not in (1, 2):
        raise ValueError(f"a semester is 1 or 2, got {number}")
    return _span(year, 6 * number - 5, 6)


def whole_year(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def previous_span(first: date, last: date) -> tuple[date, date]:
    """The period before ``[first, last]``, of the same kind (see the module docstring)."""
    kind = classify(first, last)
    if kind.kind == YEAR:
        return whole_year(kind.year - 1)
    if kind.kind == SEMESTER:
        return semester(kind.year - 1, 2) if kind.number == 1 else semester(kind.year, 1)
    if kind.kind == QUARTER:
        return (
            quarter(kind.year - 1, 4) if kind.number == 1 else quarter(kind.year, kind.number - 1)
        )
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


# -- the days that matter after a period ends ------------------------------------------------


def close_day(last: date, calendar: WorkCalendar) -> date:
    """The first working day after the period's last day: when heads hear of it."""
    return nth_working_day_after(last, 1, calendar)


def reminder_day(last: date, calendar: WorkCalendar, working_days: int) -> date:
    """The day a head who has not approved is reminded (n working days after the end)."""
    return nth_working_day_after(last, working_days, calendar)


def escalation_day(last: date, calendar: WorkCalendar, working_days: int) -> date:
    """The day the head above hears of a period still not approved."""
    return nth_working_day_after(last, working_days, calendar)


# -- what a head is shown -----------------------------------------------------------------------


def weakest(nrr: Mapping[str, Fraction], count: int = WEAKEST_SHOWN) -> list[str]:
    """The ``count`` unsur with the lowest NRR, lowest first; ties in code order (U1…U9).

    Exact NRR are compared (Fractions), as `skm.weakest_unsur` does.
    """
    order = {code: position for position, code in enumerate(skm.UNSUR_CODES)}
    ranked = sorted(
        (code for code in skm.UNSUR_CODES if code in nrr), key=lambda c: (nrr[c], order[c])
    )
    return ranked[:count]


@dataclass(frozen=True)
class Movement:
    """How one service's responses moved since a version was cut: how many entered the
    period's scope (counted late) and how many left it (erased, moved away)."""

    entered: int
    left: int

    @property
    def any(self) -> bool:
        return bool(self.entered or self.left)


def movement(frozen: int, before_cut: int, after_cut: int) -> Movement:
    """Responses in and out of one service since a version was cut.

    ``frozen`` is the count the version holds; ``before_cut`` and ``after_cut``
    are the live counts of responses submitted before and from the moment the
    version describes. A response submitted after the cut can only have entered;
    a shortfall before the cut left (an erasure), a surplus entered (a service
    that moved into the unit).
    """
    for value in (frozen, before_cut, after_cut):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"counts are whole numbers ≥ 0, got {value!r}")
    return Movement(
        entered=after_cut + max(0, before_cut - frozen), left=max(0, frozen - before_cut)
    )
