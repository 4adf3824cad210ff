"""Development plans as stored: drafts made at close, the ratee's answers, who may read them.

Each function takes a session and never commits. Reading a plan always names
the reader: `plan_for` returns a plan's view only to its ratee, the supervisor
it names or its named coach (`Reader`), and None to anybody else, so no caller
can hand a plan's text to someone else by mistake. The BKPSDM counts
(`storage.development_counts`) never read a text column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import new_token
from storage.development_models import (
    APPROVED,
    CHECKIN_DONE,
    DRAFT,
    SUBMITTED,
    DevelopmentCheckin,
    DevelopmentFocus,
    DevelopmentPlan,
)
from storage.models import AuditLog, Employee, TelegramAccount
from storage.outbox import insert_ignore
from storage.review_models import ReviewCycle


class Reader(StrEnum):
    """Who reads a plan: only these three ever see its text."""

    OWNER = "owner"
    SUPERVISOR = "supervisor"
    COACH = "coach"


@dataclass(frozen=True)
class NewPlan:
    employee_id: int
    supervisor_id: int | None
    suggested: tuple[str, ...]


@dataclass(frozen=True)
class Focus:
    code: str
    position: int
    activity: str | None
    action: str | None

    @property
    def complete(self) -> bool:
        return bool(self.activity and self.action)


@dataclass(frozen=True)
class PlanView:
    """A plan as one of its readers sees it."""

    id: int
    token: str
    cycle_id: int
    cycle_name: str
    instrument_code: str
    employee_id: int
    employee_name: str
    supervisor_id: int | None
    supervisor_name: str | None
    coach_id: int | None
    status: str
    step: str
    suggested: tuple[str, ...]
    focus: tuple[Focus, ...]
    target_date: date | None
    revision: int
    supervisor_comment: str | None
    submitted_at: datetime | None
    approved_at: datetime | None
    reader: Reader

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.focus)

    def current(self) -> Focus | None:
        """The first focus value still missing its activity or action."""
        return next((f for f in self.focus if not f.complete), None)


async def create_drafts(
    session: AsyncSession, cycle_id: int, plans: Sequence[NewPlan], now: datetime
) -> dict[int, str]:
    """A draft per new plan (with its suggested values chosen); employee id → token.

    Plans that exist already are kept as they are (closing twice adds nothing) and
    are returned too.
    """
    existing = dict(
        (
            await session.execute(
                select(DevelopmentPlan.employee_id, DevelopmentPlan.token).where(
                    DevelopmentPlan.cycle_id == cycle_id
                )
            )
        ).all()
    )
    tokens = {int(k): str(v) for k, v in existing.items()}
    for item in plans:
        if item.employee_id in tokens:
            continue
        plan = DevelopmentPlan(
            cycle_id=cycle_id,
            employee_id=item.employee_id,
            supervisor_id=item.supervisor_id,
            token=new_token(9),
            status=DRAFT,
            step="focus",
            suggested=",".join(item.suggested),
            revision=0,
            created_at=now,
            updated_at=now,
        )
        session.add(plan)
        await session.flush()
        session.add_all(
            DevelopmentFocus(plan_id=plan.id, value_code=code, position=index + 1)
            for index, code in enumerate(item.suggested)
        )
        tokens[item.employee_id] = plan.token
    await session.flush()
    return tokens


def _reader(plan: DevelopmentPlan, employee_id: int) -> Reader | None:
    if plan.employee_id == employee_id:
        return Reader.OWNER
    if plan.supervisor_id == employee_id:
        return Reader.SUPERVISOR
    if plan.coach_id is not None and plan.coach_id == employee_id:
        return Reader.COACH
    return None


async def _view(session: AsyncSession, plan: DevelopmentPlan, reader: Reader) -> PlanView:
    cycle = await session.get(ReviewCycle, plan.cycle_id)
    assert cycle is not None
    names = dict(
        (
            await session.execute(
                select(Employee.id, Employee.name).where(
                    Employee.id.in_([plan.employee_id, plan.supervisor_id or 0])
                )
            )
        ).all()
    )
    focus = (
        await session.scalars(
            select(DevelopmentFocus)
            .where(DevelopmentFocus.plan_id == plan.id)
            .order_by(DevelopmentFocus.position, DevelopmentFocus.id)
        )
    ).all()
    return PlanView(
        id=plan.id,
        token=plan.token,
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        instrument_code=cycle.instrument,
        employee_id=plan.employee_id,
        employee_name=str(names.get(plan.employee_id, "")),
        supervisor_id=plan.supervisor_id,
        supervisor_name=names.get(plan.supervisor_id) if plan.supervisor_id else None,
        coach_id=plan.coach_id,
        status=plan.status,
        step=plan.step,
        suggested=tuple(c for c in plan.suggested.split(",") if c),
        focus=tuple(Focus(f.value_code, f.position, f.activity, f.action) for f in focus),
        target_date=plan.target_date,
        revision=plan.revision,
        supervisor_comment=plan.supervisor_comment,
        submitted_at=plan.submitted_at,
        approved_at=plan.approved_at,
        reader=reader,
    )


async def plan_for(
    session: AsyncSession,
    token: str,
    employee_id: int,
    *,
    readers: Sequence[Reader] = tuple(Reader),
) -> PlanView | None:
    """The plan with this token if ``employee_id`` is one of ``readers`` of it, else None."""
    plan = await session.scalar(select(DevelopmentPlan).where(DevelopmentPlan.token == token))
    if plan is None:
        return None
    reader = _reader(plan, employee_id)
    if reader is None or reader not in readers:
        return None
    return await _view(session, plan, reader)


async def own_plan(session: AsyncSession, token: str, employee_id: int) -> DevelopmentPlan | None:
    """The ratee's own plan row with this token (to change it), else None."""
    return await session.scalar(
        select(DevelopmentPlan).where(
            DevelopmentPlan.token == token, DevelopmentPlan.employee_id == employee_id
        )
    )


