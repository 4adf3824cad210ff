"""360° review cycles as stored: the cycle, its assignments, the audit line, their progress.

Every function takes an `AsyncSession` and never commits: the caller (one CLI
command, one Telegram update, through the use cases of ``scheduler/cycles.py``)
owns the transaction, so opening a cycle writes the cycle, its assignments,
the audit line and the opening messages together or not at all. Queries are
dialect-neutral (SQLite and PostgreSQL).

- `assignment_plan` takes the active employees of a unit with its sub-units
  (or of the whole roster) and asks `scheduler.scoring.assignments` who rates
  whom (seeded with the cycle name, so the plan is reproducible);
  `insert_assignments` gives every assignment a random token for callback data.
- `remove_assignment` refuses a submitted review (its answers may already be
  counted and it is the rater's finished work; removing it silently would
  change results). A pending or in-progress assignment is removed with its
  draft answers, which were never counted.
- `cycle_status` counts pending / in progress / submitted per relation group,
  per unit (the RATER's current unit: completion is what HR chases, and the
  rater is who has to act) and per rater, and lists raters with no linked
  account. It says how many of their assignments a rater finished, never whom
  they rated or what they answered.
- `mark_closed` closes with one conditional UPDATE (two closes cannot both win).

After close nothing changes: assign, unassign and close again raise
`CycleClosed`. The errors and result types are ``storage/review_cycle_types.py``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.assignments import (
    MAX_PEERS_LIMIT,
    Assignment,
    AssignmentPlan,
    NoteCode,
    RosterEntry,
    generate_assignments,
)
from scheduler.scoring.review_instrument_config import instrument_digest
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT
from storage import consultations
from storage.crypto import new_token
from storage.directory import accounts_by_employee, unit_subtree_ids
from storage.models import AuditLog, Employee, Unit
from storage.review_cycle_types import (
    AssignmentExists,
    AssignmentSubmitted,
    Counts,
    CycleClosed,
    CycleNote,
    CyclePreview,
    CycleStatus,
    CycleSummary,
    InactiveEmployee,
    InvalidMaxPeers,
    InvalidName,
    NoEmployees,
    RaterProgress,
    UnitProgress,
    UnknownCycle,
    UnknownEmployee,
    UnknownUnit,
)
from storage.review_models import (
    CLOSED,
    IN_PROGRESS,
    OPEN,
    PENDING,
    RELATIONS,
    SUBMITTED,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)

# Outbox kinds of the messages a cycle sends (scheduler/cycles.py); the reminders
# look the opening messages up by their dedupe key (`opening_key`).
OPEN_KIND = "cycle_open"
ASSIGN_KIND = "cycle_assign"
NAME_MAX = 100  # ReviewCycle.name is String(100)
STATUSES = (PENDING, IN_PROGRESS, SUBMITTED)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def opening_key(cycle_id: int, rater_id: int) -> str:
    """The dedupe key of a cycle's opening message to one rater."""
    return f"{OPEN_KIND}:{cycle_id}:{rater_id}"


# -- lookups -----------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The stored form of a cycle name (trimmed, inner spaces collapsed) or `InvalidName`."""
    # Line breaks and runs of spaces from a typed name become single spaces.
    text = " ".join((name or "").split())
    if not text or len(text) > NAME_MAX or _CONTROL.search(text):
        raise InvalidName(limit=NAME_MAX)
    return text


async def cycle_named(session: AsyncSession, name: str) -> ReviewCycle:
    wanted = " ".join((name or "").split())  # as `clean_name` stored it
    cycle = await session.scalar(select(ReviewCycle).where(ReviewCycle.name == wanted))
    if cycle is None:
        raise UnknownCycle(name=wanted)
    return cycle


async def open_cycle_named(session: AsyncSession, name: str) -> ReviewCycle:
    cycle = await cycle_named(session, name)
    if cycle.status != OPEN:
        raise CycleClosed(name=cycle.name)
    return cycle


async def cycle_by_id(session: AsyncSession, cycle_id: int) -> ReviewCycle | None:
    return await session.get(ReviewCycle, cycle_id)


async def name_taken(session: AsyncSession, name: str) -> bool:
    found = await session.scalar(select(ReviewCycle.id).where(ReviewCycle.name == name))
    return found is not None


