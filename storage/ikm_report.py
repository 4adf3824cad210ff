"""Queries behind the IKM report (``ulasan report ikm``) of the citizen survey.

Scores and the respondent profile come from the rollup tables
(`storage.rollup_models`, kept by the ``rollup`` job, `storage.rollup`):
per service (per officer and service with ``--employee``), month rows for
the whole months of the period and day rows for the days at either end, so a
year costs a few dozen rows per service, however many responses there are.
`build_ikm_report` first brings the rollup up to date (responses submitted,
deleted or changed since its last run), so the report always counts what is
in ``survey_responses`` now; the tables hold exactly the sums the raw query
below (`totals_by_service`, still used by the weekly digest) computes, and
the tests check both ways agree. The profile of one officer's respondents and
the comments are read from ``survey_responses`` (an officer's responses via
their index; comments via a partial index on commented responses).
The per-service sums are added up for the unit, which is exact because every
response belongs to exactly one service. The math itself is the pure
`scheduler.scoring.skm` module, so the report prints the same IKM as the bot.

What counts (the denominator honours every filter):

- status ``submitted`` with all nine answers present (drafts, abandoned and
  cancelled surveys never count);
- the unit: its own services and those of all its sub-units, pooled (the unit
  tree is walked level by level); without a unit, every unit;
- optionally one service and/or one officer (responses whose QR code named
  that officer);
- the period: ``--from``/``--to`` are local dates in TIMEZONE, inclusive, and a
  response belongs to the local day on which it was *submitted*. The bounds are
  turned into UTC instants in Python (from 00:00 local of the first day to
  00:00 local of the day after the last) and compared with ``submitted_at``,
  so no time-zone SQL is needed and the (status, submitted_at) index applies.
  ``local_date`` is the day the survey was *started* (the once-per-day rule)
  and can differ for a survey begun just before midnight.

Nothing that identifies a citizen leaves these queries: no pseudonym, no chat
id, no response id; comments were masked when stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import day_bounds, local_day, next_month
from scheduler.scoring import skm
from storage.models import Employee, Service, Unit
from storage.rollup import refresh as rollup
from storage.rollup_models import (
    MEASURES,
    NOT_ANSWERED,
    SkmOfficerDaily,
    SkmOfficerMonthly,
    SkmProfileDaily,
    SkmProfileMonthly,
    SkmServiceDaily,
    SkmServiceMonthly,
)
from storage.survey_models import SUBMITTED, SurveyResponse

PROFILE_FIELDS: tuple[str, ...] = ("age_group", "gender", "education", "occupation")
SCORE_COLUMNS = tuple(getattr(SurveyResponse, code.lower()) for code in skm.UNSUR_CODES)


class ReportError(LookupError):
    """An unknown unit, service or officer, or an impossible period (one line)."""


# -- the filter -----------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which responses a report counts; every query of this module applies all of it."""

    unit_ids: tuple[int, ...] | None = None  # None: every unit
    service_id: int | None = None
    employee_id: int | None = None
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    # The local days behind start/end (inclusive) when the period was given as
    # dates; with ``rollup`` the scores are read from the rollup tables by them.
    first_day: date | None = None
    last_day: date | None = None
    rollup: bool = False


