"""``ulasan run``: apply the migrations and start the bot with long polling."""

from __future__ import annotations

import click

from bot.cli.common import get_settings, log, require_token
from bot.cli.db import upgrade_database


@click.command("run")
@click.option("--no-migrate", is_flag=True, help="Do not apply database migrations first.")
def run_command(no_migrate: bool) -> None:
    """Apply migrations and start the bot (long polling) until Ctrl+C."""
    settings = get_settings(verify_database=no_migrate)
    require_token(settings)
    if not no_migrate:
        settings = upgrade_database(settings)
    from bot.app import run_polling

    log.info("Starting the bot against %s", settings.telegram_base_url)
    run_polling(settings)
