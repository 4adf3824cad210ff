"""What a rollup run did (`RollupStats`) and how far the counted set reaches (`Watermark`).

The watermark is kept in the ``rollup`` job's `JobRun` row as
``<TIMEZONE>#<highest submission number counted>`` (``rollup_seq``, written at
submit): another TIMEZONE means every local day must be computed again (a full
rebuild). ``<TIMEZONE>#rebuilding`` while a chunked rebuild runs (or was cut
short): other runs leave the tables alone, and the job starts the rebuild again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_insert
from storage.outbox_models import JobRun

JOB_NAME = "rollup"  # the job's JobRun row, which holds the watermark


def tz_key(tz: tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


@dataclass
class RollupStats:
    full: bool = False
    reason: str = ""  # why a rebuild happened
    claimed: int = 0  # responses newly rolled up
    retracted: int = 0  # rolled-up responses deleted or changed
    moved_services: int = 0
    cycles: int = 0  # review cycles materialised
    cycles_dropped: int = 0
    watermark: str | None = None

    @property
    def changed(self) -> bool:
        return bool(
            self.full
            or self.claimed
            or self.retracted
            or self.moved_services
            or self.cycles
            or self.cycles_dropped
        )

    def summary(self) -> str:
        if not self.changed:
            return "rollup: up to date"
        parts = []
        if self.full:
            parts.append(f"full rebuild ({self.reason})" if self.reason else "full rebuild")
        parts.append(f"{self.claimed} responses added, {self.retracted} retracted")
        if self.moved_services:
            parts.append(f"{self.moved_services} services moved unit")
        if self.cycles or self.cycles_dropped:
            parts.append(f"{self.cycles} review cycles materialised")
        if self.cycles_dropped:
            parts.append(f"{self.cycles_dropped} dropped")
        return "rollup: " + "; ".join(parts)


REBUILDING = "rebuilding"


@dataclass(frozen=True)
class Watermark:
    timezone: str
    counted_upto: int  # the highest submission number (rollup_seq) counted
    rebuilding: bool = False  # a chunked rebuild is under way (or was cut short)

    def encode(self) -> str:
        return f"{self.timezone}#{REBUILDING if self.rebuilding else self.counted_upto}"

    @classmethod
    def decode(cls, value: str | None) -> Watermark | None:
        if not value or "#" not in value:
            return None
        zone, _, number = value.rpartition("#")
        if not zone:
            return None
        if number == REBUILDING:
            return cls(zone, 0, rebuilding=True)
        return cls(zone, int(number)) if number.isdigit() else None


async def read_watermark(session: AsyncSession) -> Watermark | None:
    value = await session.scalar(select(JobRun.watermark).where(JobRun.name == JOB_NAME))
    return Watermark.decode(value)


async def write_watermark(session: AsyncSession, mark: Watermark) -> None:
    table = JobRun.__table__
    statement = dialect_insert(session, table).values(name=JOB_NAME, watermark=mark.encode())
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"watermark": statement.excluded.watermark}
        )
    )
