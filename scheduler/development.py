"""Development plans (IDP) after a 360° cycle: the invitation at close, the supervisor's answer.

`invite_after_close` runs inside the cycle's close (``scheduler/cycles.py``,
the caller's transaction): every ratee whose results released a figure
("others" or the supervisor's) gets a draft plan with the bot's suggestion
already chosen (`scheduler.scoring.development_focus.suggest_focus`), and a
ratee with a linked account gets "Choose your development focus" (outbox
kind ``development_invite``, one per cycle and ratee). The plan's approver is
the holder of the cycle's supervisor assignment, else the roster's supervisor.

`progress` gives the next cycle's personal report the previous plan beside each
focus value's change (`scheduler.scoring.development_focus.focus_change`).

`submit_plan` queues the plan to the supervisor (kind ``development_review``,
one per plan revision) with Approve / Ask for a change / Comment; `approve`
and `answer_with_note` act only on the revision the supervisor was shown
(`PlanChanged` otherwise) and tell the ratee (``development_decision``) and,
on approval, a named coach (``development_coach``). Each never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.i18n import N_, Translate, gettext_for
from bot.core.settings import Settings
from scheduler import development_flow as flow
from scheduler.messages import development as texts
from scheduler.scoring.development_focus import focus_change, suggest_focus
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from scheduler.scoring.shipped_instruments import DEFAULT_INSTRUMENT, get_instrument
from storage import development_plans as plans
from storage.development_models import APPROVED, DRAFT, SUBMITTED, DevelopmentPlan
from storage.directory import accounts_by_employee
from storage.models import AuditLog, Employee, TelegramAccount
from storage.outbox import enqueue
from storage.outbox_models import PRIORITY_NOTICE, PRIORITY_REPORT
from storage.preferences import language_of
from storage.review_models import ReviewCycle
from storage.review_result_types import ResultsError
from storage.review_results import RateeResults, ratee_results

INVITE_KIND = "development_invite"
REVIEW_KIND = "development_review"
DECISION_KIND = "development_decision"
COACH_KIND = "development_coach"
CHECKIN_KIND = "development_checkin"


async def _roster_supervisors(session: AsyncSession, ids: Sequence[int]) -> dict[int, int | None]:
    rows = await session.execute(
        select(Employee.id, Employee.supervisor_id).where(Employee.id.in_(list(ids)))
    )
    return {int(e): (int(s) if s is not None else None) for e, s in rows.all()}


async def invite_after_close(
    session: AsyncSession,
    settings: Settings,
    cycle_id: int,
    results: Sequence[RateeResults],
    now: datetime,
) -> int:
    """Draft plans for every ratee with results; invitations queued (how many new)."""
    with_results = [r for r in results if r.overall is not None]
    if not with_results:
        return 0
    roster = await _roster_supervisors(session, [r.ratee.id for r in with_results])
    new = [
        plans.NewPlan(
            employee_id=r.ratee.id,
            supervisor_id=r.supervisor_id or roster.get(r.ratee.id),
            suggested=suggest_focus(r.result, r.instrument),
        )
        for r in with_results
    ]
    tokens = await plans.create_drafts(session, cycle_id, new, now)
    accounts = await accounts_by_employee(session, [r.ratee.id for r in with_results])
    queued = 0
    for item, plan in zip(with_results, new, strict=True):
        account = accounts.get(item.ratee.id)
        if account is None:
            continue
        _ = gettext_for(language_of(account, settings))
        names = [texts.value_name(item.instrument, code, _) for code in plan.suggested]
        queued += await enqueue(
            session,
            chat_id=account.telegram_user_id,
            kind=INVITE_KIND,
            text=texts.invite_text(_, item.cycle.name, names),
            buttons=texts.open_button(_, tokens[item.ratee.id]),
            dedupe_key=f"{INVITE_KIND}:{cycle_id}:{item.ratee.id}",
            priority=PRIORITY_REPORT,
            employee_id=item.ratee.id,
            now=now,
        )
    return queued


async def progress(
    session: AsyncSession, settings: Settings, results: RateeResults, language: str
) -> list[str]:
    """Lines for ``results``' personal report: the ratee's plan of an earlier cycle with each
    focus value's change since (only the ratee receives the report); none without a plan."""
    found = await plans.previous_own(session, results.ratee.id, results.cycle.id)
    if found is None:
        return []
    view, last = found
    try:
        before = await ratee_results(
            session,
            view.cycle_id,
            results.ratee.id,
            min_raters=settings.min_anonymous_raters,
            min_values=settings.recommendation_min_values,
        )
    except ResultsError:
        before = None
    changes = {
        f.code: focus_change(before.result, results.result, f.code) if before else None
        for f in view.focus
    }
    _ = gettext_for(language)
    return texts.progress_lines(view, changes, last, results.instrument, _, language)


