"""The unit head's recognition and development lists when a 360° cycle closes.

`queue_lists` runs inside the cycle's close (``scheduler/cycles.py``, the
caller's transaction, never commits): every ratee and every praised officer is
placed under the nearest linked head of their unit (a head who is on a list
themselves is placed under the head above), and each head gets one message
(outbox kind ``development_lists``, one per cycle and head) with:

- the recognition list: predikat Sangat Baik, and ``RECOGNITION_MIN_PRAISE``
  or more citizen praise notes in the cycle's dates (opening to close);
- the development list: core values below expectation, with their figures.

Both are labelled a recommendation for the Pejabat Penilai Kinerja; nothing
follows from them automatically (`scheduler.scoring.development_lists`). When an
admin recorded the predikat mix that applies (`storage.predikat_mix`, the head's
OPD else every OPD) and the recommended predikat of the head's ratees break it,
the same message carries a warning (`scheduler.scoring.predikat_mix`), and is
sent for the warning alone too. A mix recorded after the close warns then
(`queue_mix_warnings`, kind ``development_mix``), on the predikat as decided by then.
Names, reasons and released figures only: never a rater, an answer or a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.messages import development_lists as texts
from scheduler.scoring.development_lists import praised_enough, values_below
from scheduler.scoring.predikat_mix import breaches
from scheduler.scoring.review_recommendation import Predikat
from storage import praise, predikat_mix
from storage.directory import (
    LinkedHead,
    Placed,
    accounts_by_employee,
    nearest_linked_head,
    placed,
    top_unit_codes,
    unit_ancestor_ids,
)
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_models import ReviewCycle
from storage.review_results import RateeResults, cycle_results

KIND = "development_lists"
MIX_KIND = "development_mix"


@dataclass
class HeadLists:
    """What one head receives (filled per person, then rendered)."""

    head: LinkedHead
    recognition: dict[int, texts.Recognised] = field(default_factory=dict)
    development: list[texts.Developing] = field(default_factory=list)
    mix: list[Predikat] = field(default_factory=list)  # the recommended predikat of its ratees


class _Router:
    """Finds each person's head once per unit (and once per unit above a head)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cache: dict[int, LinkedHead | None] = {}

    async def _nearest(self, unit_id: int | None) -> LinkedHead | None:
        if unit_id is None:
            return None
        if unit_id not in self.cache:
            self.cache[unit_id] = await nearest_linked_head(self.session, unit_id)
        return self.cache[unit_id]

    async def head_of(self, person_id: int, where: Placed) -> LinkedHead | None:
        head = await self._nearest(where.unit_id)
        if head is not None and head.employee_id == person_id:
            # The head's own entry goes to the head above the unit they head.
            above = await unit_ancestor_ids(self.session, head.unit_id)
            head = await self._nearest(above[1]) if len(above) > 1 else None
        return head


async def _gather(
    session: AsyncSession,
    settings: Settings,
    cycle: ReviewCycle,
    results: Sequence[RateeResults],
    now: datetime,
) -> dict[int, HeadLists]:
    """Every person on a list (and every predikat of the mix) under their head."""
    counts = await praise.counts_between(session, cycle.opened_at, cycle.closed_at or now)
    praised = praised_enough(counts, settings.recognition_min_praise)
    people = await placed(session, sorted({r.ratee.id for r in results} | set(praised)))
    router, heads = _Router(session), {}

    async def lists_of(person_id: int) -> HeadLists | None:
        where = people.get(person_id)
        head = await router.head_of(person_id, where) if where is not None else None
        if head is None:
            return None
        return heads.setdefault(head.employee_id, HeadLists(head))

    for item in results:
        found = await lists_of(item.ratee.id)
        if found is None:
            continue
        if item.predikat is not None:
            found.mix.append(item.predikat)
        if item.predikat is Predikat.SANGAT_BAIK:
            found.recognition[item.ratee.id] = texts.Recognised(item.ratee.name, True, 0)
        below = values_below(item.result, item.instrument)
        if below:
            found.development.append(texts.Developing(item.ratee.name, item.instrument, below))
    for officer, n in praised.items():
        found = await lists_of(officer)
        if found is None:
            continue
        known = found.recognition.get(officer)
        excellent = known.excellent if known else False
        found.recognition[officer] = texts.Recognised(people[officer].name, excellent, n)
    return heads


async def queue_lists(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    results: Sequence[RateeResults],
    now: datetime,
) -> int:
    """Each linked head's lists (only heads with someone on a list); how many were queued."""
    cycle = await session.get(ReviewCycle, cycle_id)
    if cycle is None:
        return 0
    heads = await _gather(session, settings, cycle, results, now)
    return await _queue(session, settings, cycle, heads, now)


async def queue_mix_warnings(
    session: AsyncSession, settings: Settings, cycle_id: int, now: datetime
) -> int:
    """After a mix is recorded for a closed cycle: warn each head whose ratees' predikat
    (as decided now) break it (kind ``development_mix``, once per recording); how many."""
    cycle = await session.get(ReviewCycle, cycle_id)
    if cycle is None or cycle.closed_at is None:
        return 0
    results = await cycle_results(
        session,
        cycle_id,
        min_raters=settings.min_anonymous_raters,
        min_values=settings.recommendation_min_values,
    )
    heads = await _gather(session, settings, cycle, results, now)
    accounts = await accounts_by_employee(session, sorted(heads))
    opd_of = await top_unit_codes(session)
    queued = 0
    for head_id, lists in sorted(heads.items()):
        rule = await predikat_mix.limits_for(session, cycle.id, opd_of.get(lists.head.unit_id, ""))
        broken = breaches(lists.mix, rule.limits) if rule is not None else []
        if not broken or rule is None:
            continue
        _ = gettext_for(language_of(accounts.get(head_id), settings))
        title = _("Predikat mix — “{cycle}”").format(cycle=cycle.name)
        queued += await enqueue(
            session,
            chat_id=lists.head.chat_id,
            kind=MIX_KIND,
            text=f"{title}\n\n{texts.mix_warning(rule.achievement, broken, _)}"[:4096],
            dedupe_key=f"{MIX_KIND}:{cycle.id}:{head_id}:{int(now.timestamp())}",
            priority=PRIORITY_REPORT,
            employee_id=head_id,
            now=now,
        )
    return queued


async def _queue(
    session: AsyncSession,
    settings: Settings,
    cycle: ReviewCycle,
    heads: dict[int, HeadLists],
    now: datetime,
) -> int:
    accounts = await accounts_by_employee(session, sorted(heads))
    opd_of = await top_unit_codes(session)
    queued = 0
    for head_id, lists in sorted(heads.items()):
        rule = await predikat_mix.limits_for(session, cycle.id, opd_of.get(lists.head.unit_id, ""))
        broken = breaches(lists.mix, rule.limits) if rule is not None else []
        if not lists.recognition and not lists.development and not broken:
            continue
        language = language_of(accounts.get(head_id), settings)
        _ = gettext_for(language)
        text = texts.lists_text(
            cycle.name,
            sorted(lists.recognition.values(), key=lambda r: r.name.casefold()),
            sorted(lists.development, key=lambda d: d.name.casefold()),
            settings.recognition_min_praise,
            _,
            language,
        )
        if broken and rule is not None:
            text += "\n\n" + texts.mix_warning(rule.achievement, broken, _)
        queued += await enqueue(
            session,
            chat_id=lists.head.chat_id,
            kind=KIND,
            text=text[:4096],
            dedupe_key=f"{KIND}:{cycle.id}:{head_id}",
            priority=PRIORITY_REPORT,
            employee_id=head_id,
            now=now,
        )
    return queued
