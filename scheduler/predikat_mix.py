"""Recording the predikat mix that applies (SE MenPANRB 03/2023): the one use case that both
``ulasan development mix set|clear`` and ``/predikat`` call.

The caller writes the audit row first (`storage.predikat_mix.audit`: SQLite's write lock at
once) and passes it in; `record` replaces the scope's limits of the cycle and, for a cycle
that has already closed, warns the heads whose ratees break them at once
(`scheduler.development_lists.queue_mix_warnings`; an open cycle's heads hear at its close).
`remove` takes a scope's limits away. Neither commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.development_lists import queue_mix_warnings
from scheduler.scoring.predikat_mix import Limit
from storage import predikat_mix
from storage.models import AuditLog


def describe(limits: Sequence[Limit]) -> str:
    """``sangat_baik <=20%, baik >=50%``: the limits for the audit log and the operator."""
    parts = []
    for limit in limits:
        low = f">={limit.min_percent}%" if limit.min_percent is not None else ""
        high = f"<={limit.max_percent}%" if limit.max_percent is not None else ""
        parts.append(f"{limit.predikat.value} {' '.join(p for p in (low, high) if p)}")
    return ", ".join(parts)


async def record(
    session: AsyncSession,
    settings: Settings,
    *,
    entry: AuditLog,
    cycle_id: int,
    cycle_name: str,
    scope: str,
    achievement: str,
    limits: Sequence[Limit],
    actor: str,
    now: datetime,
) -> int:
    """Store the scope's limits (replacing earlier ones); how many heads were warned now."""
    await predikat_mix.set_limits(session, cycle_id, scope, achievement, limits, actor, now)
    entry.detail = f"cycle={cycle_name}; scope={scope}; " + describe(limits)
    return await queue_mix_warnings(session, settings, cycle_id, now)


async def remove(
    session: AsyncSession, *, entry: AuditLog, cycle_id: int, cycle_name: str, scope: str
) -> int:
    """Take the scope's limits of the cycle away; how many rows were removed."""
    removed = await predikat_mix.clear(session, cycle_id, scope)
    entry.detail = f"cycle={cycle_name}; scope={scope}; cleared"
    return removed


async def current(session: AsyncSession, cycle_id: int, scope: str) -> str:
    """What is recorded for the scope now (``""``: nothing), to bind a confirmation to."""
    for found in await predikat_mix.recorded(session, cycle_id):
        if found.scope == scope:
            return f"{found.achievement}: {describe(found.limits)}"
    return ""