# -- the supervisor's answer ---------------------------------------------------------------------


class PlanChanged(flow.Refused):
    template = N_(
        "This plan is no longer waiting for this answer (it was changed, approved or sent "
        "back meanwhile). Nothing was changed."
    )


async def recipient(
    session: AsyncSession, employee_id: int | None, settings: Settings
) -> tuple[TelegramAccount, str] | None:
    if employee_id is None:
        return None
    account = (await accounts_by_employee(session, [employee_id])).get(employee_id)
    if account is None:
        return None
    return account, language_of(account, settings)


def instrument_of_plan(view: plans.PlanView) -> Instrument:
    try:
        return get_instrument(view.instrument_code)
    except InstrumentError:
        return DEFAULT_INSTRUMENT


def approval_day(submitted: date, settings: Settings) -> date:
    """The last day the supervisor has to approve: submission + DEVELOPMENT_APPROVAL_DAYS."""
    return submitted + timedelta(days=settings.development_approval_days)


def approval_due(plan: DevelopmentPlan, settings: Settings) -> date | None:
    if plan.submitted_at is None:
        return None
    return approval_day(local_day(plan.submitted_at, settings.tz), settings)


async def _tell(
    session: AsyncSession,
    *,
    to: int | None,
    plan: DevelopmentPlan,
    settings: Settings,
    key: str,
    render: Callable[[plans.PlanView, Translate, str], tuple[str, texts.Buttons | None]],
    now: datetime,
) -> bool:
    """Queue one message about ``plan`` to employee ``to`` (if linked), in their language."""
    found = await recipient(session, to, settings)
    if found is None:
        return False
    account, language = found
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    text, buttons = render(view, gettext_for(language), language)
    return await enqueue(
        session,
        chat_id=account.telegram_user_id,
        kind=key.split(":")[0],
        text=text[:4096],
        buttons=buttons,
        dedupe_key=key,
        priority=PRIORITY_NOTICE,
        employee_id=to,
        now=now,
    )


async def submit_plan(
    session: AsyncSession, plan: DevelopmentPlan, settings: Settings, now: datetime
) -> bool:
    """Store a complete draft as submitted (a new revision) and queue it for the
    supervisor's approval (kind ``development_review``); whether it was queued."""
    plan.status = SUBMITTED
    plan.revision += 1
    plan.submitted_at = now
    plan.updated_at = now
    await session.flush()
    due = approval_due(plan, settings)

    def render(view: plans.PlanView, _: Translate, language: str) -> tuple[str, texts.Buttons]:
        instrument = instrument_of_plan(view)
        text = texts.review_request_text(view, instrument, _, language, due)
        return text, texts.review_buttons(_, view.token, view.revision)

    return await _tell(
        session,
        to=plan.supervisor_id,
        plan=plan,
        settings=settings,
        key=f"{REVIEW_KIND}:{plan.id}:{plan.revision}",
        render=render,
        now=now,
    )


def _check_waiting(plan: DevelopmentPlan, revision: int) -> None:
    if plan.status != SUBMITTED or plan.revision != revision:
        raise PlanChanged()


async def approve(
    session: AsyncSession, plan: DevelopmentPlan, revision: int, settings: Settings, now: datetime
) -> None:
    """The supervisor approves exactly the revision they were shown; the ratee (and a
    named coach) hear of it."""
    _check_waiting(plan, revision)
    plan.status = APPROVED
    plan.approved_at = now
    plan.updated_at = now
    await session.flush()

    def render(view: plans.PlanView, _: Translate, language: str) -> tuple[str, None]:
        lines = texts.plan_lines(view, instrument_of_plan(view), _, language)
        return "\n".join([_("Your supervisor approved your development plan."), "", *lines]), None

    await _tell(
        session,
        to=plan.employee_id,
        plan=plan,
        settings=settings,
        key=f"{DECISION_KIND}:{plan.id}:{revision}:approved",
        render=render,
        now=now,
    )

    def coach(view: plans.PlanView, _: Translate, language: str) -> tuple[str, None]:
        lines = texts.plan_lines(view, instrument_of_plan(view), _, language)
        lead = _("You are named as the coach of this development plan.")
        return "\n".join([lead, "", *lines]), None

    await _tell(
        session,
        to=plan.coach_id,
        plan=plan,
        settings=settings,
        key=f"{COACH_KIND}:{plan.id}:{revision}",
        render=coach,
        now=now,
    )


