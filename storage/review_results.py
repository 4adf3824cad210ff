"""Results of closed 360° review cycles: the only way review figures leave the database.

Every function here takes an `AsyncSession`, never commits (the caller owns
the transaction) and runs unchanged on SQLite and PostgreSQL. The rules:

- **Released at close only.** Every function that returns results, team
  summaries, rater patterns or takes a perilaku decision first loads the cycle
  and raises `ResultsNotReleased` unless its status is ``closed``; a cycle
  whose deadline has passed but that is still open counts as open. Nobody can
  watch their score move while ratings arrive.
- **Only what the anonymity rule lets through.** The SUBMITTED answers and
  comments of a ratee go through `scheduler.scoring.review_math.aggregate` with the
  deployment's ``MIN_ANONYMOUS_RATERS``; `RateeResults` holds its
  `ReviewResult` (a cell is a `Figure` or a `Suppressed`, never a hidden
  number) plus attributed facts: the direct supervisor's hasil kerja rating
  and perilaku decision, and completion counts. No raw answer, no rater of a
  peer or subordinate review and no unreleased comment is returned. Drafts
  (pending, in progress, or a submitted review reopened for changes) never
  count.
- **One query per table, not one per ratee.** `cycle_results` loads a whole
  cycle (or a list of ratees) with a fixed number of statements.
- **Materialised once.** The rollup job (`scheduler.rollup`) writes each closed
  cycle's released results into the ``review_result_*`` tables
  (`materialise_cycle`): figures as (mean, n) or as a suppressed cell (reason
  only), the released comments in their released order, never a per-rater
  row. `ratee_results` and `cycle_results` read those rows when they were
  written for this cycle's closing time, instrument and ``min_raters``, and
  compute from the answers otherwise; both ways give equal `RateeResults`.
  The perilaku decision and names are always read live (they can change
  after close).

Team summaries (`team_summary`, `team_summaries`): a supervisor's team in a
cycle is every ratee for whom they hold the SUPERVISOR assignment (the cycle's
own record of who was the direct supervisor, so a later roster change does
not move anyone between teams). Per member: completion of the reviews about
them and of the reviews they had to give, the overall ("others" when shown,
else the supervisor's own), the recommended and the decided perilaku, the
hasil kerja and the predikat. Never individual answers or group breakdowns.

Unit summaries (`unit_summaries`, pure) average per-ratee "others" figures that
passed the rule, and are themselves shown only when at least
``min_raters`` ratees contribute: they can never reveal more than the ratee
figures they are made of, and a unit figure is never one person's score in
disguise.

Rater patterns (`rater_pattern_list`, admins only): who, never what. See
`scheduler.scoring.review_math.rater_patterns`; the list names raters and, for a
reciprocal pair, the direction (both all-highest or both all-lowest), which
necessarily says what those two gave each other: it is for an admin's eyes
only (the CLI), never for the people rated.

The perilaku decision (`record_perilaku_decision`): the direct supervisor
confirms or overrides the recommended perilaku kerja rating after close; one
row per cycle and ratee (upsert), with the recommendation at the time and an
audit line.
"""

from __future__ import annotations

import logging
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Translate
from scheduler.scoring.review_instrument import (
    Expectation,
    Instrument,
    InstrumentError,
    Relation,
    get_instrument,
)
from scheduler.scoring.review_math import (
    IMPROVE,
    KEEP,
    Comment,
    Comments,
    CycleRating,
    Direction,
    Extreme,
    Figure,
    Gap,
    GapFlag,
    Group,
    GroupResult,
    Predikat,
    Rating,
    Reason,
    Recommendation,
    ReviewResult,
    Suppressed,
    aggregate,
    predikat,
    rater_patterns,
    recommend,
)
from storage.directory import unit_subtree_ids
from storage.models import AuditLog, Employee, Unit
from storage.review_models import (
    CLOSED,
    OPEN,
    SUBMITTED,
    SUPERVISOR,
    PerilakuDecision,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from storage.rollup_models import (
    ANONYMOUS,
    OVERALL,
    OWN,
    RESULT_GROUPS,
    SUPERVISOR_SOURCE,
    ReviewResultComment,
    ReviewResultCycle,
    ReviewResultItem,
    ReviewResultRatee,
)

log = logging.getLogger(__name__)

_LEVELS = frozenset(int(level) for level in Expectation)

# -- errors ----------------------------------------------------------------------------


class ResultsError(Exception):
    """Results that cannot be given. ``template`` is an English message id."""

    template = N_("These results cannot be shown.")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.template.format(**params))

    def translated(self, _: Translate) -> str:
        return _(self.template).format(**self.params)


class UnknownCycle(ResultsError):
    template = N_("There is no cycle named “{name}”.")


class ResultsNotReleased(ResultsError):
    template = N_(
        "The results of the cycle “{name}” are released when the cycle closes; it is still open."
    )


class UnknownInstrument(ResultsError):
    template = N_("The cycle “{name}” uses an instrument this version does not know.")


class UnknownEmployee(ResultsError):
    template = N_("There is no employee with NIP {nip}.")


