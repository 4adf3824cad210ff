"""Follow-up plans (RTL): the queries behind ``/rtl``, ``/tugas``, the jobs and ``ulasan rtl``.

A plan belongs to one unit's SKM period (`storage.rtl_models`). This module
reads and writes plans, lines and evidence rows; every write also adds an
`AuditLog` row (action ``rtl.…``, the detail says what changed), so the plan's
history can be read back (`history`). The issue 15 publication reads the
lines through `plan_lines` only.

Every function takes a session and never commits. A refusal (an unknown line,
an owner outside the unit, a status that cannot change now) raises `RtlError`,
one line, in English for the CLI; handlers check first and never show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.directory import unit_subtree_ids
from storage.models import AuditLog, Employee, TelegramAccount, Unit
from storage.period_models import SkmPeriod
from storage.rtl_models import (
    CANCELLED,
    DONE,
    IN_PROGRESS,
    NOT_STARTED,
    STATUSES,
    RtlCitizenNotice,
    RtlEvidence,
    RtlLine,
    RtlPlan,
)

ACTION_PLAN = "rtl.plan"
ACTION_ADD = "rtl.line.add"
ACTION_CHANGE = "rtl.line.change"
ACTION_DROP = "rtl.line.drop"
ACTION_FORUM = "rtl.forum"
ACTION_STATUS = "rtl.status"
ACTION_EVIDENCE = "rtl.evidence"
ACTION_VERIFY = "rtl.verify"
ACTION_RETURN = "rtl.return"
ACTIVITY_MAX = 300
TARGET_MAX = 200
REASON_MAX = 500
MAX_LINES = 9
EDITABLE = ("activity", "owner_employee_id", "due_date", "due_label", "target")


class RtlError(LookupError):
    """A plan or line that cannot be found or changed; the message is one line."""


@dataclass(frozen=True)
class LineView:
    """One line with what every screen and export shows of it."""

    id: int
    plan_id: int
    period_id: int
    period_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    unsur: str
    activity: str
    owner_employee_id: int | None
    owner_name: str | None
    due_date: date | None
    due_label: str | None
    target: str
    status: str
    status_reason: str | None
    verified_at: datetime | None
    returned_note: str | None
    evidence: int
    forum_date: date | None

    @property
    def complete(self) -> bool:
        """Everything a line needs is set (activity, owner, target date, target)."""
        return bool(self.activity and self.owner_employee_id and self.due_date and self.target)

    @property
    def awaiting_verification(self) -> bool:
        return self.status == DONE and self.verified_at is None


@dataclass(frozen=True)
class Outcome:
    """One line of an earlier plan with its unsur's NRR then and at the next period."""

    line: LineView
    before: Fraction | None
    n_before: int
    after: Fraction | None
    n_after: int


@dataclass(frozen=True)
class PlanOutcome:
    """An earlier plan's lines with their outcome (`scheduler.rtl.outcome_of_previous`)."""

    previous: SkmPeriod
    lines: list[Outcome]


def _audit(session: AsyncSession, actor: str, action: str, detail: str, now: datetime) -> None:
    session.add(AuditLog(at=now, actor=actor[:100], action=action, detail=detail))


