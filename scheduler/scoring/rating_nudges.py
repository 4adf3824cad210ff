"""Bias nudges at submit time: when a rater is asked "are you sure?" before a review counts.

Pure functions over one rater's answers (numbers in, a set of nudges out).
Two patterns are worth one question each, never a block (the rater decides):

- ``SAME`` (*Semua jawaban sama — yakin?*): every item of this review has a
  score and all scores are the same level. One "cannot assess" means the rater
  did tell the values apart, so it does not count as the same answer.
- ``ALL_TOP``: this is the last of the rater's reviews of colleagues in the
  cycle to be submitted (all others already are), the rater rates at least two
  colleagues, and every answer in every one of those reviews, this one
  included, is the scale's highest level ("Di atas ekspektasi" on the
  three-level scale) with no "cannot assess".

Self-assessments neither trigger nor count towards either, as in
`scheduler.scoring.rater_patterns` (a self-assessment is not a rating of
someone else). Whether a nudge was already asked is the caller's (asked once
per review for ``SAME``, once per rater and cycle for ``ALL_TOP``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

from scheduler.scoring.review_instrument import Instrument, Relation

Answers = Mapping[str, int | None]


class Nudge(StrEnum):
    SAME = "same"
    ALL_TOP = "top"


def _scores(instrument: Instrument, answers: Answers) -> list[int] | None:
    """Every item's score in instrument order, or None when one is missing or not a score."""
    values = [answers.get(code) for code in instrument.item_codes]
    if any(value is None for value in values):
        return None
    return [value for value in values if value is not None]


def all_same(instrument: Instrument, answers: Answers) -> bool:
    scores = _scores(instrument, answers)
    return scores is not None and len(instrument.item_codes) > 1 and len(set(scores)) == 1


def all_top(instrument: Instrument, answers: Answers) -> bool:
    scores = _scores(instrument, answers)
    return scores is not None and all(v == instrument.scale.highest for v in scores)


def nudges_due(
    instrument: Instrument,
    relation: Relation | str,
    answers: Answers,
    others_submitted: Sequence[Answers] | None,
) -> frozenset[Nudge]:
    """The nudges this submit deserves, before "asked already" is taken into account.

    ``others_submitted``: the answers of the rater's other reviews of colleagues in
    the cycle when every one of them is submitted, else None (this is not the last).
    """
    if Relation(relation) is Relation.SELF:
        return frozenset()
    due: set[Nudge] = set()
    if all_same(instrument, answers):
        due.add(Nudge.SAME)
    if (
        others_submitted
        and all_top(instrument, answers)
        and all(all_top(instrument, other) for other in others_submitted)
    ):
        due.add(Nudge.ALL_TOP)
    return frozenset(due)