class UnknownUnit(ResultsError):
    template = N_("There is no unit with code {code}.")


class NotRated(ResultsError):
    template = N_("{person} is not rated in the cycle “{name}”.")


class NotSupervisor(ResultsError):
    template = N_("You are not the direct supervisor of this colleague in the cycle “{name}”.")


class InvalidDecision(ResultsError):
    template = N_("A perilaku kerja rating must be 1, 2 or 3.")


# -- result types ----------------------------------------------------------------------


@dataclass(frozen=True)
class CycleInfo:
    id: int
    name: str
    deadline: date
    closed_at: datetime | None
    instrument_code: str


@dataclass(frozen=True)
class Person:
    id: int
    nip: str
    name: str
    unit_code: str
    unit_name: str


@dataclass(frozen=True)
class Completion:
    submitted: int
    total: int


@dataclass(frozen=True)
class Decision:
    """The supervisor's confirmation (decided == recommended) or override."""

    recommended: Expectation | None
    decided: Expectation
    decided_by: int
    decided_at: datetime

    @property
    def is_override(self) -> bool:
        return self.recommended is not None and self.decided is not self.recommended


@dataclass(frozen=True)
class RateeResults:
    """Everything that may be shown about one ratee in one closed cycle."""

    cycle: CycleInfo
    ratee: Person
    instrument: Instrument
    result: ReviewResult  # only what `aggregate` let through
    recommendation: Recommendation | None
    hasil_kerja: Expectation | None  # from the direct supervisor's submitted review
    decision: Decision | None
    received: Completion  # reviews about this ratee (self included)
    supervisor_id: int | None  # who holds the SUPERVISOR assignment, if anyone

    @property
    def perilaku(self) -> Expectation | None:
        """The decided perilaku kerja rating, else the recommended one."""
        if self.decision is not None:
            return self.decision.decided
        return self.recommendation.perilaku if self.recommendation else None

    @property
    def predikat(self) -> Predikat | None:
        """The predikat kinerja from `perilaku` and the hasil kerja, when both exist."""
        if self.perilaku is None or self.hasil_kerja is None:
            return None
        return predikat(self.perilaku, self.hasil_kerja)

    @property
    def overall(self) -> tuple[Group, Figure] | None:
        """The headline figure: "others" when shown, else the supervisor's own."""
        for group in (Group.OTHERS, Group.SUPERVISOR):
            cell = self.result.groups[group].overall
            if isinstance(cell, Figure):
                return group, cell
        return None


@dataclass(frozen=True)
class TeamMember:
    person: Person
    received: Completion
    given: Completion  # the reviews this member had to give in the cycle
    overall: tuple[Group, Figure] | None
    recommended: Expectation | None
    decided: Expectation | None
    hasil_kerja: Expectation | None
    predikat: Predikat | None


@dataclass(frozen=True)
class TeamSummary:
    cycle: CycleInfo
    supervisor: Person
    members: tuple[TeamMember, ...]

    @property
    def received(self) -> Completion:
        return Completion(
            sum(m.received.submitted for m in self.members),
            sum(m.received.total for m in self.members),
        )

    @property
    def given(self) -> Completion:
        return Completion(
            sum(m.given.submitted for m in self.members),
            sum(m.given.total for m in self.members),
        )


@dataclass(frozen=True)
class UnitFigure:
    mean: float  # mean of the ratees' shown figures
    ratees: int  # how many ratees' figures it averages


UnitCell = UnitFigure | Suppressed


@dataclass(frozen=True)
class UnitSummary:
    unit_code: str
    unit_name: str
    ratees: int
    overall: UnitCell  # over the ratees' shown "others" overalls
    items: Mapping[str, UnitCell]


@dataclass(frozen=True)
class ReciprocalFlag:
    first: Person
    second: Person
    extreme: Extreme


@dataclass(frozen=True)
class StraightLineFlag:
    rater: Person
    ratees: int


@dataclass(frozen=True)
class OutlierFlag:
    rater: Person
    ratees: int
    z: float
    direction: Direction


@dataclass(frozen=True)
class PatternList:
    cycle: CycleInfo
    reciprocal: tuple[ReciprocalFlag, ...]
    straight_lining: tuple[StraightLineFlag, ...]
    outliers: tuple[OutlierFlag, ...]

    @property
    def empty(self) -> bool:
        return not (self.reciprocal or self.straight_lining or self.outliers)


@dataclass(frozen=True)
class CycleRole:
    """The latest closed cycle where someone is rated or is a direct supervisor."""

    cycle: CycleInfo
    is_ratee: bool
    is_supervisor: bool


# -- cycles ------------------------------------------------------------------------------


def _info(cycle: ReviewCycle) -> CycleInfo:
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


def _instrument(cycle: ReviewCycle) -> Instrument:
    try:
        return get_instrument(cycle.instrument)
    except InstrumentError:
        raise UnknownInstrument(name=cycle.name) from None


