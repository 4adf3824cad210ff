"""``ulasan check``: are the settings usable? One line either way."""

from __future__ import annotations

import click

from bot.cli import common


@click.command("check")
@click.option("--require-token", is_flag=True, help="Also require BOT_TOKEN.")
def check_command(require_token: bool) -> None:
    """Check the settings and print a one-line summary (exit 2 on a bad setting)."""
    settings = common.get_settings(verify_database=False)
    from storage.key_check import describe

    if require_token:
        common.require_token(settings)
    click.echo(
        f"Settings OK: home {settings.home}, database {describe(settings.database_url)}, "
        f"time zone {settings.timezone}, "
        f"language {settings.default_language}, {len(settings.admin_ids)} admin(s)."
    )
