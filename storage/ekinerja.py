"""What the e-Kinerja export reads: a period's cards with everything said on them.

One load per period (and optionally a unit with the units below it): the
cards of the period, their employees, supervisors and units, the SKP lines of
the period's year (current ones, and archived ones that carry feedback), the
feedback lines and the card supervisors' notes. Nothing about citizens
beyond what the card itself shows (`scheduler.feedback_cards`). Takes a
session and never commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.directory import unit_subtree_ids
from storage.models import Employee
from storage.performance_models import (
    Achievement,
    FeedbackCard,
    FeedbackEntry,
    PerformanceExpectation,
    PerformanceNote,
    SkpLine,
)


@dataclass
class PeriodLoad:
    cards: list[FeedbackCard] = field(default_factory=list)
    lines: dict[int, list[SkpLine]] = field(default_factory=dict)  # employee id → lines
    entries: dict[int, list[FeedbackEntry]] = field(default_factory=dict)  # card id → lines
    notes: dict[int, list[PerformanceNote]] = field(default_factory=dict)  # card id → notes
    achievements: dict[int, list[Achievement]] = field(default_factory=dict)  # employee id →
    expectations: dict[int, list[PerformanceExpectation]] = field(default_factory=dict)  # ditto


async def load_period(
    session: AsyncSession,
    period: str,
    year: int,
    unit_id: int | None = None,
    supervisor_id: int | None = None,
) -> PeriodLoad:
    """The period's cards (of a unit's tree, or held by one supervisor) and what they rest on."""
    statement = (
        select(FeedbackCard)
        .join(Employee, Employee.id == FeedbackCard.employee_id)
        .where(FeedbackCard.period == period)
        .order_by(Employee.unit_id, Employee.name, Employee.nip)
        .options(
            selectinload(FeedbackCard.employee).selectinload(Employee.unit),
            selectinload(FeedbackCard.supervisor),
        )
    )
    if unit_id is not None:
        statement = statement.where(Employee.unit_id.in_(await unit_subtree_ids(session, unit_id)))
    if supervisor_id is not None:
        statement = statement.where(FeedbackCard.supervisor_id == supervisor_id)
    load = PeriodLoad(cards=list((await session.scalars(statement)).all()))
    card_ids = [c.id for c in load.cards]
    employees = [c.employee_id for c in load.cards]
    for entry in await _all(
        session,
        select(FeedbackEntry).where(FeedbackEntry.card_id.in_(card_ids)).order_by(FeedbackEntry.id),
    ):
        load.entries.setdefault(entry.card_id, []).append(entry)
    noted = set(entry.skp_line_id for entries in load.entries.values() for entry in entries)
    lines = await _all(
        session,
        select(SkpLine)
        .where(SkpLine.employee_id.in_(employees), SkpLine.year == year)
        .where(or_(SkpLine.archived_at.is_(None), SkpLine.id.in_([i for i in noted if i])))
        .order_by(SkpLine.id),
    )
    grouped: dict[int, list[SkpLine]] = defaultdict(list)
    for line in lines:
        grouped[line.employee_id].append(line)
    load.lines = dict(grouped)
    by_pair = {(c.employee_id, c.supervisor_id): c.id for c in load.cards}
    notes = await _all(
        session,
        select(PerformanceNote)
        .where(PerformanceNote.period == period, PerformanceNote.employee_id.in_(employees))
        .order_by(PerformanceNote.id),
    )
    for note in notes:
        card_id = by_pair.get((note.employee_id, note.author_id))
        if card_id is not None:
            load.notes.setdefault(card_id, []).append(note)
    await _add_employee_records(session, load, period, year, employees)
    return load


async def _add_employee_records(
    session: AsyncSession, load: PeriodLoad, period: str, year: int, employees: list[int]
) -> None:
    """The employees' achievements of the period and expectations of the year."""
    for item in await _all(
        session,
        select(Achievement)
        .where(Achievement.period == period, Achievement.employee_id.in_(employees))
        .order_by(Achievement.id),
    ):
        load.achievements.setdefault(item.employee_id, []).append(item)
    for expectation in await _all(
        session,
        select(PerformanceExpectation)
        .where(
            PerformanceExpectation.year == year,
            PerformanceExpectation.employee_id.in_(employees),
        )
        .order_by(PerformanceExpectation.id),
    ):
        load.expectations.setdefault(expectation.employee_id, []).append(expectation)


async def _all(session: AsyncSession, statement: Select[Any]) -> list[Any]:
    return list((await session.scalars(statement)).all())
