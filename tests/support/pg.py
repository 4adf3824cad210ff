"""PostgreSQL helpers for the test fixtures: one fresh database per test.

When ULASAN_TEST_DATABASE_URL names a PostgreSQL server (a ``postgresql+asyncpg``
URL of a role that may CREATE DATABASE; ``make test-pg`` starts one), every
test gets a database of its own, created from ``template0`` when it must start
empty, or cloned from a template that has the migrations applied (migrated
once per session, which keeps the suite fast), and dropped afterwards.

The admin connection lives on an event loop in a thread of its own, so the
fixtures are plain synchronous fixtures: they work the same for async tests,
for sync tests that call ``asyncio.run`` themselves, and for a subprocess.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import warnings
from collections.abc import Coroutine
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import URL, make_url

from storage.migrate import upgrade

T = TypeVar("T")

PREFIX = "ulasan_t_"


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _drop(name: str) -> str:
    # FORCE: a test may leave a connection behind (a killed subprocess, an
    # engine it never disposed); that must not keep its data around.
    return f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)"


class PgAdmin:
    """Creates and drops the tests' databases through one admin connection."""

    def __init__(self, server_url: str) -> None:
        self.server: URL = make_url(server_url)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="pg-admin", daemon=True)
        self._thread.start()
        self._connection: asyncpg.Connection | None = None
        self._template: str | None = None
        self._lock = threading.Lock()

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _execute(self, sql: str) -> None:
        if self._connection is None or self._connection.is_closed():
            dsn = self.server.set(drivername="postgresql").render_as_string(hide_password=False)
            self._connection = await asyncpg.connect(dsn)
        await self._connection.execute(sql)

    def url(self, database: str) -> str:
        return self.server.set(database=database).render_as_string(hide_password=False)

    def create(self, *, migrated: bool) -> str:
        """A new database (empty, or with the migrations applied); its URL."""
        template = self.template() if migrated else "template0"
        name = PREFIX + secrets.token_hex(6)
        self._run(self._execute(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template)}"))
        return self.url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        assert name and name.startswith(PREFIX), name
        self._run(self._drop_database(name))

    async def _drop_database(self, name: str) -> None:
        try:
            await self._execute(_drop(name))
            return
        except asyncpg.InsufficientPrivilegeError:
            # FORCE may not end a backend of another role, such as an
            # autovacuum worker; a plain DROP stops autovacuum by itself and
            # waits a few seconds for the rest.
            pass
        for attempt in range(3):
            try:
                await self._execute(f"DROP DATABASE IF EXISTS {_quote(name)}")
                return
            except asyncpg.ObjectInUseError:
                if attempt == 2:
                    # Left behind: harmless to other tests, which use other names.
                    warnings.warn(f"could not drop test database {name}", stacklevel=1)
                    return
                await asyncio.sleep(0.5)

    def template(self) -> str:
        """The migrated template, made on first use."""
        with self._lock:
            if self._template is None:
                name = PREFIX + "tpl_" + secrets.token_hex(6)
                self._run(self._execute(f"CREATE DATABASE {_quote(name)} TEMPLATE template0"))
                try:
                    # A loop of its own: upgrade() opens and disposes its engine there.
                    self._run(upgrade(self.url(name)))
                except BaseException:
                    self._run(self._drop_database(name))
                    raise
                self._template = name
            return self._template

    def close(self) -> None:
        async def _close() -> None:
            if self._template is not None:
                await self._drop_database(self._template)
                self._template = None
            if self._connection is not None:
                await self._connection.close()
                self._connection = None

        try:
            self._run(_close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
