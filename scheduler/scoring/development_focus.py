"""Which core values a development plan (IDP) starts from, and how late its target may be.

Pure functions over a released 360° result (`scheduler.scoring.review_math`):
numbers in, codes out. The bot pre-selects what `suggest_focus` returns; the
ratee may change it.

`suggest_focus` picks up to two core values, in this order:

1. **The lowest pooled value**: the core value with the lowest "others" figure
   (everyone but self: supervisor, peers and subordinates pooled), among the
   values whose "others" figure was released. When the anonymity rule released
   no "others" figure at all, the supervisor's own figures stand in (the same
   fallback as the recommendation). Means are compared as every report prints
   them (half-up to two decimals, `round_mean`), so two values that read the
   same are a tie.
2. **The largest blind spot**: among the other values, the one where the ratee
   rates themself highest above the others, provided the others are *at least a
   third of the scale below self*: ``self − others ≥ (highest − lowest) / 3``
   (2/3 on the 1–3 scale, 4/3 on 1–5), compared on printed figures (a gap that
   prints as 0.67 on 1–3 qualifies). This is stricter than the report's blind
   spot flag (a quarter of the scale): a plan's second focus must be a clear one.
   Only values where both self and others were released can have a gap.

Ties are broken by the instrument's order (B1 before B7). When nothing
qualifies for the second pick, the suggestion has one value; with no released
figure at all, none.

`focus_change` compares a plan's value across two cycles, on printed figures of
the same rater group ("others" when both released it, else the supervisor's).

`latest_target` is the last day a plan's target date may have: the deadline of
the next cycle that is open for the person, when there is one that has not
passed, else ``months`` calendar months from today (the 31st clamps to the
month's last day).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.review_math import Figure, Gap, Group, ReviewResult, round_mean

MAX_FOCUS = 2


def blind_spot_gap(instrument: Instrument) -> float:
    """The smallest printed gap (self − others) that counts: a third of the scale's range."""
    scale = instrument.scale
    return round_mean((scale.highest - scale.lowest) / 3)


def _pooled(result: ReviewResult) -> dict[str, float]:
    """Printed "others" means per released value, else the supervisor's."""
    for group in (Group.OTHERS, Group.SUPERVISOR):
        items = result.groups[group].items
        shown = {
            code: round_mean(cell.mean)
            for code in result.item_codes
            if isinstance(cell := items[code], Figure)
        }
        if shown:
            return shown
    return {}


@dataclass(frozen=True)
class Change:
    """A focus value's figure in the plan's cycle and in the next one (same rater group)."""

    code: str
    group: Group
    before: float
    after: float

    @property
    def delta(self) -> float:
        return round_mean(self.after - self.before)


def _printed(result: ReviewResult, group: Group, code: str) -> float | None:
    cell = result.groups[group].items.get(code)
    return round_mean(cell.mean) if isinstance(cell, Figure) else None


def focus_change(before: ReviewResult, after: ReviewResult, code: str) -> Change | None:
    """How a focus value moved from the plan's cycle to the next: the "others" figures
    when both cycles released them, else the supervisor's, else None (nothing to compare:
    never "others" against the supervisor). Results of different instruments (another
    scale) are not compared."""
    if before.instrument_code != after.instrument_code:
        return None
    for group in (Group.OTHERS, Group.SUPERVISOR):
        then, now = _printed(before, group, code), _printed(after, group, code)
        if then is not None and now is not None:
            return Change(code, group, then, now)
    return None


def lowest_value(result: ReviewResult) -> str | None:
    """The core value with the lowest pooled figure (first in instrument order on a tie)."""
    pooled = _pooled(result)
    if not pooled:
        return None
    order = {code: index for index, code in enumerate(result.item_codes)}
    return min(pooled, key=lambda code: (pooled[code], order[code]))


def largest_blind_spot(
    result: ReviewResult, instrument: Instrument, exclude: frozenset[str] = frozenset()
) -> str | None:
    """The value with the largest qualifying self − others gap, or None."""
    threshold = blind_spot_gap(instrument)
    best: tuple[float, str] | None = None
    for code in result.item_codes:
        gap = result.gaps[code]
        if code in exclude or not isinstance(gap, Gap):
            continue
        printed = round_mean(gap.gap)
        if printed >= threshold and (best is None or printed > best[0]):
            best = (printed, code)
    return best[1] if best else None


def suggest_focus(result: ReviewResult, instrument: Instrument) -> tuple[str, ...]:
    """Up to two core values: the lowest pooled one, then the largest blind spot."""
    if result.instrument_code != instrument.code:
        raise ValueError("the result was aggregated with another instrument")
    picked: list[str] = []
    lowest = lowest_value(result)
    if lowest is not None:
        picked.append(lowest)
    blind = largest_blind_spot(result, instrument, exclude=frozenset(picked))
    if blind is not None:
        picked.append(blind)
    return tuple(picked[:MAX_FOCUS])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (clamped to the month's end)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_target(today: date, open_deadline: date | None, months: int) -> date:
    """The last allowed target date: the open cycle's deadline, else today + months."""
    if open_deadline is not None and open_deadline >= today:
        return open_deadline
    return add_months(today, months)
