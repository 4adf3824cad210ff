"""Openness at a cycle's close: every ASN of a unit gets the unit's per-value results.

`queue_unit_results` runs inside the cycle's close (``scheduler/cycles.py``, the
caller's transaction, never commits). Per unit (each ratee's own unit), the
ratees' released "others" figures per value go through
`scheduler.scoring.unit_openness.unit_figures` (at least ``MIN_ANONYMOUS_RATERS``
+ 1 ratees, per value too); when anything passes, every linked active member of
the unit gets one message (outbox kind ``unit_results``, one per cycle and
person): the unit's figures without names and, for a ratee with released
figures, privately where they stand against the unit's median.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages.unit_results import unit_results_text
from scheduler.scoring.review_math import Figure, Group
from scheduler.scoring.unit_openness import minimum_ratees, unit_figures
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_results import RateeResults
from storage.unit_members import linked_members

KIND = "unit_results"


def released_figures(item: RateeResults) -> dict[str, float]:
    """A ratee's released "others" mean per value (what their own report shows)."""
    others = item.result.groups[Group.OTHERS]
    return {
        code: cell.mean
        for code, cell in others.items.items()
        if isinstance(cell, Figure) and others.shown
    }


async def queue_unit_results(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    results: Sequence[RateeResults],
    now: datetime,
) -> int:
    """Queue each unit's open results to its linked members; how many rows were added."""
    by_unit: dict[str, list[RateeResults]] = defaultdict(list)
    for item in results:
        by_unit[item.ratee.unit_code].append(item)
    queued = 0
    m = settings.min_anonymous_raters
    for unit_code, items in sorted(by_unit.items()):
        instrument = items[0].instrument
        own = {item.ratee.id: released_figures(item) for item in items}
        figures = unit_figures(own, instrument.item_codes, m)
        if not figures.published:
            continue
        for employee, account in await linked_members(session, unit_code):
            _ = gettext_for(language_of(account, settings))
            text = unit_results_text(
                _,
                language_of(account, settings),
                cycle=items[0].cycle.name,
                unit=items[0].ratee.unit_name,
                instrument=instrument,
                figures=figures,
                own=own.get(employee.id, {}),
                min_ratees=minimum_ratees(m),
            )
            if await enqueue(
                session,
                chat_id=account.telegram_user_id,
                kind=KIND,
                text=text,
                dedupe_key=f"{KIND}:{cycle_id}:{employee.id}",
                priority=PRIORITY_REPORT,
                employee_id=employee.id,
                now=now,
            ):
                queued += 1
    return queued
