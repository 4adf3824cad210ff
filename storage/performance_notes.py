"""Supervisors' observation notes (``/catat``): who may be written about, and writing one.

A supervisor writes about the people the roster names as their subordinates
now (active employees whose ``supervisor_id`` is theirs); each function takes
a session and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Employee
from storage.performance_models import PerformanceNote

NOTE_MAX_CHARS = 1000
PHOTOS = "notes"  # /catat photos: DATA_DIR/evidence/notes/<employee>/ (storage.achievements)


async def subordinates(session: AsyncSession, supervisor_id: int) -> list[Employee]:
    """The supervisor's active subordinates, by name."""
    rows = await session.scalars(
        select(Employee)
        .where(Employee.supervisor_id == supervisor_id, Employee.active.is_(True))
        .order_by(Employee.name, Employee.id)
    )
    return list(rows.all())


async def subordinate(
    session: AsyncSession, supervisor_id: int, employee_id: int
) -> Employee | None:
    """The employee, if they are this supervisor's active subordinate now."""
    return await session.scalar(
        select(Employee).where(
            Employee.id == employee_id,
            Employee.supervisor_id == supervisor_id,
            Employee.active.is_(True),
        )
    )


async def add_note(
    session: AsyncSession,
    *,
    employee_id: int,
    author_id: int,
    period: str,
    text: str,
    photo_file_id: str | None,
    photo_path: str | None = None,
    value_code: str | None,
    skp_line_id: int | None,
    now: datetime,
) -> PerformanceNote:
    note = PerformanceNote(
        employee_id=employee_id,
        author_id=author_id,
        period=period,
        text=text,
        photo_file_id=photo_file_id,
        photo_path=photo_path,
        value_code=value_code,
        skp_line_id=skp_line_id,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note
