"""What the expectation reminders decide on (klarifikasi ekspektasi, PermenPANRB 6/2022).

`missing` lists, for a year, every pair of an active supervisor and an active
subordinate the roster names now for whom that supervisor has stated no
special expectation in that year, with the prompt already recorded for the
pair (if any). `unanswered` lists the year's expectations an active employee
has neither understood nor asked about and that were not reminded yet. Each function takes a
session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from storage.models import Employee
from storage.performance_models import ExpectationPrompt, PerformanceExpectation


@dataclass(frozen=True)
class Missing:
    """A subordinate without an expectation from their supervisor this year."""

    supervisor_id: int
    employee_id: int
    employee_name: str
    prompt: ExpectationPrompt | None


async def missing(session: AsyncSession, year: int) -> list[Missing]:
    """Active pairs (supervisor, subordinate) without an expectation in ``year``, by name."""
    boss = aliased(Employee)
    stated = (
        select(PerformanceExpectation.id)
        .where(
            PerformanceExpectation.employee_id == Employee.id,
            PerformanceExpectation.supervisor_id == Employee.supervisor_id,
            PerformanceExpectation.year == year,
        )
        .exists()
    )
    rows = await session.execute(
        select(Employee.supervisor_id, Employee.id, Employee.name, ExpectationPrompt)
        .join(boss, boss.id == Employee.supervisor_id)
        .outerjoin(
            ExpectationPrompt,
            and_(
                ExpectationPrompt.supervisor_id == Employee.supervisor_id,
                ExpectationPrompt.employee_id == Employee.id,
                ExpectationPrompt.year == year,
            ),
        )
        .where(Employee.active.is_(True), boss.active.is_(True), ~stated)
        .order_by(Employee.supervisor_id, Employee.name, Employee.id)
    )
    return [Missing(int(s), int(e), name, prompt) for s, e, name, prompt in rows.all()]


async def record_prompt(session: AsyncSession, item: Missing, year: int, now: datetime) -> None:
    """The first prompt about the pair (a row), or its one reminder (``reminded_at``)."""
    if item.prompt is None:
        session.add(
            ExpectationPrompt(
                supervisor_id=item.supervisor_id,
                employee_id=item.employee_id,
                year=year,
                prompted_at=now,
            )
        )
    else:
        prompt = await session.get(ExpectationPrompt, item.prompt.id)
        if prompt is not None:
            prompt.reminded_at = now
    await session.flush()


async def unanswered(session: AsyncSession, year: int) -> list[PerformanceExpectation]:
    """The year's expectations an active employee has neither understood nor asked about
    and that still wait to be sent or reminded, oldest first, with the people loaded."""
    employee = aliased(Employee)
    rows = await session.scalars(
        select(PerformanceExpectation)
        .join(employee, employee.id == PerformanceExpectation.employee_id)
        .where(
            PerformanceExpectation.understood_at.is_(None),
            PerformanceExpectation.asked_at.is_(None),
            PerformanceExpectation.year == year,
            PerformanceExpectation.reminded_at.is_(None),
            employee.active.is_(True),
        )
        .options(
            selectinload(PerformanceExpectation.employee),
            selectinload(PerformanceExpectation.supervisor),
        )
        .order_by(PerformanceExpectation.created_at, PerformanceExpectation.id)
    )
    return list(rows.all())
