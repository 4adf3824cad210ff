"""Job ``weekly_digest``: every linked unit head hears how last week went, Monday morning.

"Last week" is the Monday–Sunday week (local dates in TIMEZONE) before the
week of the run, so the Monday 08:00 run reports the seven days that just
ended, and a run caught up on Tuesday reports the same week. Each digest
covers the head's unit **with its sub-units**, pooled, and says:

- respondents (complete submitted responses, by the local day of submission);
- the IKM konversi and mutu, computed exactly as ``ulasan report ikm`` does
  (`storage.ikm_queries.totals_by_service` sums in SQL, `scheduler.scoring.skm.compute`
  does the math), and its change from the week before (on the two values as
  printed, so the numbers shown add up);
- the weakest unsur (every unsur sharing the lowest NRR) and its NRR;
- how many comments and how many low-score alerts (`SurveyAlert` rows of the
  week's responses) there were;
- the unit's cases (`storage.case_queries.counts_by_unit`): opened last week,
  open now, and how many of those are past their first-response target (also
  in a digest without respondents, when cases are open);
- a chart (matplotlib, Agg): NRR per unsur, last week beside the week before;
- the follow-up (RTL) lines of its units still open past their target date,
  with their owner and days late (`scheduler.messages.rtl.overdue_section`).

Everything is aggregated in SQL (SUM/COUNT grouped by service, then added up
per unit tree), never by loading responses (``storage/survey_digest.py``). The
digest is one photo with the text as caption when it fits Telegram's 1024
characters; otherwise the photo has a short caption and the text follows as a
message (``scheduler/messages/weekly_digest.py``; the chart is
``scheduler/documents/weekly_digest_chart.py``).

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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import local_day
from bot.core.settings import Settings
from scheduler.documents.weekly_digest_chart import render_chart
from scheduler.jobs.specs import JobContext
from scheduler.messages.rtl import overdue_section
from scheduler.messages.weekly_digest import digest_parts, digest_text, digest_title
from scheduler.quiet_hours import next_allowed
from storage import case_queries, rtl
from storage import survey_digest as figures
from storage.case_queries import CaseCounts
from storage.ikm_scope import period_bounds
from storage.outbox import enqueue, queued_already
from storage.outbox_models import PRIORITY_DIGEST
from storage.preferences import language_of_chat
from storage.rtl import LineView
from storage.survey_digest import Head, WeekFigures, WeekSpan

JOB_NAME = "weekly_digest"
KIND = "weekly_digest"


def last_weeks(now: datetime, settings: Settings) -> tuple[WeekSpan, WeekSpan]:
    """(the week before the run's week, the week before that), Monday–Sunday, local."""
    today = local_day(now, settings.tz)
    this_monday = today - timedelta(days=today.weekday())
    last = WeekSpan(this_monday - timedelta(days=7), this_monday - timedelta(days=1))
    before = WeekSpan(last.start - timedelta(days=7), last.start - timedelta(days=1))
    return last, before


def dedupe_key(span: WeekSpan, head: Head) -> str:
    return f"digest:{span.start.isoformat()}:{head.unit_id}:{head.employee_id}"


@dataclass
class _Plan:
    head: Head
    language: str
    last: WeekFigures
    before: WeekFigures
    with_sub_units: bool
    cases: CaseCounts
    # Follow-up (RTL) lines of the head's units past their target date.
    overdue: list[LineView] = field(default_factory=list)


async def run(ctx: JobContext) -> str:
    """Queue last week's digest for every linked unit head; a one-line summary."""
    last_span, before_span = last_weeks(ctx.now, ctx.settings)
    read = await _read(ctx, last_span, before_span)
    if read is None:
        return "no linked unit heads: nothing to send"
    plans, skipped = read
    not_before = None if ctx.force else next_allowed(ctx.now, "work", ctx.settings)
    queued = 0
    for plan in plans:
        queued += await _queue(ctx, plan, not_before)
    summary = (
        f"{len(plans)} digest(s) for {last_span.start.isoformat()}..{last_span.end.isoformat()}, "
        f"{queued} message(s) queued"
    )
    if skipped:
        summary += f", {skipped} unit(s) without services skipped"
    return summary


async def _read(
    ctx: JobContext, last_span: WeekSpan, before_span: WeekSpan
) -> tuple[list[_Plan], int] | None:
    """(a digest per head not yet queued, units skipped); None without linked heads."""
    settings = ctx.settings
    plans: list[_Plan] = []
    skipped = 0
    async with ctx.sessions() as session:
        heads = await figures.linked_heads(session)
        if not heads:
            return None
        children = await figures.unit_children(session)
        services = await figures.services_by_unit(session)
        last_week = await figures.week_data(session, last_span, settings)
        before_week = await figures.week_data(session, before_span, settings)
        start, end = period_bounds(last_span.start, last_span.end, settings.tz)
        case_counts = await case_queries.counts_by_unit(session, start, end, ctx.now)
        today = local_day(ctx.now, settings.tz)
        late_lines = await rtl.open_lines_due_by(session, today - timedelta(days=1))
        for head in heads:
            if await queued_already(session, dedupe_key(last_span, head)):
                continue
            units = figures.subtree(head.unit_id, children)
            unit_services = [s for unit in units for s in services.get(unit, [])]
            service_ids = [service_id for service_id, _active in unit_services]
            last = last_week.figures(service_ids)
            before = before_week.figures(service_ids)
            has_active = any(active for _id, active in unit_services)
            if not has_active and last.totals.n == 0 and before.totals.n == 0:
                skipped += 1  # nothing to serve, nothing to say
                continue
            language = await language_of_chat(session, settings, head.chat_id)
            cases = CaseCounts()
            for unit in units:
                cases.add(case_counts.get(unit, CaseCounts()))
            late = [line for line in late_lines if line.unit_id in units]
            plans.append(_Plan(head, language, last, before, len(units) > 1, cases, late))
    return plans, skipped


async def _queue(ctx: JobContext, plan: _Plan, not_before: datetime | None) -> int:
    """One head's digest: its text, its chart (drawn in a worker thread), its parts."""
    head = plan.head
    text = digest_text(
        head.unit_name,
        plan.last,
        plan.before,
        plan.language,
        with_sub_units=plan.with_sub_units,
        cases=plan.cases,
    )
    late = overdue_section(plan.overdue, local_day(ctx.now, ctx.settings.tz), plan.language)
    if late:
        text = f"{text}\n\n{late}"
    chart = None
    if plan.last.result is not None:
        chart = await asyncio.to_thread(
            render_chart, head.unit_name, plan.last, plan.before, plan.language
        )
    title = digest_title(head.unit_name, plan.last.span, plan.language)
    key = dedupe_key(plan.last.span, head)
    queued = 0
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
    return queued
