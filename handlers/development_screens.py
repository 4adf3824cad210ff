"""The screens of ``/rencana`` (the ratee writing a development plan), one function per step.

`render` is a short dispatcher over the plan's stored step (a draft) or its
status (submitted, approved). Callback data patterns of the ratee's buttons
live here too, beside the buttons that carry them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import format_day
from bot.core.i18n import Translate
from scheduler import development_flow as flow
from scheduler.messages import development as texts
from scheduler.scoring.development_activities import ACTIVITIES
from scheduler.scoring.development_focus import MAX_FOCUS, add_months
from scheduler.scoring.review_instrument import Instrument
from storage.development_models import DRAFT
from storage.development_plans import PlanView

TOKEN = r"(?P<token>[A-Za-z0-9_-]{12})"
PATTERN_OPEN = rf"^dp:o:{TOKEN}$"
PATTERN_TOGGLE = rf"^dp:f:{TOKEN}:(?P<code>[A-Za-z0-9_-]{{1,16}})$"
PATTERN_NEXT = rf"^dp:n:{TOKEN}$"
PATTERN_ACTIVITY = rf"^dp:a:{TOKEN}:(?P<code>[A-Za-z0-9_-]{{1,16}}):(?P<activity>[a-z_]{{2,12}})$"
PATTERN_TARGET = rf"^dp:t:{TOKEN}:(?P<months>[13x])$"
PATTERN_CHANGE = rf"^dp:c:{TOKEN}:(?P<part>focus|activity|target)$"
PATTERN_SUBMIT = rf"^dp:s:{TOKEN}$"
PATTERN_ANY = r"^dp:"

Screen = tuple[str, InlineKeyboardMarkup | None]


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def _pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def render(
    view: PlanView, instrument: Instrument, _: Translate, language: str, latest: date, today: date
) -> Screen:
    """The screen for the plan as stored: its draft step, else the plan and its status."""
    if view.status != DRAFT:
        return "\n".join(texts.plan_lines(view, instrument, _, language)), None
    steps: dict[str, Callable[[], Screen]] = {
        flow.STEP_FOCUS: lambda: focus_step(view, instrument, _),
        flow.STEP_ACTIVITY: lambda: activity_step(view, instrument, _, language),
        flow.STEP_ACTION: lambda: action_step(view, instrument, _, language),
        flow.STEP_TARGET: lambda: target_step(view, _, language, latest, today),
        flow.STEP_CONFIRM: lambda: confirm_step(view, instrument, _, language),
    }
    return steps.get(view.step, steps[flow.STEP_FOCUS])()


def focus_step(view: PlanView, instrument: Instrument, _: Translate) -> Screen:
    """FOCUS: every core value as a toggle, the chosen ones ticked; Next."""
    lines = [_("Choose your development focus (“{cycle}”)").format(cycle=view.cycle_name)]
    if view.suggested:
        names = ", ".join(texts.value_name(instrument, c, _) for c in view.suggested)
        lines.append(_("Suggested from your results: {values}.").format(values=names))
    if view.supervisor_comment:
        lines.append(_("Your supervisor's note: {note}").format(note=view.supervisor_comment))
    lines.append(
        _("Choose one or two core values (tap to choose or remove), then Next.").format(
            count=MAX_FOCUS
        )
    )
    chosen = set(view.codes)
    buttons = [
        _button(
            ("✓ " if item.code in chosen else "") + _(item.name),
            f"dp:f:{view.token}:{item.code}",
        )
        for item in instrument.items
    ]
    rows = [*_pairs(buttons), [_button(_("Next ➜"), f"dp:n:{view.token}")]]
    return "\n\n".join(lines), InlineKeyboardMarkup(rows)


def _position(view: PlanView, code: str, _: Translate) -> str:
    number = next((i for i, f in enumerate(view.focus, start=1) if f.code == code), 1)
    return _("Value {number} of {count}").format(number=number, count=len(view.focus))


def activity_step(view: PlanView, instrument: Instrument, _: Translate, language: str) -> Screen:
    """ACTIVITY: the catalogue's activity types for the current value."""
    current = view.current()
    if current is None:
        return confirm_step(view, instrument, _, language)
    name = texts.value_name(instrument, current.code, _)
    text = "\n\n".join(
        [
            f"{_position(view, current.code, _)}: {name}",
            _("Which kind of activity will help you most with it?"),
        ]
    )
    buttons = [
        _button(_(a.label), f"dp:a:{view.token}:{current.code}:{a.code}") for a in ACTIVITIES
    ]
    return text, InlineKeyboardMarkup(_pairs(buttons))


def action_step(view: PlanView, instrument: Instrument, _: Translate, language: str) -> Screen:
    """ACTION: asks for one concrete action for the current value, typed."""
    current = view.current()
    if current is None:
        return confirm_step(view, instrument, _, language)
    name = texts.value_name(instrument, current.code, _)
    kind = texts.activity_name(current.activity, _)
    text = "\n\n".join(
        [
            f"{_position(view, current.code, _)}: {name} — {kind}",
            _(
                "Type one concrete action: what you will do and how, e.g. “Follow the "
                "e-learning on public service and apply it at the counter every week”."
            ),
        ]
    )
    return text, None


def target_step(view: PlanView, _: Translate, language: str, latest: date, today: date) -> Screen:
    """TARGET: one month, three months, or the latest allowed date; or a typed date."""
    text = "\n\n".join(
        [
            _("By when will you have done it?"),
            _("Choose a date or type one (YYYY-MM-DD). The latest allowed is {latest}.").format(
                latest=format_day(latest, language)
            ),
        ]
    )
    buttons = []
    for months in (1, 3):
        day = add_months(today, months)
        if day < latest:
            label = _("In {months} months ({day})") if months > 1 else _("In 1 month ({day})")
            buttons.append(
                _button(
                    label.format(months=months, day=format_day(day, language)),
                    f"dp:t:{view.token}:{months}",
                )
            )
    buttons.append(
        _button(_("Latest: {day}").format(day=format_day(latest, language)), f"dp:t:{view.token}:x")
    )
    return text, InlineKeyboardMarkup([[b] for b in buttons])


def confirm_step(view: PlanView, instrument: Instrument, _: Translate, language: str) -> Screen:
    """CONFIRM: the whole plan; submit it, or change the values, answers or date."""
    lines = texts.plan_lines(view, instrument, _, language)[:-1]  # no status line yet
    lines += ["", _("Send this plan to your supervisor for approval?")]
    token = view.token
    rows = [
        [_button(_("Send to my supervisor"), f"dp:s:{token}")],
        [_button(_("Change the values"), f"dp:c:{token}:focus")],
        [_button(_("Change activities and actions"), f"dp:c:{token}:activity")],
        [_button(_("Change the target date"), f"dp:c:{token}:target")],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def submitted_text(view: PlanView, instrument: Instrument, _: Translate, language: str) -> str:
    lines = texts.plan_lines(view, instrument, _, language)
    if view.supervisor_id is None:
        lines += ["", _("No supervisor is recorded for you: ask HR (BKPSDM) to add one.")]
    else:
        lines += ["", _("Sent to your supervisor for approval.")]
    return "\n".join(lines)


def others_screen(views: list[PlanView], _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    """The plans one reads as a supervisor or coach: a button each."""
    rows = [
        [
            InlineKeyboardButton(
                f"{view.employee_name} — {_(texts.STATUS_TEXT.get(view.status, view.status))}",
                callback_data=f"dv:v:{view.token}",
            )
        ]
        for view in views
    ]
    return _("Development plans of your team:"), InlineKeyboardMarkup(rows)
