"""The errors and results of 360° cycle requests: what `storage.review_cycles` and the use
cases of ``scheduler/cycles.py`` raise and return, and the CLI and ``/siklus`` show.

Errors are `CycleError` subclasses whose ``template`` is an English message id
of the ``cycles`` catalog: ``str(error)`` is the English line for the CLI,
``error.translated(_)`` the text for a Telegram admin. Results are plain data;
a status counts assignments per relation group, per rater's unit and per
rater, never who rates whom or what anyone answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.i18n import N_, Translate
from scheduler.scoring.assignments import NoteCode
from storage.review_models import IN_PROGRESS, SUBMITTED

# -- errors ------------------------------------------------------------------------------


class CycleError(Exception):
    """A cycle request that cannot be done. ``template`` is an English message id."""

    template = N_("This cycle request cannot be done.")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.template.format(**params))

    def translated(self, _: Translate) -> str:
        return _(self.template).format(**self.params)


class InvalidName(CycleError):
    template = N_("A cycle name must be 1 to {limit} characters long.")


class CycleExists(CycleError):
    template = N_("A cycle named “{name}” already exists; choose another name.")


class UnknownCycle(CycleError):
    template = N_("There is no cycle named “{name}”.")


class UnknownUnit(CycleError):
    template = N_("There is no unit with code {code}.")


class DeadlineInPast(CycleError):
    template = N_("The deadline {deadline} is in the past; choose today or a later date.")


class InvalidMaxPeers(CycleError):
    template = N_("The number of peers per person must be between 0 and {limit}.")


class NoEmployees(CycleError):
    template = N_("There are no active employees in the chosen scope; no cycle was opened.")


class CycleClosed(CycleError):
    template = N_("The cycle “{name}” is closed; nothing can be changed any more.")


class UnknownEmployee(CycleError):
    template = N_("There is no employee with NIP {nip}.")


class InactiveEmployee(CycleError):
    template = N_("The employee with NIP {nip} is not active.")


class InvalidRelation(CycleError):
    template = N_("Unknown relation “{relation}”; use peer, subordinate or supervisor.")


class SelfAssignment(CycleError):
    template = N_("Rater and ratee are the same person; only a self-assessment can be that.")


class AssignmentExists(CycleError):
    template = N_("{rater} is already assigned to rate {ratee} in this cycle (as {relation}).")


class NoSuchAssignment(CycleError):
    template = N_("{rater} is not assigned to rate {ratee} in this cycle.")


class AssignmentSubmitted(CycleError):
    template = N_(
        "{rater} has already submitted the review of {ratee}; a submitted review cannot be removed."
    )


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleNote:
    """Something about the plan an operator may want to fix with ``cycle assign``."""

    code: NoteCode
    nip: str
    name: str
    other_nip: str | None = None
    other_name: str | None = None

    def describe(self) -> str:
        """One English line for the operator."""
        who = f"{self.name} ({self.nip})"
        other = f"{self.other_name} ({self.other_nip})" if self.other_nip else "someone"
        match self.code:
            case NoteCode.NO_SUPERVISOR:
                return f"{who} has no supervisor in the roster: no supervisor review."
            case NoteCode.SUPERVISOR_IS_SELF:
                return f"{who} is listed as their own supervisor: no supervisor review."
            case NoteCode.SUPERVISOR_OUT_OF_SCOPE:
                return (
                    f"{who}: supervisor {other} is outside the cycle's units: "
                    "no supervisor review (add one with `ulasan cycle assign`)."
                )
            case NoteCode.SUPERVISOR_INACTIVE:
                return f"{who}: supervisor {other} is inactive: no supervisor review."
            case NoteCode.DUPLICATE_PAIR:
                return f"{who} and {other} are each other's supervisor in the roster."
        return f"{who}: {self.code}"  # pragma: no cover - every code is listed above


@dataclass(frozen=True)
class CyclePreview:
    """What opening a cycle would create (nothing written)."""

    employees: int  # active employees in scope: the ratees
    assignments: int
    raters: int
    linked_raters: int
    unit_code: str | None
    unit_name: str | None


@dataclass(frozen=True)
class OpenedCycle:
    cycle_id: int
    name: str
    deadline: date
    unit_code: str | None
    employees: int
    assignments: int
    raters: int
    notified: int  # opening messages queued now
    unlinked_raters: int
    notes: tuple[CycleNote, ...]


@dataclass(frozen=True)
class AssignmentChange:
    cycle: str
    rater_nip: str
    ratee_nip: str
    relation: str
    notified: bool = False  # assign: a message was queued for the rater
    discarded_answers: int = 0  # unassign: draft answers removed with it


@dataclass
class Counts:
    pending: int = 0
    in_progress: int = 0
    submitted: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.in_progress + self.submitted

    @property
    def percent_done(self) -> int:
        """Submitted share, rounded down (100 only when everything is submitted)."""
        return self.submitted * 100 // self.total if self.total else 0

    def add(self, status: str, n: int = 1) -> None:
        if status == SUBMITTED:
            self.submitted += n
        elif status == IN_PROGRESS:
            self.in_progress += n
        else:
            self.pending += n

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "submitted": self.submitted,
            "in_progress": self.in_progress,
            "pending": self.pending,
        }


@dataclass
class UnitProgress:
    code: str
    name: str
    counts: Counts = field(default_factory=Counts)


@dataclass
class RaterProgress:
    nip: str
    name: str
    unit_code: str
    account: str  # "linked", "unreachable" (blocked the bot) or "none"
    counts: Counts = field(default_factory=Counts)


@dataclass
class CycleStatus:
    cycle_id: int
    name: str
    status: str
    deadline: date
    unit_code: str | None
    unit_name: str | None
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    totals: Counts
    by_relation: dict[str, Counts]  # every relation, in RELATIONS order
    by_unit: list[UnitProgress]  # the rater's unit, by code
    by_rater: list[RaterProgress]  # by unit code, then name

    @property
    def unlinked_raters(self) -> list[RaterProgress]:
        return [r for r in self.by_rater if r.account == "none"]

    @property
    def raters_done(self) -> int:
        return sum(1 for r in self.by_rater if r.counts.submitted == r.counts.total)


@dataclass(frozen=True)
class CycleSummary:
    id: int
    name: str
    status: str
    deadline: date
    unit_code: str | None
    opened_at: datetime
    closed_at: datetime | None
    assignments: int
    submitted: int

    @property
    def percent_done(self) -> int:
        return self.submitted * 100 // self.assignments if self.assignments else 0


@dataclass(frozen=True)
class ClosedCycle:
    cycle_id: int
    name: str
    closed_at: datetime
    reports_queued: int
    counts: Counts
