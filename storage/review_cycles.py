"""360° review cycles: open, adjust, watch, close and list them.

Every function takes an `AsyncSession` and never commits: the caller (one CLI
command, one Telegram update) owns the transaction, so opening a cycle writes
the cycle, its assignments, the audit line and the opening messages together
or not at all. Queries are dialect-neutral (SQLite and PostgreSQL).

- `open_cycle` takes the active employees of a unit with its sub-units (or of
  the whole roster), asks `scheduler.scoring.assignments` who rates whom (seeded with
  the cycle name, so the plan is reproducible), gives every assignment a random
  token for callback data and queues ONE opening message per rater with a
  linked Telegram account (outbox kind ``cycle_open``, dedupe key per cycle
  and rater): how many colleagues, by when, and a "Start rating" button
  (``rv:list``, answered by the rating conversation).
- `assign` / `unassign` adjust assignments while the cycle is open. `unassign`
  refuses a submitted review (its answers may already be counted and it is the
  rater's finished work; removing it silently would change results). A pending
  or in-progress assignment is removed with its draft answers, which were never
  counted; the result says how many were discarded.
- `cycle_status` counts pending / in progress / submitted per relation group,
  per unit (the RATER's current unit: completion is what HR chases, and the
  rater is who has to act) and per rater, and lists raters with no linked
  account. It says how many of their assignments a rater finished, never whom
  they rated or what they answered.
- `close_cycle` closes with one conditional UPDATE (two closes cannot both
  win) and asks `scheduler.review_reports.queue_close_reports` to queue the
  reports in the same transaction.

After close nothing changes: assign, unassign and close again raise
`CycleClosed`. Errors are `CycleError` subclasses whose ``template`` is an
English message id of the ``cycles`` catalog: ``str(error)`` is the English line
for the CLI, ``error.translated(_)`` the text for a Telegram admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import utcnow
from bot.core.i18n import N_, Translate, gettext_for
from bot.core.settings import Settings
from scheduler.scoring.assignments import (
    MAX_PEERS_LIMIT,
    AssignmentPlan,
    NoteCode,
    RosterEntry,
    generate_assignments,
)
from storage.crypto import new_token
from storage.directory import accounts_by_employee, unit_subtree_ids
from storage.models import AuditLog, Employee, TelegramAccount, Unit
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.review_models import (
    CLOSED,
    IN_PROGRESS,
    OPEN,
    PENDING,
    RELATIONS,
    SELF,
    SUBMITTED,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)

# The rating conversation (handlers/review.py) answers this: the rater's pending colleagues.
START_RATING_CALLBACK = "rv:list"
OPEN_KIND = "cycle_open"
ASSIGN_KIND = "cycle_assign"
NAME_MAX = 100  # ReviewCycle.name is String(100)
STATUSES = (PENDING, IN_PROGRESS, SUBMITTED)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


# -- helpers -----------------------------------------------------------------------------


def clean_name(name: str) -> str:
    """The stored form of a cycle name (trimmed, inner spaces collapsed) or `InvalidName`."""
    # Line breaks and runs of spaces from a typed name become single spaces.
    text = " ".join((name or "").split())
    if not text or len(text) > NAME_MAX or _CONTROL.search(text):
        raise InvalidName(limit=NAME_MAX)
    return text


def local_today(now: datetime, settings: Settings) -> date:
    return now.astimezone(settings.tz).date()


def format_deadline(deadline: date, language: str) -> str:
    """A deadline as people write it: "31 Juli 2025" / "31 July 2025" (Babel's locale data)."""
    return format_date(deadline, "d MMMM y", locale="en" if language == "en" else "id")


def _language(account: TelegramAccount | None, settings: Settings) -> str:
    if account is not None and account.language in ("id", "en"):
        return account.language
    return settings.default_language


async def _cycle(session: AsyncSession, name: str) -> ReviewCycle:
    wanted = " ".join((name or "").split())  # as `clean_name` stored it
    cycle = await session.scalar(select(ReviewCycle).where(ReviewCycle.name == wanted))
    if cycle is None:
        raise UnknownCycle(name=wanted)
    return cycle


async def _open(session: AsyncSession, name: str) -> ReviewCycle:
    cycle = await _cycle(session, name)
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


async def _employee(session: AsyncSession, nip: str) -> Employee:
    text = "".join((nip or "").split())  # NIPs are often written in groups
    person = await session.scalar(select(Employee).where(Employee.nip == text))
    if person is None:
        raise UnknownEmployee(nip=text)
    if not person.active:
        raise InactiveEmployee(nip=text)
    return person


async def _plan(
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


async def _scope_unit(session: AsyncSession, unit_code: str | None) -> Unit | None:
    return await unit_by_code(session, unit_code) if unit_code else None


async def _audit(session: AsyncSession, actor: str, action: str, now: datetime) -> AuditLog:
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


def _check_max_peers(max_peers: int) -> None:
    if not 0 <= max_peers <= MAX_PEERS_LIMIT:
        raise InvalidMaxPeers(limit=MAX_PEERS_LIMIT)


# -- messages ----------------------------------------------------------------------------


def opening_text(
    _: Translate, *, name: str, colleagues: int, self_review: bool, deadline: str
) -> str:
    """The opening message: how many colleagues, whether to assess oneself, by when."""
    if colleagues == 0:
        ask = _("You are asked to complete a self-assessment on the BerAKHLAK core values.")
    elif colleagues == 1 and self_review:
        ask = _(
            "You are asked to rate 1 colleague on the BerAKHLAK core values, and to "
            "assess yourself."
        )
    elif colleagues == 1:
        ask = _("You are asked to rate 1 colleague on the BerAKHLAK core values.")
    elif self_review:
        ask = _(
            "You are asked to rate {count} colleagues on the BerAKHLAK core values, and "
            "to assess yourself."
        ).format(count=colleagues)
    else:
        ask = _("You are asked to rate {count} colleagues on the BerAKHLAK core values.").format(
            count=colleagues
        )
    return "\n\n".join(
        [
            _("The 360° review “{name}” has opened.").format(name=name),
            ask,
            _("Please finish by {deadline}.").format(deadline=deadline),
            _(
                "Ratings from peers and subordinates are only ever shown as group results, "
                "never by name."
            ),
        ]
    )


def assigned_text(_: Translate, *, name: str, self_review: bool, deadline: str) -> str:
    if self_review:
        ask = _("You are asked to complete a self-assessment in the 360° review “{name}”.")
    else:
        ask = _("You are asked to rate one more colleague in the 360° review “{name}”.")
    return "\n\n".join(
        [
            ask.format(name=name),
            _("Please finish by {deadline}.").format(deadline=deadline),
        ]
    )


def start_button(_: Translate) -> list[list[dict[str, str]]]:
    return [[{"text": _("Start rating"), "callback_data": START_RATING_CALLBACK}]]


# -- open --------------------------------------------------------------------------------


async def preview_cycle(
    session: AsyncSession,
    *,
    unit_code: str | None = None,
    max_peers: int = 4,
    no_self: bool = False,
) -> CyclePreview:
    """Counts of what `open_cycle` would create with these options; writes nothing."""
    _check_max_peers(max_peers)
    unit = await _scope_unit(session, unit_code)
    plan, _people = await _plan(session, unit, max_peers, no_self, seed="preview")
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


async def open_cycle(
    session: AsyncSession,
    *,
    name: str,
    deadline: date,
    unit_code: str | None = None,
    max_peers: int = 4,
    no_self: bool = False,
    actor: str,
    now: datetime,
    settings: Settings,
) -> OpenedCycle:
    """Create the cycle, its assignments and one opening message per linked rater."""
    name = clean_name(name)
    _check_max_peers(max_peers)
    if deadline < local_today(now, settings):
        raise DeadlineInPast(deadline=deadline.isoformat())
    audit = await _audit(session, actor, "cycle.open", now)
    if await name_taken(session, name):
        raise CycleExists(name=name)
    unit = await _scope_unit(session, unit_code)
    plan, people = await _plan(session, unit, max_peers, no_self, seed=name)
    ratees = sum(1 for e in people.values() if e.active)

    cycle = ReviewCycle(
        name=name,
        unit_id=unit.id if unit else None,
        deadline=deadline,
        status=OPEN,
        max_peers=max_peers,
        include_self=not no_self,
        opened_at=now,
        opened_by=actor[:100],
    )
    session.add(cycle)
    await session.flush()
    session.add_all(
        ReviewAssignment(
            cycle_id=cycle.id,
            rater_id=a.rater_id,
            ratee_id=a.ratee_id,
            relation=str(a.relation),
            status=PENDING,
            token=new_token(),
            created_at=now,
            updated_at=now,
        )
        for a in plan.assignments
    )
    await session.flush()

    load = plan.load()
    own = {a.rater_id for a in plan.assignments if a.relation == SELF}
    accounts = await accounts_by_employee(session, sorted(load))
    notified = 0
    for rater_id in sorted(load):
        account = accounts.get(rater_id)
        if account is None:
            continue
        language = _language(account, settings)
        _ = gettext_for(language)
        text = opening_text(
            _,
            name=name,
            colleagues=load[rater_id] - (1 if rater_id in own else 0),
            self_review=rater_id in own,
            deadline=format_deadline(deadline, language),
        )
        if await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=OPEN_KIND,
            text=text,
            buttons=start_button(_),
            dedupe_key=f"{OPEN_KIND}:{cycle.id}:{rater_id}",
            priority=PRIORITY_NOTICE,
            employee_id=rater_id,
            now=now,
        ):
            notified += 1

    # Supervisors outside the scope are not in `people`; name them in the notes too.
    outside = {n.other_id for n in plan.notes if n.other_id is not None} - set(people)
    if outside:
        people.update(
            (e.id, e)
            for e in (await session.scalars(select(Employee).where(Employee.id.in_(outside))))
        )
    notes = tuple(_note(n.code, n.employee_id, n.other_id, people) for n in plan.notes)
    audit.detail = (
        f"name={name}; unit={unit.code if unit else 'all'}; deadline={deadline}; "
        f"max_peers={max_peers}; self={'no' if no_self else 'yes'}; "
        f"employees={ratees}; assignments={len(plan.assignments)}; "
        f"raters={len(load)}; notified={notified}"
    )
    await session.flush()
    return OpenedCycle(
        cycle_id=cycle.id,
        name=name,
        deadline=deadline,
        unit_code=unit.code if unit else None,
        employees=ratees,
        assignments=len(plan.assignments),
        raters=len(load),
        notified=notified,
        unlinked_raters=len(load) - len(accounts),
        notes=notes,
    )


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


# -- assign / unassign ---------------------------------------------------------------------


async def assign(
    session: AsyncSession,
    cycle_name: str,
    rater_nip: str,
    ratee_nip: str,
    relation: str,
    actor: str,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AssignmentChange:
    """Add one assignment to an open cycle; with ``settings``, tell a linked rater."""
    stamp = now or utcnow()
    audit = await _audit(session, actor, "cycle.assign", stamp)
    cycle = await _open(session, cycle_name)
    relation = (relation or "").strip().lower()
    if relation not in RELATIONS:
        raise InvalidRelation(relation=relation)
    rater = await _employee(session, rater_nip)
    ratee = await _employee(session, ratee_nip)
    if (rater.id == ratee.id) != (relation == SELF):
        raise SelfAssignment()
    existing = await session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.cycle_id == cycle.id,
            ReviewAssignment.rater_id == rater.id,
            ReviewAssignment.ratee_id == ratee.id,
        )
    )
    if existing is not None:
        raise AssignmentExists(rater=rater.nip, ratee=ratee.nip, relation=existing.relation)
    assignment = ReviewAssignment(
        cycle_id=cycle.id,
        rater_id=rater.id,
        ratee_id=ratee.id,
        relation=relation,
        status=PENDING,
        token=new_token(),
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(assignment)
    await session.flush()
    notified = False
    if settings is not None:
        account = (await accounts_by_employee(session, [rater.id])).get(rater.id)
        if account is not None:
            language = _language(account, settings)
            _ = gettext_for(language)
            notified = await enqueue(
                session,
                chat_id=account.telegram_user_id,
                kind=ASSIGN_KIND,
                text=assigned_text(
                    _,
                    name=cycle.name,
                    self_review=relation == SELF,
                    deadline=format_deadline(cycle.deadline, language),
                ),
                buttons=start_button(_),
                dedupe_key=f"{ASSIGN_KIND}:{assignment.token}",
                priority=PRIORITY_NOTICE,
                employee_id=rater.id,
                now=stamp,
            )
    audit.detail = (
        f"cycle={cycle.name}; rater={rater.nip}; ratee={ratee.nip}; relation={relation}; "
        f"notified={'yes' if notified else 'no'}"
    )
    await session.flush()
    return AssignmentChange(cycle.name, rater.nip, ratee.nip, relation, notified=notified)


async def unassign(
    session: AsyncSession,
    cycle_name: str,
    rater_nip: str,
    ratee_nip: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> AssignmentChange:
    """Remove one assignment of an open cycle (refused once submitted; drafts go with it)."""
    audit = await _audit(session, actor, "cycle.unassign", now or utcnow())
    cycle = await _open(session, cycle_name)
    rater = await _employee(session, rater_nip)
    ratee = await _employee(session, ratee_nip)
    assignment = await session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.cycle_id == cycle.id,
            ReviewAssignment.rater_id == rater.id,
            ReviewAssignment.ratee_id == ratee.id,
        )
    )
    if assignment is None:
        raise NoSuchAssignment(rater=rater.nip, ratee=ratee.nip)
    if assignment.status == SUBMITTED:
        raise AssignmentSubmitted(rater=rater.nip, ratee=ratee.nip)
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
    audit.detail = (
        f"cycle={cycle.name}; rater={rater.nip}; ratee={ratee.nip}; "
        f"relation={assignment.relation}; status={assignment.status}; "
        f"answers_discarded={answers or 0}"
    )
    await session.flush()
    return AssignmentChange(
        cycle.name,
        rater.nip,
        ratee.nip,
        assignment.relation,
        discarded_answers=answers or 0,
    )