def period_bounds(
    date_from: date | None, date_to: date | None, tz: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """UTC instants for local dates [from, to] inclusive: [from 00:00, to+1 00:00)."""
    if date_from and date_to and date_from > date_to:
        raise ReportError(f"the period starts ({date_from}) after it ends ({date_to})")
    start = None if date_from is None else day_bounds(date_from, tz)[0]
    end = None if date_to is None else day_bounds(date_to, tz)[1]
    return start, end


def _complete(*, status_index: bool = True) -> ColumnElement[bool]:
    # coalesce() (a no-op: status is NOT NULL) keeps SQLite off the (status,
    # submitted_at) index, for queries that have a much narrower one to use.
    status = SurveyResponse.status if status_index else func.coalesce(SurveyResponse.status, "")
    return and_(
        status == SUBMITTED,
        SurveyResponse.submitted_at.is_not(None),
        *(column.is_not(None) for column in SCORE_COLUMNS),
    )


def _where(scope: Scope, *, status_index: bool = True) -> list[ColumnElement[bool]]:
    conditions = [_complete(status_index=status_index)]
    if scope.unit_ids is not None:
        conditions.append(Service.unit_id.in_(scope.unit_ids))
    if scope.service_id is not None:
        conditions.append(SurveyResponse.service_id == scope.service_id)
    if scope.employee_id is not None:
        conditions.append(SurveyResponse.employee_id == scope.employee_id)
    if scope.start is not None:
        conditions.append(SurveyResponse.submitted_at >= scope.start)
    if scope.end is not None:
        conditions.append(SurveyResponse.submitted_at < scope.end)
    return conditions


def _has_comment() -> ColumnElement[bool]:
    return and_(SurveyResponse.comment.is_not(None), SurveyResponse.comment != "")


# -- lookups and the unit tree -----------------------------------------------------


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


async def service_by_code(session: AsyncSession, code: str) -> Service | None:
    return await session.scalar(select(Service).where(Service.code == code))


async def employee_by_nip(session: AsyncSession, nip: str) -> Employee | None:
    return await session.scalar(select(Employee).where(Employee.nip == nip))


async def unit_subtree(session: AsyncSession, unit_id: int) -> list[Unit]:
    """The unit and all its descendants (breadth first), safe against a cycle."""
    root = await session.get(Unit, unit_id)
    if root is None:
        return []
    seen = {root.id}
    found = [root]
    frontier = [root.id]
    while frontier:
        children = (
            await session.scalars(
                select(Unit).where(Unit.parent_id.in_(frontier)).order_by(Unit.code)
            )
        ).all()
        frontier = []
        for child in children:
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                frontier.append(child.id)
    return found


# -- aggregates ---------------------------------------------------------------------


@dataclass
class Totals:
    """Per-unsur sums, the count of complete responses and of comments of one group."""

    n: int = 0
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(skm.UNSUR_CODES, 0))
    comments: int = 0

    def add(self, other: Totals) -> None:
        self.n += other.n
        self.comments += other.comments
        for code in skm.UNSUR_CODES:
            self.sums[code] += other.sums[code]


async def totals_by_service(session: AsyncSession, scope: Scope) -> dict[int, Totals]:
    """SUM of each unsur, COUNT of responses and of comments, per service id."""
    statement = (
        select(
            SurveyResponse.service_id,
            func.count(SurveyResponse.id),
            func.sum(case((_has_comment(), 1), else_=0)),
            *(func.sum(column) for column in SCORE_COLUMNS),
        )
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(*_where(scope))
        .group_by(SurveyResponse.service_id)
    )
    out: dict[int, Totals] = {}
    for service_id, n, comments, *sums in (await session.execute(statement)).all():
        out[service_id] = Totals(
            n=int(n),
            comments=int(comments or 0),
            # PostgreSQL returns SUM of a smallint as a bigint/Decimal; int() both.
            sums={code: int(value or 0) for code, value in zip(skm.UNSUR_CODES, sums, strict=True)},
        )
    return out


ProfileCounts = dict[str, dict[str | None, int]]


def _empty_profile() -> ProfileCounts:
    return {name: {} for name in PROFILE_FIELDS}


async def profile_by_service(session: AsyncSession, scope: Scope) -> dict[int, ProfileCounts]:
    """COUNT per value of each profile field, per service id; None is "not answered"."""
    out: dict[int, ProfileCounts] = {}
    for name in PROFILE_FIELDS:
        column = getattr(SurveyResponse, name)
        statement = (
            select(SurveyResponse.service_id, column, func.count(SurveyResponse.id))
            .join(Service, Service.id == SurveyResponse.service_id)
            .where(*_where(scope))
            .group_by(SurveyResponse.service_id, column)
        )
        for service_id, value, count in (await session.execute(statement)).all():
            key = value if value not in (None, "") else None
            counts = out.setdefault(service_id, _empty_profile())[name]
            counts[key] = counts.get(key, 0) + int(count)
    return out


# -- the same aggregates from the rollup tables -------------------------------------------


