"""Loading a closed cycle's submitted inputs and computing its results from them.

The computing path of `storage.review_results` (the other reads the rows the
rollup materialised, `storage.review_result_store`): a fixed number of
statements whatever the number of ratees, the SUBMITTED answers and comments
only, and every result through `scheduler.scoring.review_math.aggregate`.
Also the cycle lookups both paths start from: a cycle's results exist only
once it is closed (`closed_cycle`).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.review_instrument import Expectation, Instrument, InstrumentError, Relation
from scheduler.scoring.review_instrument_config import instrument_digest
from scheduler.scoring.review_math import IMPROVE, KEEP, Comment, Rating, aggregate
from scheduler.scoring.review_recommendation import MIN_VALUES, coverage, recommend
from scheduler.scoring.shipped_instruments import get_instrument
from storage.models import Employee, Unit
from storage.review_models import (
    CLOSED,
    SUBMITTED,
    SUPERVISOR,
    PerilakuDecision,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from storage.review_result_types import (
    LEVELS,
    Completion,
    CycleInfo,
    Decision,
    InstrumentChanged,
    Person,
    RateeResults,
    ResultsNotReleased,
    UnknownCycle,
    UnknownInstrument,
)

log = logging.getLogger(__name__)


def info(cycle: ReviewCycle) -> CycleInfo:
    return CycleInfo(cycle.id, cycle.name, cycle.deadline, cycle.closed_at, cycle.instrument)


def _released(cycle: ReviewCycle | None, name: str) -> ReviewCycle:
    if cycle is None:
        raise UnknownCycle(name=name)
    if cycle.status != CLOSED:
        raise ResultsNotReleased(name=cycle.name)
    return cycle


async def _load_cycle(session: AsyncSession, condition: Any) -> ReviewCycle | None:
    # populate_existing: a cycle closed earlier in this transaction (close_cycle's
    # conditional UPDATE) must be seen as closed, not as the stale identity-map copy.
    return await session.scalar(
        select(ReviewCycle).where(condition).execution_options(populate_existing=True)
    )


async def closed_cycle(session: AsyncSession, cycle_id: int) -> ReviewCycle:
    """The cycle if it is closed; `UnknownCycle` or `ResultsNotReleased` otherwise."""
    cycle = await _load_cycle(session, ReviewCycle.id == cycle_id)
    return _released(cycle, f"#{cycle_id}")


async def closed_cycle_by_name(session: AsyncSession, name: str) -> ReviewCycle:
    text = " ".join((name or "").split())
    cycle = await _load_cycle(session, ReviewCycle.name == text)
    return _released(cycle, text)


def instrument_of(cycle: ReviewCycle) -> Instrument:
    """The instrument the cycle was opened on: `UnknownInstrument` if this version does not
    ship it, `InstrumentChanged` if its file no longer says what it said at open."""
    try:
        instrument = get_instrument(cycle.instrument)
    except InstrumentError:
        raise UnknownInstrument(name=cycle.name) from None
    if not matches_recorded(instrument, cycle.instrument_digest):
        raise InstrumentChanged(name=cycle.name, instrument=cycle.instrument)
    return instrument


def matches_recorded(instrument: Instrument, recorded: str | None) -> bool:
    """Whether the instrument is the one a cycle recorded (nothing recorded: not checked)."""
    return recorded is None or recorded == instrument_digest(instrument)


@dataclass
class Bundle:
    """One ratee's submitted inputs, before aggregation (never leaves storage)."""

    ratings: list[Rating] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    hasil_kerja: int | None = None
    supervisor_id: int | None = None
    submitted: int = 0
    total: int = 0


@dataclass
class CycleData:
    cycle: ReviewCycle
    instrument: Instrument
    bundles: dict[int, Bundle]  # ratee id → inputs
    given: dict[int, Completion]  # rater id → reviews they had to give
    people: dict[int, Person]
    decisions: dict[int, Decision]


def _scope(column: Any, cycle_id: int, ratee_ids: Sequence[int] | None) -> Any:
    condition = ReviewAssignment.cycle_id == cycle_id
    if ratee_ids is not None:
        condition = and_(condition, column.in_(list(ratee_ids)))
    return condition


async def people(session: AsyncSession, ids: Select[Any] | Iterable[int]) -> dict[int, Person]:
    rows = await session.execute(
        select(Employee.id, Employee.nip, Employee.name, Unit.code, Unit.name)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.id.in_(ids if isinstance(ids, Select) else list(ids)))
    )
    return {row[0]: Person(*row) for row in rows}


async def load(
    session: AsyncSession, cycle: ReviewCycle, ratee_ids: Sequence[int] | None
) -> CycleData:
    """A fixed number of statements whatever the number of ratees."""
    instrument = instrument_of(cycle)
    bundles: dict[int, Bundle] = defaultdict(Bundle)
    await _add_assignments(session, bundles, cycle.id, ratee_ids)
    await _add_answers(session, bundles, cycle, instrument, ratee_ids)
    given = await _given(session, cycle.id, ratee_ids)
    found = await _cycle_people(session, cycle.id, ratee_ids, bundles)
    found_decisions = await decisions(session, cycle.id, ratee_ids)
    return CycleData(cycle, instrument, dict(bundles), given, found, found_decisions)


