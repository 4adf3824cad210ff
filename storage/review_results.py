"""Results of closed 360° review cycles: the only way review figures leave the database.

Every function here takes an `AsyncSession`, never commits (the caller owns
the transaction) and runs unchanged on SQLite and PostgreSQL. The rules:

- **Released at close only.** Every function that returns results, team
  summaries, rater patterns or takes a perilaku decision first loads the cycle
  and raises `ResultsNotReleased` unless its status is ``closed``; a cycle
  whose deadline has passed but that is still open counts as open. Nobody can
  watch their score move while ratings arrive.
- **Only what the anonymity rule lets through.** The SUBMITTED answers and
  comments of a ratee go through `scheduler.scoring.review_math.aggregate`
  with the deployment's ``MIN_ANONYMOUS_RATERS``; `RateeResults` holds its
  `ReviewResult` (a cell is a `Figure` or a `Suppressed`, never a hidden
  number) plus attributed facts: the direct supervisor's hasil kerja rating
  and perilaku decision, and completion counts. No raw answer, no rater of a
  peer or subordinate review and no unreleased comment is returned. Drafts
  (pending, in progress, or a submitted review reopened for changes) never
  count.
- **One query per table, not one per ratee.** `cycle_results` loads a whole
  cycle (or a list of ratees) with a fixed number of statements.
- **Materialised once.** The rollup job writes each closed cycle's released
  results into the ``review_result_*`` tables (`storage.review_result_store`);
  `ratee_results` and `cycle_results` read those rows when they were written
  for this cycle's closing time, instrument and ``min_raters``, and compute
  from the answers otherwise; both ways give equal `RateeResults`. The
  perilaku decision and names are always read live (they can change after
  close).

Team summaries (`team_summary`, `team_summaries`): a supervisor's team in a
cycle is every ratee for whom they hold the SUPERVISOR assignment (the cycle's
own record of who was the direct supervisor, so a later roster change does
not move anyone between teams). Per member: completion of the reviews about
them and of the reviews they had to give, the overall ("others" when shown,
else the supervisor's own), the recommended and the decided perilaku, the
hasil kerja and the predikat. Never individual answers or group breakdowns.

Unit summaries (`unit_summaries`, pure: `scheduler.scoring.review_units`)
average per-ratee "others" figures that passed the rule, and are themselves
shown only when at least ``min_raters`` ratees contribute: they can never
reveal more than the ratee figures they are made of, and a unit figure is
never one person's score in disguise.

Rater patterns (`rater_pattern_list`, admins only): who, never what. See
`scheduler.scoring.rater_patterns`; the list names raters and, for a
reciprocal pair, the direction (both all-highest or both all-lowest), which
necessarily says what those two gave each other: it is for an admin's eyes
only (the CLI), never for the people rated.

The perilaku decision (`record_perilaku_decision`): the direct supervisor
confirms or overrides the recommended perilaku kerja rating after close; one
row per cycle and ratee (upsert), with the recommendation at the time and an
audit line.

This module is the way in for the layers above: the queries are here, and the
types and errors they return or raise (`storage.review_result_types`), the
cycle lookups (`storage.review_result_load`) and the unit figures
(`scheduler.scoring.review_units`) are importable from here too (``__all__``).
Inside, results are computed from the answers (`storage.review_result_load`)
or read back from the rows the rollup materialised
(`storage.review_result_store`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring import review_units
from scheduler.scoring.rater_patterns import CycleRating, rater_patterns
from scheduler.scoring.review_instrument import Expectation, Relation
from scheduler.scoring.review_recommendation import MIN_VALUES
from scheduler.scoring.review_units import UnitCell, UnitFigure, UnitSummary
from storage.db import dialect_insert
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
from storage.review_result_load import (
    CycleData,
    closed_cycle,
    closed_cycle_by_name,
    info,
    instrument_of,
    load,
    people,
    results_of,
    sorted_ids,
)
from storage.review_result_store import materialised_results
from storage.review_result_types import (
    LEVELS,
    Completion,
    CycleInfo,
    CycleRole,
    Decision,
    InstrumentChanged,
    InvalidDecision,
    NotRated,
    NotSupervisor,
    OutlierFlag,
    PatternList,
    Person,
    RateeResults,
    ReciprocalFlag,
    ResultsError,
    ResultsNotReleased,
    StraightLineFlag,
    TeamMember,
    TeamSummary,
    UnknownCycle,
    UnknownEmployee,
    UnknownInstrument,
    UnknownUnit,
)

# -- cycles ------------------------------------------------------------------------------


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
    return CycleRole(info(cycle), is_ratee, is_supervisor)


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
    return info(cycle) if cycle is not None else None


# -- per ratee --------------------------------------------------------------------------


async def ratee_results(
    session: AsyncSession,
    cycle_id: int,
    ratee_id: int,
    *,
    min_raters: int,
    min_values: int = MIN_VALUES,
) -> RateeResults:
    """One ratee's results in a closed cycle; `NotRated` if they are not rated in it."""
    cycle = await closed_cycle(session, cycle_id)
    stored = await materialised_results(
        session, cycle, min_raters=min_raters, ratee_ids=[ratee_id], min_values=min_values
    )
    if stored:
        return stored[0]
    data = await load(session, cycle, [ratee_id])
    if ratee_id not in data.bundles or ratee_id not in data.people:
        person = await people(session, [ratee_id])
        who = person[ratee_id].name if ratee_id in person else f"#{ratee_id}"
        raise NotRated(person=who, name=cycle.name)
    return results_of(data, ratee_id, min_raters, min_values)


