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
``--force`` ignores quiet hours only. The queries are
``storage/cycle_progress.py``'s, the text ``scheduler/messages/supervisor_nudges.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.clock import local_day
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.jobs.review_reminders import Planned, covered_days, delivery, queue_planned
from scheduler.jobs.specs import JobContext
from scheduler.messages import review_reminders as reminder_texts
from scheduler.messages import supervisor_nudges as texts
from storage import cycle_progress as progress
from storage.cycle_progress import TeamCycle
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.preferences import language_of

KIND = "supervisor_nudge"
WEEK = 7
LAST_DAYS = 3  # daily from deadline - 2 to the deadline


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
        supervisors = sorted(views)
        active = await progress.active_ids(session, supervisors)
        accounts = await accounts_by_employee(session, supervisors)
    seen = _Snapshot(len(cycles), views, active, accounts)
    plan, unlinked, unreachable = _plan(seen, covered_days(day, settings), settings)
    queued = await queue_planned(ctx, KIND, plan, day, send_at)
    return (
        f"{queued} supervisor nudges queued for {day.isoformat()} "
        f"({len(plan) - queued} already queued or unreachable, {unlinked} due but not linked, "
        f"{unreachable} blocked the bot); {len(supervisors)} supervisors with a team "
        f"in {seen.open_cycles} open cycles"
    )


def _plan(seen: _Snapshot, days: list[date], settings: Settings) -> tuple[list[Planned], int, int]:
    """(a message for every supervisor due a nudge, how many not linked, how many blocked)."""
    plan: list[Planned] = []
    unlinked = unreachable = 0
    for boss_id in sorted(seen.views):
        outstanding = [team for team in seen.views[boss_id] if team.outstanding]
        if boss_id not in seen.active or not outstanding:
            continue
        if not any(is_nudge_day(d, t.opened, t.deadline) for t in outstanding for d in days):
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
        own = any(t.own_pending for t in outstanding)
        buttons = reminder_texts.continue_button(_) if own else None
        text = texts.nudge_text(_, outstanding, language)
        plan.append(Planned(boss_id, account.telegram_user_id, text, buttons))
    return plan, unlinked, unreachable
