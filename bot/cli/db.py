"""``ulasan db upgrade|current``: the database's Alembic migrations."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import click

from bot.cli.common import fail, get_settings

if TYPE_CHECKING:
    from bot.core.settings import Settings


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


def upgrade_database(settings: Settings) -> None:
    """Apply every migration; a database that cannot be opened or migrated exits 2."""
    from storage.migrate import upgrade

    try:
        before, after = asyncio.run(upgrade(settings.database_url))
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}", 2)
    except Exception as exc:  # SQLAlchemy wraps driver errors (wrong host, password…)
        fail(f"DATABASE_URL: cannot migrate the database: {exc.__class__.__name__}: {exc}", 2)
    if before == after:
        click.echo(f"Database is up to date (revision {after}).")
    else:
        click.echo(f"Database upgraded from {before or 'empty'} to {after}.")


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply all Alembic migrations to DATABASE_URL."""
    upgrade_database(get_settings())


@db_group.command("current")
def db_current() -> None:
    """Show the database's migration revision and the newest one."""
    from storage.migrate import current_revision, head_revision

    settings = get_settings()
    current = asyncio.run(current_revision(settings.database_url))
    click.echo(f"current: {current or 'empty'}; newest: {head_revision()}")
