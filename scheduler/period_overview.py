"""Where a period stands, unit by unit: what ``ulasan period list|show`` and ``/periode`` show.

For each unit of the period: its figures as a head would read them (the latest
version once approved, else the draft cut at the close, else, while the period
runs, the figures so far), every version, and any pending correction. The
live figures are computed once per period (`scheduler.periods.live_figures`),
so an overview costs one IKM report however many units there are. The caller
brings the rollup up to date first (`scheduler.periods.bring_rollup_up_to_date`,
a write, in a transaction of its own) so that reading here only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.documents import period_snapshot as snap
from scheduler.documents.period_snapshot import Figures
from scheduler.periods import Correction, has_ended, live_figures, pending_correction
from scheduler.scoring.skm_periods import close_day
from storage import holidays, periods
from storage.models import Unit
from storage.period_models import SkmPeriod, SkmPeriodUnit, SkmPeriodVersion

# What a unit's figures are, as shown.
RUNNING = "running"  # the period has not ended: figures so far
NOT_CUT = "not_cut"  # ended, the close has not run yet: figures so far
AWAITING = "awaiting"  # cut, waiting for the head's approval
APPROVED = "approved"


@dataclass
class UnitOverview:
    unit: Unit
    state: str
    figures: Figures  # latest version, else draft, else live so far
    row: SkmPeriodUnit | None
    versions: list[SkmPeriodVersion] = field(default_factory=list)
    pending: Correction | None = None

    @property
    def version(self) -> int:
        return self.versions[-1].version if self.versions else 0

    @property
    def early(self) -> bool:
        return any(v.early for v in self.versions)


@dataclass
class PeriodOverview:
    period: SkmPeriod
    root: Unit | None  # the period's unit; None: every unit
    ended: bool
    close_on: date  # the first working day after the period
    units: list[UnitOverview]

    @property
    def approved(self) -> int:
        return sum(1 for u in self.units if u.state == APPROVED)

    @property
    def pending(self) -> int:
        return sum(1 for u in self.units if u.pending is not None)

    def status(self) -> str:
        """One word for the operator's list."""
        if not self.ended:
            return "running"
        if self.period.cut_at is None:
            return "ended, not closed yet"
        if self.units and self.approved == len(self.units):
            return "approved"
        return "awaiting approval"


async def overview(
    session: AsyncSession,
    period: SkmPeriod,
    settings: Settings,
    now: datetime,
    *,
    unit_ids: set[int] | None = None,
) -> PeriodOverview:
    """Every unit of the period (or only ``unit_ids``) and where it stands."""
    calendar = await holidays.work_calendar(session, settings)
    live = await live_figures(session, period, settings, now)
    rows = await periods.period_units(session, period.id)
    units = {u.id: u for u in await periods.scope_units(session, period)}
    shown = [u for u in units.values() if u.id in rows or u.id in live]
    out = []
    for unit in sorted(shown, key=lambda u: u.code):
        if unit_ids is not None and unit.id not in unit_ids:
            continue
        out.append(await _unit(session, period, settings, unit, rows.get(unit.id), live, now))
    root = units.get(period.unit_id) if period.unit_id is not None else None
    return PeriodOverview(
        period, root, has_ended(period, now, settings), close_day(period.last_day, calendar), out
    )


async def _unit(
    session: AsyncSession,
    period: SkmPeriod,
    settings: Settings,
    unit: Unit,
    row: SkmPeriodUnit | None,
    live: dict[int, Figures],
    now: datetime,
) -> UnitOverview:
    versions = await periods.versions(session, period.id, unit.id) if row else []
    if versions:
        pending = await pending_correction(session, period, unit.id, settings, live)
        figures = snap.loads(versions[-1].figures)
        return UnitOverview(unit, APPROVED, figures, row, versions, pending)
    if row is not None and row.draft is not None:
        return UnitOverview(unit, AWAITING, snap.loads(row.draft), row)
    state = NOT_CUT if has_ended(period, now, settings) else RUNNING
    return UnitOverview(unit, state, live[unit.id], row)
