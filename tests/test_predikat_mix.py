"""The predikat mix check: exact shares against the limits an admin recorded."""

from scheduler.scoring.predikat_mix import ABOVE, BELOW, Breach, Limit, breaches
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
