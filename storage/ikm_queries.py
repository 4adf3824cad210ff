"""The IKM report's figures: per-service sums and profile counts, comments, respondents.

Two ways to the same sums: from ``survey_responses`` (`totals_by_service`,
`profile_by_service`, also used by the weekly digest and an officer's
profile) and from the rollup tables (`rollup_totals_by_service`,
`rollup_profile_by_service`: month rows for whole months, day rows at either
end). The tests check both agree. Nothing that identifies a citizen leaves
these queries: no pseudonym, no chat id, no response id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day, next_month
from scheduler.scoring import skm
from storage.ikm_scope import PROFILE_FIELDS, SCORE_COLUMNS, Scope, has_comment, where
from storage.models import Employee, Service
from storage.rollup_models import (
    MEASURES,
    NOT_ANSWERED,
    PROFILE_COLUMNS,
    SkmOfficerDaily,
    SkmOfficerMonthly,
    SkmProfileDaily,
    SkmProfileMonthly,
    SkmServiceDaily,
    SkmServiceMonthly,
)
from storage.survey_models import SurveyResponse

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
            func.sum(case((has_comment(), 1), else_=0)),
            *(func.sum(column) for column in SCORE_COLUMNS),
        )
        .join(Service, Service.id == SurveyResponse.service_id)
        .where(*where(scope))
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


def empty_profile() -> ProfileCounts:
    return {name: {} for name in PROFILE_FIELDS}


async def profile_by_service(session: AsyncSession, scope: Scope) -> dict[int, ProfileCounts]:
    """COUNT per value of each profile field, per service id; None is "not answered"."""
    out: dict[int, ProfileCounts] = {}
    for name in PROFILE_FIELDS:
        column = getattr(SurveyResponse, name)
        statement = (
            select(SurveyResponse.service_id, column, func.count(SurveyResponse.id))
            .join(Service, Service.id == SurveyResponse.service_id)
            .where(*where(scope))
            .group_by(SurveyResponse.service_id, column)
        )
        for service_id, value, count in (await session.execute(statement)).all():
            key = value if value not in (None, "") else None
            counts = out.setdefault(service_id, empty_profile())[name]
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
    """`profile_by_service` from the rollup tables (not for one officer): the service
    rows' profile columns, and the profile rows of values outside the lists."""
    if scope.employee_id is not None:
        raise ValueError("the profile rollup is per service; use profile_by_service")
    out: dict[int, ProfileCounts] = {}

    def count(service_id: int, name: str, value: str | None, n: int) -> None:
        if n and name in PROFILE_FIELDS:
            counts = out.setdefault(service_id, empty_profile())[name]
            counts[value] = counts.get(value, 0) + n

    for table, period in _rollup_parts(scope, SkmServiceDaily, SkmServiceMonthly):
        columns = table.__table__.c
        statement = (
            select(table.service_id, *(func.sum(columns[c]) for c, _f, _v in PROFILE_COLUMNS))
            .where(*_rollup_filters(scope, table), *period)
            .group_by(table.service_id)
        )
        for service_id, *counts in (await session.execute(statement)).all():
            for (_c, name, value), n in zip(PROFILE_COLUMNS, counts, strict=True):
                count(service_id, name, value, int(n or 0))
    for table, period in _rollup_parts(scope, SkmProfileDaily, SkmProfileMonthly):
        statement = (
            select(table.service_id, table.field, table.value, func.sum(table.n))
            .where(*_rollup_filters(scope, table), *period)
            .group_by(table.service_id, table.field, table.value)
        )
        for service_id, name, value, n in (await session.execute(statement)).all():
            count(service_id, name, None if value == NOT_ANSWERED else value, int(n))
    return out


def merge_profiles(parts: Sequence[ProfileCounts]) -> ProfileCounts:
    merged = empty_profile()
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
        .where(*where(scope, status_index=False), has_comment())
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
        .where(*where(scope))
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
