"""Job ``low_score_alerts``: tell the unit head at once about an unhappy citizen.

Which surveys alert is `scheduler.scoring.alert_rules` (a low mean, an unsur at
1, a levy on a free service, a comment); who hears of it and how alerts are
stored is `storage.survey_alerts` (the unit's linked head or the nearest one
above, and every admin); the text is ``scheduler/messages/alerts.py``.

Each such response gets one `SurveyAlert` row (its reasons and a random token)
and, in the same transaction, one outbox message (kind ``low_score_alert``,
`PRIORITY_ALERT`, dedupe key ``alert:<response id>:<chat id>``) per recipient,
in the recipient's language.

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
from datetime import datetime, timedelta

from scheduler.jobs.specs import JobContext
from scheduler.messages import alerts as texts
from scheduler.quiet_hours import next_allowed
from scheduler.scoring.alert_rules import reasons_for
from storage import survey_alerts as stored
from storage.crypto import new_token
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_ALERT
from storage.survey_alerts import Recipient

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
FIRST_RUN_LOOKBACK = timedelta(days=1)


@dataclass
class _Plan:
    response_id: int
    reasons: tuple[str, ...]
    contact: bool
    messages: list[tuple[Recipient, str]]


@dataclass
class _Tally:
    alerts: int = 0
    queued: int = 0
    unaddressed: int = 0
    failed: int = 0

    def summary(self) -> str:
        text = f"{self.alerts} alert(s), {self.queued} message(s) queued"
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
    threshold = settings.low_score_threshold
    async with ctx.sessions() as session:
        mark = await stored.read_watermark(session)
        since = mark - OVERLAP if mark is not None else ctx.now - FIRST_RUN_LOOKBACK
        latest = await stored.latest_submission(session, since)
        plans: list[_Plan] = []
        for response in await stored.pending_responses(session, since, threshold):
            reasons = reasons_for(
                response.answers(),
                response.comment,
                free=response.service.free,
                threshold=threshold,
            )
            if not reasons:  # the SQL rule and the Python rule agree; this is a guard
                continue
            recipients = await stored.recipients_for(session, settings, response.service.unit_id)
            plans.append(
                _Plan(
                    response.id,
                    reasons,
                    bool(response.contact_ok and response.contact_chat_id is not None),
                    [
                        (r, texts.alert_text(response, reasons, settings, r.language))
                        for r in recipients
                    ],
                )
            )
    return mark, latest, plans


async def _alert(ctx: JobContext, plan: _Plan, not_before: datetime | None, tally: _Tally) -> None:
    """One alert row and its messages in one transaction that begins with the insert."""
    async with ctx.sessions.begin() as session:
        token = new_token(9)
        if not await stored.insert_alert(session, plan.response_id, plan.reasons, token, ctx.now):
            return  # another run alerted it a moment ago, or it was deleted
        for recipient, text in plan.messages:
            buttons = texts.alert_buttons(token, recipient.language) if plan.contact else None
            added = await enqueue(
                session,
                chat_id=recipient.chat_id,
                kind=stored.ALERT_KIND,
                text=text,
                buttons=buttons,
                dedupe_key=stored.alert_key(plan.response_id, recipient.chat_id),
                priority=PRIORITY_ALERT,
                not_before=not_before,
                employee_id=recipient.employee_id,
            )
            tally.queued += int(added)
    tally.alerts += 1
    if not plan.messages:
        tally.unaddressed += 1
        log.warning(
            "low_score_alerts: response %s alerted, but nobody to tell "
            "(no linked unit head, no admins)",
            plan.response_id,
        )