async def latest_own(session: AsyncSession, employee_id: int) -> PlanView | None:
    """The employee's plan of their most recently closed cycle, or None."""
    plan = await session.scalar(
        select(DevelopmentPlan)
        .join(ReviewCycle, ReviewCycle.id == DevelopmentPlan.cycle_id)
        .where(DevelopmentPlan.employee_id == employee_id)
        .order_by(ReviewCycle.closed_at.desc(), DevelopmentPlan.id.desc())
        .limit(1)
    )
    return await _view(session, plan, Reader.OWNER) if plan is not None else None


async def previous_own(
    session: AsyncSession, employee_id: int, cycle_id: int
) -> tuple[PlanView, str | None] | None:
    """The employee's newest sent plan (submitted or approved) of a cycle closed before
    ``cycle_id`` closed, with its last check-in's answer; None if there is none."""
    current = await session.get(ReviewCycle, cycle_id)
    if current is None or current.closed_at is None:
        return None
    plan = await session.scalar(
        select(DevelopmentPlan)
        .join(ReviewCycle, ReviewCycle.id == DevelopmentPlan.cycle_id)
        .where(
            DevelopmentPlan.employee_id == employee_id,
            DevelopmentPlan.cycle_id != cycle_id,
            DevelopmentPlan.status.in_([SUBMITTED, APPROVED]),
            ReviewCycle.closed_at < current.closed_at,
        )
        .order_by(ReviewCycle.closed_at.desc(), DevelopmentPlan.id.desc())
        .limit(1)
    )
    if plan is None:
        return None
    last = await session.scalar(
        select(DevelopmentCheckin.status)
        .where(DevelopmentCheckin.plan_id == plan.id, DevelopmentCheckin.status.is_not(None))
        .order_by(DevelopmentCheckin.month.desc())
        .limit(1)
    )
    return await _view(session, plan, Reader.OWNER), last


async def others_plans(session: AsyncSession, employee_id: int) -> list[PlanView]:
    """Plans this employee may read as supervisor or coach (not drafts), newest first."""
    plans = (
        await session.scalars(
            select(DevelopmentPlan)
            .where(
                or_(
                    DevelopmentPlan.supervisor_id == employee_id,
                    DevelopmentPlan.coach_id == employee_id,
                ),
                DevelopmentPlan.employee_id != employee_id,
                DevelopmentPlan.status.in_([SUBMITTED, APPROVED]),
            )
            .order_by(DevelopmentPlan.updated_at.desc(), DevelopmentPlan.id.desc())
            .limit(30)
        )
    ).all()
    views = []
    for plan in plans:
        reader = _reader(plan, employee_id)
        if reader is not None:
            views.append(await _view(session, plan, reader))
    return views


async def typing_draft(
    session: AsyncSession, employee_id: int, since: datetime
) -> DevelopmentPlan | None:
    """The employee's draft waiting for typed text (an action or a date), or any draft
    answered since ``since`` (typed text there is a mistake to answer), newest first."""
    return await session.scalar(
        select(DevelopmentPlan)
        .where(
            DevelopmentPlan.employee_id == employee_id,
            DevelopmentPlan.status == DRAFT,
            or_(
                DevelopmentPlan.step.in_(["action", "target"]),
                and_(
                    DevelopmentPlan.updated_at >= since,
                    DevelopmentPlan.updated_at > DevelopmentPlan.created_at,
                ),
            ),
        )
        .order_by(DevelopmentPlan.updated_at.desc(), DevelopmentPlan.id.desc())
        .limit(1)
    )


