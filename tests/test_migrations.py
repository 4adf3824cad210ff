"""Migrations apply to an empty database, are idempotent, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage.db import create_engine
from storage.migrate import current_revision, head_revision, upgrade
from storage.model_registry import metadata


async def test_upgrade_is_idempotent_and_reaches_head(migrated: str):
    assert await current_revision(migrated) == head_revision()
    before, after = await upgrade(migrated)
    assert before == after == head_revision()


async def test_schema_matches_models(migrated: str):
    engine = create_engine(migrated)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"units", "services", "employees", "telegram_accounts", "audit_log"} <= set(tables)


async def test_foreign_keys_enforced_and_sqlite_pragmas_set(migrated: str):
    engine = create_engine(migrated, busy_timeout_ms=4321)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
                timeout = (await connection.execute(text("PRAGMA busy_timeout"))).scalar()
                secure = (await connection.execute(text("PRAGMA secure_delete"))).scalar()
                assert (journal, timeout, secure) == ("wal", 4321, 1)
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    text(
                        "INSERT INTO services (code, unit_id, name, active, free, created_at,"
                        " updated_at) VALUES ('X', 424242, 'x', true, false,"
                        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
    finally:
        await engine.dispose()
