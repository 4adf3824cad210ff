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

The filter is `storage.ikm_scope`, the queries `storage.ikm_queries`; this
module shapes the report and is the way in for the CLI and the digest: what
they need of the other two is importable from here (``__all__``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, tzinfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring import skm
from storage.ikm_queries import (
    CommentRow,
    ProfileCounts,
    RespondentRow,
    Totals,
    comment_rows,
    empty_profile,
    merge_profiles,
    profile_by_service,
    respondent_rows,
    rollup_profile_by_service,
    rollup_totals_by_service,
    totals_by_service,
)
from storage.ikm_scope import PROFILE_FIELDS, ReportError, Scope, period_bounds, resolve_scope
from storage.models import Service, Unit
from storage.rollup import refresh as rollup

__all__ = [
    "PROFILE_FIELDS",
    "CommentRow",
    "GroupReport",
    "IkmReport",
    "ReportError",
    "RespondentRow",
    "SampleCheck",
    "Scope",
    "ServiceReport",
    "Totals",
    "UnitRef",
    "build_ikm_report",
    "group_report",
    "period_bounds",
    "resolve_scope",
    "respondent_rows",
    "totals_by_service",
]


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
    totals, profiles = await _scores(session, scope)
    overall = _overall(totals, profiles)
    services = await _service_reports(session, scope, totals, profiles)
    comments = tuple(await comment_rows(session, scope, tz)) if with_comments else ()
    return IkmReport(
        unit=_unit_ref(units),
        service=(service.code, service.name) if service else None,
        employee=(employee.nip, employee.name) if employee else None,
        date_from=date_from,
        date_to=date_to,
        timezone=timezone_name or str(tz),
        overall=overall,
        services=services,
        comments=comments,
        sample=_sample(population, overall),
        scope=scope,
    )


async def _scores(
    session: AsyncSession, scope: Scope
) -> tuple[dict[int, Totals], dict[int, ProfileCounts]]:
    """Per-service totals and profiles of the scope, from the rollup tables."""
    totals = await rollup_totals_by_service(session, scope)
    if scope.employee_id is None:
        profiles = await rollup_profile_by_service(session, scope)
    else:
        # The profile tables are per service; one officer's respondents are few
        # and reached through the employee_id index.
        profiles = await profile_by_service(session, scope)
    return totals, profiles


def _overall(totals: dict[int, Totals], profiles: dict[int, ProfileCounts]) -> GroupReport:
    """The unit's figures: the per-service sums added up (each response has one service)."""
    overall_totals = Totals()
    for part in totals.values():
        overall_totals.add(part)
    return group_report(overall_totals, merge_profiles(list(profiles.values())))


async def _service_reports(
    session: AsyncSession,
    scope: Scope,
    totals: dict[int, Totals],
    profiles: dict[int, ProfileCounts],
) -> tuple[ServiceReport, ...]:
    return tuple(
        ServiceReport(
            code=s.code,
            name=s.name,
            unit_code=u.code,
            unit_name=u.name,
            active=s.active,
            group=group_report(totals.get(s.id, Totals()), profiles.get(s.id, empty_profile())),
        )
        for s, u in await _listed_services(session, scope, set(totals))
    )


def _sample(population: int | None, overall: GroupReport) -> SampleCheck | None:
    """Whether the respondents reach Krejcie & Morgan's minimum for the population."""
    if population is None:
        return None
    minimum = skm.krejcie_morgan_min_sample(population)
    return SampleCheck(population, minimum, overall.n, overall.n >= minimum)


def _unit_ref(units: list[Unit]) -> UnitRef | None:
    if not units:
        return None
    return UnitRef(units[0].code, units[0].name, tuple((u.code, u.name) for u in units[1:]))
