"""When a citizen's survey deserves an alert to the unit head: the rule, pure.

A submitted survey raises an alert (`reasons_for`) when

- its mean over U1…U9 is at or below ``LOW_SCORE_THRESHOLD`` (2.0: exactly 2.0
  alerts), reason ``low_mean``;
- any unsur was answered 1, the worst option, reason ``unsur_1``;
- the service is free by law (``Service.free``) and U4 (cost) is not "Free of
  charge" (4): a possible illegal levy (pungli), reason ``levy``, worded as a
  request to check, never as an accusation;
- it carries a comment, reason ``comment``.

What happens then (`opens_case`): a low mean, an unsur at 1 or a levy opens a
**case** (an owner, a status, a first-response target); a comment alone on an
otherwise good survey is a **note** to the unit (no case). A survey with every
answer at 4 and a comment at a QR code that names an officer is **praise**
(`is_praise`): it goes to the officer and their supervisor in the daily praise
notes, not to the unit as a comment note.

Exactness: the mean rule compares sums of integers, never floats:
`max_total` turns the threshold into the largest sum of nine scores whose mean
is at or below it (the threshold read as the decimal it was written as). The
same rule as a SQL condition, to select only alert-worthy responses, lives in
``storage/survey_alerts.py`` and uses `max_total` too, so both always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from scheduler.scoring import skm

REASON_LOW_MEAN = "low_mean"
REASON_UNSUR_1 = "unsur_1"
REASON_LEVY = "levy"
REASON_COMMENT = "comment"
CASE_REASONS = (REASON_LOW_MEAN, REASON_UNSUR_1, REASON_LEVY)
BEST = 4  # the best answer of every unsur


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


def opens_case(reasons: Sequence[str]) -> bool:
    """Whether an alert needs action (a case), not only reading (a comment note)."""
    return any(reason in CASE_REASONS for reason in reasons)


def is_praise(
    answers: Mapping[str, int | None], comment: str | None, *, officer_named: bool
) -> bool:
    """Every answer at the best (4), a comment, and an officer named by the QR code."""
    if not officer_named or comment is None or not comment.strip():
        return False
    return all(answers.get(code) == BEST for code in skm.UNSUR_CODES)
