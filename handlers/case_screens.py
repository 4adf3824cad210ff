"""The screens of ``/kasus``: the list of cases, one case, and the staff to hand it to.

Pure: data in, (text, buttons) out. Each screen is one small function; the
callback data is built here with `scheduler.messages.cases.callback` (``ks:``)
and `list_callback` (``kl:``), and parsed by ``handlers/cases.py``.
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import format_day, format_moment
from bot.core.i18n import N_, Translate
from bot.core.settings import Settings
from scheduler.messages import alerts as alert_texts
from scheduler.messages import cases as texts
from scheduler.messages.limits import shorten
from scheduler.scoring.case_rules import DONE, NEW
from storage import cases as events
from storage.case_access import Staff
from storage.case_queries import CaseView, EventView
from storage.outbox import MAX_TEXT

LIST_PREFIX = "kl"
OPEN_LIST = "o"
RESOLVED_LIST = "s"
PAGE_SIZE = 8
STAFF_PAGE_SIZE = 8
HISTORY_SHOWN = 8

EVENT_LABELS = {
    events.OPENED: N_("opened"),
    events.REPLIED: N_("replied to the citizen"),
    events.STATUS: N_("marked being handled"),
    events.HANDED: N_("handed to {name}"),
    events.RESOLVED: N_("resolved"),
    events.REMINDED: N_("reminder: past the target"),
    events.ESCALATED: N_("passed to the head above"),
}

Screen = tuple[str, InlineKeyboardMarkup]


def list_callback(which: str, page: int) -> str:
    return f"{LIST_PREFIX}:{which}:{page}"


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=data)


def render_list(
    views: list[CaseView],
    total: int,
    which: str,
    page: int,
    _: Translate,
    settings: Settings,
    language: str,
    now: datetime,
) -> Screen:
    """A page of open (or resolved) cases, a button per case, paging and the other list."""
    title = _("📋 Open cases ({n})") if which == OPEN_LIST else _("📋 Resolved cases ({n})")
    lines = [title.format(n=total), ""]
    if not views:
        lines.append(_("No open cases.") if which == OPEN_LIST else _("No resolved cases yet."))
    first = page * PAGE_SIZE
    rows = []
    for number, view in enumerate(views, start=first + 1):
        lines.append(f"{number}. {_list_line(view, _, settings, language, now)}")
        label = f"{number}. {view.service_name}"
        rows.append(
            [_button(shorten(label, 60), texts.callback(view.token, view.version, texts.OPEN))]
        )
    if views:
        lines += ["", _("Choose a case to open it.")]
    paging = []
    if page > 0:
        paging.append(_button(_("« Previous"), list_callback(which, page - 1)))
    if first + len(views) < total:
        paging.append(_button(_("Next »"), list_callback(which, page + 1)))
    if paging:
        rows.append(paging)
    other = (
        _button(_("Resolved cases"), list_callback(RESOLVED_LIST, 0))
        if which == OPEN_LIST
        else _button(_("Open cases"), list_callback(OPEN_LIST, 0))
    )
    rows.append([other])
    return shorten("\n".join(lines), MAX_TEXT), InlineKeyboardMarkup(rows)


def _list_line(
    view: CaseView, _: Translate, settings: Settings, language: str, now: datetime
) -> str:
    opened = format_day(view.opened_at.astimezone(settings.tz).date(), language)
    owner = view.owner_name or _("nobody yet")
    line = f"{view.service_name} · {view.unit_name} · {opened} · "
    line += f"{texts.status_label(view.status, _)} · {owner}"
    if view.late(now):
        line += " ⏰"
    return line


def render_case(
    view: CaseView,
    history: list[EventView],
    _: Translate,
    settings: Settings,
    language: str,
    now: datetime,
) -> Screen:
    """One case: where it stands, its history, and what can be done now."""
    lines = [_("📋 Case #{id}").format(id=view.id), ""]
    lines += texts.summary_lines(view, settings, language, now)
    if history:
        lines += ["", _("History:")]
        for event in history[-HISTORY_SHOWN:]:
            lines.append("• " + _event_line(event, _, settings, language))
    return shorten("\n".join(lines), MAX_TEXT), InlineKeyboardMarkup(_case_buttons(view, _))


def _event_line(event: EventView, _: Translate, settings: Settings, language: str) -> str:
    label = _(EVENT_LABELS.get(event.kind, event.kind)).format(name=event.detail)
    when = format_moment(event.at, settings.tz, language)
    by = f" ({event.actor})" if event.actor else ""
    return f"{when}: {label}{by}"


def _case_buttons(view: CaseView, _: Translate) -> list[list[InlineKeyboardButton]]:
    def data(action: str, argument: int | None = None) -> str:
        return texts.callback(view.token, view.version, action, argument)

    rows: list[list[InlineKeyboardButton]] = []
    if view.status != DONE:
        first = []
        if view.status == NEW:
            first.append(_button(_("Mark being handled"), data(texts.WORKING)))
        first.append(_button(_("Resolve"), data(texts.RESOLVE)))
        rows.append(first)
        second = [_button(_("Hand over"), data(texts.HAND, 0))]
        if view.contactable:
            reply = alert_texts.callback(view.token, alert_texts.REPLY)
            second.append(_button(_("Reply to the citizen"), reply))
        rows.append(second)
    rows.append([_button(_("« All cases"), list_callback(OPEN_LIST, 0))])
    return rows


def render_staff(view: CaseView, staff: list[Staff], page: int, _: Translate) -> Screen:
    """The staff the case may be handed to (the current owner left out), a page at a time."""
    choices = [s for s in staff if s.employee_id != view.owner_employee_id]
    start = page * STAFF_PAGE_SIZE
    shown = choices[start : start + STAFF_PAGE_SIZE]
    if not choices:
        text = _(
            "Nobody else in this unit has linked their Telegram account yet, so the case "
            "cannot be handed over. HR (BKPSDM) can give them link codes."
        )
    else:
        text = _("Hand the case about {service} to:").format(service=view.service_name)
    rows = []
    for person in shown:
        label = f"{person.name} · {person.position}" if person.position else person.name
        data = texts.callback(view.token, view.version, texts.HAND_TO, person.employee_id)
        rows.append([_button(shorten(label, 60), data)])
    paging = []
    if page > 0:
        paging.append(
            _button(_("« Previous"), texts.callback(view.token, view.version, texts.HAND, page - 1))
        )
    if start + len(shown) < len(choices):
        paging.append(
            _button(_("Next »"), texts.callback(view.token, view.version, texts.HAND, page + 1))
        )
    if paging:
        rows.append(paging)
    rows.append(
        [_button(_("« Back to the case"), texts.callback(view.token, view.version, texts.OPEN))]
    )
    return text, InlineKeyboardMarkup(rows)
