"""Job ``weekly_digest``: every linked unit head hears how last week went, Monday morning.

"Last week" is the Monday–Sunday week (local dates in TIMEZONE) before the
week of the run, so the Monday 08:00 run reports the seven days that just
ended, and a run caught up on Tuesday reports the same week. Each digest
covers the head's unit **with its sub-units**, pooled, and says:

- respondents (complete submitted responses, by the local day of submission);
- the IKM konversi and mutu, computed exactly as ``ulasan report ikm`` does
  (`storage.ikm_report.totals_by_service` sums in SQL, `scheduler.scoring.skm.compute`
  does the math), and its change from the week before (on the two values as
  printed, so the numbers shown add up);
- the weakest unsur (every unsur sharing the lowest NRR) and its NRR;
- how many comments and how many low-score alerts (`SurveyAlert` rows of the
  week's responses) there were;
- a chart (matplotlib, Agg): NRR per unsur, last week beside the week before.

Everything is aggregated in SQL (SUM/COUNT grouped by service, then added up
per unit tree), never by loading responses. The digest is one photo with the
text as caption when it fits Telegram's 1024 characters; otherwise the photo
has a short caption and the text follows as a message.

Decisions: a head whose unit (with sub-units) has active services but had no
respondents gets a short digest saying so (a silent week usually means the QR
codes are not being used, which a head should hear); a unit with no active
service and no responses gets nothing (a secretariat has nothing to report).
A head of several units gets one digest per unit.

Outbox: kind ``weekly_digest``, `PRIORITY_DIGEST` (after alerts and reminders),
dedupe key ``digest:<week start>:<unit id>:<employee id>[:text]``; the
"work" window (Monday–Friday 08:00–16:00) unless ``--force``. Running twice
queues nothing new (and draws no chart for a digest already queued).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler.jobs.specs import JobContext
from scheduler.quiet_hours import next_allowed
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.ikm_report import Scope, Totals, period_bounds, totals_by_service
from storage.models import Employee, Service, TelegramAccount, Unit
from storage.outbox import MAX_CAPTION, MAX_TEXT, enqueue, queued_already
from storage.outbox_models import PRIORITY_DIGEST
from storage.preferences import language_of_chat
from storage.survey_models import SUBMITTED, SurveyAlert, SurveyResponse

# A server has no display; the object API below needs no pyplot state either.

log = logging.getLogger(__name__)

JOB_NAME = "weekly_digest"
KIND = "weekly_digest"


# -- the weeks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekSpan:
    start: date  # Monday
    end: date  # Sunday, inclusive


def last_weeks(now: datetime, settings: Settings) -> tuple[WeekSpan, WeekSpan]:
    """(the week before the run's week, the week before that), Monday–Sunday, local."""
    today = now.astimezone(settings.tz).date()
    this_monday = today - timedelta(days=today.weekday())
    last = WeekSpan(this_monday - timedelta(days=7), this_monday - timedelta(days=1))
    before = WeekSpan(last.start - timedelta(days=7), last.start - timedelta(days=1))
    return last, before


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


# -- text and chart -------------------------------------------------------------------------


def _locale(language: str) -> str:
    return "en" if language == "en" else "id"


def _number(value: Decimal, language: str) -> str:
    return format_decimal(value, format="0.00", locale=_locale(language))


def _signed(value: Decimal, language: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + _number(abs(value), language)


def span_text(span: WeekSpan, language: str) -> str:
    locale = _locale(language)
    return f"{format_date(span.start, 'd MMM', locale=locale)} – " + format_date(
        span.end, "d MMM y", locale=locale
    )


def digest_title(unit_name: str, span: WeekSpan, language: str) -> str:
    _ = gettext_for(language)
    return _("📊 Weekly survey digest: {unit}\n{week}").format(
        unit=unit_name, week=span_text(span, language)
    )


def digest_text(
    unit_name: str,
    last: WeekFigures,
    before: WeekFigures,
    language: str,
    *,
    with_sub_units: bool,
) -> str:
    _ = gettext_for(language)
    lines = [digest_title(unit_name, last.span, language), ""]
    result = last.result
    if result is None:
        lines.append(
            _(
                "No respondents last week. Are the survey QR codes on display at the "
                "service counters?"
            )
        )
    else:
        lines.append(_("Respondents: {n}").format(n=result.n))
        lines.append(
            _("IKM: {value} (mutu {code}, {label})").format(
                value=_number(result.konversi_rounded, language),
                code=result.mutu.code,
                label=result.mutu.label(language),
            )
        )
        previous = before.result
        if previous is None:
            lines.append(_("The week before had no respondents: no comparison yet."))
        else:
            change = result.konversi_rounded - previous.konversi_rounded
            lines.append(
                _("Change from the week before: {change} (then {previous})").format(
                    change=_signed(change, language),
                    previous=_number(previous.konversi_rounded, language),
                )
            )
        weakest = [UNSUR_BY_CODE[code] for code in result.weakest]
        lines.append(
            _("Weakest unsur: {unsur} (NRR {nrr})").format(
                unsur=", ".join(f"{u.code} {_(u.name)}" for u in weakest),
                nrr=_number(skm.round_half_up(result.nrr[result.weakest[0]], 2), language),
            )
        )
        lines.append(_("Suggestions and complaints: {count}").format(count=last.totals.comments))
        lines.append(_("Low-score alerts: {count}").format(count=last.alerts))
    if with_sub_units:
        lines += ["", _("Including the sub-units.")]
    return "\n".join(lines)


def render_chart(unit_name: str, last: WeekFigures, before: WeekFigures, language: str) -> bytes:
    """NRR per unsur, last week beside the week before (when it had respondents); PNG.

    Pure CPU work on matplotlib's object API (no pyplot state): call it in a
    worker thread.
    """
    _ = gettext_for(language)
    codes = list(skm.UNSUR_CODES)
    labels = [f"{code} {_(UNSUR_BY_CODE[code].name)}" for code in codes]
    # Imported here: matplotlib and numpy are ~40 MB the bot needs only while drawing.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 5.2), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    series = []
    if before.result is not None:
        series.append((before, "#b0b7c3", span_text(before.span, language)))
    if last.result is not None:
        series.append((last, "#1f6fb2", span_text(last.span, language)))
    height = 0.8 / max(len(series), 1)
    for index, (week, colour, label) in enumerate(series):
        result = week.result
        assert result is not None
        values = [float(result.nrr[code]) for code in codes]
        # The earlier week sits above the later one in each pair.
        offset = (index - (len(series) - 1) / 2) * height
        ys = [position + offset for position in range(len(codes))]
        axes.barh(ys, values, height=height * 0.95, color=colour, label=label)
        if week is last:
            for y, code in zip(ys, codes, strict=True):
                exact = result.nrr[code]
                shown = _number(skm.round_half_up(exact, 2), language)
                axes.text(float(exact) + 0.03, y, shown, va="center", fontsize=7)
    axes.set_yticks(range(len(codes)))
    axes.set_yticklabels([_shorten(label, 38) for label in labels], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(1, 4.3)
    axes.set_xlabel(_("NRR (1 = worst, 4 = best)"), fontsize=8)
    axes.set_title(_shorten(_("NRR per unsur: {unit}").format(unit=unit_name), 70), fontsize=10)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.set_xticks([1, 2, 3, 4])
    if series:
        # Below the axes: inside, the legend would cover the last unsur's bars.
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=len(series))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class DigestPart:
    suffix: str
    text: str
    image: bytes | None


def digest_parts(title: str, text: str, chart: bytes | None) -> list[DigestPart]:
    """One photo with the text as caption when it fits, else photo + message."""
    if chart is None:
        return [DigestPart("", _shorten(text, MAX_TEXT), None)]
    if len(text) <= MAX_CAPTION:
        return [DigestPart("", text, chart)]
    return [
        DigestPart("", _shorten(title, MAX_CAPTION), chart),
        DigestPart(":text", _shorten(text, MAX_TEXT), None),
    ]


# -- the job ---------------------------------------------------------------------------------


def dedupe_key(span: WeekSpan, head: Head) -> str:
    return f"digest:{span.start.isoformat()}:{head.unit_id}:{head.employee_id}"


@dataclass
class _Plan:
    head: Head
    language: str
    last: WeekFigures
    before: WeekFigures
    with_sub_units: bool


async def run(ctx: JobContext) -> str:
    """Queue last week's digest for every linked unit head; a one-line summary."""
    settings = ctx.settings
    last_span, before_span = last_weeks(ctx.now, settings)
    plans: list[_Plan] = []
    skipped = 0
    async with ctx.sessions() as session:
        heads = await linked_heads(session)
        if not heads:
            return "no linked unit heads: nothing to send"
        children = await unit_children(session)
        services = await services_by_unit(session)
        last_week = await week_data(session, last_span, settings)
        before_week = await week_data(session, before_span, settings)
        for head in heads:
            if await queued_already(session, dedupe_key(last_span, head)):
                continue
            units = subtree(head.unit_id, children)
            unit_services = [s for unit in units for s in services.get(unit, [])]
            service_ids = [service_id for service_id, _active in unit_services]
            last = last_week.figures(service_ids)
            before = before_week.figures(service_ids)
            has_active = any(active for _id, active in unit_services)
            if not has_active and last.totals.n == 0 and before.totals.n == 0:
                skipped += 1  # nothing to serve, nothing to say
                continue
            language = await language_of_chat(session, settings, head.chat_id)
            plans.append(_Plan(head, language, last, before, len(units) > 1))
    not_before = None if ctx.force else next_allowed(ctx.now, "work", settings)
    queued = 0
    for plan in plans:
        head = plan.head
        text = digest_text(
            head.unit_name,
            plan.last,
            plan.before,
            plan.language,
            with_sub_units=plan.with_sub_units,
        )
        chart = None
        if plan.last.result is not None:
            chart = await asyncio.to_thread(
                render_chart, head.unit_name, plan.last, plan.before, plan.language
            )
        title = digest_title(head.unit_name, plan.last.span, plan.language)
        key = dedupe_key(plan.last.span, head)
        async with ctx.sessions.begin() as session:
            for part in digest_parts(title, text, chart):
                added = await enqueue(
                    session,
                    chat_id=head.chat_id,
                    kind=KIND,
                    text=part.text,
                    image=part.image,
                    dedupe_key=key + part.suffix,
                    priority=PRIORITY_DIGEST,
                    not_before=not_before,
                    employee_id=head.employee_id,
                )
                queued += int(added)
    summary = (
        f"{len(plans)} digest(s) for {last_span.start.isoformat()}..{last_span.end.isoformat()}, "
        f"{queued} message(s) queued"
    )
    if skipped:
        summary += f", {skipped} unit(s) without services skipped"
    return summary