def _involved(employee_id: int) -> Any:
    """Assignments that make someone part of a cycle's results: rated, or the supervisor."""
    return or_(
        ReviewAssignment.ratee_id == employee_id,
        and_(ReviewAssignment.rater_id == employee_id, ReviewAssignment.relation == SUPERVISOR),
    )


async def latest_closed_cycle_for(session: AsyncSession, employee_id: int) -> CycleRole | None:
    """The most recently closed cycle where this employee is rated or a direct supervisor."""
    cycle = await session.scalar(
        select(ReviewCycle)
        .where(
            ReviewCycle.status == CLOSED,
            ReviewCycle.id.in_(select(ReviewAssignment.cycle_id).where(_involved(employee_id))),
        )
        .order_by(ReviewCycle.closed_at.desc(), ReviewCycle.id.desc())
        .limit(1)
    )
    if cycle is None:
        return None
    roles = (
        await session.execute(
            select(ReviewAssignment.ratee_id == employee_id, ReviewAssignment.relation)
            .where(ReviewAssignment.cycle_id == cycle.id, _involved(employee_id))
            .distinct()
        )
    ).all()
    is_ratee = any(bool(rated) for rated, _ in roles)
    is_supervisor = any(not rated and relation == SUPERVISOR for rated, relation in roles)
    return CycleRole(_info(cycle), is_ratee, is_supervisor)


async def open_cycle_for(session: AsyncSession, employee_id: int) -> CycleInfo | None:
    """The newest still-open cycle where this employee is rated or a direct supervisor."""
    cycle = await session.scalar(
        select(ReviewCycle)
        .where(
            ReviewCycle.status == OPEN,
            ReviewCycle.id.in_(select(ReviewAssignment.cycle_id).where(_involved(employee_id))),
        )
        .order_by(ReviewCycle.opened_at.desc(), ReviewCycle.id.desc())
        .limit(1)
    )
    return _info(cycle) if cycle is not None else None


# -- loading ---------------------------------------------------------------------------


@dataclass
class _Bundle:
    """One ratee's submitted inputs, before aggregation (never leaves this module)."""

    ratings: list[Rating] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    hasil_kerja: int | None = None
    supervisor_id: int | None = None
    submitted: int = 0
    total: int = 0


@dataclass
class _CycleData:
    cycle: ReviewCycle
    instrument: Instrument
    bundles: dict[int, _Bundle]  # ratee id → inputs
    given: dict[int, Completion]  # rater id → reviews they had to give
    people: dict[int, Person]
    decisions: dict[int, Decision]


def _scope(column: Any, cycle_id: int, ratee_ids: Sequence[int] | None) -> Any:
    condition = ReviewAssignment.cycle_id == cycle_id
    if ratee_ids is not None:
        condition = and_(condition, column.in_(list(ratee_ids)))
    return condition


async def _people(session: AsyncSession, ids: Select[Any] | Iterable[int]) -> dict[int, Person]:
    rows = await session.execute(
        select(Employee.id, Employee.nip, Employee.name, Unit.code, Unit.name)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.id.in_(ids if isinstance(ids, Select) else list(ids)))
    )
    return {row[0]: Person(*row) for row in rows}


async def _load(
    session: AsyncSession, cycle: ReviewCycle, ratee_ids: Sequence[int] | None
) -> _CycleData:
    """A fixed number of statements whatever the number of ratees."""
    instrument = _instrument(cycle)
    items = set(instrument.item_codes)
    bundles: dict[int, _Bundle] = defaultdict(_Bundle)

    assignments = await session.execute(
        select(
            ReviewAssignment.ratee_id,
            ReviewAssignment.rater_id,
            ReviewAssignment.relation,
            ReviewAssignment.status,
            ReviewAssignment.comment_keep,
            ReviewAssignment.comment_improve,
            ReviewAssignment.hasil_kerja,
        ).where(_scope(ReviewAssignment.ratee_id, cycle.id, ratee_ids))
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
        if relation == SUPERVISOR and hasil in _LEVELS:
            bundle.hasil_kerja = hasil

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

    # Reviews each ratee had to give (for team completion), by rater.
    given: dict[int, Completion] = {}
    counts = await session.execute(
        select(
            ReviewAssignment.rater_id,
            func.count(ReviewAssignment.id),
            func.sum(case((ReviewAssignment.status == SUBMITTED, 1), else_=0)),
        )
        .where(_scope(ReviewAssignment.rater_id, cycle.id, ratee_ids))
        .group_by(ReviewAssignment.rater_id)
    )
    for rater, total, submitted in counts:
        given[rater] = Completion(int(submitted or 0), int(total))

    ids: Select[Any] | set[int]
    if ratee_ids is None:
        ids = select(ReviewAssignment.ratee_id).where(ReviewAssignment.cycle_id == cycle.id)
        supervisors = select(ReviewAssignment.rater_id).where(
            ReviewAssignment.cycle_id == cycle.id, ReviewAssignment.relation == SUPERVISOR
        )
        people = await _people(session, ids)
        people.update(await _people(session, supervisors))
    else:
        wanted = set(ratee_ids) | {b.supervisor_id for b in bundles.values() if b.supervisor_id}
        people = await _people(session, wanted)

    decisions = await _decisions(session, cycle.id, ratee_ids)
    return _CycleData(cycle, instrument, dict(bundles), given, people, decisions)


def _results_of(data: _CycleData, ratee_id: int, min_raters: int) -> RateeResults:
    bundle = data.bundles.get(ratee_id, _Bundle())
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
        cycle=_info(data.cycle),
        ratee=data.people[ratee_id],
        instrument=data.instrument,
        result=result,
        recommendation=recommend(result, data.instrument, hasil),
        hasil_kerja=hasil,
        decision=data.decisions.get(ratee_id),
        received=Completion(bundle.submitted, bundle.total),
        supervisor_id=bundle.supervisor_id,
    )