def rollup_periods(
    first: date | None, last: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date | None, date | None]]]:
    """Split the local days [first, last] into whole months and leftover days.

    Returns ``(months, days)``: months as [first month, end month) (first days
    of months; None = unbounded) or None when no whole month is inside, and
    up to two inclusive day ranges. Without bounds, every month row.
    """
    month_from = None if first is None else (first if first.day == 1 else next_month(first))
    month_to = None
    if last is not None:
        after = last + timedelta(days=1)
        month_to = after if after.day == 1 else last.replace(day=1)
    if month_from is not None and month_to is not None and month_from >= month_to:
        return None, [(first, last)]
    days: list[tuple[date | None, date | None]] = []
    if first is not None and month_from is not None and first < month_from:
        days.append((first, month_from - timedelta(days=1)))
    if last is not None and month_to is not None and month_to <= last:
        days.append((month_to, last))
    return (month_from, month_to), days


def _rollup_parts(
    scope: Scope, daily: Any, monthly: Any
) -> list[tuple[Any, list[ColumnElement[bool]]]]:
    """(table, period conditions) for the month rows and the day rows of the scope."""
    months, days = rollup_periods(scope.first_day, scope.last_day)
    parts: list[tuple[Any, list[ColumnElement[bool]]]] = []
    if months is not None:
        conditions = []
        if months[0] is not None:
            conditions.append(monthly.month >= months[0])
        if months[1] is not None:
            conditions.append(monthly.month < months[1])
        parts.append((monthly, conditions))
    for low, high in days:
        conditions = []
        if low is not None:
            conditions.append(daily.day >= low)
        if high is not None:
            conditions.append(daily.day <= high)
        parts.append((daily, conditions))
    return parts


def _rollup_filters(scope: Scope, table: Any) -> list[ColumnElement[bool]]:
    conditions = []
    if scope.unit_ids is not None:
        in_units = select(Service.id).where(Service.unit_id.in_(scope.unit_ids))
        conditions.append(table.service_id.in_(in_units))
    if scope.service_id is not None:
        conditions.append(table.service_id == scope.service_id)
    if scope.employee_id is not None:
        conditions.append(table.employee_id == scope.employee_id)
    return conditions


async def rollup_totals_by_service(session: AsyncSession, scope: Scope) -> dict[int, Totals]:
    """`totals_by_service` from the rollup tables (the scope's local days, not start/end)."""
    if scope.employee_id is None:
        daily, monthly = SkmServiceDaily, SkmServiceMonthly
    else:
        daily, monthly = SkmOfficerDaily, SkmOfficerMonthly
    out: dict[int, Totals] = {}
    for table, period in _rollup_parts(scope, daily, monthly):
        statement = (
            select(table.service_id, *(func.sum(getattr(table, m)) for m in MEASURES))
            .where(*_rollup_filters(scope, table), *period)
            .group_by(table.service_id)
        )
        for service_id, n, comments, *sums in (await session.execute(statement)).all():
            out.setdefault(service_id, Totals()).add(
                Totals(
                    n=int(n),
                    comments=int(comments),
                    sums={
                        code: int(value) for code, value in zip(skm.UNSUR_CODES, sums, strict=True)
                    },
                )
            )
    return out


async def rollup_profile_by_service(
    session: AsyncSession, scope: Scope
) -> dict[int, ProfileCounts]:
    """`profile_by_service` from the profile rollup tables (not for one officer)."""
    if scope.employee_id is not None:
        raise ValueError("the profile rollup is per service; use profile_by_service")
    out: dict[int, ProfileCounts] = {}
    for table, period in _rollup_parts(scope, SkmProfileDaily, SkmProfileMonthly):
        statement = (
            select(table.service_id, table.field, table.value, func.sum(table.n))
            .where(*_rollup_filters(scope, table), *period)
            .group_by(table.service_id, table.field, table.value)
        )
        for service_id, name, value, count in (await session.execute(statement)).all():
            if name not in PROFILE_FIELDS:
                continue
            key = None if value == NOT_ANSWERED else value
            counts = out.setdefault(service_id, _empty_profile())[name]
            counts[key] = counts.get(key, 0) + int(count)
    return out


