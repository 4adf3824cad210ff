"""Reading cases: one case with what its views need, lists, history and counts.

Everything goes by the alert's token (random, in callback data) or by unit,
never by a citizen: a `CaseView` carries the response (answers, masked
comment, consent to be contacted) but nothing that identifies the citizen
leaves through the texts built from it. Each function takes a session and
never commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from scheduler.scoring.case_rules import OPEN_STATUSES
from storage.case_access import Viewer
from storage.case_models import CaseEvent, SurveyCase
from storage.cases import HANDED
from storage.models import Employee, Service, Unit
from storage.survey_models import SurveyAlert, SurveyResponse


@dataclass(frozen=True)
class CaseView:
    id: int
    token: str
    version: int
    status: str
    unit_id: int
    responsible_unit_id: int
    owner_employee_id: int | None
    owner_name: str | None
    opened_at: datetime
    due_at: datetime
    escalate_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    resolution: str | None
    escalated_at: datetime | None
    reasons: tuple[str, ...]
    response: SurveyResponse  # with its service, unit and officer loaded

    @property
    def service_name(self) -> str:
        return self.response.service.name

    @property
    def unit_name(self) -> str:
        return self.response.service.unit.name

    @property
    def contactable(self) -> bool:
        return bool(self.response.contact_ok and self.response.contact_chat_id is not None)

    def late(self, now: datetime) -> bool:
        """Past the first-response target (open, no response, the deadline gone)."""
        return (
            self.status in OPEN_STATUSES and self.first_response_at is None and now >= self.due_at
        )


Owner = aliased(Employee)


def _select() -> Select:
    return (
        select(SurveyCase, SurveyAlert.token, SurveyAlert.reasons, SurveyResponse, Owner.name)
        .join(SurveyAlert, SurveyAlert.id == SurveyCase.alert_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyAlert.response_id)
        .outerjoin(Owner, Owner.id == SurveyCase.owner_employee_id)
        .options(
            selectinload(SurveyResponse.service).selectinload(Service.unit),
            selectinload(SurveyResponse.employee),
        )
    )


def _view(row: tuple) -> CaseView:
    stored, token, reasons, response, owner_name = row
    return CaseView(
        stored.id,
        str(token),
        int(stored.version),
        stored.status,
        stored.unit_id,
        stored.responsible_unit_id,
        stored.owner_employee_id,
        owner_name,
        stored.opened_at,
        stored.due_at,
        stored.escalate_at,
        stored.first_response_at,
        stored.resolved_at,
        stored.resolution,
        stored.escalated_at,
        tuple(r for r in str(reasons).split(",") if r),
        response,
    )


async def case_by_token(session: AsyncSession, token: str) -> CaseView | None:
    row = (await session.execute(_select().where(SurveyAlert.token == token))).first()
    return _view(tuple(row)) if row is not None else None


async def case_by_id(session: AsyncSession, case_id: int) -> CaseView | None:
    row = (await session.execute(_select().where(SurveyCase.id == case_id))).first()
    return _view(tuple(row)) if row is not None else None


async def owner_of_response(session: AsyncSession, response_id: int) -> int | None:
    """The owner of the case this response opened, if it opened one and it has one."""
    return await session.scalar(
        select(SurveyCase.owner_employee_id)
        .join(SurveyAlert, SurveyAlert.id == SurveyCase.alert_id)
        .where(SurveyAlert.response_id == response_id)
    )


async def cases_for_viewer(
    session: AsyncSession,
    viewer: Viewer,
    statuses: Collection[str],
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[CaseView], int]:
    """(one page of the cases this person may see, how many there are): open ones by
    deadline, resolved ones newest first."""
    where = [SurveyCase.status.in_(list(statuses))]
    if not viewer.city_wide:
        mine = [SurveyCase.unit_id.in_(sorted(viewer.unit_ids))]
        if viewer.employee_id is not None:
            mine.append(SurveyCase.owner_employee_id == viewer.employee_id)
        where.append(or_(*mine))
    total = await session.scalar(select(func.count(SurveyCase.id)).where(*where))
    order = (
        (SurveyCase.due_at, SurveyCase.id)
        if set(statuses) <= set(OPEN_STATUSES)
        else (SurveyCase.resolved_at.desc(), SurveyCase.id.desc())
    )
    rows = await session.execute(
        _select().where(*where).order_by(*order).limit(limit).offset(offset)
    )
    return [_view(tuple(row)) for row in rows.all()], int(total or 0)


async def cases_in_units(
    session: AsyncSession, unit_ids: Collection[int] | None, status: str | None
) -> list[CaseView]:
    """Every case of these units (all units for None), oldest first (``ulasan alerts list``)."""
    statement = _select().order_by(SurveyCase.opened_at, SurveyCase.id)
    if unit_ids is not None:
        statement = statement.where(SurveyCase.unit_id.in_(list(unit_ids)))
    if status is not None:
        statement = statement.where(SurveyCase.status == status)
    return [_view(tuple(row)) for row in (await session.execute(statement)).all()]


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    actor: str | None  # the employee's name, when an employee did it
    detail: str


async def history(session: AsyncSession, case_id: int) -> list[EventView]:
    """A case's events, oldest first; a hand-over's detail is the new owner's name."""
    rows = (
        await session.execute(
            select(CaseEvent, Employee.name)
            .outerjoin(Employee, Employee.id == CaseEvent.employee_id)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.at, CaseEvent.id)
        )
    ).all()
    handed = {int(e.detail) for e, _name in rows if e.kind == HANDED and e.detail.isdigit()}
    names: dict[int, str] = {}
    if handed:
        found = await session.execute(
            select(Employee.id, Employee.name).where(Employee.id.in_(handed))
        )
        names = {int(employee_id): str(name) for employee_id, name in found.all()}
    return [
        EventView(
            event.at,
            event.kind,
            actor_name,
            names.get(int(event.detail), "?")
            if event.kind == HANDED and event.detail.isdigit()
            else event.detail,
        )
        for event, actor_name in rows
    ]


