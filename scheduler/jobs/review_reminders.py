"""Job ``review_reminders``: remind raters of their unfinished 360° reviews.

Who: every active rater with a linked, reachable Telegram account and at least
one assignment not yet submitted (pending or in progress) in an OPEN cycle
whose deadline has not passed. Someone who has finished everything gets
nothing; raters without a linked account cannot be reached (``cycle status``
lists them for HR); an account that blocked the bot is skipped.

When (local dates in TIMEZONE, the usual 360° cadence; domain/kinerja.md):

- the opening day is covered by the opening message ``open_cycle`` queues
  (kind ``cycle_open``), so day 0 gets no second message, except for a rater
  who did not get that message (linked the account later that day);
- then every ``REMINDER_EVERY_DAYS`` days after the opening day;
- 2 days before the deadline, and on the deadline day.

Reminders go out in the "work" window (working days, working hours): a run
outside it queues with ``not_before`` = the window's next opening, and the
reminder is *for that day*. A reminder day that falls outside the working
days (a Saturday) is therefore delivered on the next working day, and the
dedupe key ``review_reminder:<employee id>:<delivery date>`` keeps it to one
message per rater per day across all their cycles, however often the job runs.
One message lists every open cycle with unfinished reviews, with a "Continue
rating" button (``rv:list``, the rater's list of reviews).

A reminder still waiting for its window when the rater finishes is cancelled
by the next run (the job runs daily, weekends included, by default).

``--force`` ignores quiet hours only: the message goes out now, dated today.
The cadence and the one-a-day rule still hold, so a forced run never reminds
someone who is not due (an operator catching up after an outage, not a
broadcast).

Every database read happens before the writes, and each write transaction
starts with a write (SQLite's lock; see ``storage/outbox.py``); messages are
queued in batches so a large roster never holds the lock for long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import format_day, local_day
from bot.core.i18n import Translate, gettext_for
from bot.core.settings import Settings, parse_weekdays
from scheduler.jobs.specs import JobContext
from scheduler.messages.cycles import START_RATING_CALLBACK
from scheduler.quiet_hours import next_allowed
from storage.directory import accounts_by_employee
from storage.models import Employee
from storage.outbox import enqueue
from storage.outbox_models import CANCELLED, PRIORITY_REMINDER, QUEUED, OutboxMessage
from storage.preferences import language_of
from storage.review_cycles import opening_key
from storage.review_models import OPEN, SELF, SUBMITTED, ReviewAssignment, ReviewCycle

KIND = "review_reminder"
BATCH = 200  # raters per write transaction
LAST_DAYS_BEFORE_DEADLINE = 2
TEXT_LIMIT = 4000  # Telegram allows 4096 characters


# -- cadence (pure) ------------------------------------------------------------------------


def delivery(ctx: JobContext, window: str = "work") -> datetime:
    """When this run's messages may go out: now with ``--force``, else the window's next opening."""
    if ctx.force:
        return ctx.now
    return next_allowed(ctx.now, window, ctx.settings)  # type: ignore[arg-type]


def covered_days(day: date, settings: Settings) -> list[date]:
    """The days a message delivered on ``day`` speaks for.

    A delivery day stands for itself and the non-working days just before it
    (Monday for Saturday, Sunday and Monday), so a reminder day on a weekend
    moves to the next working day instead of being lost.
    """
    work_days = parse_weekdays(settings.work_days)
    days = [day]
    probe = day - timedelta(days=1)
    for _ in range(7):
        if probe.isoweekday() in work_days:
            break
        days.append(probe)
        probe -= timedelta(days=1)
    return sorted(days)


def is_reminder_day(day: date, opened: date, deadline: date, every_days: int) -> bool:
    """A reminder day after the opening day: every N days, 2 days before, the deadline."""
    if day <= opened or day > deadline:
        return False
    return (
        (day - opened).days % every_days == 0
        or day == deadline - timedelta(days=LAST_DAYS_BEFORE_DEADLINE)
        or day == deadline
    )


# -- what is left to do ----------------------------------------------------------------------


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


async def queued_to(session: AsyncSession, kind: str) -> set[int]:
    """Employees with a message of ``kind`` still waiting in the outbox."""
    rows = await session.scalars(
        select(OutboxMessage.employee_id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.status == QUEUED,
            OutboxMessage.employee_id.is_not(None),
        )
        .distinct()
    )
    return {int(employee_id) for employee_id in rows.all()}


async def cancel_queued(session: AsyncSession, kind: str, employee_ids: Sequence[int]) -> int:
    """Cancel the waiting messages of ``kind`` to these employees (nothing left to do)."""
    cancelled = 0
    for start in range(0, len(employee_ids), 500):
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.kind == kind,
                OutboxMessage.status == QUEUED,
                OutboxMessage.employee_id.in_(list(employee_ids[start : start + 500])),
            )
            .values(status=CANCELLED, last_error="nothing left to do when its window opened")
            .execution_options(synchronize_session=False)
        )
        cancelled += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return cancelled


# -- the message -------------------------------------------------------------------------------


def remaining_phrase(_: Translate, colleagues: int, self_review: bool) -> str:
    if colleagues > 1 and self_review:
        return _("{count} colleagues and your self-assessment").format(count=colleagues)
    if colleagues > 1:
        return _("{count} colleagues").format(count=colleagues)
    if colleagues == 1 and self_review:
        return _("1 colleague and your self-assessment")
    if colleagues == 1:
        return _("1 colleague")
    return _("your self-assessment")


def deadline_line(_: Translate, deadline: date, day: date, language: str) -> str:
    when = format_day(deadline, language)
    left = (deadline - day).days
    if left <= 0:
        return _("Today, {deadline}, is the last day.").format(deadline=when)
    if left == 1:
        return _("The deadline is tomorrow, {deadline}.").format(deadline=when)
    return _("Please finish by {deadline} ({days} days left).").format(deadline=when, days=left)


def reminder_text(_: Translate, todos: Sequence[Todo], day: date, language: str) -> str:
    """The reminder: what is left in each open cycle and by when."""
    if len(todos) == 1:
        todo = todos[0]
        parts = [
            _("Reminder: the 360° review “{name}” is still waiting for you.").format(
                name=todo.name
            ),
            _("Still to rate: {what}.").format(
                what=remaining_phrase(_, todo.colleagues, todo.self_review)
            ),
            deadline_line(_, todo.deadline, day, language),
        ]
        return "\n\n".join(parts)
    lines = [_("Reminder: your 360° reviews are still waiting for you."), ""]
    for todo in todos:
        lines.append(
            _("• “{name}”: {what}; deadline {deadline}").format(
                name=todo.name,
                what=remaining_phrase(_, todo.colleagues, todo.self_review),
                deadline=format_day(todo.deadline, language),
            )
        )
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def continue_button(_: Translate) -> list[list[dict[str, str]]]:
    return [[{"text": _("Continue rating"), "callback_data": START_RATING_CALLBACK}]]


# -- the job -------------------------------------------------------------------------------------


@dataclass
class Planned:
    employee_id: int
    chat_id: int
    text: str
    buttons: list[list[dict[str, str]]]


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    send_at = delivery(ctx)
    day = send_at.astimezone(settings.tz).date()
    days = covered_days(day, settings)
    every = settings.reminder_every_days

    # Read everything first (no write lock held while deciding).
    async with ctx.sessions() as session:
        cycles = await open_cycles(session, day)
        raters = await unfinished(session, cycles, settings)
        # For the cancellation: who still has something to do today.
        today_cycles = await open_cycles(session, local_day(ctx.now, settings.tz))
        busy_today = set(await unfinished(session, today_cycles, settings))
        finished = sorted(await queued_to(session, KIND) - busy_today)
        accounts = await accounts_by_employee(session, sorted(raters))
        opening_pairs = [
            (todo.cycle_id, rater.employee_id)
            for rater in raters.values()
            for todo in rater.todos
            if todo.opened in days
        ]
        opened_for = await opening_messages(session, opening_pairs)

    plan: list[Planned] = []
    unlinked = unreachable = 0
    for rater in raters.values():
        due = any(
            any(is_reminder_day(d, todo.opened, todo.deadline, every) for d in days)
            or (
                todo.opened in days
                and opening_key(todo.cycle_id, rater.employee_id) not in opened_for
            )
            for todo in rater.todos
        )
        if not due:
            continue
        account = accounts.get(rater.employee_id)
        if account is None:
            unlinked += 1
            continue
        if not account.reachable:
            unreachable += 1
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        plan.append(
            Planned(
                rater.employee_id,
                account.telegram_user_id,
                reminder_text(_, rater.todos, day, language),
                continue_button(_),
            )
        )

    cancelled = 0
    if finished:
        async with ctx.sessions.begin() as session:
            cancelled = await cancel_queued(session, KIND, finished)
    queued = 0
    for start in range(0, len(plan), BATCH):
        async with ctx.sessions.begin() as session:
            for item in plan[start : start + BATCH]:
                if await enqueue(
                    session,
                    chat_id=item.chat_id,
                    kind=KIND,
                    text=item.text,
                    buttons=item.buttons,
                    dedupe_key=f"{KIND}:{item.employee_id}:{day.isoformat()}",
                    priority=PRIORITY_REMINDER,
                    not_before=send_at,
                    employee_id=item.employee_id,
                ):
                    queued += 1
    return (
        f"{queued} reminders queued for {day.isoformat()} "
        f"({len(plan) - queued} already queued or unreachable, {unlinked} due but not linked, "
        f"{unreachable} blocked the bot, {cancelled} cancelled as finished); "
        f"{len(cycles)} open cycles, {len(raters)} raters with reviews left"
    )