async def view_of(session: AsyncSession, plan: DevelopmentPlan, reader: Reader) -> PlanView:
    """The view of a plan row the caller has already checked ``reader`` for."""
    await session.flush()
    return await _view(session, plan, reader)


# -- the ratee's answers --------------------------------------------------------------------


async def set_focus(session: AsyncSession, plan: DevelopmentPlan, codes: Sequence[str]) -> None:
    """Keep exactly ``codes`` (in order); kept values keep their activity and action."""
    rows = (
        await session.scalars(select(DevelopmentFocus).where(DevelopmentFocus.plan_id == plan.id))
    ).all()
    by_code = {row.value_code: row for row in rows}
    gone = [row.id for code, row in by_code.items() if code not in codes]
    if gone:
        await session.execute(delete(DevelopmentFocus).where(DevelopmentFocus.id.in_(gone)))
    for index, code in enumerate(codes):
        row = by_code.get(code)
        if row is None:
            session.add(DevelopmentFocus(plan_id=plan.id, value_code=code, position=index + 1))
        else:
            row.position = index + 1
    await session.flush()


async def set_answer(
    session: AsyncSession,
    plan: DevelopmentPlan,
    code: str,
    *,
    activity: str | None = None,
    action: str | None = None,
) -> bool:
    """Store the activity or the action of one focus value; False if it is not chosen."""
    row = await session.scalar(
        select(DevelopmentFocus).where(
            DevelopmentFocus.plan_id == plan.id, DevelopmentFocus.value_code == code
        )
    )
    if row is None:
        return False
    if activity is not None:
        row.activity = activity
    if action is not None:
        row.action = action
    await session.flush()
    return True


async def clear_answers(session: AsyncSession, plan: DevelopmentPlan) -> None:
    """Forget every focus value's activity and action (to write them again)."""
    rows = (
        await session.scalars(select(DevelopmentFocus).where(DevelopmentFocus.plan_id == plan.id))
    ).all()
    for row in rows:
        row.activity = None
        row.action = None
    await session.flush()


async def checkins_of(session: AsyncSession, plan_id: int) -> list[DevelopmentCheckin]:
    """The plan's monthly check-ins, oldest first."""
    return list(
        (
            await session.scalars(
                select(DevelopmentCheckin)
                .where(DevelopmentCheckin.plan_id == plan_id)
                .order_by(DevelopmentCheckin.month)
            )
        ).all()
    )


# -- the supervisor, check-ins --------------------------------------------------------------


async def supervised_plan(
    session: AsyncSession, token: str, supervisor_id: int
) -> DevelopmentPlan | None:
    """The plan with this token if ``supervisor_id`` is the one who approves it, else None."""
    return await session.scalar(
        select(DevelopmentPlan).where(
            DevelopmentPlan.token == token, DevelopmentPlan.supervisor_id == supervisor_id
        )
    )


async def plan_of_nip(
    session: AsyncSession, cycle_name: str, employee_nip: str
) -> DevelopmentPlan | None:
    """The plan of the employee with this NIP in the cycle with this name, if any."""
    return await session.scalar(
        select(DevelopmentPlan)
        .join(ReviewCycle, ReviewCycle.id == DevelopmentPlan.cycle_id)
        .join(Employee, Employee.id == DevelopmentPlan.employee_id)
        .where(ReviewCycle.name == cycle_name, Employee.nip == employee_nip)
    )


async def active_employee_id(session: AsyncSession, nip: str) -> int | None:
    return await session.scalar(
        select(Employee.id).where(Employee.nip == nip, Employee.active.is_(True))
    )


@dataclass(frozen=True)
class Candidate:
    """A linked, active employee who may be named a plan's coach."""

    employee_id: int
    name: str
    nip: str


async def coach_candidates(
    session: AsyncSession, plan: DevelopmentPlan, limit: int = 20
) -> list[Candidate]:
    """The linked, active staff of the ratee's unit, by name (not the ratee, not the supervisor)."""
    unit_id = select(Employee.unit_id).where(Employee.id == plan.employee_id).scalar_subquery()
    excluded = [i for i in (plan.employee_id, plan.supervisor_id) if i is not None]
    rows = await session.execute(
        select(Employee.id, Employee.name, Employee.nip)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(
            Employee.unit_id == unit_id,
            Employee.active.is_(True),
            Employee.id.not_in(excluded),
        )
        .order_by(Employee.name, Employee.id)
        .limit(limit)
    )
    return [Candidate(int(i), str(n), str(p)) for i, n, p in rows.all()]


