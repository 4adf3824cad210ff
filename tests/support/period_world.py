"""The world of the SKM period tests: the alert world's units, dated responses, and the CLI.

`seed_period_world` is the alert world (Disdukcapil with a linked head, its
sub-unit Bidang Pelayanan with a paid service, Dinas Kesehatan) plus a second
top unit with a service of its own, so a period for every unit has three units
to approve. `Cli` runs ``ulasan`` in-process on the real command tree with a
`ManualClock` the test moves; `at` makes a moment in Jakarta.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.cli.main import cli, register_commands
from bot.core.clock import ManualClock
from storage.db import SessionFactory, create_engine, session_factory
from storage.models import Service, Unit
from tests.support.alert_world import World, seed_world

WIB = ZoneInfo("Asia/Jakarta")
WORKED_EXAMPLE = (
    (4, 4, 4, 4, 4, 4, 4, 4, 4),
    (3, 3, 3, 3, 3, 3, 3, 3, 3),
    (4, 4, 3, 3, 4, 4, 2, 3, 4),
)  # skm.md: IKM 3.4815, konversi 87.04, B


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Jakarta, as aware UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


@dataclass
class PeriodWorld(World):
    perpus_id: int  # a second top unit
    buku_id: int  # its service
    kk_id: int  # Disdukcapil's second free service


async def seed_period_world(sessions: SessionFactory) -> PeriodWorld:
    world = await seed_world(sessions)
    async with sessions.begin() as session:
        perpus = Unit(code="PERPUS", name="Dinas Perpustakaan")
        session.add(perpus)
        await session.flush()
        buku = Service(code="BUKU", unit_id=perpus.id, name="Peminjaman Buku")
        session.add(buku)
        await session.flush()
        kk = await session.scalar(select(Service.id).where(Service.code == "KK"))
        return PeriodWorld(**vars(world), perpus_id=perpus.id, buku_id=buku.id, kk_id=int(kk))


def in_db(database_url: str, work: Callable[[SessionFactory], Awaitable[Any]]) -> Any:
    """Run ``work(sessions)`` on its own engine and event loop (the CLI tests are sync:
    click commands run their own loop)."""

    async def main() -> Any:
        engine = create_engine(database_url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


class Cli:
    """``ulasan`` in-process, with the test's clock and a settings environment."""

    def __init__(self, database_url: str, folder: Path, clock: ManualClock) -> None:
        register_commands()
        self.clock = clock
        self.env = {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(folder / "data"),
            "SECRET_KEY": "test-secret-key-0123456789",
            "TIMEZONE": "Asia/Jakarta",
        }

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(
            cli, list(args), env=self.env, obj=self.clock, catch_exceptions=False
        )

    def ok(self, *args: str) -> str:
        done = self(*args)
        assert done.exit_code == 0, f"{args}: {done.output}"
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json"))

    def report(self, unit: str, first: str, last: str) -> dict[str, Any]:
        """``ulasan report ikm --unit … --from … --to … --format json``."""
        return self.json("report", "ikm", "--unit", unit, "--from", first, "--to", last)