async def unit_names(session: AsyncSession, unit_ids: Collection[int]) -> dict[int, str]:
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(list(unit_ids))))
    return {int(unit_id): str(name) for unit_id, name in rows.all()}


# -- counts for the weekly digest ------------------------------------------------------------


@dataclass
class CaseCounts:
    opened: int = 0  # opened within the week
    open: int = 0  # open now
    late: int = 0  # open now, past the first-response target

    def add(self, other: CaseCounts) -> None:
        self.opened += other.opened
        self.open += other.open
        self.late += other.late


async def counts_by_unit(
    session: AsyncSession, start: datetime, end: datetime, now: datetime
) -> dict[int, CaseCounts]:
    """Per service unit: cases opened in [start, end), open now, past the target now."""
    counts: dict[int, CaseCounts] = {}
    opened = await session.execute(
        select(SurveyCase.unit_id, func.count(SurveyCase.id))
        .where(SurveyCase.opened_at >= start, SurveyCase.opened_at < end)
        .group_by(SurveyCase.unit_id)
    )
    for unit_id, count in opened.all():
        counts.setdefault(int(unit_id), CaseCounts()).opened = int(count)
    late = and_(SurveyCase.first_response_at.is_(None), SurveyCase.due_at <= now)
    still_open = await session.execute(
        select(SurveyCase.unit_id, func.count(SurveyCase.id), func.sum(case((late, 1), else_=0)))
        .where(SurveyCase.status.in_(OPEN_STATUSES))
        .group_by(SurveyCase.unit_id)
    )
    for unit_id, count, late_count in still_open.all():
        entry = counts.setdefault(int(unit_id), CaseCounts())
        entry.open, entry.late = int(count), int(late_count or 0)
    return counts