async def linked_candidate(session: AsyncSession, employee_id: int) -> Candidate | None:
    """An active employee with a linked account, by id; None otherwise."""
    row = (
        await session.execute(
            select(Employee.id, Employee.name, Employee.nip)
            .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
            .where(Employee.id == employee_id, Employee.active.is_(True))
        )
    ).first()
    return Candidate(int(row[0]), str(row[1]), str(row[2])) if row is not None else None


async def nip_of(session: AsyncSession, employee_id: int | None) -> str | None:
    if employee_id is None:
        return None
    return await session.scalar(select(Employee.nip).where(Employee.id == employee_id))


async def audit(session: AsyncSession, actor: str, now: datetime) -> AuditLog:
    """The audit row of naming a coach (it widens who reads a plan), written first so the
    transaction takes SQLite's write lock at once; the caller fills in ``detail``."""
    entry = AuditLog(at=now, actor=actor[:100], action="development.coach", detail="")
    session.add(entry)
    await session.flush()
    return entry


async def plan_by_id(session: AsyncSession, plan_id: int) -> DevelopmentPlan | None:
    return await session.get(DevelopmentPlan, plan_id)


@dataclass(frozen=True)
class Waiting:
    """A submitted plan waiting for its supervisor (names only, never the text)."""

    supervisor_id: int
    employee_name: str
    submitted_at: datetime


async def waiting_plans(session: AsyncSession) -> list[Waiting]:
    """Every submitted plan with a supervisor, oldest first."""
    rows = await session.execute(
        select(DevelopmentPlan.supervisor_id, Employee.name, DevelopmentPlan.submitted_at)
        .join(Employee, Employee.id == DevelopmentPlan.employee_id)
        .where(
            DevelopmentPlan.status == SUBMITTED,
            DevelopmentPlan.supervisor_id.is_not(None),
            DevelopmentPlan.submitted_at.is_not(None),
        )
        .order_by(DevelopmentPlan.submitted_at, DevelopmentPlan.id)
    )
    return [Waiting(int(boss), str(name), at) for boss, name, at in rows.all()]


@dataclass(frozen=True)
class CheckinCandidate:
    plan_id: int
    token: str
    employee_id: int
    approved_at: datetime
    target_date: date | None
    done: bool  # a check-in already said "selesai"
    asked: bool  # this month's check-in exists


async def checkin_candidates(session: AsyncSession, month: date) -> list[CheckinCandidate]:
    """Approved plans, with whether they are done and whether ``month`` was asked."""
    plans = (
        await session.scalars(
            select(DevelopmentPlan)
            .where(DevelopmentPlan.status == APPROVED, DevelopmentPlan.approved_at.is_not(None))
            .order_by(DevelopmentPlan.id)
        )
    ).all()
    rows = (
        await session.execute(
            select(
                DevelopmentCheckin.plan_id, DevelopmentCheckin.month, DevelopmentCheckin.status
            ).where(DevelopmentCheckin.plan_id.in_([p.id for p in plans]))
        )
    ).all()
    done = {plan for plan, _, status in rows if status == CHECKIN_DONE}
    asked = {plan for plan, when, _ in rows if when == month}
    return [
        CheckinCandidate(
            p.id, p.token, p.employee_id, p.approved_at, p.target_date, p.id in done, p.id in asked
        )
        for p in plans
        if p.approved_at is not None
    ]


async def ask_checkin(session: AsyncSession, plan_id: int, month: date, now: datetime) -> bool:
    """Record that ``month``'s check-in was asked; False if it had been."""
    table = DevelopmentCheckin.__table__
    statement = (
        insert_ignore(session, table, ["plan_id", "month"])
        .values(plan_id=plan_id, month=month, asked_at=now)
        .returning(table.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def answer_checkin(
    session: AsyncSession,
    plan_id: int,
    month: date,
    *,
    status: str | None = None,
    note: str | None = None,
    now: datetime,
) -> bool:
    """Store the answer (or the note) of a check-in that was asked; False if none was."""
    row = await session.scalar(
        select(DevelopmentCheckin).where(
            DevelopmentCheckin.plan_id == plan_id, DevelopmentCheckin.month == month
        )
    )
    if row is None:
        return False
    if status is not None:
        row.status = status
        row.answered_at = now
    if note is not None:
        row.note = note
    await session.flush()
    return True
