"""Queries of consultations on example behaviours and of instrument versions.

Functions take a session and never commit. Proposal rows carry no proposer
(`storage.consultation_models` says why); `proposer_count` counts proposers
from the audit log without naming them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.instrument_examples import FIRST_VERSION, Examples, examples_from_json
from scheduler.scoring.review_instrument import Instrument
from storage.consultation_models import (
    Consultation,
    ConsultationProposal,
    ConsultationVote,
    InstrumentVersion,
)
from storage.db import dialect_insert
from storage.directory import unit_subtree_ids
from storage.models import AuditLog, Employee, TelegramAccount

PROPOSE_ACTION = "consult.propose"


def is_open(consultation: Consultation, now: datetime) -> bool:
    return consultation.opens_at <= now < consultation.closes_at


async def latest_version(session: AsyncSession, instrument: str) -> int:
    found = await session.scalar(
        select(func.max(InstrumentVersion.version)).where(
            InstrumentVersion.instrument == instrument
        )
    )
    return int(found) if found else FIRST_VERSION


async def examples_of(session: AsyncSession, instrument: Instrument, version: int) -> Examples:
    """The adopted examples of that version (none for version 1 or an unknown one)."""
    text = await session.scalar(
        select(InstrumentVersion.examples).where(
            InstrumentVersion.instrument == instrument.code, InstrumentVersion.version == version
        )
    )
    return examples_from_json(text, instrument) if text else {}


async def consultation_named(session: AsyncSession, name: str) -> Consultation | None:
    wanted = " ".join((name or "").split())
    return await session.scalar(select(Consultation).where(Consultation.name == wanted))


async def all_consultations(session: AsyncSession) -> list[Consultation]:
    """Every consultation, newest first."""
    rows = await session.scalars(
        select(Consultation).order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    )
    return list(rows)


async def consultation_by_id(session: AsyncSession, consultation_id: int) -> Consultation | None:
    return await session.get(Consultation, consultation_id)


async def _in_scope(session: AsyncSession, consultation: Consultation) -> list[int] | None:
    """The unit ids a consultation covers, None for every unit."""
    if consultation.unit_id is None:
        return None
    return await unit_subtree_ids(session, consultation.unit_id)


async def may_take_part(
    session: AsyncSession, consultation: Consultation, employee: Employee
) -> bool:
    units = await _in_scope(session, consultation)
    return employee.active and (units is None or employee.unit_id in units)


async def open_for(session: AsyncSession, employee: Employee, now: datetime) -> list[Consultation]:
    """The consultations open now that this employee may take part in, newest first."""
    rows = await session.scalars(
        select(Consultation)
        .where(Consultation.opens_at <= now, Consultation.closes_at > now)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    )
    return [c for c in rows if await may_take_part(session, c, employee)]


async def participants(
    session: AsyncSession, consultation: Consultation
) -> list[tuple[Employee, TelegramAccount | None]]:
    """Every active employee in scope, with their linked account if any."""
    statement = (
        select(Employee, TelegramAccount)
        .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(Employee.active.is_(True))
        .order_by(Employee.id)
    )
    units = await _in_scope(session, consultation)
    if units is not None:
        statement = statement.where(Employee.unit_id.in_(units))
    return [(e, a) for e, a in (await session.execute(statement)).all()]


async def proposals_for(
    session: AsyncSession, consultation_id: int, item_code: str, indicator: int
) -> list[ConsultationProposal]:
    rows = await session.scalars(
        select(ConsultationProposal)
        .where(
            ConsultationProposal.consultation_id == consultation_id,
            ConsultationProposal.item_code == item_code,
            ConsultationProposal.indicator == indicator,
        )
        .order_by(ConsultationProposal.id)
    )
    return list(rows)


async def proposal_by_id(session: AsyncSession, proposal_id: int) -> ConsultationProposal | None:
    return await session.get(ConsultationProposal, proposal_id)


async def insert_proposal(
    session: AsyncSession,
    consultation_id: int,
    item_code: str,
    indicator: int,
    text: str,
    now: datetime,
) -> tuple[ConsultationProposal, bool]:
    """The proposal with this text (case-insensitive) for the indicator; True if new."""
    for existing in await proposals_for(session, consultation_id, item_code, indicator):
        if existing.text.casefold() == text.casefold():
            return existing, False
    proposal = ConsultationProposal(
        consultation_id=consultation_id,
        item_code=item_code,
        indicator=indicator,
        text=text,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    return proposal, True


async def vote_of(
    session: AsyncSession, consultation_id: int, item_code: str, indicator: int, voter_id: int
) -> int | None:
    """The proposal this person voted for on that indicator, if any."""
    return await session.scalar(
        select(ConsultationVote.proposal_id).where(
            ConsultationVote.consultation_id == consultation_id,
            ConsultationVote.item_code == item_code,
            ConsultationVote.indicator == indicator,
            ConsultationVote.voter_id == voter_id,
        )
    )


async def cast_vote(
    session: AsyncSession, proposal: ConsultationProposal, voter_id: int, now: datetime
) -> None:
    """One vote per person per indicator: a new vote replaces the earlier one."""
    statement = dialect_insert(session, ConsultationVote).values(
        consultation_id=proposal.consultation_id,
        item_code=proposal.item_code,
        indicator=proposal.indicator,
        voter_id=voter_id,
        proposal_id=proposal.id,
        voted_at=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[
            ConsultationVote.consultation_id,
            ConsultationVote.item_code,
            ConsultationVote.indicator,
            ConsultationVote.voter_id,
        ],
        set_={"proposal_id": proposal.id, "voted_at": now},
    )
    await session.execute(statement)


async def vote_counts(session: AsyncSession, consultation_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(ConsultationVote.proposal_id, func.count())
        .where(ConsultationVote.consultation_id == consultation_id)
        .group_by(ConsultationVote.proposal_id)
    )
    return {int(p): int(n) for p, n in rows.all()}


async def voter_count(session: AsyncSession, consultation_id: int) -> int:
    found = await session.scalar(
        select(func.count(func.distinct(ConsultationVote.voter_id))).where(
            ConsultationVote.consultation_id == consultation_id
        )
    )
    return int(found or 0)


async def all_proposals(session: AsyncSession, consultation_id: int) -> list[ConsultationProposal]:
    rows = await session.scalars(
        select(ConsultationProposal)
        .where(ConsultationProposal.consultation_id == consultation_id)
        .order_by(ConsultationProposal.id)
    )
    return list(rows)


def proposer_detail(consultation_id: int) -> str:
    """The start of a proposal's audit detail (who proposed follows, for the audit only)."""
    return f"consultation={consultation_id};"


async def proposer_count(session: AsyncSession, consultation_id: int) -> int:
    """How many different people proposed (from the audit log); never who."""
    rows = await session.scalars(
        select(AuditLog.actor).where(
            AuditLog.action == PROPOSE_ACTION,
            AuditLog.detail.startswith(proposer_detail(consultation_id)),
        )
    )
    return len(set(rows))


async def insert_version(
    session: AsyncSession,
    *,
    instrument: str,
    version: int,
    examples: str,
    consultation_id: int | None,
    actor: str,
    now: datetime,
) -> InstrumentVersion:
    row = InstrumentVersion(
        instrument=instrument,
        version=version,
        examples=examples,
        consultation_id=consultation_id,
        created_at=now,
        created_by=actor[:100],
    )
    session.add(row)
    await session.flush()
    return row