def merge_profiles(parts: Sequence[ProfileCounts]) -> ProfileCounts:
    merged = _empty_profile()
    for part in parts:
        for name, counts in part.items():
            for key, count in counts.items():
                merged[name][key] = merged[name].get(key, 0) + count
    return merged


@dataclass(frozen=True)
class CommentRow:
    local_date: date  # the local day it was submitted
    service_code: str
    service_name: str
    text: str


async def comment_rows(session: AsyncSession, scope: Scope, tz: tzinfo) -> list[CommentRow]:
    """The (already masked) comments, oldest first, with their date and service only.

    Read through the partial index of commented responses (service, submitted_at):
    a year of a unit is its few thousand comments, not its every response.
    """
    statement = (
        select(SurveyResponse.submitted_at, Service.code, Service.name, SurveyResponse.comment)
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(*_where(scope, status_index=False), _has_comment())
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    )
    rows = []
    for submitted_at, code, name, text in (await session.execute(statement)).all():
        if text.strip():
            rows.append(CommentRow(local_day(submitted_at, tz), code, name, text.strip()))
    return rows


@dataclass(frozen=True)
class RespondentRow:
    """One respondent of the XLSX tabulation: no identity, only a running number."""

    number: int
    local_date: date
    service_code: str
    service_name: str
    officer_nip: str | None
    scores: dict[str, int]


async def respondent_rows(session: AsyncSession, scope: Scope, tz: tzinfo) -> list[RespondentRow]:
    """One row per counted response, in submission order, numbered from 1."""
    statement = (
        select(
            SurveyResponse.submitted_at,
            Service.code,
            Service.name,
            Employee.nip,
            *SCORE_COLUMNS,
        )
        .join(Service, Service.id == SurveyResponse.service_id)
        .outerjoin(Employee, Employee.id == SurveyResponse.employee_id)
        .where(*_where(scope))
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    )
    rows = []
    for number, (submitted_at, code, name, nip, *scores) in enumerate(
        (await session.execute(statement)).all(), start=1
    ):
        rows.append(
            RespondentRow(
                number=number,
                local_date=local_day(submitted_at, tz),
                service_code=code,
                service_name=name,
                officer_nip=nip,
                scores=dict(zip(skm.UNSUR_CODES, (int(s) for s in scores), strict=True)),
            )
        )
    return rows


# -- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupReport:
    """Scores of one group (the unit or one service); ``result`` is None when n = 0."""

    n: int
    sums: dict[str, int]
    result: skm.IkmResult | None
    profile: ProfileCounts
    comments: int


def group_report(totals: Totals, profile: ProfileCounts) -> GroupReport:
    result = skm.compute(totals.sums, totals.n) if totals.n else None
    return GroupReport(totals.n, dict(totals.sums), result, profile, totals.comments)


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    sub_units: tuple[tuple[str, str], ...]  # (code, name) of every descendant


@dataclass(frozen=True)
class ServiceReport:
    code: str
    name: str
    unit_code: str
    unit_name: str
    active: bool
    group: GroupReport


@dataclass(frozen=True)
class SampleCheck:
    population: int
    minimum: int
    respondents: int
    sufficient: bool


@dataclass(frozen=True)
class IkmReport:
    unit: UnitRef | None  # None: every unit
    service: tuple[str, str] | None  # (code, name) when filtered
    employee: tuple[str, str] | None  # (nip, name) when filtered
    date_from: date | None
    date_to: date | None
    timezone: str
    overall: GroupReport
    services: tuple[ServiceReport, ...]
    comments: tuple[CommentRow, ...]
    sample: SampleCheck | None
    scope: Scope


