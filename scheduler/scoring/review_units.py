"""Unit figures of a closed 360° cycle: averages of the ratees' SHOWN figures, under the rule.

Pure (numbers in, numbers out), beside the per-ratee aggregation
(`scheduler.scoring.review_math`). A unit figure averages per-ratee "others"
figures that passed the anonymity rule and is itself shown only when at least
``min_raters`` ratees contribute: it can never reveal more than the ratee
figures it is made of, and a unit figure is never one person's score in
disguise.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from scheduler.scoring.review_math import Figure, Group, Reason, ReviewResult, Suppressed


@dataclass(frozen=True)
class UnitFigure:
    mean: float  # mean of the ratees' shown figures
    ratees: int  # how many ratees' figures it averages


UnitCell = UnitFigure | Suppressed


@dataclass(frozen=True)
class UnitSummary:
    unit_code: str
    unit_name: str
    ratees: int
    overall: UnitCell  # over the ratees' shown "others" overalls
    items: Mapping[str, UnitCell]


def unit_summaries(
    members: Iterable[tuple[str, str, ReviewResult]], *, min_raters: int
) -> list[UnitSummary]:
    """Per unit, from (unit code, unit name, the ratee's result): averages of SHOWN figures.

    A unit figure needs at least ``min_raters`` ratees with a shown figure, so
    a unit of one or two people never shows a unit figure that is simply their
    own score under another name.
    """
    by_unit: dict[tuple[str, str], list[ReviewResult]] = defaultdict(list)
    for code, name, result in members:
        by_unit[code, name].append(result)
    return [
        _unit_summary(code, name, results, min_raters)
        for (code, name), results in sorted(by_unit.items())
    ]


def _unit_summary(
    code: str, name: str, results: list[ReviewResult], min_raters: int
) -> UnitSummary:
    overall = [
        cell.mean for r in results if isinstance(cell := r.groups[Group.OTHERS].overall, Figure)
    ]
    items = {
        item: _unit_cell(
            [
                cell.mean
                for r in results
                if isinstance(cell := r.groups[Group.OTHERS].items.get(item), Figure)
            ],
            min_raters,
        )
        for item in results[0].item_codes
    }
    return UnitSummary(
        code, name, len(results), _unit_cell(overall, min_raters), MappingProxyType(items)
    )


def _unit_cell(values: list[float], min_raters: int) -> UnitCell:
    if not values:
        return Suppressed(Reason.NO_SCORES)
    if len(values) < min_raters:
        return Suppressed(Reason.BELOW_MINIMUM)
    return UnitFigure(statistics.fmean(values), len(values))
