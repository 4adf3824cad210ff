"""A published SKM period, the use case: one approved version with what its documents show.

An `Edition` is one version of one unit's period as the report, the poster,
the public page, its open data and the channel post present it. It is read
from frozen rows only (`storage.period_publication`), and everything in it is
fixed by the version itself, so regenerating a version's documents gives the
same text, whenever it is done:

- the figures are the version's snapshot (the exact IKM is recomputed from its
  integer sums, `period_snapshot.group_result`);
- the documents carry the version's time (``published_at``, ``as_of``), never
  the time of generation;
- the trend takes the unit's periods of the same kind that ended by this one,
  each as its latest version published by this version's moment (a later
  correction of an older period does not rewrite this report);
- the working days count the period's days on the deployment's calendar.

The follow-up plan (RTL, `storage.rtl`) is the unit's plan for the period as
it stands when the documents are made: it is written after the close and
grows while the unit works on it, so it is the one part of a report that may
differ between two runs. Without a plan every document shows the plan's
headings and says none is recorded; the annex carries the previous plan's lines
with their unsur's NRR then and now (`scheduler.rtl.outcome_of_previous`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.documents import period_snapshot as snap
from scheduler.documents import site_paths
from scheduler.documents.period_snapshot import Figures
from scheduler.scoring import skm
from scheduler.scoring.skm_periods import classify
from scheduler.scoring.working_days import WorkCalendar
from storage import holidays, periods, rtl
from storage import period_publication as published
from storage.models import Unit
from storage.period_models import SkmPeriod
from storage.period_publication import PublishedVersion
from storage.periods import PeriodError

TREND_PERIODS = 8  # the last periods shown in a trend


@dataclass(frozen=True)
class TrendPoint:
    """One period of the unit's trend, as its version known at the edition's moment."""

    name: str
    first: date
    last: date
    version: int
    respondents: int
    ikm: Decimal | None  # 4 decimals
    konversi: Decimal | None  # 2 decimals
    mutu: str | None


@dataclass(frozen=True)
class PlanLine:
    """One line of a follow-up plan (RTL): the prioritised unsur, the activity, when, who,
    and where it stands (status, verified by the head)."""

    unsur: str
    activity: str
    quarter: str
    responsible: str
    status: str = "belum_mulai"  # storage.rtl_models.STATUSES
    verified: bool = False


@dataclass(frozen=True)
class FollowUp:
    """One line of the previous period's plan and how its unsur moved."""

    unsur: str
    activity: str
    status: str  # storage.rtl_models.STATUSES
    verified: bool
    before: Fraction | None
    after: Fraction | None


@dataclass(frozen=True)
class Edition:
    """One published version of one unit's period (see the module docstring)."""

    figures: Figures
    period_id: int
    period_name: str
    first: date
    last: date
    cut_at: datetime | None
    unit_code: str
    unit_name: str
    version: int
    published_at: datetime
    as_of: datetime
    early: bool
    changes: list[dict[str, Any]]
    trend: tuple[TrendPoint, ...]
    working_days: int
    pemda_name: str
    page_path: str  # in the public site
    page_url: str | None  # None: PUBLIC_BASE_URL is not set
    timezone: str
    plan: tuple[PlanLine, ...] = ()
    plan_as_of: datetime | None = None  # the plan's last change (the page's live section)
    forum_date: date | None = None
    previous_followup: tuple[FollowUp, ...] = field(default_factory=tuple)
    previous_plan_period: str | None = None

    @property
    def result(self) -> skm.IkmResult | None:
        return snap.group_result(self.figures["overall"])


def trend_point(item: PublishedVersion) -> TrendPoint:
    figures = snap.loads(item.version.figures)
    result = snap.group_result(figures["overall"])
    return TrendPoint(
        name=item.period.name,
        first=item.period.first_day,
        last=item.period.last_day,
        version=item.version.version,
        respondents=int(figures["overall"]["respondents"]),
        ikm=skm.round_half_up(result.ikm, 4) if result else None,
        konversi=result.konversi_rounded if result else None,
        mutu=result.mutu.code if result else None,
    )


def trend_of(this: PublishedVersion, unit_versions: list[PublishedVersion]) -> list[TrendPoint]:
    """The unit's periods of this one's kind that ended by it, each at its latest version
    published by this version's moment (this period: this version), oldest first."""
    kind = classify(this.period.first_day, this.period.last_day).kind
    chosen: dict[int, PublishedVersion] = {}
    for item in unit_versions:
        p = item.period
        if p.last_day > this.period.last_day or classify(p.first_day, p.last_day).kind != kind:
            continue
        if p.id == this.period.id:
            if item.version.version == this.version.version:
                chosen[p.id] = item
        elif item.version.published_at <= this.version.published_at:
            chosen[p.id] = item  # versions come oldest first: the last one wins
    ordered = sorted(chosen.values(), key=lambda i: (i.period.last_day, i.period.id))
    return [trend_point(i) for i in ordered[-TREND_PERIODS:]]


def working_days(first: date, last: date, calendar: WorkCalendar) -> int:
    return sum(1 for n in range((last - first).days + 1) if calendar(first + timedelta(days=n)))


