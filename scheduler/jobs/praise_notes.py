"""Job ``praise_notes``: once a day, the praise citizens gave an officer reaches them and
their supervisor.

Praise is a survey with every answer at 4 and a comment, at a QR code that
names an officer (`scheduler.scoring.alert_rules.is_praise`; such a survey is
not sent to the unit as a comment note). This job runs daily (10:00) on
working days (``WORK_DAYS``: on other days it does nothing, so a weekend's
praise arrives in Monday's note), takes the praise submitted since its last
run (a watermark, with an overlap, as the alert job keeps one; the first run
ever looks back a week), and sends:

- each praised officer with a linked account one note with their praise;
- each such officer's supervisor (linked) one note with their team's praise.

One message per recipient and run (``scheduler/messages/praise.py``: masked,
shuffled, never a date or time); kind ``praise_note``, `PRIORITY_NOTICE`, the
"work" window. A recipient who muted praise (``/pengaturan``) gets nothing.
Each response is marked noted (`storage.praise.mark_noted`) in the same
transaction as the messages, so a second run sends nothing again; praise is
counted per officer and month from the responses themselves
(`storage.praise.monthly_counts`), whether or not anyone was told.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.settings import parse_weekdays
from scheduler.jobs.specs import JobContext
from scheduler.messages.praise import Praise, officer_text, supervisor_text
from scheduler.quiet_hours import next_allowed
from storage import mutes, praise
from storage import survey_alerts as watermarks
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE
from storage.preferences import language_of

JOB_NAME = "praise_notes"
KIND = "praise_note"
OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=7)  # a week: the first run may come after a weekend


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    today = local_day(ctx.now, settings.tz)
    if not ctx.force and today.isoweekday() not in parse_weekdays(settings.work_days):
        return "not a working day: today's praise waits for the next one"
    async with ctx.sessions() as session:
        mark = await watermarks.read_watermark(session, JOB_NAME)
        since = mark - OVERLAP if mark is not None else ctx.now - FIRST_RUN_LOOKBACK
        latest = await watermarks.latest_submission(session, since)
    not_before = None if ctx.force else next_allowed(ctx.now, "work", settings)
    async with ctx.sessions.begin() as session:
        noted = await _note(session, ctx, since)
        queued = await _send(session, ctx, noted, not_before)
        if latest is not None and (mark is None or latest > mark):
            await watermarks.write_watermark(session, latest, JOB_NAME)
    officers = len({p.officer_id for p in noted})
    return f"{len(noted)} praise(s) for {officers} officer(s), {queued} message(s) queued"


async def _note(session: AsyncSession, ctx: JobContext, since: datetime) -> list[Praise]:
    """Mark the pending praise noted (writes first); what was marked now."""
    found = []
    for response in await praise.pending(session, since):
        officer_id = response.employee_id
        if officer_id is None:
            continue
        if await praise.mark_noted(session, response.id, officer_id, ctx.now):
            found.append(
                Praise(response.id, officer_id, response.service.name, response.comment or "")
            )
    return found


async def _send(
    session: AsyncSession, ctx: JobContext, noted: list[Praise], not_before: datetime | None
) -> int:
    """One note per officer and one per supervisor; how many were queued."""
    if not noted:
        return 0
    by_officer: dict[int, list[Praise]] = defaultdict(list)
    for item in noted:
        by_officer[item.officer_id].append(item)
    people = await praise.officers(session, list(by_officer))
    supervisors = {p.supervisor_id for p in people.values() if p.supervisor_id is not None}
    accounts = await accounts_by_employee(session, [*by_officer, *supervisors])
    muted = await mutes.muted_chats(
        session, mutes.PRAISE, [a.telegram_user_id for a in accounts.values()]
    )
    month = await praise.monthly_counts(
        session, local_day(ctx.now, ctx.settings.tz), ctx.settings.tz, list(by_officer)
    )
    queued = 0
    teams: dict[int, dict[str, list[Praise]]] = defaultdict(dict)
    for officer_id, items in by_officer.items():
        person = people.get(officer_id)
        if person is not None and person.supervisor_id is not None:
            teams[person.supervisor_id][person.name] = items
        account = accounts.get(officer_id)
        if account is not None and account.telegram_user_id not in muted:
            language = language_of(account, ctx.settings)
            text = officer_text(items, month.get(officer_id, len(items)), language)
            queued += await _enqueue(session, ctx, account, text, items, not_before)
    for supervisor_id, team in teams.items():
        account = accounts.get(supervisor_id)
        if account is not None and account.telegram_user_id not in muted:
            text = supervisor_text(team, language_of(account, ctx.settings))
            items = [p for members in team.values() for p in members]
            queued += await _enqueue(session, ctx, account, text, items, not_before)
    return queued


async def _enqueue(
    session: AsyncSession,
    ctx: JobContext,
    account: TelegramAccount,
    text: str,
    items: list[Praise],
    not_before: datetime | None,
) -> int:
    # The key names the run's day and what it carries (never a response id in clear).
    carried = ",".join(str(p.response_id) for p in sorted(items, key=lambda p: p.response_id))
    digest = hashlib.sha256(carried.encode()).hexdigest()[:16]
    day = local_day(ctx.now, ctx.settings.tz).isoformat()
    added = await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=KIND,
        text=text,
        dedupe_key=f"praise:{day}:{account.telegram_user_id}:{digest}",
        priority=PRIORITY_NOTICE,
        not_before=not_before,
        employee_id=account.employee_id,
        now=ctx.now,
    )
    return int(added)
