"""The texts and buttons of cases that leave through the outbox: the case line of an
alert, the reminder past the target, the escalation to the head above, the hand-over.

``/kasus`` (``handlers/case_screens.py``) shows the same summary lines as these
messages (`summary_lines`), so a case reads alike wherever it appears. Nothing
identifies the citizen: the service, the unit, the reasons and the masked comment.

Callback data: ``ks:<alert token>:<version>:<action>[:<argument>]`` (at most
about 40 bytes), answered by ``handlers/cases.py``; the version makes a button
of an older view stale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.clock import format_day, format_moment
from bot.core.i18n import N_, Translate, gettext_for
from bot.core.settings import Settings
from scheduler.messages.alerts import reason_lines
from scheduler.messages.limits import shorten
from scheduler.scoring.case_rules import DONE, HANDLING, NEW
from storage.case_queries import CaseView
from storage.masking import clean_text, mask_personal_data
from storage.outbox import MAX_TEXT

CALLBACK_PREFIX = "ks"
OPEN = "open"  # show the case in a new message (from an alert or a notice)
VIEW = "view"  # show the case in place (within /kasus)
WORKING = "work"  # baru → ditangani
RESOLVE = "done"  # ask for the resolution line
HAND = "give"  # the staff to hand it to (argument: page)
HAND_TO = "to"  # hand it to one employee (argument: employee id)
CANCEL = "cancel"  # leave the resolution prompt

STATUS_LABELS = {NEW: N_("new"), HANDLING: N_("being handled"), DONE: N_("resolved")}

COMMENT_ROOM = 1500


def callback(token: str, version: int, action: str, argument: str | int | None = None) -> str:
    tail = f":{argument}" if argument is not None else ""
    return f"{CALLBACK_PREFIX}:{token}:{version}:{action}{tail}"


def open_button(token: str, version: int, language: str) -> dict[str, str]:
    _ = gettext_for(language)
    return {"text": _("Open the case"), "callback_data": callback(token, version, OPEN)}


def status_label(status: str, _: Translate) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def opened_line(owner_name: str | None, due_day: date, days: int, language: str) -> str:
    """The case paragraph of a new alert: its owner and its first-response target."""
    _ = gettext_for(language)
    due = format_day(due_day, language)
    if owner_name is None:
        return _(
            "📋 A case was opened. It has no owner yet (no linked head up the units): "
            "an admin can hand it to a staff member in /kasus. First response due by {due}."
        ).format(due=due)
    return _(
        "📋 A case was opened. Owner: {owner}. Please respond by {due} ({days} working "
        'days): reply to the citizen, or mark it "being handled" in /kasus.'
    ).format(owner=owner_name, due=due, days=days)


def summary_lines(view: CaseView, settings: Settings, language: str, now: datetime) -> list[str]:
    """What the case is and where it stands: service, unit, opened, reasons, comment,
    status, owner, target, first response, escalation, resolution."""
    _ = gettext_for(language)
    tz = settings.tz
    lines = [
        _("Service: {service}").format(service=view.service_name),
        _("Unit: {unit}").format(unit=view.unit_name),
        _("Opened: {when}").format(when=format_moment(view.opened_at, tz, language)),
    ]
    lines += [f"• {line}" for line in reason_lines(view.reasons, view.response, settings, language)]
    comment = mask_personal_data(clean_text(view.response.comment or ""))
    if comment:
        lines.append(_("Comment: {comment}").format(comment=shorten(comment, COMMENT_ROOM)))
    lines += [
        _("Status: {status}").format(status=status_label(view.status, _)),
        _("Owner: {owner}").format(owner=view.owner_name or _("nobody yet")),
    ]
    lines.append(_target_line(view, settings, language, now))
    if view.escalated_at is not None:
        lines.append(
            _("Passed to the head above: {when}").format(
                when=format_moment(view.escalated_at, tz, language)
            )
        )
    if view.status == DONE and view.resolution:
        lines.append(_("Resolution: {text}").format(text=view.resolution))
    return lines


def last_day(deadline: datetime, settings: Settings) -> date:
    """The local day a deadline ends (deadlines are the next day's 00:00)."""
    return (deadline - timedelta(microseconds=1)).astimezone(settings.tz).date()


def _target_line(view: CaseView, settings: Settings, language: str, now: datetime) -> str:
    _ = gettext_for(language)
    if view.first_response_at is not None:
        return _("First response: {when}").format(
            when=format_moment(view.first_response_at, settings.tz, language)
        )
    due = format_day(last_day(view.due_at, settings), language)
    if view.late(now):
        return _("⏰ First response was due by {due}: past the target").format(due=due)
    return _("First response due by {due}").format(due=due)


def reminder_text(view: CaseView, settings: Settings, language: str, now: datetime) -> str:
    """To the owner (and the head, if it was handed over): past the target."""
    _ = gettext_for(language)
    lead = _(
        "⏰ This case is past its first-response target. Please reply to the citizen or "
        'mark it "being handled" now; if nobody responds within another {days} working '
        "days, it goes to the head above."
    ).format(days=settings.case_first_response_days)
    return shorten("\n".join([lead, "", *summary_lines(view, settings, language, now)]), MAX_TEXT)


def escalation_text(
    view: CaseView, settings: Settings, language: str, now: datetime, *, top_unit: bool
) -> str:
    """To the head above (or the top unit's admins): past the target twice."""
    _ = gettext_for(language)
    if top_unit:
        lead = _(
            "⏫ A case of {unit} has had no response for twice its target, and the unit has "
            "no head above it, so it comes to you as its admin. You can hand it over or "
            "resolve it in /kasus."
        )
    else:
        lead = _(
            "⏫ A case of {unit}, a unit under you, has had no response for twice its "
            "target. You can hand it over or resolve it in /kasus."
        )
    body = summary_lines(view, settings, language, now)
    return shorten("\n".join([lead.format(unit=view.unit_name), "", *body]), MAX_TEXT)


def escalated_notice(view: CaseView, language: str) -> str:
    """To the owner: the case went up."""
    _ = gettext_for(language)
    return _(
        "⏫ The case about {service} ({unit}) had no response for twice its target and was "
        "passed to the head above. You can still respond to it in /kasus."
    ).format(service=view.service_name, unit=view.unit_name)


def handed_text(view: CaseView, settings: Settings, language: str, now: datetime) -> str:
    """To the new owner."""
    _ = gettext_for(language)
    lead = _("📋 A case was handed to you. Please respond to it in /kasus.")
    return shorten("\n".join([lead, "", *summary_lines(view, settings, language, now)]), MAX_TEXT)