def _clip(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


# -- reading --------------------------------------------------------------------------------


_EVIDENCE_COUNT = (
    select(func.count(RtlEvidence.id)).where(RtlEvidence.line_id == RtlLine.id).scalar_subquery()
)


def _views_statement():  # type: ignore[no-untyped-def]
    return (
        select(RtlLine, RtlPlan, SkmPeriod.name, Unit.code, Unit.name, Employee.name)
        .add_columns(_EVIDENCE_COUNT)
        .join(RtlPlan, RtlPlan.id == RtlLine.plan_id)
        .join(SkmPeriod, SkmPeriod.id == RtlPlan.period_id)
        .join(Unit, Unit.id == RtlPlan.unit_id)
        .outerjoin(Employee, Employee.id == RtlLine.owner_employee_id)
        .order_by(SkmPeriod.last_day, Unit.code, RtlLine.id)
    )


def _view(row) -> LineView:  # type: ignore[no-untyped-def]
    line, plan, period_name, unit_code, unit_name, owner_name, evidence = row
    return LineView(
        id=line.id,
        plan_id=plan.id,
        period_id=plan.period_id,
        period_name=period_name,
        unit_id=plan.unit_id,
        unit_code=unit_code,
        unit_name=unit_name,
        unsur=line.unsur,
        activity=line.activity,
        owner_employee_id=line.owner_employee_id,
        owner_name=owner_name,
        due_date=line.due_date,
        due_label=line.due_label,
        target=line.target,
        status=line.status,
        status_reason=line.status_reason,
        verified_at=line.verified_at,
        returned_note=line.returned_note,
        evidence=int(evidence or 0),
        forum_date=plan.forum_date,
    )


async def plan_for(session: AsyncSession, period_id: int, unit_id: int) -> RtlPlan | None:
    return await session.scalar(
        select(RtlPlan).where(RtlPlan.period_id == period_id, RtlPlan.unit_id == unit_id)
    )


async def plan_changed_at(session: AsyncSession, plan: RtlPlan) -> datetime:
    """When the plan last changed: a line added, changed or dropped, the forum's date, a
    status set, a line verified (the public page's "as of")."""
    found = await session.execute(
        select(func.max(RtlLine.status_at), func.max(RtlLine.verified_at)).where(
            RtlLine.plan_id == plan.id
        )
    )
    moments = [plan.updated_at, *(m for m in found.one() if m is not None)]
    return max(moments)


async def plan_lines(session: AsyncSession, unit_id: int, period_id: int) -> list[LineView]:
    """The lines of one unit's plan for one period, in the order they were added."""
    rows = await session.execute(
        _views_statement().where(RtlPlan.unit_id == unit_id, RtlPlan.period_id == period_id)
    )
    return [_view(row) for row in rows.all()]


async def line_view(session: AsyncSession, line_id: int) -> LineView | None:
    row = (await session.execute(_views_statement().where(RtlLine.id == line_id))).first()
    return _view(row) if row is not None else None


async def lines_of_owner(session: AsyncSession, employee_id: int) -> list[LineView]:
    """The lines this employee owns, open ones (not verified, not batal) first by due date."""
    rows = await session.execute(_views_statement().where(RtlLine.owner_employee_id == employee_id))
    views = [_view(row) for row in rows.all()]
    return sorted(
        views,
        key=lambda v: (v.verified_at is not None or v.status == CANCELLED, v.due_date or date.max),
    )


async def list_lines(
    session: AsyncSession, *, unit_ids: list[int] | None = None, period_id: int | None = None
) -> list[LineView]:
    """Every line (optionally of these units and of one period), by period, unit, line."""
    statement = _views_statement()
    if unit_ids is not None:
        statement = statement.where(RtlPlan.unit_id.in_(unit_ids))
    if period_id is not None:
        statement = statement.where(RtlPlan.period_id == period_id)
    return [_view(row) for row in (await session.execute(statement)).all()]


async def plans_before(session: AsyncSession, unit_id: int, first_day: date) -> list[RtlPlan]:
    """The unit's plans of periods that ended before ``first_day``, the latest first."""
    rows = await session.scalars(
        select(RtlPlan)
        .join(SkmPeriod, SkmPeriod.id == RtlPlan.period_id)
        .where(RtlPlan.unit_id == unit_id, SkmPeriod.last_day < first_day)
        .order_by(SkmPeriod.last_day.desc())
    )
    return list(rows.all())


@dataclass(frozen=True)
class Owner:
    employee_id: int
    name: str
    unit_code: str


async def eligible_owners(session: AsyncSession, unit_id: int) -> list[Owner]:
    """Active employees with a linked account in the unit or a unit below it, by name."""
    unit_ids = await unit_subtree_ids(session, unit_id)
    rows = await session.execute(
        select(Employee.id, Employee.name, Unit.code)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.unit_id.in_(unit_ids), Employee.active.is_(True))
        .order_by(Employee.name, Employee.id)
    )
    return [Owner(int(i), str(n), str(c)) for i, n, c in rows.all()]


async def evidence_of(session: AsyncSession, line_id: int) -> list[RtlEvidence]:
    rows = await session.scalars(
        select(RtlEvidence).where(RtlEvidence.line_id == line_id).order_by(RtlEvidence.id)
    )
    return list(rows.all())


async def history(session: AsyncSession, line_id: int) -> list[AuditLog]:
    """The audit rows of one line (their detail starts with ``line <id>:``)."""
    rows = await session.scalars(
        select(AuditLog)
        .where(AuditLog.action.startswith("rtl."), AuditLog.detail.startswith(f"line {line_id}:"))
        .order_by(AuditLog.id)
    )
    return list(rows.all())


