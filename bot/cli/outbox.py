"""``ulasan outbox status``: what the outbox holds, for the operator and for monitoring.

Counts per status (queued, sending, sent, failed, unreachable, cancelled), how
many queued messages are due now, how long the longest-waiting due message has
been due, and how many chats are marked unreachable. ``--format json`` prints
the same as one JSON object (ages in seconds, ``null`` when nothing is due).
"""

from __future__ import annotations

import asyncio
import json
import signal
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import clock, format_option, get_settings, log, require_token, run_reading

if TYPE_CHECKING:
    from bot.core.settings import Settings

FORMATS = ("table", "json")


async def load_status(settings: Settings, now: datetime) -> dict[str, Any]:
    from storage import outbox
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine)() as session:
            status = await outbox.outbox_status(session, now)
    finally:
        await engine.dispose()
    age = (now - status.oldest_due).total_seconds() if status.oldest_due else None
    return {
        **status.counts,
        "due": status.due,
        "oldest_queued_age_seconds": round(max(age, 0.0), 1) if age is not None else None,
        "unreachable_chats": status.unreachable_chats,
    }


async def serve_outbox(settings: Settings, *, once: bool) -> None:
    """The sender alone: ``--once`` prints what it did as JSON; otherwise until SIGTERM."""
    from scheduler.sender import OutboxSender
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    sender = OutboxSender.from_settings(settings, session_factory(engine))
    try:
        if once:
            report = await sender.send_pending_once(recover=True)
            click.echo(json.dumps(report.as_dict()))
            return
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await sender.start()
        log.info("outbox sender started against %s", settings.telegram_base_url)
        await stopped.wait()
    finally:
        await sender.stop()
        await engine.dispose()


def human_age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} d {hours % 24} h"


def render_table(data: dict[str, Any]) -> str:
    from storage.outbox import STATUSES

    rows = [(status, str(data[status])) for status in STATUSES]
    rows += [
        ("due now", str(data["due"])),
        ("oldest queued age", human_age(data["oldest_queued_age_seconds"])),
        ("unreachable chats", str(data["unreachable_chats"])),
    ]
    width = max(len(name) for name, _ in rows)
    value_width = max(len(value) for _, value in rows)
    return "".join(f"{name:<{width}}  {value:>{value_width}}\n" for name, value in rows)


@click.group("outbox")
def outbox_group() -> None:
    """The outbox of reminders, nudges, alerts and digests."""


@outbox_group.command("status")
@format_option(*FORMATS)
def status(output_format: str) -> None:
    """Messages per status, due now, the oldest queued message's age, unreachable chats."""
    settings = get_settings()
    data = run_reading("outbox status", load_status(settings, clock().now()))
    if output_format == "json":
        click.echo(json.dumps(data))
    else:
        click.echo(render_table(data), nl=False)


@outbox_group.command("send")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def send(once: bool) -> None:
    """Run only the outbox sender (the bot runs one itself; for tests and benchmarks)."""
    settings = get_settings()
    require_token(settings)
    asyncio.run(serve_outbox(settings, once=once))
