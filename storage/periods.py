"""SKM periods: defining them, their units, populations, and the queries behind the figures.

A period is defined once (`create_period`: a name, local days, every unit or
one unit with its sub-units, optionally the population of service users) and
then lives through `scheduler.periods`: the close cuts every unit's figures at
one moment, each unit head approves their unit (a frozen version), and later
changes become corrections (new versions). This module holds the rows and the
queries; the figures themselves are shaped by the use case.

Every function takes a session and never commits. A refusal (an unknown name
or code, impossible dates, a duplicate) raises `PeriodError`, one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.skm_periods import classify
from storage.db import dialect_name
from storage.directory import unit_ancestor_ids, unit_subtree
from storage.ikm_scope import Scope, complete
from storage.models import AuditLog, Service, Unit
from storage.period_models import SkmPeriod, SkmPeriodPopulation, SkmPeriodUnit, SkmPeriodVersion
from storage.survey_models import SurveyResponse

NAME_MAX = 100
ACTION_OPEN = "period.open"
ACTION_POPULATION = "period.population"
ACTION_APPROVE = "period.approve"
ACTION_CORRECT = "period.correct"


class PeriodError(LookupError):
    """A period that cannot be defined, found or changed; the message is one line."""


# -- defining -------------------------------------------------------------------------------


async def unit_by_code(session: AsyncSession, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise PeriodError(f"unknown unit code '{code}'")
    return unit


async def service_by_code(session: AsyncSession, code: str) -> Service:
    service = await session.scalar(select(Service).where(Service.code == code))
    if service is None:
        raise PeriodError(f"unknown service code '{code}'")
    return service


def _clean_name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise PeriodError('the period needs a name, e.g. "TW I 2026"')
    if len(clean) > NAME_MAX:
        raise PeriodError(f"the name is too long ({len(clean)} characters; at most {NAME_MAX})")
    return clean


async def _refuse_duplicate(
    session: AsyncSession, name: str, first: date, last: date, unit_id: int | None
) -> None:
    if await period_by_name(session, name) is not None:
        raise PeriodError(f"a period named '{name}' exists already")
    same = await session.scalar(
        select(SkmPeriod.name).where(
            SkmPeriod.first_day == first,
            SkmPeriod.last_day == last,
            SkmPeriod.unit_id.is_(None) if unit_id is None else SkmPeriod.unit_id == unit_id,
        )
    )
    if same is not None:
        raise PeriodError(f"period '{same}' already covers these days for the same units")


async def create_period(
    session: AsyncSession,
    *,
    name: str,
    first: date,
    last: date,
    unit_code: str | None,
    population: int | None,
    actor: str,
    now: datetime,
) -> SkmPeriod:
    """Define a period (kind read from the dates); ``population`` is the unit's."""
    name = _clean_name(name)
    if last < first:
        raise PeriodError(f"the period cannot end ({last}) before it starts ({first})")
    unit = await unit_by_code(session, unit_code) if unit_code is not None else None
    if population is not None and unit is None:
        raise PeriodError(
            "--population is the number of service users of one unit: give --unit too "
            "(or set each unit's with `ulasan period population`)"
        )
    await _refuse_duplicate(session, name, first, last, unit.id if unit else None)
    period = SkmPeriod(
        name=name,
        kind=classify(first, last).kind,
        first_day=first,
        last_day=last,
        unit_id=unit.id if unit else None,
        created_by=actor[:100],
        created_at=now,
    )
    session.add(period)
    await session.flush()
    if population is not None and unit is not None:
        session.add(
            SkmPeriodPopulation(period_id=period.id, unit_id=unit.id, population=population)
        )
    scope = unit.code if unit else "all units"
    detail = f"{name}: {first}..{last}, {scope}" + (
        f", population {population}" if population is not None else ""
    )
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_OPEN, detail=detail))
    await session.flush()
    return period


async def period_by_name(session: AsyncSession, name: str) -> SkmPeriod | None:
    return await session.scalar(select(SkmPeriod).where(SkmPeriod.name == " ".join(name.split())))