async def _add_assignments(
    session: AsyncSession,
    bundles: dict[int, Bundle],
    cycle_id: int,
    ratee_ids: Sequence[int] | None,
) -> None:
    """Completion, the supervisor, comments and hasil kerja from the assignments."""
    assignments = await session.execute(
        select(
            ReviewAssignment.ratee_id,
            ReviewAssignment.rater_id,
            ReviewAssignment.relation,
            ReviewAssignment.status,
            ReviewAssignment.comment_keep,
            ReviewAssignment.comment_improve,
            ReviewAssignment.hasil_kerja,
        ).where(_scope(ReviewAssignment.ratee_id, cycle_id, ratee_ids))
    )
    for ratee, rater, relation, status, keep, improve, hasil in assignments:
        bundle = bundles[ratee]
        bundle.total += 1
        if relation == SUPERVISOR:
            bundle.supervisor_id = rater
        if status != SUBMITTED:
            continue
        bundle.submitted += 1
        for kind, text in ((KEEP, keep), (IMPROVE, improve)):
            if text and text.strip():
                bundle.comments.append(Comment(rater, Relation(relation), kind, text))
        if relation == SUPERVISOR and hasil in LEVELS:
            bundle.hasil_kerja = hasil


async def _add_answers(
    session: AsyncSession,
    bundles: dict[int, Bundle],
    cycle: ReviewCycle,
    instrument: Instrument,
    ratee_ids: Sequence[int] | None,
) -> None:
    """The submitted answers the instrument can interpret, as ratings."""
    items = set(instrument.item_codes)
    answers = await session.execute(
        select(
            ReviewAssignment.ratee_id,
            ReviewAssignment.rater_id,
            ReviewAssignment.relation,
            ReviewAnswer.item_code,
            ReviewAnswer.value,
        )
        .join(ReviewAnswer, ReviewAnswer.assignment_id == ReviewAssignment.id)
        .where(
            _scope(ReviewAssignment.ratee_id, cycle.id, ratee_ids),
            ReviewAssignment.status == SUBMITTED,
        )
    )
    dropped = 0
    for ratee, rater, relation, item, value in answers:
        # An answer the instrument cannot interpret (an item removed from it, a value
        # off its scale) is left out rather than failing everyone's report.
        if item not in items or (value is not None and value not in instrument.scale):
            dropped += 1
            continue
        bundles[ratee].ratings.append(Rating(rater, Relation(relation), item, value))
    if dropped:
        log.warning(
            "cycle %s: %d answers do not fit instrument %s", cycle.id, dropped, cycle.instrument
        )


async def _given(
    session: AsyncSession, cycle_id: int, ratee_ids: Sequence[int] | None
) -> dict[int, Completion]:
    """Reviews each ratee had to give (for team completion), by rater."""
    given: dict[int, Completion] = {}
    counts = await session.execute(
        select(
            ReviewAssignment.rater_id,
            func.count(ReviewAssignment.id),
            func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0)),
        )
        .where(_scope(ReviewAssignment.rater_id, cycle_id, ratee_ids))
        .group_by(ReviewAssignment.rater_id)
    )
    for rater, total, submitted in counts:
        given[rater] = Completion(int(submitted or 0), int(total))
    return given


async def _cycle_people(
    session: AsyncSession,
    cycle_id: int,
    ratee_ids: Sequence[int] | None,
    bundles: Mapping[int, Bundle],
) -> dict[int, Person]:
    """The ratees and their supervisors, by id."""
    if ratee_ids is not None:
        wanted = set(ratee_ids) | {b.supervisor_id for b in bundles.values() if b.supervisor_id}
        return await people(session, wanted)
    ids = select(ReviewAssignment.ratee_id).where(ReviewAssignment.cycle_id == cycle_id)
    supervisors = select(ReviewAssignment.rater_id).where(
        ReviewAssignment.cycle_id == cycle_id, ReviewAssignment.relation == SUPERVISOR
    )
    found = await people(session, ids)
    found.update(await people(session, supervisors))
    return found


def results_of(
    data: CycleData, ratee_id: int, min_raters: int, min_values: int = MIN_VALUES
) -> RateeResults:
    bundle = data.bundles.get(ratee_id, Bundle())
    # Same order of released comments every time a report is built (close, /hasil,
    # CLI), and one that depends on nothing but the cycle and the ratee.
    rng = random.Random(f"review-comments:{data.cycle.id}:{ratee_id}")
    result = aggregate(
        bundle.ratings,
        data.instrument,
        comments=bundle.comments,
        min_raters=min_raters,
        rng=rng,
    )
    hasil = Expectation(bundle.hasil_kerja) if bundle.hasil_kerja is not None else None
    return RateeResults(
        cycle=info(data.cycle),
        ratee=data.people[ratee_id],
        instrument=data.instrument,
        result=result,
        recommendation=recommend(result, data.instrument, hasil, min_values=min_values),
        hasil_kerja=hasil,
        decision=data.decisions.get(ratee_id),
        received=Completion(bundle.submitted, bundle.total),
        supervisor_id=bundle.supervisor_id,
        coverage=coverage(result, data.instrument, min_values),
    )


def sorted_ids(data: CycleData) -> list[int]:
    ids = [i for i in data.bundles if i in data.people]
    return sorted(ids, key=lambda i: (data.people[i].name.casefold(), data.people[i].nip))


async def decisions(
    session: AsyncSession, cycle_id: int, ratee_ids: Sequence[int] | None
) -> dict[int, Decision]:
    rows = await session.scalars(
        select(PerilakuDecision).where(
            PerilakuDecision.cycle_id == cycle_id,
            *(() if ratee_ids is None else (PerilakuDecision.ratee_id.in_(list(ratee_ids)),)),
        )
    )
    return {
        row.ratee_id: Decision(
            Expectation(row.recommended) if row.recommended in LEVELS else None,
            Expectation(row.decided),
            row.decided_by,
            row.decided_at,
        )
        for row in rows
    }
