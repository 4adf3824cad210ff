"""Texts of development plans (IDP): the invitation at close, the plan as its readers see it,
the supervisor's request and answers, and the monthly check-in.

Used by the use cases that queue them (``scheduler/development.py``, the check-in
job) and by ``handlers/development.py``, so a plan reads the same everywhere.
Callback data prefixes live here because both sides need them: ``dp:`` for the
ratee's steps, ``dv:`` for the supervisor, ``dc:`` for check-ins.
"""

from __future__ import annotations

from datetime import date

from bot.core.clock import format_day
from bot.core.i18n import N_, Translate
from scheduler.messages.review_reports import number, signed
from scheduler.scoring.development_activities import BY_CODE
from scheduler.scoring.development_focus import Change
from scheduler.scoring.review_instrument import Instrument
from storage.development_models import (
    APPROVED,
    CHECKIN_DONE,
    CHECKIN_NOT_STARTED,
    CHECKIN_ONGOING,
    DRAFT,
    SUBMITTED,
)
from storage.development_plans import PlanView

OPEN_CALLBACK = "dp:o:"  # dp:o:<token>: open (or continue) one's plan
REVIEW_CALLBACK = "dv:"  # dv:<op>:<token>[:<revision>]: the supervisor's buttons
CHECKIN_CALLBACK = "dc:"  # dc:<token>:<yyyymm>:<status>

Buttons = list[list[dict[str, str]]]

STATUS_TEXT = {
    DRAFT: N_("draft"),
    SUBMITTED: N_("waiting for your supervisor's approval"),
    APPROVED: N_("approved"),
}
CHECKIN_TEXT = {
    CHECKIN_NOT_STARTED: N_("Not started yet"),
    CHECKIN_ONGOING: N_("Under way"),
    CHECKIN_DONE: N_("Done"),
}


def value_name(instrument: Instrument, code: str, _: Translate) -> str:
    try:
        return _(instrument.item(code).name)
    except KeyError:
        return code


def activity_name(code: str | None, _: Translate) -> str:
    found = BY_CODE.get(code or "")
    return _(found.label) if found else "—"


def plan_lines(view: PlanView, instrument: Instrument, _: Translate, language: str) -> list[str]:
    """The plan itself: each value with its activity and action, the target date."""
    lines = [
        _("Development plan after “{cycle}” — {name}").format(
            cycle=view.cycle_name, name=view.employee_name
        )
    ]
    for index, focus in enumerate(view.focus, start=1):
        lines.append(
            _("{number}. {value}: {activity}").format(
                number=index,
                value=value_name(instrument, focus.code, _),
                activity=activity_name(focus.activity, _),
            )
        )
        lines.append("   " + _("Action: {action}").format(action=focus.action or "—"))
    target = format_day(view.target_date, language) if view.target_date else "—"
    lines.append(_("Target date: {day}").format(day=target))
    lines.append(_("Status: {status}").format(status=_(STATUS_TEXT.get(view.status, DRAFT))))
    if view.supervisor_comment:
        lines.append(_("Your supervisor's note: {note}").format(note=view.supervisor_comment))
    return lines


def progress_lines(
    view: PlanView,
    changes: dict[str, Change | None],
    last_checkin: str | None,
    instrument: Instrument,
    _: Translate,
    language: str,
) -> list[str]:
    """For the next cycle's personal report: each focus value's change beside its plan."""
    lines = [_("Your development plan after “{cycle}”:").format(cycle=view.cycle_name)]
    for focus in view.focus:
        change = changes.get(focus.code)
        if change is None:
            moved = _("not comparable (no released figure in one of the cycles)")
        else:
            before, after = number(change.before, language), number(change.after, language)
            moved = f"{before} → {after} ({signed(change.delta, language)})"
        lines.append(
            _("• {value}: {change}").format(
                value=value_name(instrument, focus.code, _), change=moved
            )
        )
        lines.append(
            "   "
            + _("Plan: {activity} — {action}").format(
                activity=activity_name(focus.activity, _), action=focus.action or "—"
            )
        )
    status = _(STATUS_TEXT.get(view.status, DRAFT))
    if last_checkin in CHECKIN_TEXT:
        status += "; " + _("last check-in: {answer}").format(answer=_(CHECKIN_TEXT[last_checkin]))
    lines.append(_("Status: {status}").format(status=status))
    return lines


def invite_text(_: Translate, cycle_name: str, suggested: list[str]) -> str:
    """The message after close: choose the focus of your development."""
    lines = [
        _("Choose your development focus (“{cycle}”)").format(cycle=cycle_name),
        _(
            "Your 360° results are out. Pick one or two core values to work on in the "
            "coming months, an activity for each and one concrete action; your supervisor "
            "approves the plan."
        ),
    ]
    if suggested:
        lines.append(
            _("Suggested from your results: {values}. You may change them.").format(
                values=", ".join(suggested)
            )
        )
    return "\n\n".join(lines)


def open_button(_: Translate, token: str) -> Buttons:
    return [[{"text": _("Choose development focus"), "callback_data": OPEN_CALLBACK + token}]]


def review_request_text(
    view: PlanView, instrument: Instrument, _: Translate, language: str, due: date | None
) -> str:
    """To the supervisor: a plan to approve, comment on or send back, and by when."""
    lead = _("{name} asks you to approve their development plan.").format(name=view.employee_name)
    lines = [lead, "", *plan_lines(view, instrument, _, language)[:-1]]
    if due is not None:
        lines += ["", _("Please answer by {day}.").format(day=format_day(due, language))]
    return "\n".join(lines)


def review_buttons(_: Translate, token: str, revision: int) -> Buttons:
    """Approve (then a binding confirmation), ask for a change, or comment."""
    return [
        [{"text": _("Approve"), "callback_data": f"{REVIEW_CALLBACK}a:{token}:{revision}"}],
        [
            {
                "text": _("Ask for a change"),
                "callback_data": f"{REVIEW_CALLBACK}r:{token}:{revision}",
            }
        ],
        [{"text": _("Comment"), "callback_data": f"{REVIEW_CALLBACK}k:{token}:{revision}"}],
    ]


def month_code(month: date) -> str:
    return f"{month.year:04d}{month.month:02d}"


def checkin_text(view: PlanView, instrument: Instrument, _: Translate, language: str) -> str:
    """The monthly check-in: the plan in short, and one tap to say where it stands."""
    values = ", ".join(value_name(instrument, f.code, _) for f in view.focus)
    return "\n\n".join(
        [
            _("Monthly check-in of your development plan ({values})").format(values=values),
            _("How far are you with it? One tap is enough; you may add a short note after."),
        ]
    )


def checkin_buttons(_: Translate, token: str, month: date) -> Buttons:
    code = month_code(month)
    return [
        [
            {
                "text": _(CHECKIN_TEXT[status]),
                "callback_data": f"{CHECKIN_CALLBACK}{token}:{code}:{status}",
            }
            for status in (CHECKIN_NOT_STARTED, CHECKIN_ONGOING, CHECKIN_DONE)
        ]
    ]


def waiting_plans_text(_: Translate, names: list[str], overdue: int) -> str:
    """The supervisor nudge's block about plans waiting for approval (names only)."""
    lines = [
        _("Development plans waiting for your approval ({count}): {names}").format(
            count=len(names), names=", ".join(sorted(names, key=str.casefold)[:10])
        )
    ]
    if overdue:
        lines.append(_("{count} of them waited longer than the agreed days.").format(count=overdue))
    lines.append(_("/rencana shows them."))
    return "\n".join(lines)
