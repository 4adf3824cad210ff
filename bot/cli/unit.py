"""``ulasan unit …``: settings of one unit that are not part of the roster file.

``set-channel`` gives a unit its public Telegram channel, where each approved
SKM period (and each published correction) is announced with its poster and a
link to its public page (`scheduler.channel_posts`). Telegram is asked first
that the channel exists and that the bot may post in it, so a mistyped name or
a missing admin right is one line now rather than a failed post later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    actor,
    clock,
    fail,
    get_settings,
    require_token,
    run_async,
    run_in_transaction,
)
from bot.cli.cycle import OneLineErrors

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

NONE = "none"


@click.group("unit", cls=OneLineErrors)
def unit_group() -> None:
    """A unit's own settings (its public channel)."""


@unit_group.command("set-channel")
@click.argument("code")
@click.argument("channel")
def set_channel_command(code: str, channel: str) -> None:
    """Announce CODE's approved SKM periods in CHANNEL (@name or -100… id; 'none' stops it).

    The bot must be an administrator of the channel allowed to post messages.
    """
    from scheduler.channel_posts import ChannelError, check_channel
    from storage import periods, unit_channels

    settings = get_settings()
    found = None
    if channel.lower() != NONE:
        require_token(settings)
        try:
            found = run_async(lambda: check_channel(settings, channel))
        except ChannelError as exc:
            fail(f"Error: {exc}")
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        unit = await periods.unit_by_code(session, code)
        await unit_channels.set_channel(
            session,
            unit,
            name=found.name if found else None,
            chat_id=found.chat_id if found else None,
            actor=actor(),
            now=now,
        )
        if found is None:
            return f"{unit.code} has no public channel now."
        return f"{unit.code} announces its approved SKM periods in {found.name} ({found.title})."

    try:
        click.echo(run_in_transaction(settings, work))
    except LookupError as exc:
        fail(f"Error: {exc}")
