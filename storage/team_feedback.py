"""Where a unit head's team stands with continuous feedback (``/tim``): counts, never content.

For one performance period (the one whose cards were built last) and the
team of a head (every active employee of their units and the units below):
how many cards there are and in which state (waiting for a linked account,
open with the supervisor, feedback given, skipped), how many dialogues were
recorded, which supervisors still hold open cards (names and counts: a head
may ask them), and how many members have a special expectation for the year.
Never a feedback line, a note, a rating or a reply. Takes a session and
never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Employee
from storage.performance_models import (
    GIVEN,
    OPEN,
    SKIPPED,
    WAITING,
    FeedbackCard,
    PerformanceExpectation,
)


@dataclass(frozen=True)
class TeamFeedback:
    period: str
    year: int
    cards: int
    given: int
    skipped: int
    open: int
    waiting: int  # someone has no linked account yet
    dialogues: int
    pending: tuple[tuple[str, int], ...]  # (supervisor, open or waiting cards), most first
    members: int  # active employees of the team
    with_expectation: int  # of them, with a special expectation for the year


async def team_feedback(
    session: AsyncSession, unit_ids: list[int], period: str, year: int
) -> TeamFeedback:
    """The feedback status of the team of these units for ``period``."""
    boss = aliased(Employee)
    rows = (
        await session.execute(
            select(FeedbackCard.status, FeedbackCard.discussed_at.is_not(None), boss.name)
            .join(Employee, Employee.id == FeedbackCard.employee_id)
            .join(boss, boss.id == FeedbackCard.supervisor_id)
            .where(FeedbackCard.period == period, Employee.unit_id.in_(unit_ids))
        )
    ).all()
    states = [status for status, _discussed, _name in rows]
    waiting: dict[str, int] = {}
    for status, _discussed, name in rows:
        if status in (OPEN, WAITING):
            waiting[name] = waiting.get(name, 0) + 1
    team = select(Employee.id).where(Employee.unit_id.in_(unit_ids), Employee.active.is_(True))
    members = await session.scalar(select(func.count()).select_from(team.subquery()))
    expected = await session.scalar(
        select(func.count(func.distinct(PerformanceExpectation.employee_id))).where(
            PerformanceExpectation.year == year,
            PerformanceExpectation.employee_id.in_(team),
        )
    )
    return TeamFeedback(
        period=period,
        year=year,
        cards=len(rows),
        given=states.count(GIVEN),
        skipped=states.count(SKIPPED),
        open=states.count(OPEN),
        waiting=states.count(WAITING),
        dialogues=sum(1 for _status, discussed, _name in rows if discussed),
        pending=tuple(sorted(waiting.items(), key=lambda item: (-item[1], item[0]))),
        members=int(members or 0),
        with_expectation=int(expected or 0),
    )
