"""The supervisor's perilaku view against the pooled others: a flag worth a look, not a verdict.

Pure functions over an aggregated `ReviewResult` (only figures that passed the
anonymity rule). Per core value where both the supervisor's figure and the
"others" figure are shown, the pool of peers and subordinates is the others
without the supervisor: (others mean × n − supervisor mean × n_s) / (n − n_s),
used only when that pool has at least ``min_raters`` raters (this is the set
the anonymity rule already lets a reader derive, `scheduler.scoring.review_math`).
The supervisor's mean and the pool's mean over those values are each turned
into a level with the instrument's bands (`recommend_perilaku`); a difference
of one level or more is a divergence. Nothing is flagged when the others'
group is not shown or no value has both figures.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import Figure, Group, ReviewResult
from scheduler.scoring.review_recommendation import recommend_perilaku


@dataclass(frozen=True)
class Divergence:
    supervisor: Expectation
    others: Expectation
    values: tuple[str, ...]  # the core values compared

    @property
    def levels(self) -> int:
        return abs(int(self.supervisor) - int(self.others))


def divergence(result: ReviewResult, instrument: Instrument) -> Divergence | None:
    """The divergence of one ratee's supervisor from the pooled others, if a level or more."""
    supervisor, others = result.groups[Group.SUPERVISOR], result.groups[Group.OTHERS]
    if not (supervisor.shown and others.shown):
        return None
    own: list[float] = []
    pooled: list[float] = []
    values: list[str] = []
    for code in result.item_codes:
        s, o = supervisor.items[code], others.items[code]
        if not (isinstance(s, Figure) and isinstance(o, Figure)):
            continue
        pool = o.n - s.n
        if pool < result.min_raters:
            continue
        own.append(s.mean)
        pooled.append((o.mean * o.n - s.mean * s.n) / pool)
        values.append(code)
    if not values:
        return None
    found = Divergence(
        recommend_perilaku(statistics.fmean(own), instrument),
        recommend_perilaku(statistics.fmean(pooled), instrument),
        tuple(values),
    )
    return found if found.levels >= 1 else None