async def unit_by_code(session: AsyncSession, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        # Codes are usually typed in capitals; accept any case before giving up.
        unit = await session.scalar(
            select(Unit).where(func.upper(Unit.code) == code.strip().upper())
        )
    if unit is None:
        raise UnknownUnit(code=code.strip())
    return unit


async def unit_by_id(session: AsyncSession, unit_id: int) -> Unit | None:
    return await session.get(Unit, unit_id)


async def list_units(session: AsyncSession) -> list[Unit]:
    """Every unit by code (the scope chooser of /siklus)."""
    return list((await session.scalars(select(Unit).order_by(Unit.code))).all())


async def active_employee(session: AsyncSession, nip: str) -> Employee:
    text = "".join((nip or "").split())  # NIPs are often written in groups
    person = await session.scalar(select(Employee).where(Employee.nip == text))
    if person is None:
        raise UnknownEmployee(nip=text)
    if not person.active:
        raise InactiveEmployee(nip=text)
    return person


async def assignment_plan(
    session: AsyncSession, unit: Unit | None, max_peers: int, no_self: bool, seed: str
) -> tuple[AssignmentPlan, dict[int, Employee]]:
    statement = select(Employee)
    if unit is not None:
        statement = statement.where(Employee.unit_id.in_(await unit_subtree_ids(session, unit.id)))
    people = {e.id: e for e in (await session.scalars(statement.order_by(Employee.id))).all()}
    if not any(e.active for e in people.values()):
        raise NoEmployees()
    # Inactive entries stay in: they let the plan tell an inactive supervisor from a missing one.
    roster = [RosterEntry(e.id, e.supervisor_id, e.active, e.unit_id) for e in people.values()]
    plan = generate_assignments(roster, max_peers=max_peers, no_self=no_self, seed=seed)
    return plan, people


async def scope_unit(session: AsyncSession, unit_code: str | None) -> Unit | None:
    return await unit_by_code(session, unit_code) if unit_code else None


async def write_audit(session: AsyncSession, actor: str, action: str, now: datetime) -> AuditLog:
    """Write the audit row FIRST; the caller fills in ``detail`` before the transaction ends.

    Beginning with a write makes SQLite take the write lock at the first
    statement (and wait on the busy timeout): a transaction that reads first
    cannot become a writer once the bot's sender has committed meanwhile, and
    would fail with "database is locked" (see ``storage/outbox.py``).
    """
    entry = AuditLog(at=now, actor=actor[:100], action=action, detail="")
    session.add(entry)
    await session.flush()
    return entry


def check_max_peers(max_peers: int) -> None:
    if not 0 <= max_peers <= MAX_PEERS_LIMIT:
        raise InvalidMaxPeers(limit=MAX_PEERS_LIMIT)


# -- writes --------------------------------------------------------------------------------


async def insert_cycle(
    session: AsyncSession,
    *,
    name: str,
    unit: Unit | None,
    deadline: date,
    max_peers: int,
    no_self: bool,
    actor: str,
    now: datetime,
) -> ReviewCycle:
    """A new open cycle (flushed, so it has its id) on the default instrument's latest
    version."""
    instrument = DEFAULT_INSTRUMENT.code
    cycle = ReviewCycle(
        name=name,
        unit_id=unit.id if unit else None,
        deadline=deadline,
        status=OPEN,
        instrument=instrument,
        # The examples adopted last (storage.consultations), recorded for this cycle.
        instrument_version=await consultations.latest_version(session, instrument),
        # What the instrument said at open: results refuse the cycle if the file changes.
        instrument_digest=instrument_digest(DEFAULT_INSTRUMENT),
        max_peers=max_peers,
        include_self=not no_self,
        opened_at=now,
        opened_by=actor[:100],
    )
    session.add(cycle)
    await session.flush()
    return cycle


async def insert_assignments(
    session: AsyncSession, cycle_id: int, assignments: Iterable[Assignment], now: datetime
) -> None:
    """The planned assignments, pending, each with a random token for callback data."""
    session.add_all(
        ReviewAssignment(
            cycle_id=cycle_id,
            rater_id=a.rater_id,
            ratee_id=a.ratee_id,
            relation=str(a.relation),
            status=PENDING,
            token=new_token(),
            created_at=now,
            updated_at=now,
        )
        for a in assignments
    )
    await session.flush()


async def find_assignment(
    session: AsyncSession, cycle_id: int, rater_id: int, ratee_id: int
) -> ReviewAssignment | None:
    return await session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.cycle_id == cycle_id,
            ReviewAssignment.rater_id == rater_id,
            ReviewAssignment.ratee_id == ratee_id,
        )
    )


