"""``ulasan run``: apply the migrations and start the bot with long polling (or a webhook).

While it runs the bot holds the home's lock file (bot/run_lock.py): a second bot
on the same home and ``ulasan db restore`` refuse to start. The bot waits for
Telegram with backoff when it cannot be reached (one log line per attempt,
bot/startup.py) and stops on SIGINT or SIGTERM after finishing the work in hand.
A token Telegram rejects stops it with one line, exit 2.

``--webhook`` makes it a webhook worker (bot/webhook_server.py) on WEBHOOK_URL;
``--multi-worker`` lets several such workers share one PostgreSQL database (they
hold the lock file together; SQLite refuses, with one line: it has one writer).
"""

from __future__ import annotations

import asyncio
import gc
from typing import TYPE_CHECKING

import click

from bot.cli.common import fail, get_settings, log, require_token
from bot.cli.db import upgrade_database
from bot.cli.main import GC_THRESHOLD

if TYPE_CHECKING:
    from bot.core.settings import Settings

SQLITE_ONE_WORKER = (
    "--multi-worker needs PostgreSQL (DATABASE_URL=postgresql+asyncpg://…): "
    "SQLite has one writer, so run one worker on it"
)


@click.command("run")
@click.option("--no-migrate", is_flag=True, help="Do not apply database migrations first.")
@click.option(
    "--webhook", is_flag=True, help="Receive updates on WEBHOOK_URL instead of long polling."
)
@click.option(
    "--multi-worker",
    is_flag=True,
    help="One of several webhook workers on one PostgreSQL database (behind a proxy).",
)
def run_command(no_migrate: bool, webhook: bool, multi_worker: bool) -> None:
    """Apply migrations and start the bot (long polling) until Ctrl+C or SIGTERM."""
    gc.set_threshold(*GC_THRESHOLD)  # the bot runs for days: full collections as usual
    settings = get_settings(verify_database=no_migrate)
    require_token(settings)
    _check_mode(settings, webhook, multi_worker)
    if not no_migrate:
        settings = upgrade_database(settings)
    from bot import run_lock, startup

    try:
        with run_lock.hold(settings.data_dir, "ulasan run", shared=multi_worker):
            log.info("Starting the bot against %s", settings.telegram_base_url)
            asyncio.run(startup.serve(settings, webhook=webhook))
    except run_lock.Locked as exc:
        fail(f"The bot already runs on this home ({exc}); stop it first.", 2)
    except startup.TokenRejected as exc:
        fail(str(exc), 2)


def _check_mode(settings: Settings, webhook: bool, multi_worker: bool) -> None:
    if multi_worker and not webhook:
        fail("--multi-worker needs --webhook: long polling allows one consumer per bot", 2)
    if multi_worker and settings.is_sqlite:
        fail(SQLITE_ONE_WORKER, 2)
    if webhook and not settings.webhook_url:
        fail("--webhook needs WEBHOOK_URL: the public https:// URL Telegram posts to", 2)