async def cycle_results(
    session: AsyncSession,
    cycle_id: int,
    *,
    min_raters: int,
    ratee_ids: Sequence[int] | None = None,
    min_values: int = MIN_VALUES,
) -> list[RateeResults]:
    """Every ratee's results in a closed cycle (or those of ``ratee_ids``), by name.

    From the materialised rows when the rollup wrote them for this rule, else computed.
    """
    cycle = await closed_cycle(session, cycle_id)
    stored = await materialised_results(
        session, cycle, min_raters=min_raters, ratee_ids=ratee_ids, min_values=min_values
    )
    if stored is not None:
        return stored
    data = await load(session, cycle, ratee_ids)
    return [results_of(data, ratee, min_raters, min_values) for ratee in sorted_ids(data)]


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


def _member(data: CycleData, results: RateeResults) -> TeamMember:
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
        coverage=results.coverage,
    )


def _teams(data: CycleData, results: Iterable[RateeResults]) -> list[TeamSummary]:
    members: dict[int, list[TeamMember]] = defaultdict(list)
    for item in results:
        if item.supervisor_id is not None:
            members[item.supervisor_id].append(_member(data, item))
    teams = [
        TeamSummary(info(data.cycle), data.people[boss], tuple(team))
        for boss, team in members.items()
        if boss in data.people
    ]
    return sorted(teams, key=lambda t: (t.supervisor.name.casefold(), t.supervisor.nip))


async def team_summary(
    session: AsyncSession,
    cycle_id: int,
    supervisor_id: int,
    *,
    min_raters: int,
    min_values: int = MIN_VALUES,
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
    data = await load(session, cycle, list(team))
    data.people.update(await people(session, [supervisor_id]))
    results = [results_of(data, ratee, min_raters, min_values) for ratee in sorted_ids(data)]
    teams = [t for t in _teams(data, results) if t.supervisor.id == supervisor_id]
    if not teams:
        raise NotSupervisor(name=cycle.name)
    return teams[0]


async def cycle_report(
    session: AsyncSession, cycle_id: int, *, min_raters: int, min_values: int = MIN_VALUES
) -> tuple[list[RateeResults], list[TeamSummary]]:
    """Every ratee's results and every supervisor's team in one load (the close job)."""
    cycle = await closed_cycle(session, cycle_id)
    data = await load(session, cycle, None)
    results = [results_of(data, ratee, min_raters, min_values) for ratee in sorted_ids(data)]
    return results, _teams(data, results)


async def team_summaries(
    session: AsyncSession, cycle_id: int, *, min_raters: int, min_values: int = MIN_VALUES
) -> list[TeamSummary]:
    """Every direct supervisor's team in a closed cycle."""
    return (await cycle_report(session, cycle_id, min_raters=min_raters, min_values=min_values))[1]


async def supervised_results(
    session: AsyncSession,
    cycle_id: int,
    supervisor_id: int,
    ratee_id: int,
    *,
    min_raters: int,
    min_values: int = MIN_VALUES,
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
    return await ratee_results(
        session, cycle.id, ratee_id, min_raters=min_raters, min_values=min_values
    )


# -- units ----------------------------------------------------------------------------------


def unit_summaries(results: Iterable[RateeResults], *, min_raters: int) -> list[UnitSummary]:
    """Per unit (the ratee's unit): averages of the ratees' SHOWN "others" figures.

    The rule is `scheduler.scoring.review_units.unit_summaries`: a unit figure
    needs at least ``min_raters`` ratees with a shown figure.
    """
    members = ((r.ratee.unit_code, r.ratee.unit_name, r.result) for r in results)
    return review_units.unit_summaries(members, min_raters=min_raters)


# -- rater patterns --------------------------------------------------------------------


async def rater_pattern_list(session: AsyncSession, cycle_id: int) -> PatternList:
    """Rater patterns of a closed cycle, with names (for admins; never blocking)."""
    cycle = await closed_cycle(session, cycle_id)
    instrument = instrument_of(cycle)
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
    names = await people(session, ids) if ids else {}

    def who(employee_id: int) -> Person:
        return names.get(employee_id) or Person(employee_id, "", f"#{employee_id}", "", "")

    return PatternList(
        cycle=info(cycle),
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
    table = PerilakuDecision.__table__
    statement = dialect_insert(session, table)
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
    min_values: int = MIN_VALUES,
) -> Decision:
    """Record (or change) the direct supervisor's perilaku kerja rating for a ratee.

    Only after close (`ResultsNotReleased`), only by the holder of the cycle's
    SUPERVISOR assignment for this ratee (`NotSupervisor`), only 1–3
    (`InvalidDecision`). The recommendation at this moment is stored beside
    the decision, so an override stays visible as one.
    """
    if isinstance(decided, bool) or decided not in LEVELS:
        raise InvalidDecision()
    # Write first: on SQLite the transaction then holds the write lock from its first
    # statement instead of failing to upgrade a read snapshot (see storage/outbox.py).
    audit = AuditLog(at=now, actor=f"employee:{supervisor_id}", action="perilaku.decide")
    session.add(audit)
    await session.flush()
    results = await supervised_results(
        session, cycle_id, supervisor_id, ratee_id, min_raters=min_raters, min_values=min_values
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
    "InstrumentChanged",
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
    "latest_closed_cycle_for",
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
