"""Who still has 360° reviews to do in the open cycles, and how a supervisor's team stands.

The queries of the reminder jobs (``scheduler/jobs/review_reminders.py``,
``scheduler/jobs/supervisor_nudges.py``). They count assignments; they never
say who rated whom or what anyone answered, except to a supervisor the names of
their own team members they still have to rate and of members not yet linked.
Local days (a cycle's opening day) are in the deployment's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.settings import Settings
from storage.directory import accounts_by_employee
from storage.models import Employee
from storage.outbox_models import OutboxMessage
from storage.review_cycles import opening_key
from storage.review_models import OPEN, SELF, SUBMITTED, SUPERVISOR, ReviewAssignment, ReviewCycle

# -- a rater's unfinished reviews ---------------------------------------------------------


@dataclass
class Todo:
    """A rater's unfinished reviews in one open cycle."""

    cycle_id: int
    name: str
    opened: date  # local date
    deadline: date
    colleagues: int = 0
    self_review: bool = False


@dataclass
class Rater:
    employee_id: int
    todos: list[Todo] = field(default_factory=list)


async def open_cycles(session: AsyncSession, day: date) -> list[ReviewCycle]:
    """Open cycles still taking ratings on ``day``."""
    rows = await session.scalars(
        select(ReviewCycle)
        .where(ReviewCycle.status == OPEN, ReviewCycle.deadline >= day)
        .order_by(ReviewCycle.deadline, ReviewCycle.id)
    )
    return list(rows.all())


async def unfinished(
    session: AsyncSession, cycles: Sequence[ReviewCycle], settings: Settings
) -> dict[int, Rater]:
    """Active raters with reviews not submitted in these cycles, by employee id."""
    if not cycles:
        return {}
    by_id = {cycle.id: cycle for cycle in cycles}
    rows = await session.execute(
        select(
            ReviewAssignment.rater_id,
            ReviewAssignment.cycle_id,
            ReviewAssignment.relation,
            func.count(ReviewAssignment.id),
        )
        .join(Employee, Employee.id == ReviewAssignment.rater_id)
        .where(
            ReviewAssignment.cycle_id.in_(list(by_id)),
            ReviewAssignment.status != SUBMITTED,
            Employee.active.is_(True),
        )
        .group_by(ReviewAssignment.rater_id, ReviewAssignment.cycle_id, ReviewAssignment.relation)
    )
    raters: dict[int, Rater] = {}
    todos: dict[tuple[int, int], Todo] = {}
    for rater_id, cycle_id, relation, count in rows.all():
        cycle = by_id[cycle_id]
        todo = todos.get((rater_id, cycle_id))
        if todo is None:
            todo = todos[(rater_id, cycle_id)] = Todo(
                cycle_id,
                cycle.name,
                local_day(cycle.opened_at, settings.tz),
                cycle.deadline,
            )
            raters.setdefault(rater_id, Rater(rater_id)).todos.append(todo)
        if relation == SELF:
            todo.self_review = True
        else:
            todo.colleagues += int(count)
    for rater in raters.values():
        rater.todos.sort(key=lambda t: (t.deadline, t.cycle_id))
    return raters


async def opening_messages(session: AsyncSession, pairs: Iterable[tuple[int, int]]) -> set[str]:
    """Which (cycle, rater) pairs got the cycle's opening message (their dedupe keys)."""
    keys = [opening_key(cycle_id, rater_id) for cycle_id, rater_id in pairs]
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = await session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_(keys[start : start + 500])
            )
        )
        found.update(rows.all())
    return found


async def active_ids(session: AsyncSession, employee_ids: list[int]) -> set[int]:
    if not employee_ids:
        return set()
    rows = await session.scalars(
        select(Employee.id).where(Employee.id.in_(employee_ids), Employee.active.is_(True))
    )
    return set(rows.all())


# -- a supervisor's view of their team ----------------------------------------------------


@dataclass
class TeamCycle:
    """One supervisor's view of one open cycle."""

    cycle_id: int
    name: str
    opened: date
    deadline: date
    own_pending: list[str] = field(default_factory=list)  # names still to rate
    team_total: int = 0
    team_submitted: int = 0
    unlinked: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return self.team_submitted * 100 // self.team_total if self.team_total else 100

    @property
    def outstanding(self) -> bool:
        return bool(self.own_pending) or self.team_submitted < self.team_total


