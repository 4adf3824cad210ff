"""The errors and results of consultation requests (``ulasan cycle consult``, ``/siklus``,
``/konsultasi``). Errors are `CycleError`s, so the CLI and ``/siklus`` show them as they
show a cycle's, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.i18n import N_
from storage.review_cycle_types import CycleError


class ConsultationExists(CycleError):
    template = N_("A consultation named “{name}” already exists.")


class CycleAlreadyOpen(CycleError):
    template = N_("A cycle named “{name}” already exists: a consultation comes before its cycle.")


class UnknownConsultation(CycleError):
    template = N_("There is no consultation named “{name}”.")


class InvalidDays(CycleError):
    template = N_("A consultation lasts 1 to {limit} days.")


class ConsultationStillOpen(CycleError):
    template = N_(
        "The consultation “{name}” is open until {until}; adopt examples after it closes."
    )


class AlreadyAdopted(CycleError):
    template = N_("Examples of “{name}” were adopted already, as version {version}.")


class UnknownProposal(CycleError):
    template = N_("Proposal {proposal} is not a proposal of “{name}”.")


class NothingToAdopt(CycleError):
    template = N_("Name at least one proposal to adopt.")


@dataclass(frozen=True)
class OpenedConsultation:
    name: str
    unit_code: str | None
    closes_at: datetime
    instrument: str
    base_version: int
    participants: int
    notified: int


@dataclass(frozen=True)
class ProposalResult:
    proposal_id: int
    item_code: str
    indicator: int  # 0-based
    text: str
    votes: int


@dataclass(frozen=True)
class ConsultationResults:
    name: str
    unit_code: str | None
    instrument: str
    base_version: int
    opens_at: datetime
    closes_at: datetime
    is_open: bool
    adopted_version: int | None
    participants: int
    proposers: int  # distinct people who proposed (from the audit log), never who
    voters: int
    proposals: tuple[ProposalResult, ...]  # by item, indicator, votes (most first), id


@dataclass(frozen=True)
class AdoptedVersion:
    name: str
    instrument: str
    version: int
    adopted: int
    examples: int  # examples in the version (with the earlier ones)
