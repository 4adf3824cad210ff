"""The ratee's steps of writing a development plan (IDP): one use case per answer.

The named steps (`STEPS`, drawn in ``handlers/development.mmd``) are stored on
the plan (``DevelopmentPlan.step``) as each answer is written, so a restart
loses nothing and the next screen is derived from the draft:

FOCUS (choose one or two core values; the bot's suggestion is pre-selected) →
per chosen value: ACTIVITY (a type from the catalogue,
`scheduler.scoring.development_activities`) and ACTION (one concrete action,
typed) → TARGET (a date after today and no later than `target_limit`) →
CONFIRM (the summary: submit it to the supervisor, or change a part).

Every use case takes the ratee's own plan row, checks that the plan is a
draft at the step the pressed button belongs to (a stale or repeated press
raises `Refused` and writes nothing) and never commits.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.i18n import N_, Translate
from bot.core.settings import Settings
from scheduler.scoring.development_activities import activity
from scheduler.scoring.development_focus import MAX_FOCUS, latest_target
from scheduler.scoring.review_instrument import Instrument
from storage import development_plans as plans
from storage.development_models import DRAFT, DevelopmentPlan
from storage.review_results import open_cycle_for

STEP_FOCUS = "focus"
STEP_ACTIVITY = "activity"
STEP_ACTION = "action"
STEP_TARGET = "target"
STEP_CONFIRM = "confirm"
STEPS: tuple[str, ...] = (STEP_FOCUS, STEP_ACTIVITY, STEP_ACTION, STEP_TARGET, STEP_CONFIRM)

ACTION_MIN_CHARS = 10
ACTION_MAX_CHARS = 500


class Refused(Exception):
    """An answer that cannot be taken; ``template`` is an English message id."""

    template = N_("This button is no longer valid. /rencana shows your plan as it is now.")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.template.format(**params))

    def translated(self, _: Translate) -> str:
        return _(self.template).format(**self.params)


class Stale(Refused):
    pass


class TooManyValues(Refused):
    template = N_("Choose at most {count} core values: remove one first.")


class NoValue(Refused):
    template = N_("Choose at least one core value to work on.")


class NoAction(Refused):
    template = N_(
        "Please write one concrete action (what you will do, and how), at least {count} characters."
    )


class ActionTooLong(Refused):
    template = N_("That is too long: keep the action to {count} characters. Nothing was saved.")


class DateNotFuture(Refused):
    template = N_("The target date must be after today.")


class DateTooLate(Refused):
    template = N_("That date is too late: the target can be {latest} at the latest.")


class Incomplete(Refused):
    template = N_("The plan is not complete yet: every value needs an activity and an action.")


def _check(plan: DevelopmentPlan, step: str) -> None:
    if plan.status != DRAFT or plan.step != step:
        raise Stale()


def _touch(plan: DevelopmentPlan, step: str, now: datetime) -> None:
    plan.step = step
    plan.updated_at = now


async def _after_focus_step(session: AsyncSession, plan: DevelopmentPlan) -> str:
    """Where a draft goes once its values are set: the first missing answer, else on."""
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    current = view.current()
    if current is not None:
        return STEP_ACTIVITY if not current.activity else STEP_ACTION
    return STEP_TARGET if plan.target_date is None else STEP_CONFIRM


async def toggle_value(
    session: AsyncSession, plan: DevelopmentPlan, code: str, instrument: Instrument, now: datetime
) -> None:
    """FOCUS: add or remove one core value (at most `MAX_FOCUS`)."""
    _check(plan, STEP_FOCUS)
    if code not in instrument.item_codes:
        raise Stale()
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    codes = list(view.codes)
    if code in codes:
        codes.remove(code)
    elif len(codes) >= MAX_FOCUS:
        raise TooManyValues(count=MAX_FOCUS)
    else:
        codes.append(code)
    await plans.set_focus(session, plan, codes)
    _touch(plan, STEP_FOCUS, now)


async def confirm_focus(session: AsyncSession, plan: DevelopmentPlan, now: datetime) -> None:
    """FOCUS → the first value's ACTIVITY (or on, when its answers are kept)."""
    _check(plan, STEP_FOCUS)
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    if not view.focus:
        raise NoValue()
    _touch(plan, await _after_focus_step(session, plan), now)


async def choose_activity(
    session: AsyncSession, plan: DevelopmentPlan, code: str, activity_code: str, now: datetime
) -> None:
    """ACTIVITY of the current value → its ACTION."""
    _check(plan, STEP_ACTIVITY)
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    current = view.current()
    if current is None or current.code != code or activity(activity_code) is None:
        raise Stale()
    await plans.set_answer(session, plan, code, activity=activity_code)
    _touch(plan, STEP_ACTION, now)


async def write_action(
    session: AsyncSession, plan: DevelopmentPlan, text: str, now: datetime
) -> None:
    """ACTION of the current value (typed) → the next value's ACTIVITY, else TARGET."""
    _check(plan, STEP_ACTION)
    action = " ".join(text.split())
    if len(action) > ACTION_MAX_CHARS:
        raise ActionTooLong(count=ACTION_MAX_CHARS)
    if len(action) < ACTION_MIN_CHARS:
        raise NoAction(count=ACTION_MIN_CHARS)
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    current = view.current()
    if current is None or not current.activity:
        raise Stale()
    await plans.set_answer(session, plan, current.code, action=action)
    _touch(plan, await _after_focus_step(session, plan), now)


async def target_limit(
    session: AsyncSession, employee_id: int, today: date, settings: Settings
) -> date:
    """The latest target date: the next open cycle's deadline, else the setting's months."""
    cycle = await open_cycle_for(session, employee_id)
    deadline = cycle.deadline if cycle is not None else None
    return latest_target(today, deadline, settings.development_target_months)


async def set_target(
    session: AsyncSession,
    plan: DevelopmentPlan,
    day: date,
    *,
    today: date,
    latest: date,
    latest_text: str,
    now: datetime,
) -> None:
    """TARGET: a date after today, no later than ``latest`` → CONFIRM."""
    _check(plan, STEP_TARGET)
    if day <= today:
        raise DateNotFuture()
    if day > latest:
        raise DateTooLate(latest=latest_text)
    plan.target_date = day
    _touch(plan, STEP_CONFIRM, now)


async def change(session: AsyncSession, plan: DevelopmentPlan, part: str, now: datetime) -> None:
    """CONFIRM → FOCUS (values), ACTIVITY (activities and actions again) or TARGET."""
    _check(plan, STEP_CONFIRM)
    if part == STEP_FOCUS:
        _touch(plan, STEP_FOCUS, now)
    elif part == STEP_ACTIVITY:
        await plans.clear_answers(session, plan)
        _touch(plan, STEP_ACTIVITY, now)
    elif part == STEP_TARGET:
        plan.target_date = None
        _touch(plan, STEP_TARGET, now)
    else:
        raise Stale()


async def ready_to_submit(
    session: AsyncSession, plan: DevelopmentPlan, *, today: date, latest: date, latest_text: str
) -> plans.PlanView:
    """CONFIRM: the plan as it will be sent, if complete and its date still allowed."""
    _check(plan, STEP_CONFIRM)
    view = await plans.view_of(session, plan, plans.Reader.OWNER)
    if not view.focus or view.current() is not None:
        raise Incomplete()
    if plan.target_date is None or plan.target_date <= today:
        raise DateNotFuture()
    if plan.target_date > latest:
        raise DateTooLate(latest=latest_text)
    return view