async def answer_with_note(
    session: AsyncSession,
    plan: DevelopmentPlan,
    revision: int,
    note: str,
    *,
    change: bool,
    settings: Settings,
    now: datetime,
) -> None:
    """The supervisor asks for a change (the plan is a draft again, at its summary) or only
    comments; the ratee gets the note."""
    _check_waiting(plan, revision)
    plan.supervisor_comment = note
    plan.updated_at = now
    if change:
        plan.status = DRAFT
        plan.step = flow.STEP_CONFIRM
    await session.flush()

    def render(
        view: plans.PlanView, _: Translate, language: str
    ) -> tuple[str, texts.Buttons | None]:
        if change:
            text = _("Your supervisor asks you to change your development plan: {note}")
            return text.format(note=note), texts.open_button(_, view.token)
        return _("Your supervisor commented on your development plan: {note}").format(
            note=note
        ), None

    stamp = int(now.timestamp())
    await _tell(
        session,
        to=plan.employee_id,
        plan=plan,
        settings=settings,
        key=f"{DECISION_KIND}:{plan.id}:{revision}:{'change' if change else 'note'}:{stamp}",
        render=render,
        now=now,
    )


# -- a named coach -------------------------------------------------------------------------------


class CoachRefused(Exception):
    """Naming the coach is not possible as asked (one line for the operator)."""


async def name_coach(
    session: AsyncSession,
    settings: Settings,
    *,
    cycle_name: str,
    employee_nip: str,
    coach_nip: str | None,
    actor: str,
    now: datetime,
) -> str:
    """``ulasan development coach``: name (or with None clear) the coach of an employee's plan
    by NIPs (`assign_coach`). Returns one line for the operator."""
    entry = await plans.audit(session, actor, now)
    plan = await plans.plan_of_nip(session, cycle_name, employee_nip)
    if plan is None:
        raise CoachRefused(f"no development plan of {employee_nip} in the cycle '{cycle_name}'")
    coach_id = None
    if coach_nip is not None:
        coach_id = await plans.active_employee_id(session, coach_nip)
        if coach_id is None:
            raise CoachRefused(f"--coach: no active employee with NIP {coach_nip}")
    await assign_coach(session, settings, plan, coach_id, entry=entry, now=now)
    if coach_id is None:
        return f"the plan of {employee_nip} in '{cycle_name}' has no coach now"
    return f"{coach_nip} is now the coach of the plan of {employee_nip} in '{cycle_name}'"


async def assign_coach(
    session: AsyncSession,
    settings: Settings,
    plan: DevelopmentPlan,
    coach_id: int | None,
    *,
    entry: AuditLog,
    now: datetime,
) -> None:
    """Name (None: clear) ``plan``'s coach, from the CLI or the supervisor in Telegram; fills
    in the audit row ``entry`` (written first by the caller, `storage.development_plans.audit`).
    The coach of an approved plan receives it at once; of a submitted one, at its approval."""
    if coach_id is not None and coach_id in (plan.employee_id, plan.supervisor_id):
        raise CoachRefused(
            "--coach: the coach must be someone other than the ratee and the supervisor"
        )
    plan.coach_id = coach_id
    plan.updated_at = now
    cycle = await session.get(ReviewCycle, plan.cycle_id)
    employee_nip = await plans.nip_of(session, plan.employee_id)
    coach_nip = await plans.nip_of(session, coach_id)
    entry.detail = (
        f"cycle={cycle.name if cycle else plan.cycle_id}; employee={employee_nip}; "
        f"plan={plan.id}; coach={coach_nip}"
    )
    await session.flush()
    if coach_id is None or plan.status != APPROVED:
        return

    def coach_text(view: plans.PlanView, _: Translate, language: str) -> tuple[str, None]:
        lines = texts.plan_lines(view, instrument_of_plan(view), _, language)
        lead = _("You are named as the coach of this development plan.")
        return "\n".join([lead, "", *lines]), None

    await _tell(
        session,
        to=coach_id,
        plan=plan,
        settings=settings,
        key=f"{COACH_KIND}:{plan.id}:{plan.revision}:{coach_id}",
        render=coach_text,
        now=now,
    )
