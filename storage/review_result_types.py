"""What review results look like when they leave the database, and why they sometimes cannot.

The errors (`ResultsError` and its kinds, each an English message id) and the
frozen result types of `storage.review_results`. A figure inside them is a
`Figure` or a `Suppressed` from `scheduler.scoring.review_math`: the types
cannot hold a number the anonymity rule withheld.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core.i18n import N_, Translate
from scheduler.scoring.rater_patterns import Direction, Extreme
from scheduler.scoring.review_instrument import Expectation, Instrument
from scheduler.scoring.review_math import Figure, Group, ReviewResult
from scheduler.scoring.review_recommendation import (
    Coverage,
    Predikat,
    Recommendation,
    predikat,
)

# The perilaku and hasil kerja levels as stored (1, 2, 3).
LEVELS = frozenset(int(level) for level in Expectation)

# -- errors ----------------------------------------------------------------------------


class ResultsError(Exception):
    """Results that cannot be given. ``template`` is an English message id."""

    template = N_("These results cannot be shown.")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.template.format(**params))

    def translated(self, _: Translate) -> str:
        return _(self.template).format(**self.params)


class UnknownCycle(ResultsError):
    template = N_("There is no cycle named “{name}”.")


class ResultsNotReleased(ResultsError):
    template = N_(
        "The results of the cycle “{name}” are released when the cycle closes; it is still open."
    )


class UnknownInstrument(ResultsError):
    template = N_("The cycle “{name}” uses an instrument this version does not know.")


class InstrumentChanged(ResultsError):
    template = N_(
        "The cycle “{name}” was opened on the instrument {instrument} as it was then; its "
        "file has changed since, so its results are not computed with the changed one. "
        "Restore the file, or ship the change as a new instrument."
    )


class UnknownEmployee(ResultsError):
    template = N_("There is no employee with NIP {nip}.")


class UnknownUnit(ResultsError):
    template = N_("There is no unit with code {code}.")


class NotRated(ResultsError):
    template = N_("{person} is not rated in the cycle “{name}”.")


class NotSupervisor(ResultsError):
    template = N_("You are not the direct supervisor of this colleague in the cycle “{name}”.")


class InvalidDecision(ResultsError):
    template = N_("A perilaku kerja rating must be 1, 2 or 3.")


# -- result types ----------------------------------------------------------------------


@dataclass(frozen=True)
class CycleInfo:
    id: int
    name: str
    deadline: date
    closed_at: datetime | None
    instrument_code: str


@dataclass(frozen=True)
class Person:
    id: int
    nip: str
    name: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class Completion:
    submitted: int
    total: int


@dataclass(frozen=True)
class Decision:
    """The supervisor's confirmation (decided == recommended) or override."""

    recommended: Expectation | None
    decided: Expectation
    decided_by: int
    decided_at: datetime

    @property
    def is_override(self) -> bool:
        return self.recommended is not None and self.decided is not self.recommended


@dataclass(frozen=True)
class RateeResults:
    """Everything that may be shown about one ratee in one closed cycle."""

    cycle: CycleInfo
    ratee: Person
    instrument: Instrument
    result: ReviewResult  # only what `aggregate` let through
    recommendation: Recommendation | None
    hasil_kerja: Expectation | None  # from the direct supervisor's submitted review
    decision: Decision | None
    received: Completion  # reviews about this ratee (self included)
    supervisor_id: int | None  # who holds the SUPERVISOR assignment, if anyone
    # The core values the recommendation could rest on (why there is none, if none).
    coverage: Coverage | None = None

    @property
    def perilaku(self) -> Expectation | None:
        """The decided perilaku kerja rating, else the recommended one."""
        if self.decision is not None:
            return self.decision.decided
        return self.recommendation.perilaku if self.recommendation else None

    @property
    def predikat(self) -> Predikat | None:
        """The predikat kinerja from `perilaku` and the hasil kerja, when both exist."""
        if self.perilaku is None or self.hasil_kerja is None:
            return None
        return predikat(self.perilaku, self.hasil_kerja)

    @property
    def overall(self) -> tuple[Group, Figure] | None:
        """The headline figure: "others" when shown, else the supervisor's own."""
        for group in (Group.OTHERS, Group.SUPERVISOR):
            cell = self.result.groups[group].overall
            if isinstance(cell, Figure):
                return group, cell
        return None


@dataclass(frozen=True)
class TeamMember:
    person: Person
    received: Completion
    given: Completion  # the reviews this member had to give in the cycle
    overall: tuple[Group, Figure] | None
    recommended: Expectation | None
    decided: Expectation | None
    hasil_kerja: Expectation | None
    predikat: Predikat | None
    coverage: Coverage | None = None  # what the recommendation rests on, or why none


@dataclass(frozen=True)
class TeamSummary:
    cycle: CycleInfo
    supervisor: Person
    members: tuple[TeamMember, ...]

    @property
    def received(self) -> Completion:
        return Completion(
            sum(m.received.submitted for m in self.members),
            sum(m.received.total for m in self.members),
        )

    @property
    def given(self) -> Completion:
        return Completion(
            sum(m.given.submitted for m in self.members),
            sum(m.given.total for m in self.members),
        )


@dataclass(frozen=True)
class ReciprocalFlag:
    first: Person
    second: Person
    extreme: Extreme


@dataclass(frozen=True)
class StraightLineFlag:
    rater: Person
    ratees: int


@dataclass(frozen=True)
class OutlierFlag:
    rater: Person
    ratees: int
    z: float
    direction: Direction


@dataclass(frozen=True)
class PatternList:
    cycle: CycleInfo
    reciprocal: tuple[ReciprocalFlag, ...]
    straight_lining: tuple[StraightLineFlag, ...]
    outliers: tuple[OutlierFlag, ...]

    @property
    def empty(self) -> bool:
        return not (self.reciprocal or self.straight_lining or self.outliers)


@dataclass(frozen=True)
class CycleRole:
    """The latest closed cycle where someone is rated or is a direct supervisor."""

    cycle: CycleInfo
    is_ratee: bool
    is_supervisor: bool
