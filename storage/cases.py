"""Cases as stored: opening one, and every change a person or the follow-up job makes.

The rules (statuses, what may follow what, the targets) are
`scheduler.scoring.case_rules`; the reads are `storage.case_queries`; who may
see and act is `storage.case_access`. Each function takes a session and never
commits.

Every change is ONE conditional ``UPDATE … WHERE id = ? AND version = ?`` (and
the status it may move from), then an event row: two admins pressing at once,
a double tap, a redelivered update or a button on an older view of the case
change it once, and the others learn that it changed (False). On SQLite the
update is the transaction's first write, so it takes the write lock at once.

A reply to the citizen through Balas (`record_reply`) is the first response
too, and moves a new case to ``ditangani``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.scoring import case_rules
from scheduler.scoring.case_rules import DONE, HANDLING, NEW, OPEN_STATUSES
from scheduler.scoring.working_days import WorkCalendar
from storage import holidays
from storage.case_models import CaseEvent, SurveyCase
from storage.directory import LinkedHead
from storage.models import UTCDateTime
from storage.survey_models import SurveyAlert

# CaseEvent.kind
OPENED = "opened"
REPLIED = "replied"
STATUS = "status"
HANDED = "handed"
RESOLVED = "resolved"
REMINDED = "reminded"
ESCALATED = "escalated"

CASES = SurveyCase.__table__


async def working_days(session: AsyncSession, settings: Settings) -> WorkCalendar:
    """The deployment's working days (``WORK_DAYS`` minus the loaded holidays), for the
    case targets."""
    return await holidays.work_calendar(session, settings)


async def open_case(
    session: AsyncSession,
    settings: Settings,
    *,
    alert_id: int,
    unit_id: int,
    head: LinkedHead | None,
    now: datetime,
) -> SurveyCase:
    """Open the case of an alert: owned by the head found for the service's unit (none
    when no unit up the tree has a linked head), targets from the working days."""
    calendar = await working_days(session, settings)
    _last, due_at, escalate_at = case_rules.targets(
        now, settings.tz, settings.case_first_response_days, calendar
    )
    row = SurveyCase(
        alert_id=alert_id,
        unit_id=unit_id,
        responsible_unit_id=head.unit_id if head is not None else unit_id,
        owner_employee_id=head.employee_id if head is not None else None,
        status=NEW,
        opened_at=now,
        due_at=due_at,
        escalate_at=escalate_at,
        version=1,
    )
    session.add(row)
    await session.flush()
    session.add(CaseEvent(case_id=row.id, at=now, kind=OPENED, employee_id=None, detail=""))
    return row


def _at(now: datetime) -> Any:
    return literal(now, UTCDateTime())


def _first_response(now: datetime) -> Any:
    """first_response_at, set only the first time."""
    return case(
        (SurveyCase.first_response_at.is_(None), _at(now)), else_=SurveyCase.first_response_at
    )


async def _change(
    session: AsyncSession,
    case_id: int,
    version: int,
    from_statuses: tuple[str, ...],
    values: dict[str, Any],
    event: CaseEvent,
) -> bool:
    result = await session.execute(
        update(SurveyCase)
        .where(
            SurveyCase.id == case_id,
            SurveyCase.version == version,
            SurveyCase.status.in_(from_statuses),
        )
        .values(version=SurveyCase.version + 1, **values)
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return False
    session.add(event)
    return True


async def mark_handling(
    session: AsyncSession, case_id: int, version: int, employee_id: int | None, now: datetime
) -> bool:
    """baru → ditangani (the first response, if none came before)."""
    return await _change(
        session,
        case_id,
        version,
        (NEW,),
        {"status": HANDLING, "first_response_at": _first_response(now)},
        CaseEvent(case_id=case_id, at=now, kind=STATUS, employee_id=employee_id, detail=HANDLING),
    )


async def resolve(
    session: AsyncSession,
    case_id: int,
    version: int,
    resolution: str,
    employee_id: int | None,
    now: datetime,
) -> bool:
    """An open case → selesai with its one-line resolution (also a first response)."""
    line = case_rules.one_line(resolution)[: case_rules.RESOLUTION_MAX_CHARS]
    if not line:
        raise ValueError("a resolution needs a line of text")
    return await _change(
        session,
        case_id,
        version,
        OPEN_STATUSES,
        {
            "status": DONE,
            "resolution": line,
            "resolved_at": now,
            "first_response_at": _first_response(now),
        },
        CaseEvent(case_id=case_id, at=now, kind=RESOLVED, employee_id=employee_id, detail=line),
    )


async def hand_over(
    session: AsyncSession,
    case_id: int,
    version: int,
    to_employee_id: int,
    employee_id: int | None,
    now: datetime,
) -> bool:
    """Give an open case to another owner (the caller checked that they may own it)."""
    return await _change(
        session,
        case_id,
        version,
        OPEN_STATUSES,
        {"owner_employee_id": to_employee_id},
        CaseEvent(
            case_id=case_id,
            at=now,
            kind=HANDED,
            employee_id=employee_id,
            detail=str(to_employee_id),
        ),
    )


async def record_reply(
    session: AsyncSession, response_id: int, employee_id: int | None, now: datetime
) -> bool:
    """A Balas reply to the citizen of this response: the case's first response (a new
    case becomes ``ditangani``). False when the response has no open case."""
    case_id = await session.scalar(
        select(SurveyCase.id)
        .join(SurveyAlert, SurveyAlert.id == SurveyCase.alert_id)
        .where(SurveyAlert.response_id == response_id)
    )
    if case_id is None:
        return False
    result = await session.execute(
        update(SurveyCase)
        .where(SurveyCase.id == case_id, SurveyCase.status.in_(OPEN_STATUSES))
        .values(
            version=SurveyCase.version + 1,
            status=case((SurveyCase.status == NEW, HANDLING), else_=SurveyCase.status),
            first_response_at=_first_response(now),
        )
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return False
    session.add(CaseEvent(case_id=case_id, at=now, kind=REPLIED, employee_id=employee_id))
    return True


# -- the follow-up job's claims --------------------------------------------------------------


def _waiting(deadline: Any, now: datetime, marked: Any) -> Any:
    """Open, no first response, the deadline passed, not yet marked."""
    return and_(
        SurveyCase.status.in_(OPEN_STATUSES),
        SurveyCase.first_response_at.is_(None),
        deadline <= _at(now),
        marked.is_(None),
    )


async def past_target(session: AsyncSession, now: datetime) -> list[int]:
    """Cases past their first-response target that nobody was reminded of yet."""
    rows = await session.scalars(
        select(SurveyCase.id)
        .where(_waiting(SurveyCase.due_at, now, SurveyCase.reminded_at))
        .order_by(SurveyCase.due_at, SurveyCase.id)
    )
    return [int(row) for row in rows]


async def past_target_twice(session: AsyncSession, now: datetime) -> list[int]:
    """Cases past their target twice that were not escalated yet."""
    rows = await session.scalars(
        select(SurveyCase.id)
        .where(_waiting(SurveyCase.escalate_at, now, SurveyCase.escalated_at))
        .order_by(SurveyCase.escalate_at, SurveyCase.id)
    )
    return [int(row) for row in rows]


async def claim_reminder(session: AsyncSession, case_id: int, now: datetime) -> bool:
    """Mark the case reminded (once: the first caller wins); writes first."""
    return await _claim(session, case_id, now, SurveyCase.due_at, "reminded_at", REMINDED)


async def claim_escalation(session: AsyncSession, case_id: int, now: datetime) -> bool:
    """Mark the case escalated (once: the first caller wins); writes first."""
    return await _claim(session, case_id, now, SurveyCase.escalate_at, "escalated_at", ESCALATED)


async def _claim(
    session: AsyncSession, case_id: int, now: datetime, deadline: Any, column: str, kind: str
) -> bool:
    marked = getattr(SurveyCase, column)
    result = await session.execute(
        update(SurveyCase)
        .where(SurveyCase.id == case_id, _waiting(deadline, now, marked))
        .values({column: now})
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return False
    session.add(CaseEvent(case_id=case_id, at=now, kind=kind, employee_id=None))
    return True