def edition_of(
    this: PublishedVersion,
    unit_versions: list[PublishedVersion],
    *,
    slug: str,
    calendar: WorkCalendar,
    settings: Settings,
) -> Edition:
    period, version = this.period, this.version
    path = site_paths.version_page(this.unit.code, slug, version.version)
    base = settings.public_base_url
    return Edition(
        figures=snap.loads(version.figures),
        period_id=period.id,
        period_name=period.name,
        first=period.first_day,
        last=period.last_day,
        cut_at=period.cut_at,
        unit_code=this.unit.code,
        unit_name=this.unit.name,
        version=version.version,
        published_at=version.published_at,
        as_of=version.as_of,
        early=version.early,
        changes=json.loads(version.changes),
        trend=tuple(trend_of(this, unit_versions)),
        working_days=working_days(period.first_day, period.last_day, calendar),
        pemda_name=settings.pemda_name,
        page_path=path,
        page_url=site_paths.public_url(base, path) if base else None,
        timezone=settings.timezone,
    )


def due_of(line: rtl.LineView) -> str:
    if line.due_label:
        return line.due_label
    return line.due_date.isoformat() if line.due_date else "-"


async def with_follow_up(session: AsyncSession, edition: Edition, unit_id: int) -> Edition:
    """The edition with the unit's plan for its period and the previous plan's outcome."""
    from scheduler.rtl import outcome_of_previous

    plan = await rtl.plan_for(session, edition.period_id, unit_id)
    lines = await rtl.plan_lines(session, unit_id, edition.period_id) if plan else []
    shown = tuple(
        PlanLine(
            line.unsur,
            line.activity,
            due_of(line),
            line.owner_name or "-",
            line.status,
            line.verified_at is not None,
        )
        for line in lines
        if line.status != "batal"
    )
    period = await session.get(SkmPeriod, edition.period_id)
    assert period is not None
    previous = await outcome_of_previous(session, period, unit_id)
    followed = tuple(
        FollowUp(
            o.line.unsur,
            o.line.activity,
            o.line.status,
            o.line.verified_at is not None,
            o.before,
            o.after,
        )
        for o in (previous.lines if previous else [])
    )
    return replace(
        edition,
        plan=shown,
        plan_as_of=await rtl.plan_changed_at(session, plan) if plan else None,
        forum_date=plan.forum_date if plan else None,
        previous_followup=followed,
        previous_plan_period=previous.previous.name if previous else None,
    )


async def slugs(session: AsyncSession) -> dict[int, str]:
    found = await published.all_periods(session)
    return site_paths.period_slugs((p.id, p.name) for p in found)


async def edition(
    session: AsyncSession,
    settings: Settings,
    period_name: str,
    unit_code: str,
    version: int | None = None,
) -> Edition:
    """The unit's approved version ``version`` (default: the latest) of the period."""
    period = await periods.period_named(session, period_name)
    unit = await periods.unit_by_code(session, unit_code)
    return await edition_of_unit(session, settings, period, unit, version)


async def edition_by_ids(
    session: AsyncSession, settings: Settings, period_id: int, unit_id: int, version: int
) -> Edition:
    """Version ``version`` of a unit's period, by ids (the bot's and the post's way in)."""
    period = await session.get(SkmPeriod, period_id)
    unit = await session.get(Unit, unit_id)
    if period is None or unit is None:
        raise PeriodError(f"no period {period_id} or unit {unit_id}")
    return await edition_of_unit(session, settings, period, unit, version)


async def edition_of_unit(
    session: AsyncSession,
    settings: Settings,
    period: SkmPeriod,
    unit: Unit,
    version: int | None,
) -> Edition:
    unit_versions = await published.published_versions(session, unit_id=unit.id)
    mine = [v for v in unit_versions if v.period.id == period.id]
    if not mine:
        raise PeriodError(
            f"'{period.name}' is not approved for {unit.code} yet: "
            "documents are made from an approved version only"
        )
    chosen = (
        mine[-1]
        if version is None
        else next((v for v in mine if v.version.version == version), None)
    )
    if chosen is None:
        known = ", ".join(str(v.version.version) for v in mine)
        raise PeriodError(f"{unit.code} has no version {version} of '{period.name}' ({known})")
    calendar = await holidays.work_calendar(session, settings)
    slug = (await slugs(session))[period.id]
    found = edition_of(chosen, unit_versions, slug=slug, calendar=calendar, settings=settings)
    return await with_follow_up(session, found, unit.id)


async def all_editions(session: AsyncSession, settings: Settings) -> list[Edition]:
    """Every approved version of every unit (the public site), by unit, period, version,
    each with its unit's follow-up plan as it stands now."""
    everything = await published.published_versions(session)
    calendar = await holidays.work_calendar(session, settings)
    period_slugs = await slugs(session)
    by_unit: dict[int, list[PublishedVersion]] = {}
    for item in everything:
        by_unit.setdefault(item.unit.id, []).append(item)
    return [
        await with_follow_up(
            session,
            edition_of(
                item,
                by_unit[item.unit.id],
                slug=period_slugs[item.period.id],
                calendar=calendar,
                settings=settings,
            ),
            item.unit.id,
        )
        for item in everything
    ]
