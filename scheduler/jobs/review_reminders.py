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
queued in batches so a large roster never holds the lock for long. The queries
are ``storage/cycle_progress.py``'s, the text ``scheduler/messages/review_reminders.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.clock import local_day
from bot.core.i18n import gettext_for
from bot.core.settings import Settings, parse_weekdays
from scheduler.jobs.specs import JobContext
from scheduler.messages import review_reminders as texts
from scheduler.quiet_hours import next_allowed
from storage import cycle_progress as progress
from storage.cycle_progress import Rater
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.outbox import cancel_queued, enqueue, queued_to
from storage.outbox_models import PRIORITY_REMINDER
from storage.preferences import language_of
from storage.review_cycles import opening_key
from storage.review_models import ReviewCycle

KIND = "review_reminder"
BATCH = 200  # raters per write transaction
LAST_DAYS_BEFORE_DEADLINE = 2


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


# -- the job -------------------------------------------------------------------------------------


@dataclass
class Planned:
    """One message to queue: to whom, and what."""

    employee_id: int
    chat_id: int
    text: str
    buttons: list[list[dict[str, str]]] | None


@dataclass
class _Snapshot:
    """What a run decides on, read in one go before any write."""

    cycles: list[ReviewCycle]
    raters: dict[int, Rater]
    finished: list[int]  # waiting reminders of raters with nothing left today
    accounts: dict[int, TelegramAccount]
    opened_for: set[str]  # dedupe keys of the opening messages queued


@dataclass
class _Plan:
    messages: list[Planned] = field(default_factory=list)
    unlinked: int = 0
    unreachable: int = 0


async def run(ctx: JobContext) -> str:
    """Queue a reminder for every rater due one; cancel those no longer needed; one line."""
    send_at = delivery(ctx)
    day = local_day(send_at, ctx.settings.tz)
    days = covered_days(day, ctx.settings)
    seen = await _read(ctx, day, days)
    plan = _plan(seen, day, days, ctx.settings)
    cancelled = 0
    if seen.finished:
        async with ctx.sessions.begin() as session:
            cancelled = await cancel_queued(session, KIND, seen.finished)
    queued = await queue_planned(ctx, KIND, plan.messages, day, send_at)
    return (
        f"{queued} reminders queued for {day.isoformat()} "
        f"({len(plan.messages) - queued} already queued or unreachable, "
        f"{plan.unlinked} due but not linked, "
        f"{plan.unreachable} blocked the bot, {cancelled} cancelled as finished); "
        f"{len(seen.cycles)} open cycles, {len(seen.raters)} raters with reviews left"
    )


async def _read(ctx: JobContext, day: date, days: list[date]) -> _Snapshot:
    """Read everything first (no write lock held while deciding)."""
    settings = ctx.settings
    async with ctx.sessions() as session:
        cycles = await progress.open_cycles(session, day)
        raters = await progress.unfinished(session, cycles, settings)
        # For the cancellation: who still has something to do today.
        today_cycles = await progress.open_cycles(session, local_day(ctx.now, settings.tz))
        busy_today = set(await progress.unfinished(session, today_cycles, settings))
        finished = sorted(await queued_to(session, KIND) - busy_today)
        accounts = await accounts_by_employee(session, sorted(raters))
        opening_pairs = [
            (todo.cycle_id, rater.employee_id)
            for rater in raters.values()
            for todo in rater.todos
            if todo.opened in days
        ]
        opened_for = await progress.opening_messages(session, opening_pairs)
    return _Snapshot(cycles, raters, finished, accounts, opened_for)


def _plan(seen: _Snapshot, day: date, days: list[date], settings: Settings) -> _Plan:
    """A message for every rater due a reminder who can be reached."""
    plan = _Plan()
    for rater in seen.raters.values():
        if not _due(rater, days, seen.opened_for, settings.reminder_every_days):
            continue
        account = seen.accounts.get(rater.employee_id)
        if account is None:
            plan.unlinked += 1
            continue
        if not account.reachable:
            plan.unreachable += 1
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        plan.messages.append(
            Planned(
                rater.employee_id,
                account.telegram_user_id,
                texts.reminder_text(_, rater.todos, day, language),
                texts.continue_button(_),
            )
        )
    return plan


def _due(rater: Rater, days: list[date], opened_for: set[str], every: int) -> bool:
    """A reminder day of any of their cycles, or an opening day whose message they missed."""
    return any(
        any(is_reminder_day(d, todo.opened, todo.deadline, every) for d in days)
        or (todo.opened in days and opening_key(todo.cycle_id, rater.employee_id) not in opened_for)
        for todo in rater.todos
    )


async def queue_planned(
    ctx: JobContext, kind: str, planned: list[Planned], day: date, send_at: datetime
) -> int:
    """Queue the day's messages in batches (dedupe key ``<kind>:<employee id>:<day>``)."""
    queued = 0
    for start in range(0, len(planned), BATCH):
        async with ctx.sessions.begin() as session:
            for item in planned[start : start + BATCH]:
                if await enqueue(
                    session,
                    chat_id=item.chat_id,
                    kind=kind,
                    text=item.text,
                    buttons=item.buttons,
                    dedupe_key=f"{kind}:{item.employee_id}:{day.isoformat()}",
                    priority=PRIORITY_REMINDER,
                    not_before=send_at,
                    employee_id=item.employee_id,
                ):
                    queued += 1
    return queued
