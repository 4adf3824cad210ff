"""Job ``housekeeping``: close stale drafts and forget what is no longer needed.

Each step is one conditional statement, so a second run changes nothing:

1. Survey drafts untouched for ``SURVEY_DRAFT_TTL_HOURS`` become
   ``abandoned`` (``storage.survey.abandon_stale_drafts``); their ``step``
   stays, for drop-off statistics.
2. After ``RETENTION_DAYS`` a citizen response loses its pseudonym
   (``user_key``) and contact chat id (``contact_chat_id``); the scores, the
   masked comment and the respondent profile stay, so the IKM of old periods
   does not change. Age counts from ``submitted_at``, or ``started_at`` for a
   response never submitted.
3. Wrong link-code attempts (``link_failures``, pseudonymised) older than
   `LINK_FAILURES_KEEP` (the lockout looks back only twice the lockout time).
4. Outbox rows that are done (``sent`` or ``cancelled``) and older than
   `OUTBOX_KEEP_DAYS` days, or ``RETENTION_DAYS`` if that is shorter: a
   relayed reply to a citizen carries the citizen's chat id. Failed and
   unreachable rows stay for the operator. The dedupe keys of the jobs name a
   date, a cycle or a response, so nothing pruned is ever queued again.
5. Confirmations past their expiry (``storage.confirmations``: the nonces of
   confirmation buttons nobody pressed in time).
6. Records that a citizen heard "Anda bilang, kami lakukan" (``rtl_citizen_notices``,
   kept under their pseudonym) older than ``RETENTION_DAYS``.

Sends nothing, so it runs at any hour (no quiet-hours window).
"""

from __future__ import annotations

from datetime import timedelta

from scheduler.jobs.specs import JobContext
from storage import rtl
from storage.confirmations import prune_expired
from storage.retention import prune_link_failures, prune_outbox, strip_identities
from storage.survey import abandon_stale_drafts

OUTBOX_KEEP_DAYS = 90
LINK_FAILURES_KEEP = timedelta(days=7)


async def run(ctx: JobContext) -> str:
    settings = ctx.settings
    now = ctx.now
    keep_lockout = timedelta(minutes=2 * settings.link_lockout_minutes)
    outbox_days = min(OUTBOX_KEEP_DAYS, settings.retention_days)
    # One transaction; every statement is a write (SQLite takes the lock at once).
    async with ctx.sessions.begin() as session:
        abandoned = await abandon_stale_drafts(session, now, settings.survey_draft_ttl_hours)
        stripped = await strip_identities(session, now - timedelta(days=settings.retention_days))
        failures = await prune_link_failures(session, now - max(LINK_FAILURES_KEEP, keep_lockout))
        pruned = await prune_outbox(session, now - timedelta(days=outbox_days))
        expired = await prune_expired(session, now)
        notices = await rtl.forget_old_notices(
            session, now - timedelta(days=settings.retention_days)
        )
    return (
        f"{abandoned} stale drafts abandoned; {stripped} responses older than "
        f"{settings.retention_days} days stripped of pseudonym and chat id; "
        f"{failures} old link failures and {pruned} done outbox rows older than "
        f"{outbox_days} days removed; {expired} expired confirmations removed; "
        f"{notices} follow-up notices older than {settings.retention_days} days forgotten"
    )
