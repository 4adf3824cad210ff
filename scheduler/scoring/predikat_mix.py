"""Does a unit's recommended predikat mix keep the distribution an admin recorded?

SE MenPANRB 03/2023 ties the distribution of predikat kinerja in an
organisation to the organisation's own achievement. The limits are data an
admin records (`storage.development_models.PredikatMixLimit`): a minimum and/or
a maximum share in whole percent per predikat; this module invents none.

`breaches` compares exactly (integers: ``count × 100`` against ``percent ×
total``), so 1 of 5 (20 %) keeps a 20 % maximum. Ratees without a predikat
(no hasil kerja, or a recommendation the coverage rule withheld) are not in
the mix at all. The result is a warning for the head, nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from scheduler.scoring.review_recommendation import Predikat

ABOVE = "above"
BELOW = "below"


@dataclass(frozen=True)
class Limit:
    predikat: Predikat
    min_percent: int | None
    max_percent: int | None


@dataclass(frozen=True)
class Breach:
    predikat: Predikat
    count: int
    total: int
    kind: str  # ABOVE the maximum or BELOW the minimum
    percent: int  # the limit broken


def breaches(mix: Sequence[Predikat], limits: Sequence[Limit]) -> list[Breach]:
    """Every limit the mix breaks, in the limits' order; none for an empty mix."""
    total = len(mix)
    if total == 0:
        return []
    counts = Counter(mix)
    found = []
    for limit in limits:
        count = counts.get(limit.predikat, 0)
        if limit.max_percent is not None and count * 100 > limit.max_percent * total:
            found.append(Breach(limit.predikat, count, total, ABOVE, limit.max_percent))
        if limit.min_percent is not None and count * 100 < limit.min_percent * total:
            found.append(Breach(limit.predikat, count, total, BELOW, limit.min_percent))
    return found
