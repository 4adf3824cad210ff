"""The predikat mix limits as stored: what an admin recorded per cycle and OPD.

`set_limits` replaces a scope's rows of a cycle at once (the distribution that
applies is one decision), `limits_for` finds the rows of an OPD, else the
``*`` rows. Each function takes a session and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.predikat_mix import Limit
from scheduler.scoring.review_recommendation import Predikat
from storage.development_models import PredikatMixLimit
from storage.models import AuditLog

EVERY_OPD = "*"


@dataclass(frozen=True)
class Recorded:
    scope: str
    achievement: str
    limits: tuple[Limit, ...]
    set_by: str
    set_at: datetime


async def set_limits(
    session: AsyncSession,
    cycle_id: int,
    scope: str,
    achievement: str,
    limits: Sequence[Limit],
    actor: str,
    now: datetime,
) -> None:
    await clear(session, cycle_id, scope)
    session.add_all(
        PredikatMixLimit(
            cycle_id=cycle_id,
            scope=scope,
            achievement=achievement,
            predikat=limit.predikat.value,
            min_percent=limit.min_percent,
            max_percent=limit.max_percent,
            set_by=actor[:100],
            set_at=now,
        )
        for limit in limits
    )
    await session.flush()


async def audit(session: AsyncSession, actor: str, now: datetime) -> AuditLog:
    """The audit row, written first (SQLite's write lock at once); the caller fills ``detail``."""
    entry = AuditLog(at=now, actor=actor[:100], action="development.mix", detail="")
    session.add(entry)
    await session.flush()
    return entry


async def clear(session: AsyncSession, cycle_id: int, scope: str) -> int:
    result = await session.execute(
        delete(PredikatMixLimit).where(
            PredikatMixLimit.cycle_id == cycle_id, PredikatMixLimit.scope == scope
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def recorded(session: AsyncSession, cycle_id: int) -> list[Recorded]:
    """Every scope's limits of a cycle, ``*`` first, then by OPD code."""
    rows = (
        await session.scalars(
            select(PredikatMixLimit)
            .where(PredikatMixLimit.cycle_id == cycle_id)
            .order_by(PredikatMixLimit.scope, PredikatMixLimit.id)
        )
    ).all()
    scopes: dict[str, list[PredikatMixLimit]] = {}
    for row in rows:
        scopes.setdefault(row.scope, []).append(row)
    return [
        Recorded(
            scope,
            group[0].achievement,
            tuple(Limit(Predikat(r.predikat), r.min_percent, r.max_percent) for r in group),
            group[0].set_by,
            group[0].set_at,
        )
        for scope, group in sorted(scopes.items(), key=lambda item: (item[0] != EVERY_OPD, item[0]))
    ]


async def limits_for(session: AsyncSession, cycle_id: int, opd_code: str) -> Recorded | None:
    """The limits that apply to an OPD in a cycle: its own, else every OPD's, else None."""
    found = {r.scope: r for r in await recorded(session, cycle_id)}
    return found.get(opd_code) or found.get(EVERY_OPD)
