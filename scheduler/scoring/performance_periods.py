"""Performance periods (PermenPANRB 6/2022's periodic evaluation): pure date arithmetic.

A period is named by its first month, ``YYYY-MM``, and covers
``cadence`` months (``FEEDBACK_CADENCE_MONTHS``: 1 monthly, 3 quarterly; a
divisor of 12, so periods start in January and never straddle a year). These
are separate from the SKM periods of a unit. The card about a period is built
in the first working days after it ends: `closed_period` is the period that
ended before a given day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

CADENCES = (1, 2, 3, 4, 6, 12)
_LABEL = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int  # the first month
    months: int = 1

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        index = self.year * 12 + self.month - 1 + self.months
        return date(index // 12, index % 12 + 1, 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day < self.end

    def previous(self) -> Period:
        index = self.year * 12 + self.month - 1 - self.months
        return Period(index // 12, index % 12 + 1, self.months)


def _check(cadence: int) -> None:
    if cadence not in CADENCES:
        raise ValueError(f"a cadence of {cadence} months does not divide a year")


def period_of(day: date, cadence: int = 1) -> Period:
    """The period a day falls in."""
    _check(cadence)
    first = (day.month - 1) // cadence * cadence + 1
    return Period(day.year, first, cadence)


def closed_period(day: date, cadence: int = 1) -> Period:
    """The latest period that ended before ``day`` (the one a card built on ``day`` covers)."""
    return period_of(day, cadence).previous()


def parse_period(text: str, cadence: int = 1) -> Period:
    """``YYYY-MM`` naming a period's first month; ValueError otherwise."""
    _check(cadence)
    match = _LABEL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"'{text}' is not a period; write YYYY-MM (2026-03)")
    year, month = int(match[1]), int(match[2])
    if (month - 1) % cadence:
        raise ValueError(f"'{text}' does not start a {cadence}-month period")
    return Period(year, month, cadence)