# -- writing --------------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession,
    *,
    period: SkmPeriod,
    unit_id: int,
    unsur: list[str],
    actor: str,
    now: datetime,
) -> tuple[RtlPlan, bool]:
    """The unit's plan for the period, with a line per proposed unsur when new;
    (plan, created). A plan that exists already is returned as it is."""
    plan = await plan_for(session, period.id, unit_id)
    if plan is not None:
        return plan, False
    plan = RtlPlan(period_id=period.id, unit_id=unit_id, created_by=actor[:100], created_at=now)
    plan.updated_at = now
    session.add(plan)
    await session.flush()
    _audit(session, actor, ACTION_PLAN, f"plan {plan.id}: {period.name}, unit {unit_id}", now)
    for code in unsur:
        await add_line(session, plan, code, actor=actor, now=now)
    return plan, True


async def add_line(
    session: AsyncSession, plan: RtlPlan, unsur: str, *, actor: str, now: datetime
) -> RtlLine:
    count = await session.scalar(select(func.count(RtlLine.id)).where(RtlLine.plan_id == plan.id))
    if int(count or 0) >= MAX_LINES:
        raise RtlError(f"a plan has at most {MAX_LINES} lines")
    line = RtlLine(plan_id=plan.id, unsur=unsur, status=NOT_STARTED, created_at=now)
    session.add(line)
    await session.flush()
    plan.updated_at = now
    _audit(session, actor, ACTION_ADD, f"line {line.id}: plan {plan.id}, {unsur}", now)
    return line


async def change_line(
    session: AsyncSession, line_id: int, *, actor: str, now: datetime, **fields: object
) -> RtlLine:
    """Set some of `EDITABLE` on a line (texts are cleaned and clipped); audited."""
    line = await session.get(RtlLine, line_id)
    if line is None:
        raise RtlError(f"no follow-up line {line_id}")
    changed = []
    for name, value in fields.items():
        if name not in EDITABLE:
            raise RtlError(f"'{name}' cannot be changed")
        if name == "activity" and isinstance(value, str):
            value = _clip(value, ACTIVITY_MAX)
        if name == "target" and isinstance(value, str):
            value = _clip(value, TARGET_MAX)
        setattr(line, name, value)
        changed.append(f"{name}={value}")
    plan = await session.get(RtlPlan, line.plan_id)
    if plan is not None:
        plan.updated_at = now
    _audit(session, actor, ACTION_CHANGE, f"line {line.id}: " + "; ".join(changed), now)
    await session.flush()
    return line


async def drop_line(session: AsyncSession, line_id: int, *, actor: str, now: datetime) -> list[str]:
    """Remove a line and its evidence rows; the evidence files' paths (the caller deletes
    them after the commit)."""
    line = await session.get(RtlLine, line_id)
    if line is None:
        raise RtlError(f"no follow-up line {line_id}")
    paths = [e.path for e in await evidence_of(session, line_id)]
    plan = await session.get(RtlPlan, line.plan_id)
    if plan is not None:
        plan.updated_at = now
    _audit(
        session,
        actor,
        ACTION_DROP,
        f"line {line.id}: {line.unsur} '{line.activity}' dropped ({line.status})",
        now,
    )
    await session.execute(delete(RtlEvidence).where(RtlEvidence.line_id == line_id))
    await session.execute(delete(RtlLine).where(RtlLine.id == line_id))
    return paths


async def set_forum_date(
    session: AsyncSession, plan: RtlPlan, day: date | None, *, actor: str, now: datetime
) -> None:
    plan.forum_date = day
    plan.updated_at = now
    _audit(session, actor, ACTION_FORUM, f"plan {plan.id}: forum {day}", now)
    await session.flush()


