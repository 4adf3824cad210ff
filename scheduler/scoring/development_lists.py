"""Who goes on a unit head's recognition list and development list after a 360° cycle.

Pure functions over released results (`scheduler.scoring.review_math`): both
lists are recommendations for the Pejabat Penilai Kinerja, never a decision.

- **Recognition**: a ratee whose predikat is Sangat Baik (which needs the
  supervisor's hasil kerja and a recommendation that meets the coverage rule of
  `scheduler.scoring.review_recommendation`: no recommendation, no predikat),
  and an officer with at least ``min_praise`` citizen praise notes in the
  cycle's dates (`storage.praise`).
- **Development**: a ratee with core values below expectation: the value's
  printed "others" figure (else the supervisor's, as the suggestion of a plan
  reads it) below the instrument's "sesuai" band. Only released figures count.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.review_math import Figure, Group, ReviewResult, round_mean


@dataclass(frozen=True)
class Below:
    code: str
    mean: float  # printed (half-up, two decimals)


def values_below(result: ReviewResult, instrument: Instrument) -> tuple[Below, ...]:
    """Core values whose pooled figure is below expectation, in instrument order."""
    for group in (Group.OTHERS, Group.SUPERVISOR):
        items = result.groups[group].items
        shown = [
            (code, round_mean(cell.mean))
            for code in result.item_codes
            if isinstance(cell := items[code], Figure)
        ]
        if shown:
            return tuple(
                Below(code, mean) for code, mean in shown if mean < instrument.bands.sesuai_from
            )
    return ()


def praised_enough(counts: dict[int, int], min_praise: int) -> dict[int, int]:
    """Officers with at least ``min_praise`` praise notes (all of them at 0: nobody)."""
    if min_praise <= 0:
        return {}
    return {officer: n for officer, n in counts.items() if n >= min_praise}