async def add_assignment(
    session: AsyncSession,
    cycle: ReviewCycle,
    rater: Employee,
    ratee: Employee,
    relation: str,
    now: datetime,
) -> ReviewAssignment:
    """One more pending assignment (flushed); `AssignmentExists` if the pair has one."""
    existing = await find_assignment(session, cycle.id, rater.id, ratee.id)
    if existing is not None:
        raise AssignmentExists(rater=rater.nip, ratee=ratee.nip, relation=existing.relation)
    assignment = ReviewAssignment(
        cycle_id=cycle.id,
        rater_id=rater.id,
        ratee_id=ratee.id,
        relation=relation,
        status=PENDING,
        token=new_token(),
        created_at=now,
        updated_at=now,
    )
    session.add(assignment)
    await session.flush()
    return assignment


async def remove_assignment(
    session: AsyncSession, assignment: ReviewAssignment, rater: Employee, ratee: Employee
) -> int:
    """Delete an unsubmitted assignment with its draft answers; how many answers went."""
    answers = await session.scalar(
        select(func.count(ReviewAnswer.id)).where(ReviewAnswer.assignment_id == assignment.id)
    )
    # Answers first, explicitly: do not rely on ON DELETE CASCADE being enforced.
    await session.execute(delete(ReviewAnswer).where(ReviewAnswer.assignment_id == assignment.id))
    # Conditional: on PostgreSQL the rater may submit while this runs; then nothing is deleted
    # and the raise rolls the whole transaction back (answers included).
    removed = await session.execute(
        delete(ReviewAssignment).where(
            ReviewAssignment.id == assignment.id, ReviewAssignment.status != SUBMITTED
        )
    )
    if removed.rowcount != 1:
        raise AssignmentSubmitted(rater=rater.nip, ratee=ratee.nip)
    session.expunge(assignment)
    return answers or 0


