"""``ulasan run``: apply the migrations and start the bot with long polling.

While it runs the bot holds the home's lock file (bot/run_lock.py): a second bot
on the same home and ``ulasan db restore`` refuse to start. The bot waits for
Telegram with backoff when it cannot be reached (one log line per attempt,
bot/startup.py) and stops on SIGINT or SIGTERM after finishing the work in hand.
A token Telegram rejects stops it with one line, exit 2.
"""

from __future__ import annotations

import asyncio

import click

from bot.cli.common import fail, get_settings, log, require_token
from bot.cli.db import upgrade_database


@click.command("run")
@click.option("--no-migrate", is_flag=True, help="Do not apply database migrations first.")
def run_command(no_migrate: bool) -> None:
    """Apply migrations and start the bot (long polling) until Ctrl+C or SIGTERM."""
    settings = get_settings(verify_database=no_migrate)
    require_token(settings)
    if not no_migrate:
        settings = upgrade_database(settings)
    from bot import run_lock, startup

    try:
        with run_lock.hold(settings.data_dir, "ulasan run"):
            log.info("Starting the bot against %s", settings.telegram_base_url)
            asyncio.run(startup.serve(settings))
    except run_lock.Locked as exc:
        fail(f"The bot already runs on this home ({exc}); stop it first.", 2)
    except startup.TokenRejected as exc:
        fail(str(exc), 2)
