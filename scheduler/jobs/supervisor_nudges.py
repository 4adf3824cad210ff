"""Job ``supervisor_nudges``: tell each supervisor where their team stands in a 360° cycle.

Who: every active employee with a linked, reachable Telegram account who is
the direct supervisor (``Employee.supervisor_id``) of active team members
taking part as raters in an OPEN cycle whose deadline has not passed.

What, per open cycle with something left to do:

- their own reviews of their team (assignments with relation ``supervisor``)
  still to do, by name: the supervisor knows whom they rate;
- the team's completion: reviews submitted by the team members of all those
  the members were asked to give (one rate per team, never who rated whom);
- team members without a linked Telegram account (they get no reminders and
  cannot rate until they link), by name.

A supervisor whose own reviews are done and whose team has submitted
everything gets nothing.

When (local dates in TIMEZONE): weekly while a cycle is open (each 7th day
after the opening day) and daily in its last 3 days (deadline - 2 to the
deadline). The opening day is left to the opening message. As for
``review_reminders``: the "work" window, a day outside the working days moves
to the next working day, one message per supervisor per delivery day
(``supervisor_nudge:<employee id>:<date>``) listing every open cycle, and
``--force`` ignores quiet hours only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import format_day, local_day
from bot.core.i18n import Translate, gettext_for
from bot.core.settings import Settings
from scheduler.jobs.review_reminders import (
    TEXT_LIMIT,
    continue_button,
    covered_days,
    delivery,
    open_cycles,
)
from scheduler.jobs.specs import JobContext
from storage.directory import accounts_by_employee
from storage.models import Employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REMINDER
from storage.preferences import language_of
from storage.review_models import SUBMITTED, SUPERVISOR, ReviewAssignment, ReviewCycle

KIND = "supervisor_nudge"
WEEK = 7
LAST_DAYS = 3  # daily from deadline - 2 to the deadline
NAMES_LIMIT = 10
BATCH = 200


def is_nudge_day(day: date, opened: date, deadline: date) -> bool:
    """Weekly after the opening day; daily in the cycle's last 3 days."""
    if day <= opened or day > deadline:
        return False
    return (day - opened).days % WEEK == 0 or day > deadline - timedelta(days=LAST_DAYS)


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


def _names(names: list[str], _: Translate) -> str:
    shown = ", ".join(sorted(names, key=str.casefold)[:NAMES_LIMIT])
    if len(names) > NAMES_LIMIT:
        shown += " " + _("and {count} more").format(count=len(names) - NAMES_LIMIT)
    return shown


def nudge_text(_: Translate, cycles: list[TeamCycle], language: str) -> str:
    blocks = [_("360° review: how your team is doing")]
    any_unlinked = False
    for cycle in cycles:
        lines = [
            _("“{name}”, deadline {deadline}").format(
                name=cycle.name, deadline=format_day(cycle.deadline, language)
            )
        ]
        if cycle.own_pending:
            lines.append(
                _("• Your reviews of your team still to do ({count}): {names}").format(
                    count=len(cycle.own_pending), names=_names(cycle.own_pending, _)
                )
            )
        else:
            lines.append(_("• Your own reviews of your team are done."))
        if cycle.team_total:
            lines.append(
                _("• Your team has submitted {done} of {total} reviews ({percent}%).").format(
                    done=cycle.team_submitted, total=cycle.team_total, percent=cycle.percent
                )
            )
        if cycle.unlinked:
            any_unlinked = True
            lines.append(
                _("• Not yet linked to this bot ({count}): {names}").format(
                    count=len(cycle.unlinked), names=_names(cycle.unlinked, _)
                )
            )
        blocks.append("\n".join(lines))
    if any_unlinked:
        blocks.append(
            _(
                "Team members without a linked account get no reminders and cannot rate yet; "
                "they can ask HR (BKPSDM) for a link code."
            )
        )
    text = "\n\n".join(blocks)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


