"""``ulasan db upgrade|current|backup|restore``: the database's migrations and backups
(backups in db_backup.py)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from bot.cli import home_check
from bot.cli.common import clock, fail, get_settings

if TYPE_CHECKING:
    from bot.core.settings import Settings


@click.group("db")
def db_group() -> None:
    """Database maintenance: migrations, backup and restore."""


def upgrade_database(settings: Settings, *, new_database: bool = False) -> Settings:
    """Apply every migration and record the key's check value; a new database gets a new
    secret key (see home_check). Returns the settings with the key in use. A database
    that cannot be opened or migrated exits 2."""
    from storage.migrate import upgrade

    try:
        settings = home_check.prepare_upgrade(settings, new_database)
    except home_check.HomeError as exc:
        fail(str(exc), 2)
    try:
        before, after = asyncio.run(upgrade(settings.database_url))
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}", 2)
    except Exception as exc:  # SQLAlchemy wraps driver errors (wrong host, password…)
        fail(f"DATABASE_URL: cannot migrate the database: {exc.__class__.__name__}: {exc}", 2)
    home_check.record_key(settings, clock().now())
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")
    return settings


@db_group.command("upgrade")
@click.option(
    "--new-database",
    is_flag=True,
    help="Create a new, empty database even though a secret key already exists.",
)
def db_upgrade(new_database: bool) -> None:
    """Apply all Alembic migrations to DATABASE_URL (creating it, and a secret key, if new)."""
    upgrade_database(get_settings(verify_database=False), new_database=new_database)


@db_group.command("current")
def db_current() -> None:
    """Show the database's migration revision and the newest one."""
    from storage.migrate import current_revision, head_revision

    settings = get_settings()
    current = asyncio.run(current_revision(settings.database_url))
    click.echo(f"current: {current or 'empty'}; newest: {head_revision()}")
