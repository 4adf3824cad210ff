"""How a unit head's team stands in the 360° reviews (``/tim``): counts, never answers.

The team is every active employee of the head's units and the units below them.
For each open cycle (and the latest closed one, for reference) it counts the
reviews the team members have to give: submitted of total, per unit, and
names the members who have not finished theirs or have no linked Telegram
account (who cannot be reminded). It never says who rated whom or how: only
how many reviews a person still has, which the head may ask them about.

The supervisors' continuous feedback of the same team is counted in
`storage.team_feedback`; ``/tim`` shows both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Employee, TelegramAccount, Unit
from storage.review_models import OPEN, SUBMITTED, ReviewAssignment, ReviewCycle


@dataclass(frozen=True)
class MemberProgress:
    nip: str
    name: str
    unit_code: str
    submitted: int
    total: int
    linked: bool

    @property
    def done(self) -> bool:
        return self.submitted == self.total


@dataclass(frozen=True)
class TeamCycle:
    name: str
    status: str
    deadline: date
    members: tuple[MemberProgress, ...]  # team members with reviews to give, by unit and name

    @property
    def submitted(self) -> int:
        return sum(m.submitted for m in self.members)

    @property
    def total(self) -> int:
        return sum(m.total for m in self.members)

    @property
    def percent(self) -> int:
        """Submitted share, rounded down (100 only when everything is submitted)."""
        return self.submitted * 100 // self.total if self.total else 0

    def by_unit(self) -> list[tuple[str, int, int]]:
        """(unit code, submitted, total) per unit of the team, by code."""
        units: dict[str, list[int]] = {}
        for member in self.members:
            counts = units.setdefault(member.unit_code, [0, 0])
            counts[0] += member.submitted
            counts[1] += member.total
        return [(code, done, total) for code, (done, total) in sorted(units.items())]


@dataclass(frozen=True)
class TeamView:
    cycles: tuple[TeamCycle, ...]  # open cycles by deadline, then the latest closed one
    members: int  # active employees of the team
    unlinked: int  # of them, without a linked Telegram account


async def _cycles(session: AsyncSession) -> list[ReviewCycle]:
    open_cycles = (
        await session.scalars(
            select(ReviewCycle)
            .where(ReviewCycle.status == OPEN)
            .order_by(ReviewCycle.deadline, ReviewCycle.id)
        )
    ).all()
    closed = await session.scalar(
        select(ReviewCycle)
        .where(ReviewCycle.status != OPEN)
        .order_by(ReviewCycle.closed_at.desc(), ReviewCycle.id.desc())
        .limit(1)
    )
    return [*open_cycles, *([closed] if closed is not None else [])]


async def _members(
    session: AsyncSession, cycle_id: int, unit_ids: list[int]
) -> tuple[MemberProgress, ...]:
    done = func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0))
    rows = await session.execute(
        select(
            Employee.nip,
            Employee.name,
            Unit.code,
            done,
            func.count(ReviewAssignment.id),
            func.count(TelegramAccount.id),
        )
        .join(Employee, Employee.id == ReviewAssignment.rater_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(
            ReviewAssignment.cycle_id == cycle_id,
            Employee.unit_id.in_(unit_ids),
            Employee.active.is_(True),
        )
        .group_by(Employee.id, Employee.nip, Employee.name, Unit.code)
        .order_by(Unit.code, Employee.name, Employee.nip)
    )
    return tuple(
        MemberProgress(nip, name, code, int(submitted or 0), int(total), bool(linked))
        for nip, name, code, submitted, total, linked in rows.all()
    )


async def team_view(session: AsyncSession, unit_ids: list[int]) -> TeamView:
    """The team of these units (a head's subtree): its cycles' progress and its reach."""
    cycles = []
    for cycle in await _cycles(session):
        members = await _members(session, cycle.id, unit_ids)
        if members:
            cycles.append(TeamCycle(cycle.name, cycle.status, cycle.deadline, members))
    counts = (
        await session.execute(
            select(func.count(Employee.id), func.count(TelegramAccount.id))
            .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
            .where(Employee.unit_id.in_(unit_ids), Employee.active.is_(True))
        )
    ).one()
    members, linked = int(counts[0]), int(counts[1])
    return TeamView(tuple(cycles), members, members - linked)
