"""The facts behind BKPSDM's development report: which value and activity each sent plan chose.

Reads only codes (core value, activity), a plan's id and its ratee's OPD: never
an action, a comment, a check-in note or a name, so nothing that leaves this
module can carry a plan's text. A plan counts once its ratee sent it (status
submitted or approved); drafts are still being written. Each function takes a
session and never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.development_counts import FocusFact
from storage.development_models import APPROVED, SUBMITTED, DevelopmentFocus, DevelopmentPlan
from storage.directory import top_unit_codes, unit_subtree_ids
from storage.models import Employee, Unit
from storage.review_models import CLOSED, ReviewCycle


class NotAnOpd(Exception):
    """The unit is below an OPD: counts are per OPD only (nested scopes would subtract)."""

    def __init__(self, code: str, opd: str) -> None:
        super().__init__(code, opd)
        self.code, self.opd = code, opd


async def report_cycle(session: AsyncSession, name: str | None) -> ReviewCycle | None:
    """The closed cycle called ``name``, or the most recently closed one; None if none."""
    statement = select(ReviewCycle).where(ReviewCycle.status == CLOSED)
    if name is not None:
        statement = statement.where(ReviewCycle.name == name)
    return await session.scalar(
        statement.order_by(ReviewCycle.closed_at.desc(), ReviewCycle.id.desc()).limit(1)
    )


async def opd_unit(session: AsyncSession, code: str) -> Unit | None:
    """The OPD (a unit without a parent) with this code; `NotAnOpd` for a sub-unit."""
    unit = await session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        return None
    if unit.parent_id is not None:
        raise NotAnOpd(code, (await top_unit_codes(session))[unit.id])
    return unit


async def focus_facts(
    session: AsyncSession, cycle_id: int, opd: Unit | None = None
) -> list[FocusFact]:
    """One fact per focus value (with an activity) of the cycle's sent plans."""
    statement = (
        select(
            DevelopmentFocus.plan_id,
            DevelopmentFocus.value_code,
            DevelopmentFocus.activity,
            Employee.unit_id,
        )
        .join(DevelopmentPlan, DevelopmentPlan.id == DevelopmentFocus.plan_id)
        .join(Employee, Employee.id == DevelopmentPlan.employee_id)
        .where(
            DevelopmentPlan.cycle_id == cycle_id,
            DevelopmentPlan.status.in_([SUBMITTED, APPROVED]),
            DevelopmentFocus.activity.is_not(None),
        )
        .order_by(DevelopmentFocus.plan_id, DevelopmentFocus.position)
    )
    if opd is not None:
        statement = statement.where(Employee.unit_id.in_(await unit_subtree_ids(session, opd.id)))
    tops = await top_unit_codes(session)
    return [
        FocusFact(opd=tops.get(unit_id, "?"), plan_id=plan, value_code=code, activity=str(activity))
        for plan, code, activity, unit_id in (await session.execute(statement)).all()
    ]
