"""Rater patterns of one 360° cycle, for admins: who rated oddly, never what they answered.

Pure functions over plain values, like `scheduler.scoring.review_math`, whose
aggregation never uses them: a flag is for an admin's look, never blocking
and never shown to the people rated. Self-ratings are ignored and a rater's
answers on a ratee count only with ≥ `PATTERN_MIN_SCORES` scores:

- reciprocal extremes: A rated B and B rated A, and every score each gave the
  other is the scale's highest (both "all-highest") or both gave only the
  lowest;
- straight-lining: a rater who rated ≥ 2 colleagues and gave every one of
  them exactly the same answer on every item (cannot-assess included);
- leniency / severity: for raters who rated ≥ `OUTLIER_MIN_RATEES` colleagues,
  the rater's mean (of their per-ratee means) as a z-score against the mean
  and population standard deviation of all such raters' means; |z| ≥
  `OUTLIER_Z` (2) flags lenient (z > 0) or severe. With N such raters |z| can
  never exceed √(N − 1), so flags need at least 5 of them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scheduler.scoring.review_instrument import Instrument, Relation
from scheduler.scoring.review_math import round_mean

PATTERN_MIN_SCORES = 3
OUTLIER_MIN_RATEES = 3
OUTLIER_Z = 2.0
_Z_TOLERANCE = 1e-9  # z computed as exactly 2 can land at 1.9999999999999998

# answers[rater][ratee][item] = value (None = cannot assess); self-ratings left out.
Answers = dict[int, dict[int, dict[str, int | None]]]


@dataclass(frozen=True)
class CycleRating:
    """One answer in a cycle, with both ends named (for rater patterns)."""

    rater_id: int
    ratee_id: int
    relation: Relation
    item_code: str
    value: int | None


class Extreme(StrEnum):
    HIGHEST = "highest"
    LOWEST = "lowest"


class Direction(StrEnum):
    LENIENT = "lenient"
    SEVERE = "severe"


@dataclass(frozen=True)
class ReciprocalPair:
    rater_a: int  # the smaller id
    rater_b: int
    extreme: Extreme


@dataclass(frozen=True)
class StraightLiner:
    rater_id: int
    ratees: int  # how many colleagues got the identical answers


@dataclass(frozen=True)
class Outlier:
    rater_id: int
    ratees: int
    z: float  # rounded to two decimals
    direction: Direction


@dataclass(frozen=True)
class RaterPatterns:
    reciprocal: tuple[ReciprocalPair, ...]
    straight_lining: tuple[StraightLiner, ...]
    outliers: tuple[Outlier, ...]


def rater_patterns(
    ratings: Iterable[CycleRating],
    instrument: Instrument,
    *,
    min_scores: int = PATTERN_MIN_SCORES,
    min_ratees: int = OUTLIER_MIN_RATEES,
    z_threshold: float = OUTLIER_Z,
) -> RaterPatterns:
    """Patterns worth an admin's look in one cycle (see the module docstring)."""
    answers = _answers(ratings)
    return RaterPatterns(
        tuple(_reciprocal(answers, instrument, min_scores)),
        tuple(_straight_liners(answers, instrument.item_codes, min_scores)),
        tuple(_outliers(answers, min_ratees, z_threshold)),
    )


def _answers(ratings: Iterable[CycleRating]) -> Answers:
    answers: Answers = defaultdict(lambda: defaultdict(dict))
    for r in ratings:
        if Relation(r.relation) is Relation.SELF or r.rater_id == r.ratee_id:
            continue
        answers[r.rater_id][r.ratee_id][r.item_code] = r.value
    return answers


def _scored(answers: Answers, rater: int, ratee: int) -> list[int]:
    return [v for v in answers[rater][ratee].values() if v is not None]


def _extreme(
    answers: Answers, rater: int, ratee: int, instrument: Instrument, min_scores: int
) -> Extreme | None:
    values = _scored(answers, rater, ratee) if ratee in answers.get(rater, {}) else []
    if len(values) < min_scores:
        return None
    if all(v == instrument.scale.highest for v in values):
        return Extreme.HIGHEST
    if all(v == instrument.scale.lowest for v in values):
        return Extreme.LOWEST
    return None


def _reciprocal(answers: Answers, instrument: Instrument, min_scores: int) -> list[ReciprocalPair]:
    pairs = []
    for a in sorted(answers):
        for b in sorted(answers[a]):
            if a < b and a in answers.get(b, {}):
                end = _extreme(answers, a, b, instrument, min_scores)
                if end is not None and _extreme(answers, b, a, instrument, min_scores) is end:
                    pairs.append(ReciprocalPair(a, b, end))
    return pairs


def _straight_liners(
    answers: Answers, codes: Sequence[str], min_scores: int
) -> list[StraightLiner]:
    straight = []
    for rater in sorted(answers):
        vectors = {
            tuple(answers[rater][ratee].get(code) for code in codes) for ratee in answers[rater]
        }
        count = len(answers[rater])
        if count >= 2 and len(vectors) == 1:
            (vector,) = vectors
            if sum(v is not None for v in vector) >= min_scores:
                straight.append(StraightLiner(rater, count))
    return straight


def _outliers(answers: Answers, min_ratees: int, z_threshold: float) -> list[Outlier]:
    rater_means: dict[int, tuple[float, int]] = {}
    for rater in sorted(answers):
        per_ratee = [
            statistics.fmean(vs)
            for ratee in answers[rater]
            if (vs := _scored(answers, rater, ratee))
        ]
        if len(per_ratee) >= min_ratees:
            rater_means[rater] = (statistics.fmean(per_ratee), len(per_ratee))
    outliers: list[Outlier] = []
    if len(rater_means) < 2:
        return outliers
    means = [mean for mean, _ in rater_means.values()]
    centre, spread = statistics.fmean(means), statistics.pstdev(means)
    if spread > 0:
        for rater, (mean, count) in rater_means.items():
            z = (mean - centre) / spread
            if abs(z) >= z_threshold - _Z_TOLERANCE:
                direction = Direction.LENIENT if z > 0 else Direction.SEVERE
                outliers.append(Outlier(rater, count, round_mean(z), direction))
    return outliers