class _Views:
    """The `TeamCycle` of each (supervisor, cycle), made when first needed."""

    def __init__(self, cycles: Sequence[ReviewCycle], tz: tzinfo) -> None:
        self.cycles = {cycle.id: cycle for cycle in cycles}
        self.tz = tz
        self.views: dict[tuple[int, int], TeamCycle] = {}

    def view(self, boss_id: int, cycle_id: int) -> TeamCycle:
        found = self.views.get((boss_id, cycle_id))
        if found is None:
            cycle = self.cycles[cycle_id]
            found = self.views[(boss_id, cycle_id)] = TeamCycle(
                cycle_id,
                cycle.name,
                local_day(cycle.opened_at, self.tz),
                cycle.deadline,
            )
        return found

    def by_supervisor(self) -> dict[int, list[TeamCycle]]:
        out: dict[int, list[TeamCycle]] = defaultdict(list)
        for (boss_id, _cycle_id), team in self.views.items():
            out[boss_id].append(team)
        for teams in out.values():
            teams.sort(key=lambda t: (t.deadline, t.cycle_id))
        return dict(out)


async def team_cycles(
    session: AsyncSession, cycles: list[ReviewCycle], settings: Settings
) -> dict[int, list[TeamCycle]]:
    """Per supervisor (employee id), their view of each open cycle their team takes part in."""
    if not cycles:
        return {}
    views = _Views(cycles, settings.tz)
    members = await _team_members(session)
    in_cycle = await _add_team_progress(session, views, members)
    await _add_own_pending(session, views)
    await _add_unlinked(session, views, members, in_cycle)
    return views.by_supervisor()


async def _team_members(session: AsyncSession) -> dict[int, tuple[int, str]]:
    """Team members: active employees with a supervisor, as (supervisor id, name)."""
    return {
        emp_id: (boss_id, name)
        for emp_id, boss_id, name in await session.execute(
            select(Employee.id, Employee.supervisor_id, Employee.name).where(
                Employee.supervisor_id.is_not(None), Employee.active.is_(True)
            )
        )
    }


async def _add_team_progress(
    session: AsyncSession, views: _Views, members: dict[int, tuple[int, str]]
) -> dict[int, set[int]]:
    """What each member was asked to give and gave, per cycle; cycle id → member ids."""
    given = await session.execute(
        select(
            ReviewAssignment.rater_id,
            ReviewAssignment.cycle_id,
            func.count(ReviewAssignment.id),
            func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0)),
        )
        .where(ReviewAssignment.cycle_id.in_(list(views.cycles)))
        .group_by(ReviewAssignment.rater_id, ReviewAssignment.cycle_id)
    )
    in_cycle: dict[int, set[int]] = defaultdict(set)
    for rater_id, cycle_id, total, submitted in given.all():
        member = members.get(rater_id)
        if member is None:
            continue
        team = views.view(member[0], cycle_id)
        team.team_total += int(total)
        team.team_submitted += int(submitted or 0)
        in_cycle[cycle_id].add(rater_id)
    return in_cycle


async def _add_own_pending(session: AsyncSession, views: _Views) -> None:
    """The supervisor's own reviews of their team still to do."""
    ratee = Employee.__table__.alias("ratee")
    own = await session.execute(
        select(ReviewAssignment.rater_id, ReviewAssignment.cycle_id, ratee.c.name)
        .join(ratee, ratee.c.id == ReviewAssignment.ratee_id)
        .where(
            ReviewAssignment.cycle_id.in_(list(views.cycles)),
            ReviewAssignment.relation == SUPERVISOR,
            ReviewAssignment.status != SUBMITTED,
        )
    )
    for rater_id, cycle_id, name in own.all():
        views.view(rater_id, cycle_id).own_pending.append(name)


async def _add_unlinked(
    session: AsyncSession,
    views: _Views,
    members: dict[int, tuple[int, str]],
    in_cycle: dict[int, set[int]],
) -> None:
    """Members taking part without a linked account."""
    taking_part = sorted({m for ids in in_cycle.values() for m in ids})
    linked = await accounts_by_employee(session, taking_part)
    for cycle_id, ids in in_cycle.items():
        for member_id in ids:
            if member_id not in linked:
                boss_id, name = members[member_id]
                views.view(boss_id, cycle_id).unlinked.append(name)