async def period_named(session: AsyncSession, name: str) -> SkmPeriod:
    period = await period_by_name(session, name)
    if period is None:
        raise PeriodError(f"unknown period '{name}' (see `ulasan period list`)")
    return period


async def list_periods(session: AsyncSession) -> list[SkmPeriod]:
    """Every period, the latest first."""
    statement = select(SkmPeriod).order_by(SkmPeriod.last_day.desc(), SkmPeriod.name)
    return list((await session.scalars(statement)).all())


async def scope_units(session: AsyncSession, period: SkmPeriod) -> list[Unit]:
    """The period's units: its unit and every unit below it, or every unit (by code)."""
    if period.unit_id is not None:
        return await unit_subtree(session, period.unit_id)
    return list((await session.scalars(select(Unit).order_by(Unit.code))).all())


async def in_scope(session: AsyncSession, period: SkmPeriod, unit_id: int) -> bool:
    if period.unit_id is None:
        return True
    return period.unit_id in await unit_ancestor_ids(session, unit_id)


# -- populations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Populations:
    units: dict[int, int]
    services: dict[int, int]


async def populations(session: AsyncSession, period_id: int) -> Populations:
    rows = (
        await session.scalars(
            select(SkmPeriodPopulation).where(SkmPeriodPopulation.period_id == period_id)
        )
    ).all()
    units = {r.unit_id: r.population for r in rows if r.unit_id is not None}
    services = {r.service_id: r.population for r in rows if r.service_id is not None}
    return Populations(units, services)


async def set_population(
    session: AsyncSession,
    period: SkmPeriod,
    *,
    unit_id: int | None = None,
    service_id: int | None = None,
    population: int,
    actor: str,
    now: datetime,
    label: str,
) -> None:
    """Set (or replace) one unit's or one service's population in the period."""
    if (unit_id is None) == (service_id is None):
        raise PeriodError("give either a unit or a service")
    if population < 0:
        raise PeriodError(f"a population is a whole number ≥ 0, got {population}")
    row = await session.scalar(
        select(SkmPeriodPopulation).where(
            SkmPeriodPopulation.period_id == period.id,
            SkmPeriodPopulation.unit_id.is_(None)
            if unit_id is None
            else SkmPeriodPopulation.unit_id == unit_id,
            SkmPeriodPopulation.service_id.is_(None)
            if service_id is None
            else SkmPeriodPopulation.service_id == service_id,
        )
    )
    if row is None:
        row = SkmPeriodPopulation(period_id=period.id, unit_id=unit_id, service_id=service_id)
        session.add(row)
    row.population = population
    detail = f"{period.name}: {label} = {population}"
    session.add(AuditLog(at=now, actor=actor[:100], action=ACTION_POPULATION, detail=detail))
    await session.flush()


# -- each unit's way to approval ----------------------------------------------------------------


async def period_units(session: AsyncSession, period_id: int) -> dict[int, SkmPeriodUnit]:
    """The period's unit rows by unit id (rows exist from the cut or an early approval)."""
    rows = await session.scalars(select(SkmPeriodUnit).where(SkmPeriodUnit.period_id == period_id))
    return {row.unit_id: row for row in rows}


async def period_unit(session: AsyncSession, period_id: int, unit_id: int) -> SkmPeriodUnit | None:
    return await session.scalar(
        select(SkmPeriodUnit).where(
            SkmPeriodUnit.period_id == period_id, SkmPeriodUnit.unit_id == unit_id
        )
    )