def _sorted_ids(data: _CycleData) -> list[int]:
    ids = [i for i in data.bundles if i in data.people]
    return sorted(ids, key=lambda i: (data.people[i].name.casefold(), data.people[i].nip))


# -- materialised results (written by the rollup job, read by the reports) ----------------


async def _decisions(
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
            Expectation(row.recommended) if row.recommended in _LEVELS else None,
            Expectation(row.decided),
            row.decided_by,
            row.decided_at,
        )
        for row in rows
    }


def _cell_values(cell: Figure | Suppressed) -> tuple[float | None, int | None, str | None]:
    if isinstance(cell, Figure):
        return cell.mean, cell.n, None
    return None, None, cell.reason.value


def _gap_values(gap: Gap | Suppressed) -> dict[str, Any]:
    if isinstance(gap, Gap):
        return {
            "gap_self": gap.self_mean,
            "gap_others": gap.others_mean,
            "gap": gap.gap,
            "gap_flag": gap.flag.value if gap.flag else None,
            "gap_reason": None,
        }
    return {
        "gap_self": None,
        "gap_others": None,
        "gap": None,
        "gap_flag": None,
        "gap_reason": gap.reason.value,
    }


def _materialised_rows(
    item: RateeResults,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of one ratee: facts, one row per item (and the overall), comments."""
    key = {"cycle_id": item.cycle.id, "ratee_id": item.ratee.id}
    result = item.result
    rec = item.recommendation
    ratee = {
        **key,
        "supervisor_id": item.supervisor_id,
        "received_submitted": item.received.submitted,
        "received_total": item.received.total,
        "hasil_kerja": int(item.hasil_kerja) if item.hasil_kerja is not None else None,
        "rec_basis": rec.basis.value if rec else None,
        "rec_mean": rec.mean if rec else None,
        "rec_n": rec.n if rec else None,
        "rec_perilaku": int(rec.perilaku) if rec else None,
    }
    items = []
    for code in (*result.item_codes, OVERALL):
        row: dict[str, Any] = {**key, "item_code": code}
        for group in Group:
            cell = result.cell(group, None if code == OVERALL else code)
            mean, n, reason = _cell_values(cell)
            row |= {f"{group.value}_mean": mean, f"{group.value}_n": n}
            row[f"{group.value}_reason"] = reason
        row |= _gap_values(result.overall_gap if code == OVERALL else result.gaps[code])
        items.append(row)
    comments = []
    pools: list[tuple[str, Mapping[str, Any]]] = [
        (OWN, result.comments.own),
        (SUPERVISOR_SOURCE, result.comments.supervisor),
        (ANONYMOUS, result.comments.anonymous),
    ]
    for source, by_kind in pools:
        # One running position per source keeps both the order of the kinds and
        # the released order of the texts.
        position = 0
        for kind, texts in by_kind.items():
            if isinstance(texts, Suppressed):
                position += 1
                comments.append(
                    {**key, "source": source, "kind": kind, "position": position}
                    | {"text": None, "reason": texts.reason.value}
                )
                continue
            for text in texts:
                position += 1
                comments.append(
                    {**key, "source": source, "kind": kind, "position": position}
                    | {"text": text, "reason": None}
                )
    return ratee, items, comments


async def drop_materialised(session: AsyncSession, cycle_id: int) -> None:
    """Remove a cycle's materialised rows (before rewriting them, or once it is not closed)."""
    for model in (ReviewResultComment, ReviewResultItem, ReviewResultRatee, ReviewResultCycle):
        await session.execute(delete(model).where(model.cycle_id == cycle_id))


async def materialise_cycle(
    session: AsyncSession, cycle_id: int, *, min_raters: int, now: datetime
) -> int:
    """Compute a closed cycle's results from the answers and store only what was released.

    Replaces whatever was stored for the cycle; returns the number of ratees.
    """
    cycle = await closed_cycle(session, cycle_id)
    data = await _load(session, cycle, None)
    results = [_results_of(data, ratee, min_raters) for ratee in _sorted_ids(data)]
    await drop_materialised(session, cycle.id)
    await session.execute(
        insert(ReviewResultCycle).values(
            cycle_id=cycle.id,
            closed_at=cycle.closed_at,
            instrument=cycle.instrument,
            min_raters=min_raters,
            materialised_at=now,
        )
    )
    ratees, items, comments = [], [], []
    for item in results:
        ratee, rows, texts = _materialised_rows(item)
        ratees.append(ratee)
        items += rows
        comments += texts
    for model, rows in (
        (ReviewResultRatee, ratees),
        (ReviewResultItem, items),
        (ReviewResultComment, comments),
    ):
        if rows:
            await session.execute(insert(model), rows)
    return len(results)


async def cycles_to_materialise(
    session: AsyncSession, *, min_raters: int, everything: bool = False
) -> tuple[list[int], list[int]]:
    """(closed cycles to write or rewrite, materialised cycles that are no longer closed).

    A cycle is rewritten when it has never been written, or was written for
    another closing time, instrument or minimum of anonymous raters (or with
    ``everything``). Cycles with an instrument this version does not know are
    left alone: their results cannot be computed either way.
    """
    cycles = (
        await session.execute(
            select(ReviewCycle.id, ReviewCycle.closed_at, ReviewCycle.instrument).where(
                ReviewCycle.status == CLOSED
            )
        )
    ).all()
    marks = {
        row.cycle_id: row
        for row in (
            await session.execute(
                select(
                    ReviewResultCycle.cycle_id,
                    ReviewResultCycle.closed_at,
                    ReviewResultCycle.instrument,
                    ReviewResultCycle.min_raters,
                )
            )
        ).all()
    }
    stale = []
    for cycle_id, closed_at, instrument in cycles:
        try:
            get_instrument(instrument)
        except InstrumentError:
            continue
        mark = marks.get(cycle_id)
        if (
            everything
            or mark is None
            or (mark.closed_at, mark.instrument, mark.min_raters)
            != (closed_at, instrument, min_raters)
        ):
            stale.append(cycle_id)
    closed = {cycle_id for cycle_id, _at, _instrument in cycles}
    dropped = sorted(cycle_id for cycle_id in marks if cycle_id not in closed)
    return sorted(stale), dropped


def _cell_from(row: Any, group: str) -> Figure | Suppressed:
    mean = getattr(row, f"{group}_mean")
    if mean is None:
        return Suppressed(Reason(getattr(row, f"{group}_reason")))
    return Figure(mean, getattr(row, f"{group}_n"))


def _gap_from(row: Any) -> Gap | Suppressed:
    if row.gap is None:
        return Suppressed(Reason(row.gap_reason))
    flag = GapFlag(row.gap_flag) if row.gap_flag else None
    return Gap(row.gap_self, row.gap_others, row.gap, flag)


def _result_from(
    instrument: Instrument, min_raters: int, items: Mapping[str, Any], texts: Sequence[Any]
) -> ReviewResult:
    codes = instrument.item_codes
    groups = {
        Group(group): GroupResult(
            Group(group),
            _cell_from(items[OVERALL], group),
            MappingProxyType({code: _cell_from(items[code], group) for code in codes}),
        )
        for group in RESULT_GROUPS
    }
    pools: dict[str, dict[str, Any]] = {OWN: {}, SUPERVISOR_SOURCE: {}, ANONYMOUS: {}}
    for row in texts:  # ordered by source and position
        pool = pools[row.source]
        if row.text is None:
            pool[row.kind] = Suppressed(Reason(row.reason))
        else:
            pool[row.kind] = (*pool.get(row.kind, ()), row.text)
    return ReviewResult(
        instrument_code=instrument.code,
        min_raters=min_raters,
        item_codes=codes,
        groups=MappingProxyType({group: groups[group] for group in Group}),
        gaps=MappingProxyType({code: _gap_from(items[code]) for code in codes}),
        overall_gap=_gap_from(items[OVERALL]),
        comments=Comments(
            own=MappingProxyType(pools[OWN]),
            supervisor=MappingProxyType(pools[SUPERVISOR_SOURCE]),
            anonymous=MappingProxyType(pools[ANONYMOUS]),
        ),
    )


async def materialised_results(
    session: AsyncSession,
    cycle: ReviewCycle,
    *,
    min_raters: int,
    ratee_ids: Sequence[int] | None = None,
) -> list[RateeResults] | None:
    """The stored results of a closed cycle, by name; None when none fit (compute instead).

    A fixed number of statements whatever the number of ratees.
    """
    mark = await session.scalar(
        select(ReviewResultCycle).where(ReviewResultCycle.cycle_id == cycle.id)
    )
    if mark is None or (mark.closed_at, mark.instrument, mark.min_raters) != (
        cycle.closed_at,
        cycle.instrument,
        min_raters,
    ):
        return None
    instrument = _instrument(cycle)

    def scoped(model: Any) -> Any:
        statement = select(model).where(model.cycle_id == cycle.id)
        if ratee_ids is not None:
            statement = statement.where(model.ratee_id.in_(list(ratee_ids)))
        return statement

    ratees = (await session.scalars(scoped(ReviewResultRatee))).all()
    items: dict[int, dict[str, Any]] = defaultdict(dict)
    for row in await session.scalars(scoped(ReviewResultItem)):
        items[row.ratee_id][row.item_code] = row
    texts: dict[int, list[Any]] = defaultdict(list)
    comment_rows = scoped(ReviewResultComment).order_by(
        ReviewResultComment.ratee_id, ReviewResultComment.source, ReviewResultComment.position
    )
    for row in await session.scalars(comment_rows):
        texts[row.ratee_id].append(row)
    wanted = {r.ratee_id for r in ratees} | {r.supervisor_id for r in ratees if r.supervisor_id}
    people = await _people(session, wanted) if wanted else {}
    decisions = await _decisions(session, cycle.id, ratee_ids)
    info = _info(cycle)
    out = []
    for row in ratees:
        if row.ratee_id not in people:
            continue
        result = _result_from(instrument, min_raters, items[row.ratee_id], texts[row.ratee_id])
        hasil = Expectation(row.hasil_kerja) if row.hasil_kerja is not None else None
        recommendation = None
        if row.rec_basis is not None:
            perilaku = Expectation(row.rec_perilaku)
            recommendation = Recommendation(
                basis=Group(row.rec_basis),
                mean=row.rec_mean,
                n=row.rec_n,
                perilaku=perilaku,
                hasil_kerja=hasil,
                predikat=predikat(perilaku, hasil) if hasil is not None else None,
            )
        out.append(
            RateeResults(
                cycle=info,
                ratee=people[row.ratee_id],
                instrument=instrument,
                result=result,
                recommendation=recommendation,
                hasil_kerja=hasil,
                decision=decisions.get(row.ratee_id),
                received=Completion(row.received_submitted, row.received_total),
                supervisor_id=row.supervisor_id,
            )
        )
    return sorted(out, key=lambda r: (r.ratee.name.casefold(), r.ratee.nip))


# -- per ratee --------------------------------------------------------------------------


async def ratee_results(
    session: AsyncSession, cycle_id: int, ratee_id: int, *, min_raters: int
) -> RateeResults:
    """One ratee's results in a closed cycle; `NotRated` if they are not rated in it."""
    cycle = await closed_cycle(session, cycle_id)
    stored = await materialised_results(session, cycle, min_raters=min_raters, ratee_ids=[ratee_id])
    if stored:
        return stored[0]
    data = await _load(session, cycle, [ratee_id])
    if ratee_id not in data.bundles or ratee_id not in data.people:
        person = await _people(session, [ratee_id])
        who = person[ratee_id].name if ratee_id in person else f"#{ratee_id}"
        raise NotRated(person=who, name=cycle.name)
    return _results_of(data, ratee_id, min_raters)


async def cycle_results(
    session: AsyncSession,
    cycle_id: int,
    *,
    min_raters: int,
    ratee_ids: Sequence[int] | None = None,
) -> list[RateeResults]:
    """Every ratee's results in a closed cycle (or those of ``ratee_ids``), by name.

    From the materialised rows when the rollup wrote them for this rule, else computed.
    """
    cycle = await closed_cycle(session, cycle_id)
    stored = await materialised_results(session, cycle, min_raters=min_raters, ratee_ids=ratee_ids)
    if stored is not None:
        return stored
    data = await _load(session, cycle, ratee_ids)
    return [_results_of(data, ratee, min_raters) for ratee in _sorted_ids(data)]


async def select_ratees(
    session: AsyncSession,
    cycle: ReviewCycle,
    *,
    employee_nip: str | None = None,
    unit_code: str | None = None,
) -> list[int] | None:
    """Ratee ids of a cycle for the report filters (None: every ratee).

    ``unit_code`` takes the unit with its sub-units (the ratee's current unit).
    """
    if employee_nip is None and unit_code is None:
        return None
    statement = select(ReviewAssignment.ratee_id).where(ReviewAssignment.cycle_id == cycle.id)
    if employee_nip is not None:
        nip = employee_nip.strip()
        employee = await session.scalar(select(Employee).where(Employee.nip == nip))
        if employee is None:
            raise UnknownEmployee(nip=nip)
        statement = statement.where(ReviewAssignment.ratee_id == employee.id)
        found = (await session.scalars(statement.distinct())).all()
        if not found:
            raise NotRated(person=f"{employee.name} ({employee.nip})", name=cycle.name)
    if unit_code is not None:
        code = unit_code.strip()
        unit = await session.scalar(select(Unit).where(func.upper(Unit.code) == code.upper()))
        if unit is None:
            raise UnknownUnit(code=code)
        units = await unit_subtree_ids(session, unit.id)
        statement = statement.join(Employee, Employee.id == ReviewAssignment.ratee_id).where(
            Employee.unit_id.in_(units)
        )
    return sorted(set((await session.scalars(statement.distinct())).all()))


# -- teams -------------------------------------------------------------------------------


def _member(data: _CycleData, results: RateeResults) -> TeamMember:
    ratee = results.ratee.id
    return TeamMember(
        person=results.ratee,
        received=results.received,
        given=data.given.get(ratee, Completion(0, 0)),
        overall=results.overall,
        recommended=results.recommendation.perilaku if results.recommendation else None,
        decided=results.decision.decided if results.decision else None,
        hasil_kerja=results.hasil_kerja,
        predikat=results.predikat,
    )


def _teams(data: _CycleData, results: Iterable[RateeResults]) -> list[TeamSummary]:
    members: dict[int, list[TeamMember]] = defaultdict(list)
    for item in results:
        if item.supervisor_id is not None:
            members[item.supervisor_id].append(_member(data, item))
    teams = [
        TeamSummary(_info(data.cycle), data.people[boss], tuple(team))
        for boss, team in members.items()
        if boss in data.people
    ]
    return sorted(teams, key=lambda t: (t.supervisor.name.casefold(), t.supervisor.nip))


async def team_summary(
    session: AsyncSession, cycle_id: int, supervisor_id: int, *, min_raters: int
) -> TeamSummary:
    """The team of one direct supervisor in a closed cycle; `NotSupervisor` if none."""
    cycle = await closed_cycle(session, cycle_id)
    team = (
        await session.scalars(
            select(ReviewAssignment.ratee_id).where(
                ReviewAssignment.cycle_id == cycle.id,
                ReviewAssignment.rater_id == supervisor_id,
                ReviewAssignment.relation == SUPERVISOR,
            )
        )
    ).all()
    if not team:
        raise NotSupervisor(name=cycle.name)
    data = await _load(session, cycle, list(team))
    data.people.update(await _people(session, [supervisor_id]))
    results = [_results_of(data, ratee, min_raters) for ratee in _sorted_ids(data)]
    teams = [t for t in _teams(data, results) if t.supervisor.id == supervisor_id]
    if not teams:
        raise NotSupervisor(name=cycle.name)
    return teams[0]


async def cycle_report(
    session: AsyncSession, cycle_id: int, *, min_raters: int
) -> tuple[list[RateeResults], list[TeamSummary]]:
    """Every ratee's results and every supervisor's team in one load (the close job)."""
    cycle = await closed_cycle(session, cycle_id)
    data = await _load(session, cycle, None)
    results = [_results_of(data, ratee, min_raters) for ratee in _sorted_ids(data)]
    return results, _teams(data, results)


async def team_summaries(
    session: AsyncSession, cycle_id: int, *, min_raters: int
) -> list[TeamSummary]:
    """Every direct supervisor's team in a closed cycle."""
    return (await cycle_report(session, cycle_id, min_raters=min_raters))[1]


async def supervised_results(
    session: AsyncSession, cycle_id: int, supervisor_id: int, ratee_id: int, *, min_raters: int
) -> RateeResults:
    """A team member's results for their direct supervisor in the cycle; else `NotSupervisor`.

    The same figures the member sees: the supervisor gets no more than the rule allows.
    """
    cycle = await closed_cycle(session, cycle_id)
    holder = await session.scalar(
        select(ReviewAssignment.rater_id).where(
            ReviewAssignment.cycle_id == cycle.id,
            ReviewAssignment.ratee_id == ratee_id,
            ReviewAssignment.relation == SUPERVISOR,
        )
    )
    if holder is None or holder != supervisor_id:
        raise NotSupervisor(name=cycle.name)
    return await ratee_results(session, cycle.id, ratee_id, min_raters=min_raters)


# -- units (pure) -------------------------------------------------------------------------


def _unit_cell(values: list[float], min_raters: int) -> UnitCell:
    if not values:
        return Suppressed(Reason.NO_SCORES)
    if len(values) < min_raters:
        return Suppressed(Reason.BELOW_MINIMUM)
    return UnitFigure(statistics.fmean(values), len(values))


def unit_summaries(results: Iterable[RateeResults], *, min_raters: int) -> list[UnitSummary]:
    """Per unit (the ratee's unit): averages of the ratees' SHOWN "others" figures.

    A unit figure needs at least ``min_raters`` ratees with a shown figure, so
    a unit of one or two people never shows a unit figure that is simply their
    own score under another name.
    """
    by_unit: dict[tuple[str, str], list[RateeResults]] = defaultdict(list)
    for item in results:
        by_unit[item.ratee.unit_code, item.ratee.unit_name].append(item)
    out = []
    for (code, name), members in sorted(by_unit.items()):
        codes = members[0].result.item_codes
        overall = [
            cell.mean
            for m in members
            if isinstance(cell := m.result.groups[Group.OTHERS].overall, Figure)
        ]
        items = {
            item: _unit_cell(
                [
                    cell.mean
                    for m in members
                    if isinstance(cell := m.result.groups[Group.OTHERS].items.get(item), Figure)
                ],
                min_raters,
            )
            for item in codes
        }
        out.append(
            UnitSummary(
                code, name, len(members), _unit_cell(overall, min_raters), MappingProxyType(items)
            )
        )
    return out


# -- rater patterns --------------------------------------------------------------------


async def rater_pattern_list(session: AsyncSession, cycle_id: int) -> PatternList:
    """Rater patterns of a closed cycle, with names (for admins; never blocking)."""
    cycle = await closed_cycle(session, cycle_id)
    instrument = _instrument(cycle)
    items = set(instrument.item_codes)
    rows = await session.execute(
        select(
            ReviewAssignment.rater_id,
            ReviewAssignment.ratee_id,
            ReviewAssignment.relation,
            ReviewAnswer.item_code,
            ReviewAnswer.value,
        )
        .join(ReviewAnswer, ReviewAnswer.assignment_id == ReviewAssignment.id)
        .where(ReviewAssignment.cycle_id == cycle.id, ReviewAssignment.status == SUBMITTED)
    )
    ratings = [
        CycleRating(rater, ratee, Relation(relation), item, value)
        for rater, ratee, relation, item, value in rows
        if item in items and (value is None or value in instrument.scale)
    ]
    found = rater_patterns(ratings, instrument)
    ids = {p.rater_a for p in found.reciprocal} | {p.rater_b for p in found.reciprocal}
    ids |= {s.rater_id for s in found.straight_lining} | {o.rater_id for o in found.outliers}
    people = await _people(session, ids) if ids else {}

    def who(employee_id: int) -> Person:
        return people.get(employee_id) or Person(employee_id, "", f"#{employee_id}", "", "")

    return PatternList(
        cycle=_info(cycle),
        reciprocal=tuple(
            ReciprocalFlag(who(p.rater_a), who(p.rater_b), p.extreme) for p in found.reciprocal
        ),
        straight_lining=tuple(
            StraightLineFlag(who(s.rater_id), s.ratees) for s in found.straight_lining
        ),
        outliers=tuple(
            OutlierFlag(who(o.rater_id), o.ratees, o.z, o.direction)
            for o in sorted(found.outliers, key=lambda o: (-abs(o.z), o.rater_id))
        ),
    )


# -- the supervisor's perilaku decision ---------------------------------------------


def _upsert_decision(session: AsyncSession, values: Mapping[str, Any]) -> Any:
    dialect = session.get_bind().dialect.name
    table = PerilakuDecision.__table__
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        statement = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"upsert is not written for {dialect}")
    columns = ("recommended", "decided", "decided_by", "decided_at")
    changed = {name: statement.excluded[name] for name in columns}
    return (
        statement.values(**values)
        .on_conflict_do_update(index_elements=["cycle_id", "ratee_id"], set_=changed)
        .returning(table.c.id)
    )


