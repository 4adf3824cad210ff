"""Performance periods: months and quarters, the period a card covers, parsing."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.scoring.performance_periods import (
    Period,
    closed_period,
    parse_period,
    period_of,
)


def test_monthly_periods():
    march = period_of(date(2026, 3, 31))
    assert march == Period(2026, 3, 1) and march.label == "2026-03"
    assert march.first_day == date(2026, 3, 1) and march.end == date(2026, 4, 1)
    assert march.contains(date(2026, 3, 1)) and not march.contains(date(2026, 4, 1))
    assert closed_period(date(2026, 4, 1)) == march
    assert closed_period(date(2026, 1, 2)) == Period(2025, 12, 1)
    assert Period(2025, 12, 1).end == date(2026, 1, 1)


def test_quarterly_periods():
    q2 = period_of(date(2026, 6, 30), 3)
    assert q2 == Period(2026, 4, 3) and q2.end == date(2026, 7, 1)
    assert closed_period(date(2026, 4, 1), 3) == Period(2026, 1, 3)
    assert closed_period(date(2026, 2, 15), 3) == Period(2025, 10, 3)


def test_parse():
    assert parse_period("2026-03") == Period(2026, 3, 1)
    assert parse_period("2026-04", 3) == Period(2026, 4, 3)
    for bad in ("2026-3", "2026-13", "26-03", "maret"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            parse_period(bad)
    with pytest.raises(ValueError, match="does not start a 3-month period"):
        parse_period("2026-03", 3)
    with pytest.raises(ValueError, match="does not divide a year"):
        period_of(date(2026, 1, 1), 5)
