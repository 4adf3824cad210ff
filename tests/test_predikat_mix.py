"""The predikat mix check: exact shares against the limits an admin recorded."""

import pytest

from scheduler.scoring.predikat_mix import (
    ABOVE,
    BELOW,
    Breach,
    Limit,
    LimitsError,
    breaches,
    parse_limits,
)
from scheduler.scoring.review_recommendation import Predikat

SB, B, BP = Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN


def test_a_share_exactly_at_the_limit_keeps_it() -> None:
    limits = [Limit(SB, None, 20), Limit(B, 40, None)]
    assert breaches([SB, B, B, BP, BP], limits) == []  # 20 % and 40 %


def test_above_the_maximum_and_below_the_minimum_are_both_named() -> None:
    limits = [Limit(SB, None, 20), Limit(B, 50, None)]
    assert breaches([SB, SB, B, BP], limits) == [
        Breach(SB, 2, 4, ABOVE, 20),
        Breach(B, 1, 4, BELOW, 50),
    ]


def test_an_empty_mix_breaks_nothing() -> None:
    assert breaches([], [Limit(B, 50, None)]) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sangat baik max 20; baik min 50", [(SB, None, 20), (B, 50, None)]),
        ("Baik 40-80, kurang ≤ 5%", [(B, 40, 80), (Predikat.KURANG, None, 5)]),
        ("Sangat_Baik<=20", [(SB, None, 20)]),
        ("butuh perbaikan >= 10", [(Predikat.BUTUH_PERBAIKAN, 10, None)]),
        ("sangat baik maks 0%; baik min 50; sangat baik min 0", [(SB, 0, 0), (B, 50, None)]),
        ("Kurang/Misconduct max 3", [(Predikat.KURANG, None, 3)]),
    ],
)
def test_a_typed_line_of_limits_is_read_in_the_predikats_order(line, expected):
    assert parse_limits(line) == [Limit(p, low, high) for p, low, high in expected]


@pytest.mark.parametrize(
    ("line", "template"),
    [
        ("", "Type at least one limit."),
        (" ; ", "Type at least one limit."),
        ("luar biasa max 5", "“{name}” is not a predikat."),
        ("baik max 120", "{value}% is not a whole percent from 0 to 100."),
        ("baik 120", "“{item}” is not a limit."),
        ("baik", "“{item}” is not a limit."),
        ("baik max 20, baik max 30", "{predikat} is given twice."),
        ("baik 80-40", "{predikat}: the minimum {low}% is above the maximum {high}%."),
        (
            "baik min 60; baik max 50",
            "{predikat}: the minimum {low}% is above the maximum {high}%.",
        ),
    ],
)
def test_a_bad_line_says_why(line, template):
    with pytest.raises(LimitsError) as caught:
        parse_limits(line)
    assert caught.value.template == template
