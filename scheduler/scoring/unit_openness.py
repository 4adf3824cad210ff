"""Openness of 360° results: a unit's per-value figures, and each person's place against them.

Pure functions (numbers in, numbers out). After a cycle closes every ASN of a
unit may see, per core value, the unit's figure: the mean and the median of
its ratees' released "others" figures for that value (each ratee's figure is
already one that passed the anonymity rule, `scheduler.scoring.review_math`).
A ratee sees privately where their own figure stands against that median.

THE RULE (m = ``MIN_ANONYMOUS_RATERS``). A value's unit figure is published
only when at least m + 1 ratees of the unit have a released figure for it, and
nothing of the unit is published unless at least m + 1 ratees have any. Why
m + 1: a reader who knows the unit mean and n, and their own figure, can
compute the mean of everyone else, n − 1 ≥ m people, never fewer; anyone who
is not a ratee learns the mean of n ≥ m + 1. No figure is tied to a name, the
figures are never broken down below the unit, and only values that pass are
shown (the others are named as "not enough ratees"). The median is the middle
of n ≥ m + 1 released figures: a value, never whose.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scheduler.scoring.review_math import round_mean

# figures[ratee id][item code] = the ratee's released "others" mean for that value
Figures = Mapping[int, Mapping[str, float]]


class Standing(StrEnum):
    ABOVE = "above"
    AT = "at"
    BELOW = "below"


@dataclass(frozen=True)
class UnitValue:
    code: str
    mean: float
    median: float
    ratees: int  # ratees with a released figure for this value (≥ m + 1)


@dataclass(frozen=True)
class UnitFigures:
    ratees: int  # ratees with any released figure
    values: tuple[UnitValue, ...]  # in instrument order, only those that pass
    withheld: tuple[str, ...]  # values with too few ratees

    @property
    def published(self) -> bool:
        return bool(self.values)


def minimum_ratees(min_raters: int) -> int:
    return min_raters + 1


def unit_figures(figures: Figures, item_codes: Sequence[str], min_raters: int) -> UnitFigures:
    """The unit's publishable figures per value (none below the rule)."""
    need = minimum_ratees(min_raters)
    with_any = sum(1 for values in figures.values() if values)
    if with_any < need:
        return UnitFigures(with_any, (), tuple(item_codes))
    shown: list[UnitValue] = []
    withheld: list[str] = []
    for code in item_codes:
        values = [own[code] for own in figures.values() if code in own]
        if len(values) < need:
            withheld.append(code)
            continue
        shown.append(
            UnitValue(code, statistics.fmean(values), statistics.median(values), len(values))
        )
    return UnitFigures(with_any, tuple(shown), tuple(withheld))


def standing(own: float, median: float) -> Standing:
    """Above, at or below the median, on the two-decimal figures the reports print."""
    mine, middle = round_mean(own), round_mean(median)
    if mine > middle:
        return Standing.ABOVE
    if mine < middle:
        return Standing.BELOW
    return Standing.AT
