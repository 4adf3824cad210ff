"""What a feedback card holds once gathered (`scheduler.feedback_cards.card_content`),
for the texts that show it (`scheduler.messages.feedback_cards`)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from scheduler.scoring import skm
from scheduler.scoring.performance_periods import Period
from storage import review_results as reviews
from storage.performance_models import Achievement, FeedbackCard, PerformanceNote, SkpLine


@dataclass(frozen=True)
class Citizens:
    n: int
    minimum: int
    u6: Fraction | None  # None below the minimum
    u7: Fraction | None
    comments: tuple[str, ...]  # empty below the minimum


@dataclass(frozen=True)
class UnitIkm:
    """A unit the employee heads: its IKM (sub-units pooled) over the period's days."""

    code: str
    name: str
    n: int
    result: skm.IkmResult | None  # None when no citizen answered


@dataclass(frozen=True)
class CardContent:
    card: FeedbackCard
    period: Period
    citizens: Citizens
    praise: int
    notes: list[PerformanceNote]
    review: reviews.RateeResults | None
    skp_lines: list[SkpLine]
    achievements: list[Achievement]
    # For a unit head: the units they head and their IKM (the public's formal entry into a
    # head's performance: an SKP indicator such as "IKM ≥ 88,31", the SKM report as evidence).
    units: tuple[UnitIkm, ...] = ()
