"""The use cases of a 360° review cycle: open it, add or remove an assignment, close it.

One function per use case, called by both ``/siklus`` (``handlers/cycles_admin.py``,
``handlers/cycle_opening.py``) and ``ulasan cycle …`` (``bot/cli/cycle.py``). Each takes
the caller's session and never commits: the caller owns the transaction, so a
failed ``open`` leaves no half cycle and no queued message behind. Each begins
with its audit line (a write first: SQLite's lock, see
`storage.review_cycles.write_audit`).

- `open_cycle` plans who rates whom, stores the cycle and its assignments and
  queues ONE opening message per rater with a linked Telegram account (outbox
  kind ``cycle_open``, dedupe key per cycle and rater): how many colleagues,
  by when, and a "Start rating" button (``scheduler/messages/cycles.py``).
- `assign` / `unassign` adjust assignments while the cycle is open; `assign`
  tells a linked rater (kind ``cycle_assign``) when given the settings;
  `unassign` refuses a submitted review and says how many draft answers went.
- `close_cycle` closes the cycle and, in the same transaction,
  `queue_close_reports`: it loads the cycle's results once
  (`storage.review_results.cycle_report`, which enforces the anonymity rule
  and refuses an open cycle) and queues, for every ratee with a linked account,
  their report (kind ``review_report``, with its chart) and, for every direct
  supervisor with a linked account, their team summary (kind
  ``team_summary``), each in the recipient's language
  (``scheduler/messages/review_reports.py``, which ``/hasil`` renders too).
  Dedupe keys are per cycle, recipient and part, so queueing twice adds
  nothing. Then every ratee with results gets a draft development plan and a
  linked one "Choose your development focus" (`scheduler.development`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import format_day, local_day, utcnow
from bot.core.i18n import gettext_for
from bot.core.settings import Settings
from scheduler import development, development_lists, divergence, unit_results
from scheduler.documents.review_chart import render_chart
from scheduler.feedback_cards import citizens_in
from scheduler.messages import cycles as cycle_texts
from scheduler.messages import feedback_cards as feedback_texts
from scheduler.messages.review_reports import OutMessage, report_messages, team_messages
from scheduler.scoring.assignments import AssignmentPlan
from storage import review_cycles as stored
from storage.directory import accounts_by_employee
from storage.models import TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE, PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_cycle_types import (
    AssignmentChange,
    AssignmentSubmitted,
    ClosedCycle,
    CycleExists,
    DeadlineInPast,
    InvalidRelation,
    NoSuchAssignment,
    OpenedCycle,
    SelfAssignment,
)
from storage.review_models import RELATIONS, SELF, SUBMITTED, ReviewAssignment, ReviewCycle
from storage.review_results import RateeResults, TeamSummary, cycle_report

log = logging.getLogger(__name__)

REPORT_KIND = "review_report"
TEAM_KIND = "team_summary"

# -- open --------------------------------------------------------------------------------


async def open_cycle(
    session: AsyncSession,
    *,
    name: str,
    deadline: date,
    unit_code: str | None = None,
    max_peers: int = 4,
    no_self: bool = False,
    actor: str,
    now: datetime,
    settings: Settings,
) -> OpenedCycle:
    """Create the cycle, its assignments and one opening message per linked rater."""
    name = stored.clean_name(name)
    stored.check_max_peers(max_peers)
    if deadline < local_day(now, settings.tz):
        raise DeadlineInPast(deadline=deadline.isoformat())
    audit = await stored.write_audit(session, actor, "cycle.open", now)
    if await stored.name_taken(session, name):
        raise CycleExists(name=name)
    unit = await stored.scope_unit(session, unit_code)
    plan, people = await stored.assignment_plan(session, unit, max_peers, no_self, seed=name)
    ratees = sum(1 for e in people.values() if e.active)
    cycle = await stored.insert_cycle(
        session,
        name=name,
        unit=unit,
        deadline=deadline,
        max_peers=max_peers,
        no_self=no_self,
        actor=actor,
        now=now,
    )
    await stored.insert_assignments(session, cycle.id, plan.assignments, now)
    load = plan.load()
    accounts = await accounts_by_employee(session, sorted(load))
    notified = await _announce(session, cycle, plan, accounts, settings, now)
    notes = await stored.plan_notes(session, plan, people)
    audit.detail = (
        f"name={name}; unit={unit.code if unit else 'all'}; deadline={deadline}; "
        f"max_peers={max_peers}; self={'no' if no_self else 'yes'}; "
        f"employees={ratees}; assignments={len(plan.assignments)}; "
        f"raters={len(load)}; notified={notified}"
    )
    await session.flush()
    return OpenedCycle(
        cycle_id=cycle.id,
        name=name,
        deadline=deadline,
        unit_code=unit.code if unit else None,
        employees=ratees,
        assignments=len(plan.assignments),
        raters=len(load),
        notified=notified,
        unlinked_raters=len(load) - len(accounts),
        notes=notes,
    )


async def _announce(
    session: AsyncSession,
    cycle: ReviewCycle,
    plan: AssignmentPlan,
    accounts: dict[int, TelegramAccount],
    settings: Settings,
    now: datetime,
) -> int:
    """Queue the opening message of every rater with a linked account; how many were new."""
    load = plan.load()
    own = {a.rater_id for a in plan.assignments if a.relation == SELF}
    notified = 0
    for rater_id in sorted(load):
        account = accounts.get(rater_id)
        if account is None:
            continue
        language = language_of(account, settings)
        _ = gettext_for(language)
        text = cycle_texts.opening_text(
            _,
            name=cycle.name,
            colleagues=load[rater_id] - (1 if rater_id in own else 0),
            self_review=rater_id in own,
            deadline=format_day(cycle.deadline, language),
        )
        if await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=stored.OPEN_KIND,
            text=text,
            buttons=cycle_texts.start_button(_),
            dedupe_key=stored.opening_key(cycle.id, rater_id),
            priority=PRIORITY_NOTICE,
            employee_id=rater_id,
            now=now,
        ):
            notified += 1
    return notified


# -- assign / unassign ---------------------------------------------------------------------


async def assign(
    session: AsyncSession,
    cycle_name: str,
    rater_nip: str,
    ratee_nip: str,
    relation: str,
    actor: str,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> AssignmentChange:
    """Add one assignment to an open cycle; with ``settings``, tell a linked rater."""
    stamp = now or utcnow()
    audit = await stored.write_audit(session, actor, "cycle.assign", stamp)
    cycle = await stored.open_cycle_named(session, cycle_name)
    relation = (relation or "").strip().lower()
    if relation not in RELATIONS:
        raise InvalidRelation(relation=relation)
    rater = await stored.active_employee(session, rater_nip)
    ratee = await stored.active_employee(session, ratee_nip)
    if (rater.id == ratee.id) != (relation == SELF):
        raise SelfAssignment()
    assignment = await stored.add_assignment(session, cycle, rater, ratee, relation, stamp)
    notified = False
    if settings is not None:
        notified = await _tell_assigned(session, cycle, assignment, settings, stamp)
    audit.detail = (
        f"cycle={cycle.name}; rater={rater.nip}; ratee={ratee.nip}; relation={relation}; "
        f"notified={'yes' if notified else 'no'}"
    )
    await session.flush()
    return AssignmentChange(cycle.name, rater.nip, ratee.nip, relation, notified=notified)


async def _tell_assigned(
    session: AsyncSession,
    cycle: ReviewCycle,
    assignment: ReviewAssignment,
    settings: Settings,
    now: datetime,
) -> bool:
    """Queue "one more colleague" for a rater with a linked account; whether it was new."""
    rater_id = assignment.rater_id
    account = (await accounts_by_employee(session, [rater_id])).get(rater_id)
    if account is None:
        return False
    language = language_of(account, settings)
    _ = gettext_for(language)
    return await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=stored.ASSIGN_KIND,
        text=cycle_texts.assigned_text(
            _,
            name=cycle.name,
            self_review=assignment.relation == SELF,
            deadline=format_day(cycle.deadline, language),
        ),
        buttons=cycle_texts.start_button(_),
        dedupe_key=f"{stored.ASSIGN_KIND}:{assignment.token}",
        priority=PRIORITY_NOTICE,
        employee_id=rater_id,
        now=now,
    )


async def unassign(
    session: AsyncSession,
    cycle_name: str,
    rater_nip: str,
    ratee_nip: str,
    actor: str,
    *,
    now: datetime | None = None,
) -> AssignmentChange:
    """Remove one assignment of an open cycle (refused once submitted; drafts go with it)."""
    audit = await stored.write_audit(session, actor, "cycle.unassign", now or utcnow())
    cycle = await stored.open_cycle_named(session, cycle_name)
    rater = await stored.active_employee(session, rater_nip)
    ratee = await stored.active_employee(session, ratee_nip)
    assignment = await stored.find_assignment(session, cycle.id, rater.id, ratee.id)
    if assignment is None:
        raise NoSuchAssignment(rater=rater.nip, ratee=ratee.nip)
    if assignment.status == SUBMITTED:
        raise AssignmentSubmitted(rater=rater.nip, ratee=ratee.nip)
    answers = await stored.remove_assignment(session, assignment, rater, ratee)
    audit.detail = (
        f"cycle={cycle.name}; rater={rater.nip}; ratee={ratee.nip}; "
        f"relation={assignment.relation}; status={assignment.status}; "
        f"answers_discarded={answers}"
    )
    await session.flush()
    return AssignmentChange(
        cycle.name, rater.nip, ratee.nip, assignment.relation, discarded_answers=answers
    )


# -- close ---------------------------------------------------------------------------------


async def close_cycle(
    session: AsyncSession, name: str, actor: str, now: datetime, settings: Settings
) -> ClosedCycle:
    """Close an open cycle and queue its reports (`queue_close_reports`)."""
    audit = await stored.write_audit(session, actor, "cycle.close", now)
    cycle = await stored.mark_closed(session, name, now)
    counts = await stored.status_counts(session, cycle.id)
    queued = await queue_close_reports(session, settings, cycle.id, now)
    audit.detail = (
        f"name={cycle.name}; submitted={counts.submitted}/{counts.total}; reports={queued}"
    )
    await session.flush()
    return ClosedCycle(cycle.id, cycle.name, now, queued, counts)


async def queue_close_reports(
    session: AsyncSession, settings: Settings, cycle_id: int, now: datetime
) -> int:
    """Queue every linked ratee's report and every linked supervisor's team summary.

    Runs in the caller's transaction (never commits); refuses an open cycle
    (`storage.review_results.ResultsNotReleased`). Returns how many report
    rows were added (0 when run again); the development plans' invitations
    (`scheduler.development.invite_after_close`) are counted apart.
    """
    min_raters = settings.min_anonymous_raters
    results, teams = await cycle_report(
        session, cycle_id, min_raters=min_raters, min_values=settings.recommendation_min_values
    )
    people = {r.ratee.id for r in results} | {t.supervisor.id for t in teams}
    accounts = await accounts_by_employee(session, sorted(people))
    queued = await _queue_reports(session, results, accounts, settings, cycle_id, now)
    queued += await _queue_team_summaries(session, teams, accounts, settings, cycle_id, now)
    # Development plans follow the results (counted apart: they are not reports).
    await development.invite_after_close(session, settings, cycle_id, results, now)
    await development_lists.queue_lists(session, settings, cycle_id, results, now)
    # Openness: each unit's per-value figures to all its members (counted apart too).
    await unit_results.queue_unit_results(session, settings, cycle_id, results, now)
    # Supervisors whose perilaku view differs from the pooled others by a level or more.
    await divergence.queue_divergence(session, settings, cycle_id, results, now)
    log.info("cycle %s closed at %s: %d report messages queued", cycle_id, now, queued)
    return queued


async def _queue_reports(
    session: AsyncSession,
    results: Sequence[RateeResults],
    accounts: dict[int, TelegramAccount],
    settings: Settings,
    cycle_id: int,
    now: datetime,
) -> int:
    queued = 0
    for item in results:
        account = accounts.get(item.ratee.id)
        if account is None:
            continue
        language = language_of(account, settings)
        # Drawing takes tens of milliseconds: keep the event loop free meanwhile.
        chart = await asyncio.to_thread(render_chart, item, language)
        citizens = await _citizen_lines(session, settings, cycle_id, item.ratee.id, language, now)
        plan = await development.progress(session, settings, item, language)
        queued += await _queue(
            session,
            account=account,
            kind=REPORT_KIND,
            key=f"{REPORT_KIND}:{cycle_id}:{item.ratee.id}",
            messages=report_messages(item, language, chart, citizens, plan),
            employee_id=item.ratee.id,
            now=now,
        )
    return queued


async def _citizen_lines(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    ratee_id: int,
    language: str,
    now: datetime,
) -> list[str]:
    """What citizens said about the ratee from the cycle's opening to its close (officer
    QR codes; figures only from FEEDBACK_MIN_CITIZENS answers); nothing if none."""
    cycle = await session.get(ReviewCycle, cycle_id)
    if cycle is None:
        return []
    citizens = await citizens_in(
        session, settings, ratee_id, cycle.opened_at, cycle.closed_at or now
    )
    if citizens.n == 0:
        return []
    return feedback_texts.citizens_lines(citizens, gettext_for(language), language)


async def _queue_team_summaries(
    session: AsyncSession,
    teams: Sequence[TeamSummary],
    accounts: dict[int, TelegramAccount],
    settings: Settings,
    cycle_id: int,
    now: datetime,
) -> int:
    queued = 0
    for team in teams:
        account = accounts.get(team.supervisor.id)
        if account is None:
            continue
        language = language_of(account, settings)
        queued += await _queue(
            session,
            account=account,
            kind=TEAM_KIND,
            key=f"{TEAM_KIND}:{cycle_id}:{team.supervisor.id}",
            messages=team_messages(team, language, settings.min_anonymous_raters),
            employee_id=team.supervisor.id,
            now=now,
        )
    return queued


async def _queue(
    session: AsyncSession,
    *,
    account: TelegramAccount,
    kind: str,
    key: str,
    messages: Sequence[OutMessage],
    employee_id: int,
    now: datetime,
) -> int:
    """One recipient's messages, part by part (dedupe key ``<key>:<part>``)."""
    queued = 0
    for index, message in enumerate(messages):
        added = await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=kind,
            text=message.text,
            buttons=message.buttons,
            image=message.image,
            dedupe_key=f"{key}:{index}",
            priority=PRIORITY_REPORT,
            employee_id=employee_id,
            now=now,
        )
        queued += int(added)
    return queued
