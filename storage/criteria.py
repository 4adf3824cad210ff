"""Which 360° instrument ``/kriteria`` explains to a person.

The criteria a person reads should be the ones they are rated and rate with:
the instrument of the latest cycle they take part in (as rater or ratee,
open or closed). Someone in no cycle yet reads the default instrument.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.review_models import ReviewAssignment, ReviewCycle


async def instrument_code_for(session: AsyncSession, employee_id: int) -> str | None:
    """The instrument code of the latest cycle the employee rates or is rated in, if any."""
    return await session.scalar(
        select(ReviewCycle.instrument)
        .join(ReviewAssignment, ReviewAssignment.cycle_id == ReviewCycle.id)
        .where(
            or_(
                ReviewAssignment.rater_id == employee_id,
                ReviewAssignment.ratee_id == employee_id,
            )
        )
        .order_by(ReviewCycle.opened_at.desc(), ReviewCycle.id.desc())
        .limit(1)
    )
