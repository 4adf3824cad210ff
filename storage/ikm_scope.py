"""What an IKM report counts: the filter (`Scope`) and the codes and dates it is built from.

Every query of `storage.ikm_queries` applies the whole `Scope`; the rules of
what counts are in `storage.ikm_report`'s docstring. `resolve_scope` turns
the codes an operator types (unit, service, officer's NIP) and local dates
into a `Scope`, or a one-line `ReportError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import day_bounds
from scheduler.scoring import skm
from storage.directory import employee_by_nip, unit_subtree
from storage.models import Employee, Service, Unit
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


def complete(*, status_index: bool = True) -> ColumnElement[bool]:
    # coalesce() (a no-op: status is NOT NULL) keeps SQLite off the (status,
    # submitted_at) index, for queries that have a much narrower one to use.
    status = SurveyResponse.status if status_index else func.coalesce(SurveyResponse.status, "")
    return and_(
        status == SUBMITTED,
        SurveyResponse.submitted_at.is_not(None),
        *(column.is_not(None) for column in SCORE_COLUMNS),
    )


def where(scope: Scope, *, status_index: bool = True) -> list[ColumnElement[bool]]:
    conditions = [complete(status_index=status_index)]
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


def has_comment() -> ColumnElement[bool]:
    return and_(SurveyResponse.comment.is_not(None), SurveyResponse.comment != "")


# -- lookups ---------------------------------------------------------------------------


async def unit_by_code(session: AsyncSession, code: str) -> Unit | None:
    return await session.scalar(select(Unit).where(Unit.code == code))


async def service_by_code(session: AsyncSession, code: str) -> Service | None:
    return await session.scalar(select(Service).where(Service.code == code))


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
