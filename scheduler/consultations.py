"""The use cases of a consultation on example behaviours: open, propose, vote, results, adopt.

Called by ``ulasan cycle consult|consult-results|adopt`` (``bot/cli/consult.py``),
``/siklus`` (``handlers/cycles_admin.py``) and ``/konsultasi``
(``handlers/consultation.py``). Each takes the caller's session and never commits.

- `open_consultation` opens a window (``CONSULTATION_DAYS``, 7 by default) before
  the cycle NAME for the active ASN of a unit and its sub-units (or everyone),
  and queues one invitation per linked participant (outbox kind
  ``consult_open``). The instrument is the one cycles open with; proposals
  start from its latest version.
- `propose` stores an example (cleaned, personal data masked, at most
  `EXAMPLE_MAX_CHARS`) for one indicator; the proposer goes to the audit log
  only. The same text again is the same proposal.
- `vote` records one vote per person per indicator (a new vote replaces the old).
- `results` counts, per proposal, the votes; proposers and voters as numbers.
- `adopt` (after the window closed, once) writes the next instrument version:
  the previous version's examples with the chosen proposals added
  (`scheduler.scoring.instrument_examples.adopt`). Cycles opened afterwards
  record that version.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import format_day
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages import consultations as texts
from scheduler.scoring.instrument_examples import (
    EXAMPLE_MAX_CHARS,
    check_key,
    examples_to_json,
)
from scheduler.scoring.instrument_examples import (
    adopt as adopt_examples,
)
from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT, get_instrument
from storage import consultations as stored
from storage import review_cycles
from storage.consultation_models import Consultation, ConsultationProposal
from storage.consultation_types import (
    AdoptedVersion,
    AlreadyAdopted,
    ConsultationExists,
    ConsultationResults,
    ConsultationStillOpen,
    CycleAlreadyOpen,
    InvalidDays,
    NothingToAdopt,
    OpenedConsultation,
    ProposalResult,
    UnknownConsultation,
    UnknownProposal,
)
from storage.masking import clean_text, mask_personal_data
from storage.models import Employee, TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.preferences import language_of

OPEN_KIND = "consult_open"
MAX_DAYS = 30


def instrument_of(consultation: Consultation) -> Instrument:
    return get_instrument(consultation.instrument)


async def open_consultation(
    session: AsyncSession,
    *,
    name: str,
    unit_code: str | None,
    days: int,
    actor: str,
    now: datetime,
    settings: Settings,
) -> OpenedConsultation:
    """Open the window and invite every linked participant once."""
    name = review_cycles.clean_name(name)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidDays(limit=MAX_DAYS)
    audit = await review_cycles.write_audit(session, actor, "consult.open", now)
    if await stored.consultation_named(session, name) is not None:
        raise ConsultationExists(name=name)
    if await review_cycles.name_taken(session, name):
        raise CycleAlreadyOpen(name=name)
    unit = await review_cycles.scope_unit(session, unit_code)
    instrument = DEFAULT_INSTRUMENT.code
    consultation = Consultation(
        name=name,
        unit_id=unit.id if unit else None,
        instrument=instrument,
        base_version=await stored.latest_version(session, instrument),
        opens_at=now,
        closes_at=now + timedelta(days=days),
        opened_by=actor[:100],
    )
    session.add(consultation)
    await session.flush()
    people = await stored.participants(session, consultation)
    notified = await _invite(session, consultation, people, settings, now)
    audit.detail = (
        f"name={name}; unit={unit.code if unit else 'all'}; days={days}; "
        f"instrument={instrument}; base_version={consultation.base_version}; "
        f"participants={len(people)}; notified={notified}"
    )
    await session.flush()
    return OpenedConsultation(
        name=name,
        unit_code=unit.code if unit else None,
        closes_at=consultation.closes_at,
        instrument=instrument,
        base_version=consultation.base_version,
        participants=len(people),
        notified=notified,
    )


async def _invite(
    session: AsyncSession,
    consultation: Consultation,
    people: list[tuple[Employee, TelegramAccount | None]],
    settings: Settings,
    now: datetime,
) -> int:
    """Queue one invitation per linked participant; how many were new."""
    notified = 0
    for employee, account in people:
        if account is None:
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        until = format_day(consultation.closes_at.astimezone(settings.tz).date(), language)
        if await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=OPEN_KIND,
            text=texts.invitation_text(_, name=consultation.name, until=until),
            buttons=texts.invitation_button(_, consultation.id),
            dedupe_key=f"{OPEN_KIND}:{consultation.id}:{employee.id}",
            priority=PRIORITY_NOTICE,
            employee_id=employee.id,
            now=now,
        ):
            notified += 1
    return notified


def clean_example(text: str) -> str:
    """The stored form of a typed example: one line, personal data masked ('' if empty)."""
    return mask_personal_data(" ".join(clean_text(text).split()))


async def propose(
    session: AsyncSession,
    consultation: Consultation,
    employee: Employee,
    item_code: str,
    indicator: int,
    text: str,
    now: datetime,
) -> tuple[ConsultationProposal, bool]:
    """Store an example for an open consultation the employee may take part in.

    The caller has checked the window, the scope, the indicator and the length.
    The audit line names the proposer; the proposal row does not.
    """
    audit = await review_cycles.write_audit(
        session, f"employee:{employee.nip}", stored.PROPOSE_ACTION, now
    )
    check_key(instrument_of(consultation), item_code, indicator)
    proposal, new = await stored.insert_proposal(
        session, consultation.id, item_code, indicator, text[:EXAMPLE_MAX_CHARS], now
    )
    audit.detail = (
        f"{stored.proposer_detail(consultation.id)} proposal={proposal.id}; "
        f"item={item_code}; indicator={indicator + 1}; new={'yes' if new else 'no'}"
    )
    return proposal, new


async def results(session: AsyncSession, name: str, now: datetime) -> ConsultationResults:
    consultation = await stored.consultation_named(session, name)
    if consultation is None:
        raise UnknownConsultation(name=" ".join(name.split()))
    instrument = instrument_of(consultation)
    order = {code: n for n, code in enumerate(instrument.item_codes)}
    counts = await stored.vote_counts(session, consultation.id)
    found = [
        ProposalResult(p.id, p.item_code, p.indicator, p.text, counts.get(p.id, 0))
        for p in await stored.all_proposals(session, consultation.id)
    ]
    found.sort(key=lambda r: (order.get(r.item_code, 99), r.indicator, -r.votes, r.proposal_id))
    unit = (
        await review_cycles.unit_by_id(session, consultation.unit_id)
        if consultation.unit_id
        else None
    )
    return ConsultationResults(
        name=consultation.name,
        unit_code=unit.code if unit else None,
        instrument=consultation.instrument,
        base_version=consultation.base_version,
        opens_at=consultation.opens_at,
        closes_at=consultation.closes_at,
        is_open=stored.is_open(consultation, now),
        adopted_version=consultation.adopted_version,
        participants=len(await stored.participants(session, consultation)),
        proposers=await stored.proposer_count(session, consultation.id),
        voters=await stored.voter_count(session, consultation.id),
        proposals=tuple(found),
    )


def leading(found: ConsultationResults) -> list[int]:
    """The proposal with the most votes on each indicator (ties: the earlier), if it has any;
    what ``/siklus`` offers to adopt in one press."""
    best: dict[tuple[str, int], ProposalResult] = {}
    for proposal in found.proposals:
        key = (proposal.item_code, proposal.indicator)
        held = best.get(key)
        if proposal.votes > 0 and (
            held is None
            or (proposal.votes, -proposal.proposal_id) > (held.votes, -held.proposal_id)
        ):
            best[key] = proposal
    return [p.proposal_id for p in best.values()]


async def adopt(
    session: AsyncSession,
    *,
    name: str,
    proposal_ids: list[int],
    actor: str,
    now: datetime,
) -> AdoptedVersion:
    """Write the next version of the instrument with the chosen proposals as examples."""
    audit = await review_cycles.write_audit(session, actor, "consult.adopt", now)
    consultation = await stored.consultation_named(session, name)
    if consultation is None:
        raise UnknownConsultation(name=" ".join(name.split()))
    if not proposal_ids:
        raise NothingToAdopt()
    if stored.is_open(consultation, now):
        raise ConsultationStillOpen(
            name=consultation.name, until=consultation.closes_at.strftime("%Y-%m-%d %H:%M UTC")
        )
    if consultation.adopted_version is not None:
        raise AlreadyAdopted(name=consultation.name, version=consultation.adopted_version)
    chosen = []
    for proposal_id in dict.fromkeys(proposal_ids):
        proposal = await stored.proposal_by_id(session, proposal_id)
        if proposal is None or proposal.consultation_id != consultation.id:
            raise UnknownProposal(proposal=proposal_id, name=consultation.name)
        chosen.append(((proposal.item_code, proposal.indicator), proposal.text))
    instrument = instrument_of(consultation)
    latest = await stored.latest_version(session, instrument.code)
    base = await stored.examples_of(session, instrument, latest)
    examples = adopt_examples(instrument, base, chosen)
    version = latest + 1
    await stored.insert_version(
        session,
        instrument=instrument.code,
        version=version,
        examples=examples_to_json(examples),
        consultation_id=consultation.id,
        actor=actor,
        now=now,
    )
    consultation.adopted_version = version
    audit.detail = (
        f"name={consultation.name}; instrument={instrument.code}; version={version}; "
        f"proposals={','.join(str(p) for p in dict.fromkeys(proposal_ids))}"
    )
    await session.flush()
    return AdoptedVersion(
        name=consultation.name,
        instrument=instrument.code,
        version=version,
        adopted=len(chosen),
        examples=sum(len(v) for v in examples.values()),
    )
