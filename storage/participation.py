"""The facts behind the participation report: one row per feedback card of a period.

Each card is grouped under its employee's OPD: the top of the employee's unit
tree (a unit without a parent), or with ``unit_id`` the given unit (only its
tree). Whether the employee has an expectation for the year is one more
query. Takes a session and never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.participation import CardFact
from storage.directory import top_unit_codes, unit_subtree_ids
from storage.models import Employee, Unit
from storage.performance_models import FeedbackCard, PerformanceExpectation


async def card_facts(
    session: AsyncSession, period: str, year: int, unit: Unit | None = None
) -> list[CardFact]:
    statement = (
        select(FeedbackCard, Employee.unit_id)
        .join(Employee, Employee.id == FeedbackCard.employee_id)
        .where(FeedbackCard.period == period)
        .order_by(FeedbackCard.id)
    )
    if unit is not None:
        statement = statement.where(Employee.unit_id.in_(await unit_subtree_ids(session, unit.id)))
    rows = (await session.execute(statement)).all()
    expected = set(
        (
            await session.scalars(
                select(PerformanceExpectation.employee_id).where(
                    PerformanceExpectation.year == year
                )
            )
        ).all()
    )
    opd = {} if unit is not None else await top_unit_codes(session)
    return [
        CardFact(
            opd=unit.code if unit is not None else opd.get(unit_id, "?"),
            supervisor_id=card.supervisor_id,
            employee_id=card.employee_id,
            status=card.status,
            discussed=card.discussed_at is not None,
            expectation=card.employee_id in expected,
        )
        for card, unit_id in rows
    ]
