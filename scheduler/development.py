"""Development plans (IDP) after a 360° cycle: the invitation at close.

`invite_after_close` runs inside the cycle's close (``scheduler/cycles.py``,
the caller's transaction): every ratee whose results released a figure
("others" or the supervisor's) gets a draft plan with the bot's suggestion
already chosen (`scheduler.scoring.development_focus.suggest_focus`), and a
ratee with a linked account gets "Choose your development focus" (outbox
kind ``development_invite``, one per cycle and ratee). The plan's approver is
the holder of the cycle's supervisor assignment, else the roster's supervisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages import development as texts
from scheduler.scoring.development_focus import suggest_focus
from storage import development_plans as plans
from storage.development_models import SUBMITTED, DevelopmentPlan
from storage.directory import accounts_by_employee
from storage.models import Employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_results import RateeResults

INVITE_KIND = "development_invite"


async def _roster_supervisors(session: AsyncSession, ids: Sequence[int]) -> dict[int, int | None]:
    rows = await session.execute(
        select(Employee.id, Employee.supervisor_id).where(Employee.id.in_(list(ids)))
    )
    return {int(e): (int(s) if s is not None else None) for e, s in rows.all()}


async def invite_after_close(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    results: Sequence[RateeResults],
    now: datetime,
) -> int:
    """Draft plans for every ratee with results; invitations queued (how many new)."""
    with_results = [r for r in results if r.overall is not None]
    if not with_results:
        return 0
    roster = await _roster_supervisors(session, [r.ratee.id for r in with_results])
    new = [
        plans.NewPlan(
            employee_id=r.ratee.id,
            supervisor_id=r.supervisor_id or roster.get(r.ratee.id),
            suggested=suggest_focus(r.result, r.instrument),
        )
        for r in with_results
    ]
    tokens = await plans.create_drafts(session, cycle_id, new, now)
    accounts = await accounts_by_employee(session, [r.ratee.id for r in with_results])
    queued = 0
    for item, plan in zip(with_results, new, strict=True):
        account = accounts.get(item.ratee.id)
        if account is None:
            continue
        _ = gettext_for(language_of(account, settings))
        names = [texts.value_name(item.instrument, code, _) for code in plan.suggested]
        queued += await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=INVITE_KIND,
            text=texts.invite_text(_, item.cycle.name, names),
            buttons=texts.open_button(_, tokens[item.ratee.id]),
            dedupe_key=f"{INVITE_KIND}:{cycle_id}:{item.ratee.id}",
            priority=PRIORITY_REPORT,
            employee_id=item.ratee.id,
            now=now,
        )
    return queued


async def submit_plan(
    session: AsyncSession, plan: DevelopmentPlan, settings: Settings, now: datetime
) -> None:
    """Store a complete draft as submitted (a new revision) for the supervisor's approval."""
    plan.status = SUBMITTED
    plan.revision += 1
    plan.submitted_at = now
    plan.updated_at = now
    await session.flush()
