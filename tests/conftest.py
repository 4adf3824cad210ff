"""Shared fixtures: a migrated database file, the fake Bot API server, and a running bot.

The bot fixture builds the real Application with the project's own factory and
runs it with long polling against the fake server over HTTP on 127.0.0.1. The
helpers behind the fixtures live in ``tests/support/`` (this file holds fixtures, and
the one collection hook that skips the render checks in the PostgreSQL pass).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.app import BotApplication
from bot.core.settings import Settings
from storage.db import SessionFactory, create_engine, session_factory
from storage.migrate import upgrade
from tests.support.app import make_settings, start_bot, stop_bot
from tests.support.fakebot import FakeBotApi
from tests.support.pg import PgAdmin, is_postgresql
from tests.support.render_checks import skip_marked


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Render checks (marker ``render``) run once per CI run: see render_checks.py."""
    skip_marked(items)


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test has a home of its own (ULASAN_HOME): no test reads or writes the
    developer's real home, its .env or its secret key."""
    home = tmp_path / "home"
    monkeypatch.setenv("ULASAN_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def _pg_admin() -> Iterator[PgAdmin | None]:
    """The PostgreSQL server of ULASAN_TEST_DATABASE_URL, if it names one."""
    server = os.environ.get("ULASAN_TEST_DATABASE_URL")
    if not server or not is_postgresql(server):
        yield None
        return
    admin = PgAdmin(server)
    yield admin
    admin.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, made once per session."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    asyncio.run(upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    _pg_admin: PgAdmin | None,
    _sqlite_template: Path,
) -> Iterator[str]:
    """A database of this test's own: a SQLite file, or on PostgreSQL
    (ULASAN_TEST_DATABASE_URL) a fresh database dropped after the test. It is
    empty, unless the test uses `migrated`: then it is a copy of a template
    with the migrations already applied (and `migrated`'s upgrade is a no-op)."""
    if _pg_admin is None:
        path = tmp_path / "test.db"
        if "migrated" in request.fixturenames:
            with (
                closing(sqlite3.connect(_sqlite_template)) as source,
                closing(sqlite3.connect(path)) as target,
            ):
                source.backup(target)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = _pg_admin.create(migrated="migrated" in request.fixturenames)
    yield url
    _pg_admin.drop(url)


@pytest.fixture
async def migrated(database_url: str) -> str:
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
def settings(tmp_path: Path, migrated: str, fake_api: FakeBotApi) -> Settings:
    return make_settings(tmp_path, migrated, telegram_base_url=fake_api.base_url)


@pytest.fixture
async def sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    engine = create_engine(settings.database_url)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def bot(settings: Settings, fake_api: FakeBotApi) -> AsyncIterator[BotApplication]:
    application = await start_bot(settings, fake_api)
    yield application
    await stop_bot(application)
