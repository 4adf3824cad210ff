"""The weekly digest's figures: linked unit heads, unit trees, and one week's sums per service.

Everything is aggregated in SQL (SUM/COUNT grouped by service, then added up
per unit tree in Python), never by loading responses: the IKM sums come from
`storage.ikm_queries.totals_by_service` (as ``ulasan report ikm`` computes
them), the alert counts from the `SurveyAlert` rows of the week's responses.
Weeks are Monday–Sunday local dates, turned into UTC bounds by
`storage.ikm_scope.period_bounds`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from scheduler.scoring import skm
from storage.ikm_queries import Totals, totals_by_service
from storage.ikm_scope import Scope, period_bounds
from storage.models import Employee, Service, TelegramAccount, Unit
from storage.survey_models import SUBMITTED, SurveyAlert, SurveyResponse


@dataclass(frozen=True)
class WeekSpan:
    start: date  # Monday
    end: date  # Sunday, inclusive


# -- queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    unit_id: int
    unit_name: str
    employee_id: int
    chat_id: int


async def linked_heads(session: AsyncSession) -> list[Head]:
    """Every unit whose head is an active employee with a linked Telegram account."""
    rows = await session.execute(
        select(Unit.id, Unit.name, Employee.id, TelegramAccount.telegram_user_id)
        .join(Employee, Employee.id == Unit.head_employee_id)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(Employee.active.is_(True))
        .order_by(Unit.code, Unit.id)
    )
    return [Head(int(u), str(name), int(e), int(chat)) for u, name, e, chat in rows.all()]


async def unit_children(session: AsyncSession) -> dict[int, list[int]]:
    rows = await session.execute(select(Unit.id, Unit.parent_id))
    children: dict[int, list[int]] = {}
    for unit_id, parent_id in rows.all():
        if parent_id is not None:
            children.setdefault(int(parent_id), []).append(int(unit_id))
    return children


def subtree(unit_id: int, children: dict[int, list[int]]) -> set[int]:
    """The unit and everything below it (safe against a cycle in bad data)."""
    found = {unit_id}
    frontier = [unit_id]
    while frontier:
        frontier = [c for parent in frontier for c in children.get(parent, []) if c not in found]
        found.update(frontier)
    return found


async def services_by_unit(session: AsyncSession) -> dict[int, list[tuple[int, bool]]]:
    rows = await session.execute(select(Service.id, Service.unit_id, Service.active))
    out: dict[int, list[tuple[int, bool]]] = {}
    for service_id, unit_id, active in rows.all():
        out.setdefault(int(unit_id), []).append((int(service_id), bool(active)))
    return out


async def alerts_by_service(session: AsyncSession, scope: Scope) -> dict[int, int]:
    """COUNT of alert rows per service, of responses submitted within the scope's period."""
    statement = (
        select(SurveyResponse.service_id, func.count(SurveyAlert.id))
        .join(SurveyResponse, SurveyResponse.id == SurveyAlert.response_id)
        .where(SurveyResponse.status == SUBMITTED)
        .group_by(SurveyResponse.service_id)
    )
    if scope.start is not None:
        statement = statement.where(SurveyResponse.submitted_at >= scope.start)
    if scope.end is not None:
        statement = statement.where(SurveyResponse.submitted_at < scope.end)
    rows = await session.execute(statement)
    return {int(service_id): int(count) for service_id, count in rows.all()}


# -- one unit's week -------------------------------------------------------------------------


@dataclass
class WeekFigures:
    span: WeekSpan
    totals: Totals = field(default_factory=Totals)
    alerts: int = 0

    @property
    def result(self) -> skm.IkmResult | None:
        return skm.compute(self.totals.sums, self.totals.n) if self.totals.n else None


@dataclass(frozen=True)
class WeekData:
    """Per-service sums and alert counts of one week, for every service."""

    span: WeekSpan
    totals: dict[int, Totals]
    alerts: dict[int, int]

    def figures(self, service_ids: Iterable[int]) -> WeekFigures:
        figures = WeekFigures(self.span)
        for service_id in service_ids:
            part = self.totals.get(service_id)
            if part is not None:
                figures.totals.add(part)
            figures.alerts += self.alerts.get(service_id, 0)
        return figures


async def week_data(session: AsyncSession, span: WeekSpan, settings: Settings) -> WeekData:
    start, end = period_bounds(span.start, span.end, settings.tz)
    scope = Scope(start=start, end=end)
    return WeekData(
        span, await totals_by_service(session, scope), await alerts_by_service(session, scope)
    )
