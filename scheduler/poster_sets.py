"""A unit's QR posters on request (``/poster``): one PDF, a page per active service.

The same entries and the same posters as ``ulasan qr --unit CODE`` (its
``<unit>_posters.pdf``): an entry is created for a service that has none and
reused otherwise, so posters already on the counters stay valid, and every
page names ``PEMDA_NAME``, the service's unit and the service, with
``POSTER_LOGO`` when set.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING

from bot.core.links import deep_link
from bot.core.settings import Settings
from storage import survey
from storage.db import SessionFactory

if TYPE_CHECKING:
    from scheduler.documents.qr_poster import Poster


async def unit_posters(
    sessions: SessionFactory, settings: Settings, username: str, unit_code: str
) -> list[Poster]:
    """The posters of the unit's and its sub-units' active services (entries kept)."""
    # lazy: qrcode and PIL only when posters are made, not in every bot process
    from scheduler.documents.qr_poster import Poster

    async with sessions.begin() as session:
        services = await survey.qr_services(session, unit_code=unit_code)
        posters = []
        for service in services:
            entry, _created = await survey.ensure_entry(session, service.id, None)
            posters.append(
                Poster(
                    service.unit.name,
                    service.name,
                    None,
                    deep_link(username, entry.payload),
                    settings.pemda_name,
                )
            )
    return posters


async def unit_posters_file(
    sessions: SessionFactory, settings: Settings, username: str, unit_code: str
) -> bytes | None:
    """The PDF as bytes; None when the unit has no active service. An unreadable
    ``POSTER_LOGO`` raises OSError (its message is one line)."""
    from scheduler.documents.qr_poster import load_logo, unit_posters_pdf

    posters = await unit_posters(sessions, settings, username, unit_code)
    if not posters:
        return None
    logo = load_logo(settings.poster_logo)

    def draw() -> bytes:
        buffer = io.BytesIO()
        unit_posters_pdf(posters, buffer, logo)
        return buffer.getvalue()

    return await asyncio.to_thread(draw)
