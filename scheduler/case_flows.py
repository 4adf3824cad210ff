"""The use cases of a case that a person drives from ``/kasus``: mark it "being handled",
hand it to a staff member (who is told), resolve it with a line.

Each runs inside the caller's transaction and returns an `Outcome`: ``ok``,
``stale`` (the case changed since the view the person pressed on: another
admin acted, a double tap, an older message) or ``not_staff`` (the chosen
employee may not own it). Who may act at all is checked by the handler with
`storage.case_access` before calling.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.messages import cases as texts
from scheduler.quiet_hours import next_allowed
from storage import case_access, case_queries, cases
from storage.case_queries import CaseView
from storage.directory import accounts_by_employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_ALERT
from storage.preferences import language_of

HANDED_KIND = "case_handover"


class Outcome(Enum):
    OK = "ok"
    STALE = "stale"
    NOT_STAFF = "not_staff"


async def mark_handling(
    session: AsyncSession, view: CaseView, employee_id: int | None, now: datetime
) -> Outcome:
    changed = await cases.mark_handling(session, view.id, view.version, employee_id, now)
    return Outcome.OK if changed else Outcome.STALE


async def resolve(
    session: AsyncSession, view: CaseView, line: str, employee_id: int | None, now: datetime
) -> Outcome:
    changed = await cases.resolve(session, view.id, view.version, line, employee_id, now)
    return Outcome.OK if changed else Outcome.STALE


async def hand_over(
    session: AsyncSession,
    settings: Settings,
    view: CaseView,
    to_employee_id: int,
    employee_id: int | None,
    now: datetime,
) -> Outcome:
    """Give the case to ``to_employee_id`` and queue a message telling them (with a
    button that opens it), in the alert window."""
    if not await case_access.may_own(session, view.responsible_unit_id, to_employee_id):
        return Outcome.NOT_STAFF
    if not await cases.hand_over(session, view.id, view.version, to_employee_id, employee_id, now):
        return Outcome.STALE
    fresh = await case_queries.case_by_id(session, view.id)
    account = (await accounts_by_employee(session, [to_employee_id])).get(to_employee_id)
    if fresh is None or account is None:
        return Outcome.OK  # may_own checked the account; a race with an unlink is harmless
    language = language_of(account, settings)
    await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=HANDED_KIND,
        text=texts.handed_text(fresh, settings, language, now),
        buttons=[[texts.open_button(fresh.token, fresh.version, language)]],
        dedupe_key=f"case:{view.id}:handed:{fresh.version}",
        priority=PRIORITY_ALERT,
        not_before=next_allowed(now, "alerts", settings),
        employee_id=to_employee_id,
        now=now,
    )
    return Outcome.OK
