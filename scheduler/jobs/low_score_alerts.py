"""Job ``low_score_alerts``: tell the unit head at once about an unhappy citizen, and open
a case when it needs action.

Which surveys alert is `scheduler.scoring.alert_rules` (a low mean, an unsur at
1, a levy on a free service, a comment); who hears of it and how alerts are
stored is `storage.survey_alerts` (the unit's linked head or the nearest one
above, and that unit's admins); the text is ``scheduler/messages/alerts.py``.

Each such response gets one `SurveyAlert` row (its reasons and a random token)
and, in the same transaction, a case when it needs action (a low mean, an
unsur at 1, a levy: `storage.cases.open_case`, owned by that head, with its
first-response target) and one outbox message (kind ``low_score_alert``,
`PRIORITY_ALERT`, dedupe key ``alert:<response id>:<chat id>``) per recipient,
in the recipient's language, with an "Open the case" button. A comment alone on
an otherwise good survey is a note without a case; praise (every answer 4, a
comment, an officer named) is left to the daily praise notes.

Mutes (``/pengaturan``, `storage.mutes`): a unit admin who muted cases, or anyone
who muted comment notes, is not told; the head who will own the case always is.

Quiet hours: ``not_before`` is the next moment in the "alerts" window (07:00–21:00
every day), unless ``--force``.

Incremental and idempotent: a run looks at responses submitted since the
watermark minus `OVERLAP` (a survey stamped just before another but committed
just after it is not skipped) that have no alert row yet. Inserting the alert
row first makes the scheduled run and the immediate run after a submission
(``scheduler/alert_trigger.py``) never alert twice. The first run ever looks
back `FIRST_RUN_LOOKBACK` only, so installing the job does not flood heads with
last year's comments. The watermark moves only when no alert failed.

"Balas" (Reply): when the citizen agreed to be contacted (``contact_ok`` and a
``contact_chat_id``), each alert has a button ``al:<alert token>:reply``;
``handlers/alerts.py`` relays the head's reply to the citizen and the citizen's
one answer back (``scheduler/alert_relay.py``). Neither side ever sees the
other's Telegram identity: everything goes by alert token and response, and
the citizen reads "the service unit".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.jobs.specs import JobContext
from scheduler.messages import alerts as texts
from scheduler.messages import cases as case_texts
from scheduler.quiet_hours import next_allowed
from scheduler.scoring import case_rules
from scheduler.scoring.alert_rules import is_praise, opens_case, reasons_for
from storage import cases, mutes
from storage import survey_alerts as stored
from storage.crypto import new_token
from storage.directory import LinkedHead, nearest_linked_head
from storage.models import Employee
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_ALERT
from storage.survey_alerts import Recipient
from storage.survey_models import SurveyResponse

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=1)


@dataclass
class _Plan:
    response_id: int
    unit_id: int
    reasons: tuple[str, ...]
    contact: bool
    opens_case: bool
    head: LinkedHead | None  # the case's owner, when it opens one
    messages: list[tuple[Recipient, str]]


@dataclass
class _Tally:
    alerts: int = 0
    cases: int = 0
    queued: int = 0
    unaddressed: int = 0
    failed: int = 0

    def summary(self) -> str:
        text = f"{self.alerts} alert(s), {self.queued} message(s) queued"
        if self.cases:
            text += f", {self.cases} case(s) opened"
        if self.unaddressed:
            text += f", {self.unaddressed} without a recipient"
        if self.failed:
            text += f", {self.failed} failed (retried next run)"
        return text


async def run(ctx: JobContext) -> str:
    """Alert on the responses submitted since the last run; a one-line summary."""
    # Read everything first in one snapshot; then one short write transaction per
    # alert that begins with its insert (SQLite: no read-to-write upgrade to fail).
    mark, latest, plans = await _read(ctx)
    not_before = None if ctx.force else next_allowed(ctx.now, "alerts", ctx.settings)
    tally = _Tally()
    for plan in plans:
        try:
            await _alert(ctx, plan, not_before, tally)
        except Exception:  # one bad row must not hold back the others; retried next run
            tally.failed += 1
            log.exception("low_score_alerts: could not alert response %s", plan.response_id)
    if not tally.failed and latest is not None and (mark is None or latest > mark):
        async with ctx.sessions.begin() as session:
            await stored.write_watermark(session, latest)
    return tally.summary()


async def _read(ctx: JobContext) -> tuple[datetime | None, datetime | None, list[_Plan]]:
    """(watermark, latest submission since, what to alert) in one read snapshot."""
    settings = ctx.settings
    async with ctx.sessions() as session:
        mark = await stored.read_watermark(session)
        since = mark - OVERLAP if mark is not None else ctx.now - FIRST_RUN_LOOKBACK
        latest = await stored.latest_submission(session, since)
        calendar = await cases.working_days(session, settings)
        due_day, _due, _twice = case_rules.targets(
            ctx.now, settings.tz, settings.case_first_response_days, calendar
        )
        plans: list[_Plan] = []
        pending = await stored.pending_responses(session, since, settings.low_score_threshold)
        for response in pending:
            plan = await _plan(session, settings, response, due_day)
            if plan is not None:
                plans.append(plan)
    return mark, latest, plans


async def _plan(
    session: AsyncSession, settings: Settings, response: SurveyResponse, due_day: date
) -> _Plan | None:
    """What one response raises: a case or a comment note, and the text for each
    recipient who did not mute it; None when it raises nothing here."""
    answers = response.answers()
    if is_praise(answers, response.comment, officer_named=response.employee_id is not None):
        return None  # the daily praise notes carry it to the officer (jobs/praise_notes.py)
    reasons = reasons_for(
        answers,
        response.comment,
        free=response.service.free,
        threshold=settings.low_score_threshold,
    )
    if not reasons:  # the SQL rule and the Python rule agree; this is a guard
        return None
    unit_id = response.service.unit_id
    with_case = opens_case(reasons)
    head = await nearest_linked_head(session, unit_id) if with_case else None
    owner = await session.get(Employee, head.employee_id) if head is not None else None
    recipients = await stored.recipients_for(session, settings, unit_id)
    recipients = await _unmuted(session, recipients, with_case)
    messages = []
    for recipient in recipients:
        line = None
        if with_case:
            line = case_texts.opened_line(
                owner.name if owner is not None else None,
                due_day,
                settings.case_first_response_days,
                recipient.language,
            )
        text = texts.alert_text(response, reasons, settings, recipient.language, line)
        messages.append((recipient, text))
    contact = bool(response.contact_ok and response.contact_chat_id is not None)
    return _Plan(response.id, unit_id, reasons, contact, with_case, head, messages)


async def _unmuted(
    session: AsyncSession, recipients: list[Recipient], with_case: bool
) -> list[Recipient]:
    """Drop those who muted this kind; the head who will own the case always hears."""
    kind = mutes.CASES if with_case else mutes.COMMENTS
    muted = await mutes.muted_chats(session, kind, [r.chat_id for r in recipients])
    return [
        r for r in recipients if r.chat_id not in muted or (with_case and r.role == stored.HEAD)
    ]


async def _alert(ctx: JobContext, plan: _Plan, not_before: datetime | None, tally: _Tally) -> None:
    """One alert row, its case and its messages in one transaction that begins with the insert."""
    async with ctx.sessions.begin() as session:
        token = new_token(9)
        alert_id = await stored.insert_alert(
            session, plan.response_id, plan.reasons, token, ctx.now
        )
        if alert_id is None:
            return  # another run alerted it a moment ago, or it was deleted
        if plan.opens_case:
            await cases.open_case(
                session,
                ctx.settings,
                alert_id=alert_id,
                unit_id=plan.unit_id,
                head=plan.head,
                now=ctx.now,
            )
        for recipient, text in plan.messages:
            language = recipient.language
            case_button = case_texts.open_button(token, 1, language) if plan.opens_case else None
            buttons = texts.alert_buttons(
                token, language, reply=plan.contact, case_button=case_button
            )
            added = await enqueue(
                session,
                chat_id=recipient.chat_id,
                kind=stored.ALERT_KIND,
                text=text,
                buttons=buttons or None,
                dedupe_key=stored.alert_key(plan.response_id, recipient.chat_id),
                priority=PRIORITY_ALERT,
                not_before=not_before,
                employee_id=recipient.employee_id,
            )
            tally.queued += int(added)
    tally.alerts += 1
    tally.cases += int(plan.opens_case)
    if not plan.messages:
        tally.unaddressed += 1
        log.warning(
            "low_score_alerts: response %s alerted, but nobody to tell "
            "(no linked unit head, no admins, or all muted it)",
            plan.response_id,
        )
