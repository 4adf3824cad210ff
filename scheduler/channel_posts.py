"""Announcing a published SKM period on the unit's public Telegram channel.

When a version is published (a head's approval, a correction), `announce`
queues one post through the outbox to the unit's channel (set with ``ulasan
unit set-channel``; units without one are skipped): the poster as a picture
(the poster PDF's page, `period_poster`) with a caption naming the unit, the
period, IKM konversi, mutu and n, and a button and a line linking to the
version's public page (``PUBLIC_BASE_URL``; without it, no link). The outbox
sends it within Telegram's limits and retries; the dedupe key (period, unit,
version) makes a second call queue nothing, so the CLI, the bot and a repost
(``ulasan period post``) can all call it safely.

The poster is rendered outside any transaction (a worker thread: WeasyPrint
and pdfium take a second); reading and queueing are two short transactions.

`check_channel` asks Telegram (getChat, getChatMember) that the channel exists
and that the bot may post in it, before the unit is given the channel.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime

from telegram import Bot, ChatMemberAdministrator, ChatMemberOwner
from telegram.error import TelegramError

from bot.core.settings import Settings
from scheduler.messages import period_publication as texts
from scheduler.period_publication import Edition, edition_by_ids
from storage import outbox
from storage.db import SessionFactory
from storage.models import Unit
from storage.outbox_models import PRIORITY_NOTICE

KIND = "period_post"
CHANNEL_NAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
CHANNEL_ID = re.compile(r"-100[0-9]{5,16}")


class ChannelError(ValueError):
    """The channel cannot be used; one line for the operator."""


@dataclass(frozen=True)
class Channel:
    name: str  # @name, or the numeric id as given
    chat_id: int
    title: str


def dedupe_key(period_id: int, unit_id: int, version: int) -> str:
    return f"period-post:{period_id}:{unit_id}:v{version}"


async def check_channel(settings: Settings, given: str) -> Channel:
    """The channel ``@name`` (or ``-100…`` id), asked of Telegram; the bot must be an
    administrator allowed to post there."""
    given = given.strip()
    if not (CHANNEL_NAME.fullmatch(given) or CHANNEL_ID.fullmatch(given)):
        raise ChannelError(f"'{given}' is not a channel: give @name or its -100… id")
    bot = Bot(settings.token(), base_url=settings.telegram_base_url)
    try:
        async with bot:
            chat = await bot.get_chat(given)
            if chat.type != "channel":
                raise ChannelError(f"{given} is a {chat.type}, not a channel")
            member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramError as exc:
        raise ChannelError(f"Telegram: {given}: {exc.message}") from None
    allowed = isinstance(member, ChatMemberOwner) or (
        isinstance(member, ChatMemberAdministrator) and bool(member.can_post_messages)
    )
    if not allowed:
        raise ChannelError(
            f"the bot may not post in {given}: add it to the channel as an administrator "
            "with 'Post messages'"
        )
    return Channel(given, chat.id, chat.title or given)


async def _poster_png(edition: Edition) -> bytes:
    # lazy: the poster's libraries (Jinja2, the PDF and QR tools) only when one is drawn
    from scheduler.documents.period_poster import poster_pdf, poster_png

    pdf = await asyncio.to_thread(poster_pdf, edition)
    return await asyncio.to_thread(poster_png, pdf)


async def announce(
    sessions: SessionFactory,
    settings: Settings,
    period_id: int,
    unit_id: int,
    version: int,
    *,
    now: datetime,
) -> str | None:
    """Queue the post of version ``version``; the channel's name when a post was queued,
    None when the unit has no channel or the post was queued before."""
    async with sessions() as session:
        unit = await session.get(Unit, unit_id)
        if unit is None or unit.public_channel_id is None:
            return None
        channel, chat_id = (
            unit.public_channel or str(unit.public_channel_id),
            unit.public_channel_id,
        )
        edition = await edition_by_ids(session, settings, period_id, unit_id, version)
    image = await _poster_png(edition)
    buttons = (
        [[{"text": texts.button_text(), "url": edition.page_url}]] if edition.page_url else None
    )
    async with sessions.begin() as session:
        queued = await outbox.enqueue(
            session,
            chat_id=chat_id,
            kind=KIND,
            text=texts.channel_caption(edition),
            image=image,
            buttons=buttons,
            dedupe_key=dedupe_key(period_id, unit_id, version),
            priority=PRIORITY_NOTICE,
            now=now,
        )
    return channel if queued else None
