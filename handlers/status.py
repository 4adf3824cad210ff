"""``/status``: admins see the scheduled jobs and the outbox from Telegram.

The same facts as ``ulasan job list`` and ``ulasan outbox status``: per job
its schedule (cron, in TIMEZONE), last run with its status and one-line
result, and next run; then the outbox's messages per status. Only Telegram
ids in ``ADMIN_IDS`` (`Settings.is_admin`), in a private chat; anyone else gets
a polite refusal, logged under their pseudonym. A job's result line is the
job's own technical summary (English, as in the log and the CLI).
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo

from babel.dates import format_datetime
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.core.clock import babel_locale
from bot.core.i18n import N_, Translate
from handlers import common
from handlers.context import BotContext
from scheduler.runner import ERROR, NEW, OK, RUNNING, JobInfo, job_overview
from storage import outbox

log = logging.getLogger(__name__)

TEXT_LIMIT = 4000  # Telegram allows 4096 characters
RESULT_LIMIT = 160

STATUS_LABELS = {
    OK: N_("ok"),
    ERROR: N_("error"),
    RUNNING: N_("running"),
}
OUTBOX_LABELS = (
    ("queued", N_("queued")),
    ("sending", N_("sending")),
    ("sent", N_("sent")),
    ("failed", N_("failed")),
    ("unreachable", N_("unreachable")),
    ("cancelled", N_("cancelled")),
)


def _when(value: datetime, tz: tzinfo, language: str) -> str:
    return format_datetime(
        value.astimezone(tz),
        "d MMM y, HH:mm",
        locale=babel_locale(language),
    )


def render_status(
    jobs: list[JobInfo],
    counts: dict[str, int],
    _: Translate,
    language: str,
    tz: tzinfo,
    timezone_name: str,
    now: datetime,
) -> str:
    """The /status message (pure: data in, text out)."""
    lines = [
        _("Ulasan status, {now} ({timezone})").format(
            now=_when(now, tz, language), timezone=timezone_name
        ),
        "",
        _("Scheduled jobs:"),
    ]
    for job in jobs:
        lines += _job_lines(job, _, language, tz)
    lines += [
        "",
        _("Outbox:")
        + " "
        + ", ".join(f"{_(label)} {counts.get(status, 0)}" for status, label in OUTBOX_LABELS),
    ]
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _job_lines(job: JobInfo, _: Translate, language: str, tz: tzinfo) -> list[str]:
    """A job's schedule, its last run with the one-line result, and its next run."""
    lines = [_("• {name} ({schedule})").format(name=job.name, schedule=job.schedule)]
    if job.last_started_at is None or job.last_status in (None, NEW):
        lines.append("  " + _("last run: never"))
    else:
        result = job.last_result or "-"
        if len(result) > RESULT_LIMIT:
            result = result[: RESULT_LIMIT - 1] + "…"
        status = job.last_status or ""
        lines.append(
            "  "
            + _("last run: {when}, {status}: {result}").format(
                when=_when(job.last_started_at, tz, language),
                status=_(STATUS_LABELS[status]) if status in STATUS_LABELS else status,
                result=result,
            )
        )
    if job.next_run_at is None:
        lines.append("  " + _("next run: none (the schedule is not valid)"))
    else:
        lines.append("  " + _("next run: {when}").format(when=_when(job.next_run_at, tz, language)))
    return lines


async def status_command(update: Update, context: BotContext) -> None:
    _ = await context.gettext(update)
    message = update.effective_message
    if message is None:
        return
    if not common.is_admin_here(update, context):
        who = common.who(update, context)
        log.warning("/status: refused user %s (not an admin in a private chat)", who)
        await message.reply_text(_("Sorry, /status is only for administrators."))
        return
    settings = context.settings
    now = context.clock.now()
    jobs = await job_overview(settings, context.sessions, now)
    async with context.sessions() as session:
        counts = await outbox.status_counts(session)
    language = await context.language(update)
    await message.reply_text(
        render_status(jobs, counts, _, language, settings.tz, settings.timezone, now)
    )


HANDLERS: list[BaseHandler] = [CommandHandler("status", status_command)]
