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

Development plans waiting for their approval are in the same message (names
only, never a plan's text), on the 3rd day after submission, the day before
and the day of the due date (submission + DEVELOPMENT_APPROVAL_DAYS), and
weekly after it while the plan still waits (`is_plan_nudge_day`).

When (local dates in TIMEZONE): weekly while a cycle is open (each 7th day
after the opening day) and daily in its last 3 days (deadline - 2 to the
deadline). The opening day is left to the opening message. As for
``review_reminders``: the "work" window, a day outside the working days moves
to the next working day, one message per supervisor per delivery day
(``supervisor_nudge:<employee id>:<date>``) listing every open cycle, and
``--force`` ignores quiet hours only. The queries are
``storage/cycle_progress.py``'s, the text ``scheduler/messages/supervisor_nudges.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.clock import local_day
from bot.core.i18n import Translate, gettext_for
from bot.core.settings import Settings
from scheduler.development import approval_day
from scheduler.jobs.review_reminders import Planned, covered_days, delivery, queue_planned
from scheduler.jobs.specs import JobContext
from scheduler.messages import development as plan_texts
from scheduler.messages import review_reminders as reminder_texts
from scheduler.messages import supervisor_nudges as texts
from storage import cycle_progress as progress
from storage import development_plans as plans
from storage.cycle_progress import TeamCycle
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.preferences import language_of

KIND = "supervisor_nudge"
WEEK = 7
LAST_DAYS = 3  # daily from deadline - 2 to the deadline


PLAN_FIRST_NUDGE = 3  # days after a plan's submission


@dataclass(frozen=True)
class WaitingPlan:
    name: str
    submitted: date
    due: date


def is_plan_nudge_day(day: date, submitted: date, due: date) -> bool:
    """The 3rd day after submission, the day before and the day of the due date, then weekly."""
    if day <= submitted:
        return False
    if (day - submitted).days == PLAN_FIRST_NUDGE or due - timedelta(days=1) <= day <= due:
        return True
    return day > due and (day - due).days % WEEK == 0


def is_nudge_day(day: date, opened: date, deadline: date) -> bool:
    """Weekly after the opening day; daily in the cycle's last 3 days."""
    if day <= opened or day > deadline:
        return False
    return (day - opened).days % WEEK == 0 or day > deadline - timedelta(days=LAST_DAYS)


@dataclass
class _Snapshot:
    """What a run decides on, read in one go before any write."""

    open_cycles: int  # how many
    views: dict[int, list[TeamCycle]]  # per supervisor
    waiting: dict[int, list[WaitingPlan]]  # plans waiting for approval, per supervisor
    active: set[int]
    accounts: dict[int, TelegramAccount]


async def run(ctx: JobContext) -> str:
    """Queue a nudge for every supervisor due one; a one-line summary."""
    settings = ctx.settings
    send_at = delivery(ctx)
    day = local_day(send_at, settings.tz)
    async with ctx.sessions() as session:
        cycles = await progress.open_cycles(session, day)
        views = await progress.team_cycles(session, cycles, settings)
        waiting = _waiting(await plans.waiting_plans(session), settings)
        supervisors = sorted(set(views) | set(waiting))
        active = await progress.active_ids(session, supervisors)
        accounts = await accounts_by_employee(session, supervisors)
    seen = _Snapshot(len(cycles), views, waiting, active, accounts)
    plan, unlinked, unreachable = _plan(seen, covered_days(day, settings), settings)
    queued = await queue_planned(ctx, KIND, plan, day, send_at)
    return (
        f"{queued} supervisor nudges queued for {day.isoformat()} "
        f"({len(plan) - queued} already queued or unreachable, {unlinked} due but not linked, "
        f"{unreachable} blocked the bot); {len(supervisors)} supervisors with a team "
        f"in {seen.open_cycles} open cycles"
    )


def _waiting(found: list[plans.Waiting], settings: Settings) -> dict[int, list[WaitingPlan]]:
    out: dict[int, list[WaitingPlan]] = {}
    for item in found:
        submitted = local_day(item.submitted_at, settings.tz)
        due = approval_day(submitted, settings)
        out.setdefault(item.supervisor_id, []).append(
            WaitingPlan(item.employee_name, submitted, due)
        )
    return out


def _plans_block(_: Translate, waiting: list[WaitingPlan], days: list[date]) -> str | None:
    """The waiting plans' block when one of them is due a nudge on ``days``, else None."""
    if not any(is_plan_nudge_day(d, w.submitted, w.due) for w in waiting for d in days):
        return None
    overdue = sum(1 for w in waiting if days[-1] > w.due)
    return plan_texts.waiting_plans_text(_, [w.name for w in waiting], overdue)


def _plan(seen: _Snapshot, days: list[date], settings: Settings) -> tuple[list[Planned], int, int]:
    """(a message for every supervisor due a nudge, how many not linked, how many blocked)."""
    plan: list[Planned] = []
    unlinked = unreachable = 0
    for boss_id in sorted(set(seen.views) | set(seen.waiting)):
        outstanding = [team for team in seen.views.get(boss_id, []) if team.outstanding]
        if boss_id not in seen.active:
            continue
        cycles_due = any(is_nudge_day(d, t.opened, t.deadline) for t in outstanding for d in days)
        waiting = seen.waiting.get(boss_id, [])
        if not cycles_due and not any(
            is_plan_nudge_day(d, w.submitted, w.due) for w in waiting for d in days
        ):
            continue
        account = seen.accounts.get(boss_id)
        if account is None:
            unlinked += 1
            continue
        if not account.reachable:
            unreachable += 1
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        own = cycles_due and any(t.own_pending for t in outstanding)
        buttons = reminder_texts.continue_button(_) if own else None
        blocks = [texts.nudge_text(_, outstanding, language)] if cycles_due else []
        block = _plans_block(_, waiting, days)
        if block:
            blocks.append(block)
        text = "\n\n".join(blocks)[: reminder_texts.TEXT_LIMIT]
        plan.append(Planned(boss_id, account.telegram_user_id, text, buttons))
    return plan, unlinked, unreachable