# -- status / list -----------------------------------------------------------------------------


async def cycle_status(session: AsyncSession, cycle_name: str) -> CycleStatus:
    """Completion per relation group, per rater's unit and per rater (no pairs, no answers)."""
    cycle = await _cycle(session, cycle_name)
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


# -- close ---------------------------------------------------------------------------------


async def close_cycle(
    session: AsyncSession, name: str, actor: str, now: datetime, settings: Settings
) -> ClosedCycle:
    """Close an open cycle and queue its reports (see `scheduler.review_reports`)."""
    audit = await _audit(session, actor, "cycle.close", now)
    cycle = await _cycle(session, name)
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
    counts = Counts()
    for status, n in await session.execute(
        select(ReviewAssignment.status, func.count(ReviewAssignment.id))
        .where(ReviewAssignment.cycle_id == cycle.id)
        .group_by(ReviewAssignment.status)
    ):
        counts.add(status, n)
    # Imported here: the reports draw charts with matplotlib, which the CLI and the bot
    # should load only when a cycle actually closes.
    from scheduler.review_reports import queue_close_reports

    queued = await queue_close_reports(session, settings, cycle.id, now)
    audit.detail = (
        f"name={cycle.name}; submitted={counts.submitted}/{counts.total}; reports={queued}"
    )
    await session.flush()
    return ClosedCycle(cycle.id, cycle.name, now, queued, counts)