async def claim_cut(session: AsyncSession, period_id: int, now: datetime) -> bool:
    """Mark the period cut at ``now``, once: False when it was cut already (another run)."""
    result = await session.execute(
        update(SkmPeriod)
        .where(SkmPeriod.id == period_id, SkmPeriod.cut_at.is_(None))
        .values(cut_at=now)
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


async def hold_responses_still(session: AsyncSession) -> None:
    """Keep the responses from changing until this transaction ends, so every figure read
    in it describes one moment. SQLite: the rollup refresh that comes first takes the one
    write lock. PostgreSQL: SHARE on survey_responses (readers go on, writers wait)."""
    if dialect_name(session) == "postgresql":
        await session.execute(text("LOCK TABLE survey_responses IN SHARE MODE"))


async def save_draft(
    session: AsyncSession, period_id: int, unit_id: int, draft: str, digest: str
) -> SkmPeriodUnit:
    """The figures cut for a unit (its row is created when missing)."""
    row = await period_unit(session, period_id, unit_id)
    if row is None:
        row = SkmPeriodUnit(period_id=period_id, unit_id=unit_id, version=0)
        session.add(row)
    row.draft, row.draft_digest = draft, digest
    await session.flush()
    return row


async def mark(session: AsyncSession, row_id: int, column: str, now: datetime) -> bool:
    """Set ``close_sent_at``, ``reminded_at`` or ``escalated_at`` once; False if set already."""
    if column not in ("close_sent_at", "reminded_at", "escalated_at"):
        raise ValueError(column)
    target = getattr(SkmPeriodUnit, column)
    result = await session.execute(
        update(SkmPeriodUnit)
        .where(SkmPeriodUnit.id == row_id, target.is_(None))
        .values({column: now})
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


# -- versions -----------------------------------------------------------------------------------


async def versions(session: AsyncSession, period_id: int, unit_id: int) -> list[SkmPeriodVersion]:
    """Every version of a unit's period, oldest first."""
    statement = (
        select(SkmPeriodVersion)
        .where(SkmPeriodVersion.period_id == period_id, SkmPeriodVersion.unit_id == unit_id)
        .order_by(SkmPeriodVersion.version)
    )
    return list((await session.scalars(statement)).all())


async def latest_version(
    session: AsyncSession, period_id: int, unit_id: int
) -> SkmPeriodVersion | None:
    statement = (
        select(SkmPeriodVersion)
        .where(SkmPeriodVersion.period_id == period_id, SkmPeriodVersion.unit_id == unit_id)
        .order_by(SkmPeriodVersion.version.desc())
        .limit(1)
    )
    return await session.scalar(statement)


@dataclass(frozen=True)
class NewVersion:
    figures: str
    digest: str
    as_of: datetime
    early: bool
    changes: str


async def publish_version(
    session: AsyncSession,
    period: SkmPeriod,
    unit_id: int,
    new: NewVersion,
    *,
    expected: int,
    actor: str,
    now: datetime,
) -> SkmPeriodVersion | None:
    """Insert version ``expected + 1``; None when another one got there first (the unit's
    latest version is no longer ``expected``). Versions are never updated afterwards."""
    row = await period_unit(session, period.id, unit_id)
    if row is None:
        row = SkmPeriodUnit(period_id=period.id, unit_id=unit_id, version=0)
        session.add(row)
        await session.flush()
    claimed = await session.execute(
        update(SkmPeriodUnit)
        .where(SkmPeriodUnit.id == row.id, SkmPeriodUnit.version == expected)
        .values(version=expected + 1)
    )
    if int(claimed.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    version = SkmPeriodVersion(
        period_id=period.id,
        unit_id=unit_id,
        version=expected + 1,
        figures=new.figures,
        digest=new.digest,
        as_of=new.as_of,
        published_at=now,
        published_by=actor[:100],
        early=new.early,
        changes=new.changes,
    )
    session.add(version)
    action = ACTION_APPROVE if expected == 0 else ACTION_CORRECT
    unit_code = await session.scalar(select(Unit.code).where(Unit.id == unit_id))
    detail = f"{period.name}: {unit_code} version {expected + 1}" + (
        " (early)" if new.early else ""
    )
    session.add(AuditLog(at=now, actor=actor[:100], action=action, detail=detail))
    await session.flush()
    return version


async def periods_with_versions(session: AsyncSession) -> list[SkmPeriod]:
    """Periods with at least one approved unit (the ones corrections are looked for in)."""
    statement = (
        select(SkmPeriod)
        .where(SkmPeriod.id.in_(select(SkmPeriodUnit.period_id).where(SkmPeriodUnit.version > 0)))
        .order_by(SkmPeriod.last_day, SkmPeriod.id)
    )
    return list((await session.scalars(statement)).all())


async def published_units(session: AsyncSession) -> list[tuple[SkmPeriod, Unit, int]]:
    """Every (period, unit, latest version) approved at least once, the latest period first
    (for the documents in /laporan)."""
    statement = (
        select(SkmPeriod, Unit, SkmPeriodUnit.version)
        .join(SkmPeriodUnit, SkmPeriodUnit.period_id == SkmPeriod.id)
        .join(Unit, Unit.id == SkmPeriodUnit.unit_id)
        .where(SkmPeriodUnit.version > 0)
        .order_by(SkmPeriod.last_day.desc(), SkmPeriod.name, Unit.code)
    )
    return [
        (period, unit, int(version)) for period, unit, version in await session.execute(statement)
    ]


async def periods_ended_by(session: AsyncSession, day: date) -> list[SkmPeriod]:
    """Periods whose last day is before ``day`` (the ones the close job looks at)."""
    statement = select(SkmPeriod).where(SkmPeriod.last_day < day).order_by(SkmPeriod.last_day)
    return list((await session.scalars(statement)).all())


async def periods_for_units(session: AsyncSession, unit_ids: list[int]) -> list[SkmPeriod]:
    """Periods in which any of these units has a row (was cut or approved), latest first."""
    if not unit_ids:
        return []
    statement = (
        select(SkmPeriod)
        .where(
            SkmPeriod.id.in_(
                select(SkmPeriodUnit.period_id).where(SkmPeriodUnit.unit_id.in_(unit_ids))
            )
        )
        .order_by(SkmPeriod.last_day.desc(), SkmPeriod.name)
    )
    return list((await session.scalars(statement)).all())


# -- raw counts behind the figures ----------------------------------------------------------------


async def levy_by_service(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """Possible illegal levies (pungli) per service code: responses at a service free by
    law whose cost answer (U4) is not "Gratis" (4), as `scheduler.scoring.alert_rules`
    flags them."""
    conditions = [complete(), Service.free.is_(True), SurveyResponse.u4 != 4]
    conditions += _scope_conditions(scope)
    statement = (
        select(Service.code, func.count(SurveyResponse.id))
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(and_(*conditions))
        .group_by(Service.code)
    )
    return {str(s): int(n) for s, n in (await session.execute(statement)).all()}


def _scope_conditions(scope: Scope) -> list[ColumnElement[bool]]:
    conditions = []
    if scope.unit_ids is not None:
        conditions.append(Service.unit_id.in_(scope.unit_ids))
    if scope.start is not None:
        conditions.append(SurveyResponse.submitted_at >= scope.start)
    if scope.end is not None:
        conditions.append(SurveyResponse.submitted_at < scope.end)
    return conditions


async def counts_by_service(session: AsyncSession, scope: Scope) -> dict[str, int]:
    """Complete responses per service code in the scope (raw rows, not the rollup)."""
    statement = (
        select(Service.code, func.count(SurveyResponse.id))
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(complete(), *_scope_conditions(scope))
        .group_by(Service.code)
    )
    return {str(s): int(n) for s, n in (await session.execute(statement)).all()}


async def service_ids(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(select(Service.code, Service.id))
    return {str(code): int(service_id) for code, service_id in rows.all()}


async def periods_with_days(session: AsyncSession, first: date, last: date) -> list[SkmPeriod]:
    """Defined periods of exactly these days (the previous period's candidates)."""
    statement = (
        select(SkmPeriod)
        .where(SkmPeriod.first_day == first, SkmPeriod.last_day == last)
        .order_by(SkmPeriod.id)
    )
    return list((await session.scalars(statement)).all())


async def free_services(session: AsyncSession) -> dict[str, bool]:
    """Whether each service (by code) is free by law."""
    rows = await session.execute(select(Service.code, Service.free))
    return {str(code): bool(free) for code, free in rows.all()}