async def set_status(
    session: AsyncSession,
    line_id: int,
    status: str,
    *,
    reason: str | None,
    actor: str,
    now: datetime,
) -> bool:
    """The owner's status change; False when the line is verified already (closed)."""
    if status not in STATUSES:
        raise RtlError(f"unknown status '{status}'")
    if status == CANCELLED and not (reason or "").strip():
        raise RtlError("batal needs a reason")
    clean = _clip(reason, REASON_MAX) if reason else None
    result = await session.execute(
        update(RtlLine)
        .where(RtlLine.id == line_id, RtlLine.verified_at.is_(None))
        .values(status=status, status_reason=clean, status_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    detail = f"line {line_id}: status {status}" + (f" ({clean})" if clean else "")
    _audit(session, actor, ACTION_STATUS, detail, now)
    return True


async def add_evidence(
    session: AsyncSession,
    line_id: int,
    *,
    kind: str,
    file_name: str,
    mime_type: str,
    size: int,
    sha256: str,
    path: str,
    employee_id: int | None,
    actor: str,
    now: datetime,
) -> RtlEvidence:
    evidence = RtlEvidence(
        line_id=line_id,
        kind=kind,
        file_name=file_name[:200],
        mime_type=mime_type[:100],
        size=size,
        sha256=sha256,
        path=path,
        employee_id=employee_id,
        created_at=now,
    )
    session.add(evidence)
    await session.flush()
    _audit(session, actor, ACTION_EVIDENCE, f"line {line_id}: {kind} {file_name[:80]}", now)
    return evidence


async def verify(session: AsyncSession, line_id: int, *, actor: str, now: datetime) -> bool:
    """Accept a line marked selesai (once: False when not selesai or verified already)."""
    result = await session.execute(
        update(RtlLine)
        .where(RtlLine.id == line_id, RtlLine.status == DONE, RtlLine.verified_at.is_(None))
        .values(verified_at=now, verified_by=actor[:100], returned_note=None)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _audit(session, actor, ACTION_VERIFY, f"line {line_id}: verified", now)
    return True


async def send_back(
    session: AsyncSession, line_id: int, note: str, *, actor: str, now: datetime
) -> bool:
    """Send a line marked selesai back to berjalan with the head's note (False: not selesai
    any more, or verified)."""
    clean = _clip(note, REASON_MAX)
    result = await session.execute(
        update(RtlLine)
        .where(RtlLine.id == line_id, RtlLine.status == DONE, RtlLine.verified_at.is_(None))
        .values(status=IN_PROGRESS, returned_note=clean, status_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _audit(session, actor, ACTION_RETURN, f"line {line_id}: sent back ({clean})", now)
    return True


# -- the follow-up job ----------------------------------------------------------------------


async def open_lines_due_by(session: AsyncSession, day: date) -> list[LineView]:
    """Lines not finished (belum mulai, berjalan) with an owner, due on or before ``day``."""
    statement = _views_statement().where(
        RtlLine.status.in_((NOT_STARTED, IN_PROGRESS)),
        RtlLine.owner_employee_id.is_not(None),
        RtlLine.due_date.is_not(None),
        RtlLine.due_date <= day,
    )
    return [_view(row) for row in (await session.execute(statement)).all()]


async def claim(session: AsyncSession, line_id: int, column: str, now: datetime) -> bool:
    """Set a reminder or escalation column once (True: this caller claimed it)."""
    if column not in ("reminded_first_at", "reminded_last_at", "escalated_at"):
        raise ValueError(column)
    target = getattr(RtlLine, column)
    result = await session.execute(
        update(RtlLine)
        .where(RtlLine.id == line_id, target.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


# -- "Anda bilang, kami lakukan" ------------------------------------------------------------


async def record_notice(
    session: AsyncSession, period_id: int, user_key: str, line_id: int, now: datetime
) -> bool:
    """Note that this citizen heard from the period's plan; False if they had already."""
    found = await session.scalar(
        select(RtlCitizenNotice.id).where(
            RtlCitizenNotice.period_id == period_id, RtlCitizenNotice.user_key == user_key
        )
    )
    if found is not None:
        return False
    session.add(
        RtlCitizenNotice(period_id=period_id, user_key=user_key, line_id=line_id, sent_at=now)
    )
    await session.flush()
    return True


async def forget_citizen(session: AsyncSession, user_key: str) -> int:
    """Erasure: the notices kept under this pseudonym."""
    result = await session.execute(
        delete(RtlCitizenNotice).where(RtlCitizenNotice.user_key == user_key)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def forget_old_notices(session: AsyncSession, before: datetime) -> int:
    """Housekeeping: notices older than the retention (their pseudonym goes)."""
    result = await session.execute(
        delete(RtlCitizenNotice).where(RtlCitizenNotice.sent_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
