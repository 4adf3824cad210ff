"""Queries of a published SKM period: its frozen versions with their period and unit.

Everything issue 15 publishes (the report, the poster, the public page and its
open data, the channel post) reads approved versions only (`SkmPeriodVersion`,
inserted once, never updated), never live responses: a published IKM cannot
drift after approval. Like every query module these take a session and never
commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Unit
from storage.period_models import SkmPeriod, SkmPeriodVersion


@dataclass(frozen=True)
class PublishedVersion:
    """One approved version of one unit's period."""

    period: SkmPeriod
    unit: Unit
    version: SkmPeriodVersion


async def published_versions(
    session: AsyncSession, *, unit_id: int | None = None
) -> list[PublishedVersion]:
    """Every approved version (of one unit, or of all), by unit code, period, version."""
    statement = (
        select(SkmPeriodVersion, SkmPeriod, Unit)
        .join(SkmPeriod, SkmPeriod.id == SkmPeriodVersion.period_id)
        .join(Unit, Unit.id == SkmPeriodVersion.unit_id)
        .order_by(Unit.code, SkmPeriod.first_day, SkmPeriod.last_day, SkmPeriod.id)
        .order_by(SkmPeriodVersion.version)
    )
    if unit_id is not None:
        statement = statement.where(SkmPeriodVersion.unit_id == unit_id)
    rows = (await session.execute(statement)).all()
    return [PublishedVersion(period, unit, version) for version, period, unit in rows]


async def all_periods(session: AsyncSession) -> list[SkmPeriod]:
    """Every period by id (the public page's addresses are derived from all of them)."""
    return list((await session.scalars(select(SkmPeriod).order_by(SkmPeriod.id))).all())