async def team_cycles(
    session: AsyncSession, cycles: list[ReviewCycle], settings: Settings
) -> dict[int, list[TeamCycle]]:
    """Per supervisor (employee id), their view of each open cycle their team takes part in."""
    if not cycles:
        return {}
    by_id = {cycle.id: cycle for cycle in cycles}
    cycle_ids = list(by_id)
    # Team members: active employees with a supervisor.
    members: dict[int, tuple[int, str]] = {
        emp_id: (boss_id, name)
        for emp_id, boss_id, name in await session.execute(
            select(Employee.id, Employee.supervisor_id, Employee.name).where(
                Employee.supervisor_id.is_not(None), Employee.active.is_(True)
            )
        )
    }
    # What each member was asked to give, per cycle.
    given = await session.execute(
        select(
            ReviewAssignment.rater_id,
            ReviewAssignment.cycle_id,
            func.count(ReviewAssignment.id),
            func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0)),
        )
        .where(ReviewAssignment.cycle_id.in_(cycle_ids))
        .group_by(ReviewAssignment.rater_id, ReviewAssignment.cycle_id)
    )
    views: dict[tuple[int, int], TeamCycle] = {}

    def view(boss_id: int, cycle_id: int) -> TeamCycle:
        found = views.get((boss_id, cycle_id))
        if found is None:
            cycle = by_id[cycle_id]
            found = views[(boss_id, cycle_id)] = TeamCycle(
                cycle_id,
                cycle.name,
                local_day(cycle.opened_at, settings.tz),
                cycle.deadline,
            )
        return found

    in_cycle: dict[int, set[int]] = defaultdict(set)  # cycle id -> member ids
    for rater_id, cycle_id, total, submitted in given.all():
        member = members.get(rater_id)
        if member is None:
            continue
        team = view(member[0], cycle_id)
        team.team_total += int(total)
        team.team_submitted += int(submitted or 0)
        in_cycle[cycle_id].add(rater_id)
    # The supervisor's own reviews of their team still to do.
    ratee = Employee.__table__.alias("ratee")
    own = await session.execute(
        select(ReviewAssignment.rater_id, ReviewAssignment.cycle_id, ratee.c.name)
        .join(ratee, ratee.c.id == ReviewAssignment.ratee_id)
        .where(
            ReviewAssignment.cycle_id.in_(cycle_ids),
            ReviewAssignment.relation == SUPERVISOR,
            ReviewAssignment.status != SUBMITTED,
        )
    )
    for rater_id, cycle_id, name in own.all():
        view(rater_id, cycle_id).own_pending.append(name)
    # Members taking part without a linked account.
    taking_part = sorted({m for ids in in_cycle.values() for m in ids})
    linked = await accounts_by_employee(session, taking_part)
    for cycle_id, ids in in_cycle.items():
        for member_id in ids:
            if member_id not in linked:
                boss_id, name = members[member_id]
                view(boss_id, cycle_id).unlinked.append(name)

    out: dict[int, list[TeamCycle]] = defaultdict(list)
    for (boss_id, _cycle_id), team in views.items():
        out[boss_id].append(team)
    for teams in out.values():
        teams.sort(key=lambda t: (t.deadline, t.cycle_id))
    return dict(out)


async def active_ids(session: AsyncSession, employee_ids: list[int]) -> set[int]:
    if not employee_ids:
        return set()
    rows = await session.scalars(
        select(Employee.id).where(Employee.id.in_(employee_ids), Employee.active.is_(True))
    )
    return set(rows.all())


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    send_at = delivery(ctx)
    day = send_at.astimezone(settings.tz).date()
    days = covered_days(day, settings)

    async with ctx.sessions() as session:
        cycles = await open_cycles(session, day)
        views = await team_cycles(session, cycles, settings)
        supervisors = sorted(views)
        active = await active_ids(session, supervisors)
        accounts = await accounts_by_employee(session, supervisors)

    plan: list[tuple[int, int, str, list[list[dict[str, str]]] | None]] = []
    unlinked = unreachable = 0
    for boss_id in supervisors:
        outstanding = [team for team in views[boss_id] if team.outstanding]
        if boss_id not in active or not outstanding:
            continue
        if not any(is_nudge_day(d, t.opened, t.deadline) for t in outstanding for d in days):
            continue
        account = accounts.get(boss_id)
        if account is None:
            unlinked += 1
            continue
        if not account.reachable:
            unreachable += 1
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        buttons = continue_button(_) if any(t.own_pending for t in outstanding) else None
        plan.append(
            (boss_id, account.telegram_user_id, nudge_text(_, outstanding, language), buttons)
        )

    queued = 0
    for start in range(0, len(plan), BATCH):
        async with ctx.sessions.begin() as session:
            for boss_id, chat_id, text, buttons in plan[start : start + BATCH]:
                if await enqueue(
                    session,
                    chat_id=chat_id,
                    kind=KIND,
                    text=text,
                    buttons=buttons,
                    dedupe_key=f"{KIND}:{boss_id}:{day.isoformat()}",
                    priority=PRIORITY_REMINDER,
                    not_before=send_at,
                    employee_id=boss_id,
                ):
                    queued += 1
    return (
        f"{queued} supervisor nudges queued for {day.isoformat()} "
        f"({len(plan) - queued} already queued or unreachable, {unlinked} due but not linked, "
        f"{unreachable} blocked the bot); {len(supervisors)} supervisors with a team "
        f"in {len(cycles)} open cycles"
    )