async def mark_closed(session: AsyncSession, name: str, now: datetime) -> ReviewCycle:
    """Close the open cycle ``name``; `CycleClosed` if it is closed (or another close won)."""
    cycle = await cycle_named(session, name)
    # One conditional UPDATE: of two concurrent closes exactly one matches the row.
    changed = await session.execute(
        update(ReviewCycle)
        .where(ReviewCycle.id == cycle.id, ReviewCycle.status == OPEN)
        .values(status=CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise CycleClosed(name=cycle.name)
    await session.refresh(cycle)
    return cycle


async def status_counts(session: AsyncSession, cycle_id: int) -> Counts:
    """The cycle's assignments by status."""
    counts = Counts()
    for status, n in await session.execute(
        select(ReviewAssignment.status, func.count(ReviewAssignment.id))
        .where(ReviewAssignment.cycle_id == cycle_id)
        .group_by(ReviewAssignment.status)
    ):
        counts.add(status, n)
    return counts


# -- preview and notes ---------------------------------------------------------------------


async def preview_cycle(
    session: AsyncSession,
    *,
    unit_code: str | None = None,
    max_peers: int = 4,
    no_self: bool = False,
) -> CyclePreview:
    """Counts of what `open_cycle` would create with these options; writes nothing."""
    check_max_peers(max_peers)
    unit = await scope_unit(session, unit_code)
    plan, _people = await assignment_plan(session, unit, max_peers, no_self, seed="preview")
    raters = sorted(plan.load())
    linked = await accounts_by_employee(session, raters)
    return CyclePreview(
        employees=sum(1 for e in _people.values() if e.active),
        assignments=len(plan.assignments),
        raters=len(raters),
        linked_raters=len(linked),
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
    )


async def plan_notes(
    session: AsyncSession, plan: AssignmentPlan, people: dict[int, Employee]
) -> tuple[CycleNote, ...]:
    """The plan's notes with names; ``people`` are the employees in scope."""
    known = dict(people)
    # Supervisors outside the scope are not in `people`; name them in the notes too.
    outside = {n.other_id for n in plan.notes if n.other_id is not None} - set(known)
    if outside:
        known.update(
            (e.id, e)
            for e in (await session.scalars(select(Employee).where(Employee.id.in_(outside))))
        )
    return tuple(_note(n.code, n.employee_id, n.other_id, known) for n in plan.notes)


def _note(
    code: NoteCode, employee_id: int, other_id: int | None, people: dict[int, Employee]
) -> CycleNote:
    person = people[employee_id]
    other = people.get(other_id) if other_id is not None else None
    return CycleNote(
        code=code,
        nip=person.nip,
        name=person.name,
        other_nip=other.nip if other else (str(other_id) if other_id is not None else None),
        other_name=other.name if other else None,
    )


# -- status / list -----------------------------------------------------------------------------


async def cycle_status(session: AsyncSession, cycle_name: str) -> CycleStatus:
    """Completion per relation group, per rater's unit and per rater (no pairs, no answers)."""
    cycle = await cycle_named(session, cycle_name)
    rows = (
        await session.execute(
            select(
                ReviewAssignment.relation,
                ReviewAssignment.status,
                ReviewAssignment.rater_id,
                func.count(ReviewAssignment.id),
            )
            .where(ReviewAssignment.cycle_id == cycle.id)
            .group_by(ReviewAssignment.relation, ReviewAssignment.status, ReviewAssignment.rater_id)
        )
    ).all()
    rater_ids = sorted({row[2] for row in rows})
    people: dict[int, tuple[str, str, str, str]] = {}
    if rater_ids:
        for emp_id, nip, emp_name, unit_code, unit_name in await session.execute(
            select(Employee.id, Employee.nip, Employee.name, Unit.code, Unit.name)
            .join(Unit, Unit.id == Employee.unit_id)
            .where(Employee.id.in_(rater_ids))
        ):
            people[emp_id] = (nip, emp_name, unit_code, unit_name)
    accounts = await accounts_by_employee(session, rater_ids)

    totals = Counts()
    by_relation = {relation: Counts() for relation in RELATIONS}
    by_unit: dict[str, UnitProgress] = {}
    by_rater: dict[int, RaterProgress] = {}
    for relation, status, rater_id, n in rows:
        nip, emp_name, unit_code, unit_name = people[rater_id]
        totals.add(status, n)
        by_relation.setdefault(relation, Counts()).add(status, n)
        by_unit.setdefault(unit_code, UnitProgress(unit_code, unit_name)).counts.add(status, n)
        if rater_id not in by_rater:
            account = accounts.get(rater_id)
            state = (
                "none" if account is None else ("linked" if account.reachable else "unreachable")
            )
            by_rater[rater_id] = RaterProgress(nip, emp_name, unit_code, state)
        by_rater[rater_id].counts.add(status, n)

    unit = await session.get(Unit, cycle.unit_id) if cycle.unit_id else None
    return CycleStatus(
        cycle_id=cycle.id,
        name=cycle.name,
        status=cycle.status,
        deadline=cycle.deadline,
        unit_code=unit.code if unit else None,
        unit_name=unit.name if unit else None,
        opened_at=cycle.opened_at,
        opened_by=cycle.opened_by,
        closed_at=cycle.closed_at,
        totals=totals,
        by_relation=by_relation,
        by_unit=sorted(by_unit.values(), key=lambda u: u.code),
        by_rater=sorted(by_rater.values(), key=lambda r: (r.unit_code, r.name, r.nip)),
    )


async def list_cycles(session: AsyncSession) -> list[CycleSummary]:
    """Every cycle, newest first, with its number of assignments and submitted ones."""
    counted = {
        cycle_id: (total, submitted or 0)
        for cycle_id, total, submitted in await session.execute(
            select(
                ReviewAssignment.cycle_id,
                func.count(ReviewAssignment.id),
                func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0)),
            ).group_by(ReviewAssignment.cycle_id)
        )
    }
    rows = await session.execute(
        select(ReviewCycle, Unit.code)
        .outerjoin(Unit, Unit.id == ReviewCycle.unit_id)
        .order_by(ReviewCycle.opened_at.desc(), ReviewCycle.id.desc())
    )
    out = []
    for cycle, unit_code in rows:
        total, submitted = counted.get(cycle.id, (0, 0))
        out.append(
            CycleSummary(
                id=cycle.id,
                name=cycle.name,
                status=cycle.status,
                deadline=cycle.deadline,
                unit_code=unit_code,
                opened_at=cycle.opened_at,
                closed_at=cycle.closed_at,
                assignments=total,
                submitted=int(submitted),
            )
        )
    return out