async def resolve_scope(
    session: AsyncSession,
    *,
    unit_code: str | None = None,
    service_code: str | None = None,
    employee_nip: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tz: tzinfo,
) -> tuple[Scope, list[Unit], Service | None, Employee | None]:
    """Look the codes up and build the filter; `ReportError` names what is unknown."""
    units: list[Unit] = []
    if unit_code is not None:
        unit = await unit_by_code(session, unit_code)
        if unit is None:
            raise ReportError(f"unknown unit code '{unit_code}'")
        units = await unit_subtree(session, unit.id)
    service = None
    if service_code is not None:
        service = await service_by_code(session, service_code)
        if service is None:
            raise ReportError(f"unknown service code '{service_code}'")
        if units and service.unit_id not in {u.id for u in units}:
            raise ReportError(
                f"service '{service_code}' is not a service of unit '{unit_code}' "
                "or of its sub-units"
            )
    employee = None
    if employee_nip is not None:
        employee = await employee_by_nip(session, employee_nip)
        if employee is None:
            raise ReportError(f"unknown employee NIP '{employee_nip}'")
    start, end = period_bounds(date_from, date_to, tz)
    scope = Scope(
        unit_ids=tuple(u.id for u in units) if units else None,
        service_id=service.id if service else None,
        employee_id=employee.id if employee else None,
        start=start,
        end=end,
        first_day=date_from,
        last_day=date_to,
    )
    return scope, units, service, employee


async def _listed_services(
    session: AsyncSession, scope: Scope, counted: set[int]
) -> list[tuple[Service, Unit]]:
    """Services of the scope: active ones (n may be 0) and any that has counted responses."""
    statement = select(Service, Unit).join(Unit, Unit.id == Service.unit_id)
    if scope.service_id is not None:
        statement = statement.where(Service.id == scope.service_id)
    elif scope.unit_ids is not None:
        statement = statement.where(Service.unit_id.in_(scope.unit_ids))
    rows = (await session.execute(statement.order_by(Unit.code, Service.code))).all()
    return [(s, u) for s, u in rows if s.active or s.id in counted]


async def build_ikm_report(
    session: AsyncSession,
    *,
    unit_code: str | None = None,
    service_code: str | None = None,
    employee_nip: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    tz: tzinfo,
    timezone_name: str = "",
    population: int | None = None,
    refresh: bool = True,
    with_comments: bool = True,
) -> IkmReport:
    """The IKM of the unit (sub-units pooled) and of each service, for the period.

    With ``refresh`` (the default) the rollup is first brought up to date in
    this session's transaction when it is behind (that takes the write lock
    until the caller's transaction ends; `rollup.refresh_scores` must come
    before any other write of the transaction). ``refresh=False`` is for a
    caller that has just refreshed it in a transaction of its own, as
    ``ulasan report ikm`` does, so that the report itself only reads.
    ``with_comments=False`` leaves the comment texts out (``comments`` is
    empty; the counts are in each group's ``comments``), for the table output.
    """
    if refresh and await rollup.scores_need_refresh(session, tz):
        await rollup.refresh_scores(session, tz=tz)
    scope, units, service, employee = await resolve_scope(
        session,
        unit_code=unit_code,
        service_code=service_code,
        employee_nip=employee_nip,
        date_from=date_from,
        date_to=date_to,
        tz=tz,
    )
    scope = replace(scope, rollup=True)
    totals = await rollup_totals_by_service(session, scope)
    if scope.employee_id is None:
        profiles = await rollup_profile_by_service(session, scope)
    else:
        # The profile tables are per service; one officer's respondents are few
        # and reached through the employee_id index.
        profiles = await profile_by_service(session, scope)

    overall_totals = Totals()
    for part in totals.values():
        overall_totals.add(part)
    overall = group_report(overall_totals, merge_profiles(list(profiles.values())))

    services = tuple(
        ServiceReport(
            code=s.code,
            name=s.name,
            unit_code=u.code,
            unit_name=u.name,
            active=s.active,
            group=group_report(totals.get(s.id, Totals()), profiles.get(s.id, _empty_profile())),
        )
        for s, u in await _listed_services(session, scope, set(totals))
    )
    comments = tuple(await comment_rows(session, scope, tz)) if with_comments else ()

    sample = None
    if population is not None:
        minimum = skm.krejcie_morgan_min_sample(population)
        sample = SampleCheck(population, minimum, overall.n, overall.n >= minimum)

    unit_ref = None
    if units:
        unit_ref = UnitRef(units[0].code, units[0].name, tuple((u.code, u.name) for u in units[1:]))
    return IkmReport(
        unit=unit_ref,
        service=(service.code, service.name) if service else None,
        employee=(employee.nip, employee.name) if employee else None,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone_name or str(tz),
        overall=overall,
        services=services,
        comments=comments,
        sample=sample,
        scope=scope,
    )
