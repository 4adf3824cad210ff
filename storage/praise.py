"""Praise as stored: which surveys praise an officer, which were sent in a daily note,
and how many each officer received per month.

A survey praises the officer its QR code names when every answer is 4 and it
carries a comment (`scheduler.scoring.alert_rules.is_praise`; `praise_condition`
is the same rule in SQL). `PraiseNote` rows only remember what went into a
daily note; `monthly_counts` counts the responses themselves, so the
supervisor's monthly card and the recognition list (later features) never wait
for a note, and a response a citizen erased (``/hapusdata``) stops counting.
Each function takes a session and never commits.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.clock import day_bounds, next_month
from scheduler.scoring import skm
from scheduler.scoring.alert_rules import BEST
from storage.models import Employee, Service
from storage.outbox import insert_ignore
from storage.survey_models import SUBMITTED, PraiseNote, SurveyResponse

NOTES = PraiseNote.__table__


def praise_condition() -> Any:
    """`is_praise` in SQL: an officer named, every unsur at 4, a non-blank comment."""
    return and_(
        SurveyResponse.employee_id.is_not(None),
        SurveyResponse.comment.is_not(None),
        func.trim(SurveyResponse.comment) != "",
        *(getattr(SurveyResponse, code.lower()) == BEST for code in skm.UNSUR_CODES),
    )


async def pending(session: AsyncSession, since: datetime) -> list[SurveyResponse]:
    """Praise submitted since ``since`` that no daily note carried yet, oldest first
    (with the officer and the service loaded)."""
    noted = exists().where(PraiseNote.response_id == SurveyResponse.id)
    rows = await session.scalars(
        select(SurveyResponse)
        .where(
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= since,
            praise_condition(),
            ~noted,
        )
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        .options(selectinload(SurveyResponse.employee), selectinload(SurveyResponse.service))
    )
    return list(rows)


async def mark_noted(
    session: AsyncSession, response_id: int, employee_id: int, now: datetime
) -> bool:
    """Remember that this praise went into a note; False if it had already, or the
    response is gone (INSERT … SELECT … ON CONFLICT DO NOTHING: it writes first)."""
    values = {"response_id": response_id, "employee_id": employee_id, "noted_at": now}
    source = select(*(literal(value, NOTES.c[name].type) for name, value in values.items()))
    source = source.where(
        exists().where(SurveyResponse.id == response_id, SurveyResponse.status == SUBMITTED)
    )
    statement = (
        insert_ignore(session, NOTES, ["response_id"])
        .from_select(list(values), source)
        .returning(NOTES.c.id)
    )
    return (await session.execute(statement)).first() is not None


async def monthly_counts(
    session: AsyncSession,
    month: date,
    tz: tzinfo,
    employee_ids: Collection[int] | None = None,
) -> dict[int, int]:
    """Praise per officer in the local calendar month of ``month`` (by the day the
    survey was submitted); officers without praise are absent."""
    start, _ = day_bounds(month.replace(day=1), tz)
    end, _ = day_bounds(next_month(month), tz)
    statement = (
        select(SurveyResponse.employee_id, func.count(SurveyResponse.id))
        .where(
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= start,
            SurveyResponse.submitted_at < end,
            praise_condition(),
        )
        .group_by(SurveyResponse.employee_id)
    )
    if employee_ids is not None:
        statement = statement.where(SurveyResponse.employee_id.in_(list(employee_ids)))
    rows = await session.execute(statement)
    return {int(employee_id): int(count) for employee_id, count in rows.all()}


async def counts_between(session: AsyncSession, start: datetime, end: datetime) -> dict[int, int]:
    """Praise per officer submitted in [start, end) (a 360° cycle's dates, for the
    recognition list); officers without praise are absent."""
    rows = await session.execute(
        select(SurveyResponse.employee_id, func.count(SurveyResponse.id))
        .where(
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= start,
            SurveyResponse.submitted_at < end,
            praise_condition(),
        )
        .group_by(SurveyResponse.employee_id)
    )
    return {int(employee_id): int(count) for employee_id, count in rows.all()}


@dataclass(frozen=True)
class Officer:
    """An officer who was praised, and who hears of it."""

    employee_id: int
    name: str
    supervisor_id: int | None


async def officers(session: AsyncSession, employee_ids: Collection[int]) -> dict[int, Officer]:
    rows = await session.execute(
        select(Employee.id, Employee.name, Employee.supervisor_id, Employee.active).where(
            Employee.id.in_(list(employee_ids))
        )
    )
    return {
        int(e): Officer(int(e), str(name), int(boss) if boss is not None else None)
        for e, name, boss, _active in rows.all()
    }


async def service_names(session: AsyncSession, service_ids: Collection[int]) -> dict[int, str]:
    rows = await session.execute(
        select(Service.id, Service.name).where(Service.id.in_(list(service_ids)))
    )
    return {int(service_id): str(name) for service_id, name in rows.all()}
