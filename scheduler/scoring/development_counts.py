"""Training needs for BKPSDM: development plans counted by core value × activity × OPD.

Pure functions: plain facts in (one `FocusFact` per focus value of a plan the
ratee sent), counts out. Each plan names a core value at most once, so a
cell's count is a number of plans.

Anonymity. A cell (OPD, core value, activity) with fewer than ``min_count``
plans (``MIN_ANONYMOUS_RATERS``) is never shown: its plans are folded into
the OPD's "lainnya" figure, which names neither value nor activity. Nothing
else is printed that would let a folded cell be derived:

- there are no totals per core value or per activity across OPDs (a city-wide
  "B3 × coaching = 4" beside an OPD's shown "3" would give the other OPD's 1);
  BKPSDM adds up the shown cells itself;
- an OPD's figures are its shown cells, its "lainnya" and its number of plans
  (a plan may have two focus values, so plans ≤ cells + lainnya); none of them
  says which value or activity a folded plan chose;
- the report is per OPD only (the CLI refuses a sub-unit), so two reports of
  nested scopes cannot be subtracted from each other.

Cells are ordered by the instrument's value order, then the catalogue's
activity order, so the same plans always print the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OTHER = "lainnya"


@dataclass(frozen=True)
class FocusFact:
    """One focus value of one sent plan (never its text)."""

    opd: str
    plan_id: int
    value_code: str
    activity: str


@dataclass(frozen=True)
class Cell:
    value_code: str
    activity: str
    plans: int


@dataclass(frozen=True)
class OpdCounts:
    opd: str
    plans: int  # distinct plans in this OPD
    cells: tuple[Cell, ...]  # only cells with at least ``min_count`` plans
    other: int  # focus values folded into "lainnya"


def _order(codes: Sequence[str]) -> dict[str, int]:
    return {code: index for index, code in enumerate(codes)}


def count_plans(
    facts: Iterable[FocusFact],
    min_count: int,
    *,
    value_order: Sequence[str] = (),
    activity_order: Sequence[str] = (),
) -> list[OpdCounts]:
    """Per OPD (by code): the cells of at least ``min_count`` plans, the rest folded."""
    by_opd: dict[str, list[FocusFact]] = {}
    for fact in facts:
        by_opd.setdefault(fact.opd, []).append(fact)
    values, activities = _order(value_order), _order(activity_order)

    def key(cell: tuple[str, str]) -> tuple[int, str, int, str]:
        value, activity = cell
        return (
            values.get(value, len(values)),
            value,
            activities.get(activity, len(activities)),
            activity,
        )

    result = []
    for opd in sorted(by_opd):
        rows = by_opd[opd]
        counts = Counter((f.value_code, f.activity) for f in rows)
        shown = tuple(
            Cell(value, activity, n)
            for (value, activity), n in sorted(counts.items(), key=lambda item: key(item[0]))
            if n >= min_count
        )
        folded = sum(n for n in counts.values() if n < min_count)
        plans = len({f.plan_id for f in rows})
        result.append(OpdCounts(opd, plans, shown, folded))
    return result