async def record_perilaku_decision(
    session: AsyncSession,
    *,
    cycle_id: int,
    ratee_id: int,
    supervisor_id: int,
    decided: int,
    now: datetime,
    min_raters: int,
) -> Decision:
    """Record (or change) the direct supervisor's perilaku kerja rating for a ratee.

    Only after close (`ResultsNotReleased`), only by the holder of the cycle's
    SUPERVISOR assignment for this ratee (`NotSupervisor`), only 1–3
    (`InvalidDecision`). The recommendation at this moment is stored beside
    the decision, so an override stays visible as one.
    """
    if isinstance(decided, bool) or decided not in _LEVELS:
        raise InvalidDecision()
    # Write first: on SQLite the transaction then holds the write lock from its first
    # statement instead of failing to upgrade a read snapshot (see storage/outbox.py).
    audit = AuditLog(at=now, actor=f"employee:{supervisor_id}", action="perilaku.decide")
    session.add(audit)
    await session.flush()
    results = await supervised_results(
        session, cycle_id, supervisor_id, ratee_id, min_raters=min_raters
    )
    recommended = results.recommendation.perilaku if results.recommendation else None
    choice = Expectation(decided)
    await session.execute(
        _upsert_decision(
            session,
            {
                "cycle_id": results.cycle.id,
                "ratee_id": ratee_id,
                "recommended": int(recommended) if recommended is not None else None,
                "decided": int(choice),
                "decided_by": supervisor_id,
                "decided_at": now,
            },
        )
    )
    audit.detail = (
        f"cycle={results.cycle.name}; ratee={results.ratee.nip}; "
        f"recommended={recommended.code if recommended else '-'}; decided={choice.code}"
    )
    await session.flush()
    return Decision(recommended, choice, supervisor_id, now)


__all__ = [
    "Completion",
    "CycleInfo",
    "CycleRole",
    "Decision",
    "InvalidDecision",
    "NotRated",
    "NotSupervisor",
    "OutlierFlag",
    "PatternList",
    "Person",
    "RateeResults",
    "ReciprocalFlag",
    "ResultsError",
    "ResultsNotReleased",
    "StraightLineFlag",
    "TeamMember",
    "TeamSummary",
    "UnitCell",
    "UnitFigure",
    "UnitSummary",
    "UnknownCycle",
    "UnknownEmployee",
    "UnknownInstrument",
    "UnknownUnit",
    "closed_cycle",
    "closed_cycle_by_name",
    "cycle_report",
    "cycle_results",
    "cycles_to_materialise",
    "drop_materialised",
    "latest_closed_cycle_for",
    "materialise_cycle",
    "materialised_results",
    "open_cycle_for",
    "ratee_results",
    "rater_pattern_list",
    "record_perilaku_decision",
    "select_ratees",
    "supervised_results",
    "team_summaries",
    "team_summary",
    "unit_summaries",
]
