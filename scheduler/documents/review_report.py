"""What a 360° report document holds, gathered from storage for one closed cycle.

Same rules as the bot, because the figures come from the same place
(`storage.review_results`, which runs `scheduler.scoring.review_math.aggregate`):
only closed cycles, only figures the anonymity rule released, no per-rater
rows. Filters: one ratee (``employee_nip``) or the ratees whose current unit is
``unit_code`` or below it. Unit summaries average the ratees' shown "others"
figures and appear only with at least ``min_raters`` contributing ratees.
``patterns`` adds the admin's list of rater patterns (names and direction only).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.review_instrument import Instrument
from storage.review_results import (
    CycleInfo,
    PatternList,
    RateeResults,
    UnitSummary,
    closed_cycle_by_name,
    cycle_results,
    rater_pattern_list,
    select_ratees,
    unit_summaries,
)


@dataclass(frozen=True)
class ReviewReport:
    cycle: CycleInfo
    instrument: Instrument | None
    min_raters: int
    min_values: int  # core values a recommendation must rest on
    employee_nip: str | None
    unit_code: str | None
    ratees: list[RateeResults]
    units: list[UnitSummary]
    patterns: PatternList | None


async def gather_review_report(
    session: AsyncSession,
    *,
    cycle_name: str,
    employee_nip: str | None,
    unit_code: str | None,
    patterns: bool,
    min_raters: int,
    min_values: int,
) -> ReviewReport:
    """The report of the closed cycle ``cycle_name`` (a `ResultsError` if it cannot be)."""
    cycle = await closed_cycle_by_name(session, cycle_name)
    ratee_ids = await select_ratees(session, cycle, employee_nip=employee_nip, unit_code=unit_code)
    ratees = await cycle_results(
        session, cycle.id, min_raters=min_raters, ratee_ids=ratee_ids, min_values=min_values
    )
    found = await rater_pattern_list(session, cycle.id) if patterns else None
    info = ratees[0].cycle if ratees else None
    if info is None:
        info = CycleInfo(cycle.id, cycle.name, cycle.deadline, cycle.closed_at, cycle.instrument)
    return ReviewReport(
        cycle=info,
        instrument=ratees[0].instrument if ratees else None,
        min_raters=min_raters,
        min_values=min_values,
        employee_nip=employee_nip.strip() if employee_nip else None,
        unit_code=unit_code.strip().upper() if unit_code else None,
        ratees=ratees,
        units=unit_summaries(ratees, min_raters=min_raters),
        patterns=found,
    )
