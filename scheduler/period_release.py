"""What follows a published version of a unit's SKM period: the report to its head, the post.

When a version is published (approval, a correction; from Telegram or from
``ulasan period approve|correct``), `release`:

- queues the version's post on the unit's public channel
  (`scheduler.channel_posts.announce`; none without a channel), and
- sends the unit's head (else its admins, else the city-wide admins: the people
  `scheduler.period_close.recipients` asks to approve) the **Laporan
  Pelaksanaan SKM** of that version as DOCX and PDF (`scheduler.period_documents`),
  each an outbox row with the file (dedupe key per period, unit, version, chat and
  format, so a second call queues nothing).

The documents are rendered outside any transaction (worker threads: python-docx
and WeasyPrint take a second or two), and only when somebody is to receive them.
A failure to render (no PDF route, a broken template) leaves the version
published; the caller reports it (`Released.problems`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler import channel_posts
from scheduler.documents.pdf import PdfRouteError
from scheduler.documents.report_texts import TemplateTextError
from scheduler.period_close import recipients
from scheduler.period_documents import NamedDocument, render
from scheduler.period_publication import Edition, edition_by_ids
from storage import outbox
from storage.db import SessionFactory
from storage.outbox_models import PRIORITY_REPORT
from storage.preferences import language_of_chat

REPORT_KIND = "period_report"
REPORT_FORMATS = ("docx", "pdf")


class ReleaseError(RuntimeError):
    """The documents or the post could not be made; one line (the version stands)."""


@dataclass
class Released:
    channel: str | None = None  # the channel a post was queued for
    reports: list[int] = field(default_factory=list)  # chats the report was queued for
    problems: list[str] = field(default_factory=list)  # one line each (the version stands)


def report_caption(edition: Edition, language: str) -> str:
    _ = gettext_for(language)
    return _("Laporan Pelaksanaan SKM {unit}, {period}, version {version}").format(
        unit=edition.unit_name, period=edition.period_name, version=edition.version
    )


def _documents(edition: Edition, settings: Settings) -> list[NamedDocument]:
    made: list[NamedDocument] = []
    for fmt in REPORT_FORMATS:
        made += render(edition, fmt, settings.templates_dir)
    return made


async def send_report(
    sessions: SessionFactory,
    settings: Settings,
    period_id: int,
    unit_id: int,
    version: int,
    *,
    now: datetime,
) -> list[int]:
    """Queue the version's report (DOCX, PDF) to the unit's head; the chats it went to."""
    async with sessions() as session:
        chats = (await recipients(session, settings, unit_id)).chats
        if not chats:
            return []
        edition = await edition_by_ids(session, settings, period_id, unit_id, version)
    try:
        documents = await asyncio.to_thread(_documents, edition, settings)
    except (PdfRouteError, TemplateTextError) as exc:
        raise ReleaseError(f"the report cannot be made: {exc}") from exc
    sent: list[int] = []
    async with sessions.begin() as session:
        for chat in chats:
            language = await language_of_chat(session, settings, chat)
            for document in documents:
                extension = document.name.rsplit(".", 1)[-1]
                added = await outbox.enqueue(
                    session,
                    chat_id=chat,
                    kind=REPORT_KIND,
                    text=report_caption(edition, language),
                    image=document.content,
                    file_name=document.name,
                    dedupe_key=f"period-report:{period_id}:{unit_id}:v{version}:{chat}:{extension}",
                    priority=PRIORITY_REPORT,
                    now=now,
                )
                if added and chat not in sent:
                    sent.append(chat)
    return sent


async def release(
    sessions: SessionFactory,
    settings: Settings,
    period_id: int,
    unit_id: int,
    version: int,
    *,
    now: datetime,
) -> Released:
    """The channel post and the head's report of a version just published; what could
    not be made is in ``problems`` (one does not stop the other)."""
    done = Released()
    try:
        done.channel = await channel_posts.announce(
            sessions, settings, period_id, unit_id, version, now=now
        )
    except PdfRouteError as exc:
        done.problems.append(f"no channel post, the poster cannot be made: {exc}")
    try:
        done.reports = await send_report(sessions, settings, period_id, unit_id, version, now=now)
    except ReleaseError as exc:
        done.problems.append(str(exc))
    return done
