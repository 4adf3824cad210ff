"""When a citizen's survey deserves an alert to the unit head: the rule, pure.

A submitted survey raises an alert (`reasons_for`) when

- its mean over U1…U9 is at or below ``LOW_SCORE_THRESHOLD`` (2.0: exactly 2.0
  alerts), reason ``low_mean``;
- any unsur was answered 1, the worst option, reason ``unsur_1``;
- the service is free by law (``Service.free``) and U4 (cost) is not "Free of
  charge" (4): a possible illegal levy (pungli), reason ``levy``, worded as a
  request to check, never as an accusation;
- it carries a comment, reason ``comment``.

Exactness: the mean rule compares sums of integers, never floats:
`max_total` turns the threshold into the largest sum of nine scores whose mean
is at or below it (the threshold read as the decimal it was written as). The
same rule as a SQL condition, to select only alert-worthy responses, lives in
``storage/survey_alerts.py`` and uses `max_total` too, so both always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction

from scheduler.scoring import skm

REASON_LOW_MEAN = "low_mean"
REASON_UNSUR_1 = "unsur_1"
REASON_LEVY = "levy"
REASON_COMMENT = "comment"


def max_total(threshold: float) -> int:
    """The largest sum of nine scores whose mean is at or below ``threshold`` (exact)."""
    return math.floor(Decimal(repr(float(threshold))) * len(skm.UNSUR_CODES))


def mean_of(answers: Mapping[str, int | None]) -> Fraction | None:
    scores = [answers.get(code) for code in skm.UNSUR_CODES]
    if any(score is None for score in scores):
        return None
    return Fraction(sum(int(score) for score in scores if score is not None), len(scores))


def reasons_for(
    answers: Mapping[str, int | None], comment: str | None, *, free: bool, threshold: float
) -> tuple[str, ...]:
    """Why a response deserves an alert, in a fixed order; () when it does not."""
    reasons: list[str] = []
    scores = [answers.get(code) for code in skm.UNSUR_CODES]
    complete = [int(score) for score in scores if score is not None]
    if len(complete) == len(scores) and sum(complete) <= max_total(threshold):
        reasons.append(REASON_LOW_MEAN)
    if 1 in complete:
        reasons.append(REASON_UNSUR_1)
    u4 = answers.get("U4")
    if free and u4 is not None and u4 != 4:
        reasons.append(REASON_LEVY)
    if comment is not None and comment.strip():
        reasons.append(REASON_COMMENT)
    return tuple(reasons)
