"""Which 360° instrument ``/kriteria`` explains to a person.

The criteria a person reads should be the ones they are rated and rate with:
the instrument of the latest cycle they take part in (as rater or ratee,
open or closed), with the examples of the version that cycle recorded. Someone in
no cycle yet reads the default instrument with its latest examples.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.review_models import ReviewAssignment, ReviewCycle


async def instrument_code_for(session: AsyncSession, employee_id: int) -> tuple[str, int] | None:
    """The instrument code and version of the latest cycle the employee rates or is rated
    in, if any."""
    found = await session.execute(
        select(ReviewCycle.instrument, ReviewCycle.instrument_version)
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
    row = found.first()
    return (row[0], int(row[1])) if row is not None else None
