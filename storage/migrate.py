"""Apply Alembic migrations from code (`ulasan db upgrade`, `ulasan run`, tests)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from storage.db import create_engine


def alembic_config() -> Config:
    ini = files("storage").joinpath("alembic.ini")
    config = Config(str(ini))
    config.set_main_option("script_location", str(files("storage").joinpath("migrations")))
    return config


async def upgrade(database_url: str, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database; return (revision before, revision after)."""
    config = alembic_config()
    engine = create_engine(database_url, foreign_keys=False)

    def _upgrade(connection: Connection) -> tuple[str | None, str | None]:
        before = MigrationContext.configure(connection).get_current_revision()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        after = MigrationContext.configure(connection).get_current_revision()
        return before, after

    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


async def current_revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
