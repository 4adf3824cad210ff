"""``ulasan check``: are the settings usable? One line either way.

``--online`` also asks Telegram (getMe) and prints the bot's username, or one
line saying why Telegram could not be asked (rejected token, network, proxy,
timeout), exit 2.
"""

from __future__ import annotations

import click

from bot.cli import common


@click.command("check")
@click.option("--require-token", is_flag=True, help="Also require BOT_TOKEN.")
@click.option(
    "--online",
    is_flag=True,
    help="Also ask Telegram (getMe) whether BOT_TOKEN works; prints the bot's username.",
)
def check_command(require_token: bool, online: bool) -> None:
    """Check the settings and print a one-line summary (exit 2 on a bad setting)."""
    settings = common.get_settings(verify_database=False)
    from storage.key_check import describe

    if require_token or online:
        common.require_token(settings)
    click.echo(
        f"Settings OK: home {settings.home}, database {describe(settings.database_url)}, "
        f"time zone {settings.timezone}, "
        f"language {settings.default_language}, {len(settings.admin_ids)} admin(s)."
    )
    if online:
        import logging

        from bot import startup

        # The line below says what failed; the library's own log lines would repeat it.
        logging.getLogger("telegram").setLevel(logging.CRITICAL)
        try:
            username = common.run_async(lambda: startup.ask_telegram(settings))
        except Exception as exc:  # every failure becomes one line (describe_failure)
            common.fail(f"Telegram: {startup.describe_failure(exc, settings.telegram_base_url)}", 2)
        click.echo(f"Telegram OK: the token belongs to @{username}.")
