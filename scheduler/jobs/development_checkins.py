"""Job ``development_checkins``: once a month, one tap on how an approved plan is going.

Who: the owner (with a linked account) of every APPROVED development plan that
is not finished (no check-in answered "selesai"), from the month after the
approval until the month after the plan's target date.

What: "Monthly check-in of your development plan" with three buttons (belum /
berjalan / selesai; ``handlers/development_review.py`` stores the tap, then an
optional typed note). The month's row (`storage.development_plans.ask_checkin`)
is written with the message, so a second run in the same month queues
nothing (and the outbox's dedupe key ``development_checkin:<plan>:<yyyymm>``
agrees). Runs daily in the "work" window; the first run of a month asks.
"""

from __future__ import annotations

from datetime import date, tzinfo

from bot.core.clock import first_of_month, local_day, next_month
from bot.core.i18n import gettext_for
from scheduler.development import CHECKIN_KIND, instrument_of_plan, recipient
from scheduler.jobs.review_reminders import delivery
from scheduler.jobs.specs import JobContext
from scheduler.messages import development as texts
from storage import development_plans as plans
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REMINDER


def is_checkin_due(candidate: plans.CheckinCandidate, month: date, tz: tzinfo) -> bool:
    """Not finished, not asked this month, after the approval's month, and no later than
    the month after the target date's."""
    if candidate.done or candidate.asked:
        return False
    if month <= first_of_month(local_day(candidate.approved_at, tz)):
        return False
    target = candidate.target_date
    return target is None or month <= next_month(first_of_month(target))


async def run(ctx: JobContext) -> str:
    """Ask every due plan's owner this month's check-in; a one-line summary."""
    settings = ctx.settings
    send_at = delivery(ctx)
    month = first_of_month(local_day(send_at, settings.tz))
    queued = unlinked = 0
    async with ctx.sessions.begin() as session:
        candidates = await plans.checkin_candidates(session, month)
        due = [c for c in candidates if is_checkin_due(c, month, settings.tz)]
        for candidate in due:
            found = await recipient(session, candidate.employee_id, settings)
            if found is None:
                unlinked += 1
                continue
            if not await plans.ask_checkin(session, candidate.plan_id, month, ctx.now):
                continue
            account, language = found
            _ = gettext_for(language)
            plan = await plans.plan_by_id(session, candidate.plan_id)
            assert plan is not None
            view = await plans.view_of(session, plan, plans.Reader.OWNER)
            queued += await enqueue(
                session,
                chat_id=account.telegram_user_id,
                kind=CHECKIN_KIND,
                text=texts.checkin_text(view, instrument_of_plan(view), _, language),
                buttons=texts.checkin_buttons(_, candidate.token, month),
                dedupe_key=f"{CHECKIN_KIND}:{candidate.plan_id}:{texts.month_code(month)}",
                priority=PRIORITY_REMINDER,
                not_before=send_at,
                employee_id=candidate.employee_id,
            )
    return (
        f"{queued} development check-ins queued for {month:%Y-%m} "
        f"({len(due)} due, {unlinked} not linked); {len(candidates)} approved plans"
    )
