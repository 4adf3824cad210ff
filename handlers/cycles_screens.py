"""What ``/siklus`` shows: pure functions from cycle data to text and buttons.

The callbacks in ``handlers/cycles_admin.py`` and ``handlers/cycle_opening.py``
decide what happened; this module only draws it: the list of cycles, one
cycle's completion (`render_status`, a short dispatcher over one function per
section), the close question and its result, and one screen per step of the
opening flow (name, deadline, scope, confirm) and its result. Nothing here
reads the database or talks to Telegram.

The callback data the buttons carry (``cy:…``, at most 64 bytes) is defined
here too, next to the buttons, with the exact patterns the callbacks are
registered under. It is user input: the patterns only say what is
well-formed; the callbacks check it against the database and the admin's flow.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import format_day
from bot.core.i18n import N_, Translate
from handlers import confirm
from storage.consultation_types import OpenedConsultation
from storage.review_cycle_types import (
    ClosedCycle,
    Counts,
    CyclePreview,
    CycleStatus,
    CycleSummary,
    OpenedCycle,
)
from storage.review_models import OPEN

Screen = tuple[str, InlineKeyboardMarkup]

# -- callback data -------------------------------------------------------------------
LIST = "cy:l"
NEW = "cy:n"
SHOW = "cy:s:"  # cy:s:<cycle id>
CLOSE_ASK = "cy:c:"  # cy:c:<cycle id>
CLOSE_YES = "cy:cc:"  # cy:cc:<cycle id>:<confirmation nonce> (handlers/confirm.py)
TABLE = "cy:t:"  # cy:t:<cycle id>: every rater as an XLSX document
# The opening flow: every button carries the flow's nonce.
DEADLINE = "cy:d:"  # cy:d:<nonce>:<days>
SCOPE_ALL = "cy:a:"  # cy:a:<nonce>
SCOPE_UNIT = "cy:u:"  # cy:u:<nonce>:<unit id>
UNIT_PAGE = "cy:p:"  # cy:p:<nonce>:<page>
CONFIRM = "cy:ok:"  # cy:ok:<nonce>
CONSULT = "cy:kc:"  # cy:kc:<nonce>: a consultation on examples first (scheduler.consultations)
CONSULTATIONS = "cy:kl"  # the consultations (handlers/consultations_admin.py)
CALIBRATION = "cy:kb:"  # cy:kb:<cycle id>: calibration per OPD (handlers/calibration_admin.py)
CANCEL = "cy:x:"  # cy:x:<nonce>

_ID = r"(?P<id>\d{1,9})"
_NONCE = r"(?P<nonce>[A-Za-z0-9_-]{8})"
PATTERN_LIST = f"^{LIST}$"
PATTERN_SHOW = rf"^{SHOW}{_ID}$"
PATTERN_CLOSE_ASK = rf"^{CLOSE_ASK}{_ID}$"
PATTERN_CLOSE_YES = rf"^{CLOSE_YES}{_ID}:{confirm.NONCE}$"
PATTERN_TABLE = rf"^{TABLE}{_ID}$"
PATTERN_NEW = f"^{NEW}$"
PATTERN_DEADLINE = rf"^{DEADLINE}{_NONCE}:(?P<days>\d{{1,3}})$"
PATTERN_SCOPE_ALL = rf"^{SCOPE_ALL}{_NONCE}$"
PATTERN_SCOPE_UNIT = rf"^{SCOPE_UNIT}{_NONCE}:{_ID}$"
PATTERN_UNIT_PAGE = rf"^{UNIT_PAGE}{_NONCE}:(?P<page>\d{{1,4}})$"
PATTERN_CONFIRM = rf"^{CONFIRM}{_NONCE}$"
PATTERN_CONSULT = rf"^{CONSULT}{_NONCE}$"
PATTERN_CANCEL = rf"^{CANCEL}{_NONCE}$"
PATTERN_ANY = r"^cy:"

DEADLINE_DAYS = (7, 14, 30)
PAGE_SIZE = 8
LIST_LIMIT = 10  # cycles shown by /siklus
LINES_LIMIT = 10  # units / unlinked raters shown in a status message
TEXT_LIMIT = 4000  # Telegram allows 4096 characters

STATE_LABELS = {OPEN: N_("open"), "closed": N_("closed")}
RELATION_LABELS = {
    "self": N_("Self-assessment"),
    "supervisor": N_("From the supervisor"),
    "peer": N_("From peers"),
    "subordinate": N_("From subordinates"),
}


def _button(label: str, data: str) -> list[InlineKeyboardButton]:
    """A row of one button."""
    return [InlineKeyboardButton(label, callback_data=data)]


def _cap(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _state(status: str, _: Translate) -> str:
    return _(STATE_LABELS.get(status, status))


def _scope(unit_code: str | None, unit_name: str | None, _: Translate) -> str:
    if unit_code:
        return _("unit {code} ({name}) with its sub-units").format(code=unit_code, name=unit_name)
    return _("all units")


# -- the list of cycles ----------------------------------------------------------------------


def render_list(
    cycles: list[CycleSummary], _: Translate, language: str, *, consultations: bool = False
) -> Screen:
    rows: list[list[InlineKeyboardButton]] = []
    if not cycles:
        text = _("360° review cycles\n\nThere are no cycles yet.")
    else:
        lines = [_("360° review cycles")]
        for cycle in cycles[:LIST_LIMIT]:
            lines.append(_list_line(cycle, _, language))
            label = f"{cycle.name} ({_state(cycle.status, _)})"
            rows.append(_button(label[:60], f"{SHOW}{cycle.id}"))
        if len(cycles) > LIST_LIMIT:
            lines.append(_("… and {count} older cycles.").format(count=len(cycles) - LIST_LIMIT))
        text = "\n".join(lines)
    rows.append(_button(_("Open a new cycle"), NEW))
    if consultations:  # handlers/consultations_admin.py
        rows.append(_button(_("Consultations on example behaviours"), CONSULTATIONS))
    return _cap(text), InlineKeyboardMarkup(rows)


def _list_line(cycle: CycleSummary, _: Translate, language: str) -> str:
    return _(
        "• {name}: {state}, deadline {deadline}, submitted {done}/{total} ({percent}%)"
    ).format(
        name=cycle.name,
        state=_state(cycle.status, _),
        deadline=format_day(cycle.deadline, language),
        done=cycle.submitted,
        total=cycle.assignments,
        percent=cycle.percent_done,
    )


# -- one cycle ---------------------------------------------------------------------------------


def render_status(status: CycleStatus, _: Translate, language: str) -> Screen:
    """One cycle's completion: totals, per relation group, per unit, unlinked raters."""
    lines = [
        *_status_head(status, _, language),
        *_relation_lines(status, _),
        *_unit_lines(status, _),
        *_unlinked_lines(status, _),
    ]
    rows = [
        _button(_("Refresh"), f"{SHOW}{status.cycle_id}"),
        _button(_("Every rater as a table (XLSX)"), f"{TABLE}{status.cycle_id}"),
        _button(_("Rater calibration per OPD"), f"{CALIBRATION}{status.cycle_id}"),
    ]
    if status.status == OPEN:
        rows.append(_button(_("Close cycle"), f"{CLOSE_ASK}{status.cycle_id}"))
    rows.append(_button(_("All cycles"), LIST))
    return _cap("\n".join(lines)), InlineKeyboardMarkup(rows)


def _status_head(status: CycleStatus, _: Translate, language: str) -> list[str]:
    totals = status.totals
    return [
        _("Cycle “{name}”: {state}").format(name=status.name, state=_state(status.status, _)),
        _("Scope: {scope}").format(scope=_scope(status.unit_code, status.unit_name, _)),
        _("Deadline: {deadline}").format(deadline=format_day(status.deadline, language)),
        _(
            "Submitted: {done} of {total} ({percent}%); in progress: {progress}; "
            "not started: {pending}"
        ).format(
            done=totals.submitted,
            total=totals.total,
            percent=totals.percent_done,
            progress=totals.in_progress,
            pending=totals.pending,
        ),
        _("Raters: {raters}; finished all their reviews: {done}").format(
            raters=len(status.by_rater), done=status.raters_done
        ),
    ]


def _counts_line(_: Translate, label: str, counts: Counts) -> str:
    return _("• {label}: {done}/{total} ({percent}%)").format(
        label=label, done=counts.submitted, total=counts.total, percent=counts.percent_done
    )


def _relation_lines(status: CycleStatus, _: Translate) -> list[str]:
    lines = ["", _("By relation group:")]
    for relation, counts in status.by_relation.items():
        if counts.total:
            lines.append(_counts_line(_, _(RELATION_LABELS.get(relation, relation)), counts))
    return lines


def _unit_lines(status: CycleStatus, _: Translate) -> list[str]:
    if not status.by_unit:
        return []
    lines = ["", _("By unit (the rater's unit):")]
    lines += [_counts_line(_, unit.code, unit.counts) for unit in status.by_unit[:LINES_LIMIT]]
    if len(status.by_unit) > LINES_LIMIT:
        lines.append(_("… and {count} more units").format(count=len(status.by_unit) - LINES_LIMIT))
    return lines


def _unlinked_lines(status: CycleStatus, _: Translate) -> list[str]:
    unlinked = status.unlinked_raters
    if not unlinked:
        return []
    lines = [
        "",
        _("Raters without a linked Telegram account ({count}):").format(count=len(unlinked)),
    ]
    lines += [f"• {r.name} ({r.nip})" for r in unlinked[:LINES_LIMIT]]
    if len(unlinked) > LINES_LIMIT:
        lines.append(_("… and {count} more").format(count=len(unlinked) - LINES_LIMIT))
    return lines


def render_close_question(status: CycleStatus, nonce: str, _: Translate) -> Screen:
    unfinished = status.totals.pending + status.totals.in_progress
    text = "\n\n".join(
        [
            _("Close the cycle “{name}”?").format(name=status.name),
            _("{done} of {total} reviews are submitted; {open} are not.").format(
                done=status.totals.submitted, total=status.totals.total, open=unfinished
            ),
            _(
                "After closing, nobody can rate or change a review in this cycle, and every "
                "employee and supervisor receives their report. This cannot be undone."
            ),
        ]
    )
    rows = [
        _button(_("Yes, close it"), f"{CLOSE_YES}{status.cycle_id}:{nonce}"),
        _button(_("No, go back"), f"{SHOW}{status.cycle_id}"),
    ]
    return text, InlineKeyboardMarkup(rows)


def render_closed(closed: ClosedCycle, _: Translate) -> Screen:
    text = "\n\n".join(
        [
            _("The cycle “{name}” is closed: {done} of {total} reviews were submitted.").format(
                name=closed.name, done=closed.counts.submitted, total=closed.counts.total
            ),
            _("Reports queued for sending: {count}.").format(count=closed.reports_queued),
        ]
    )
    return text, _shown_cycle_buttons(closed.cycle_id, _)


def _shown_cycle_buttons(cycle_id: int, _: Translate) -> InlineKeyboardMarkup:
    rows = [
        _button(_("Show the cycle"), f"{SHOW}{cycle_id}"),
        _button(_("All cycles"), LIST),
    ]
    return InlineKeyboardMarkup(rows)


# -- the opening flow, one screen per step ---------------------------------------------------------


def _cancel_row(flow: dict[str, Any], _: Translate) -> list[InlineKeyboardButton]:
    return _button(_("Cancel"), f"{CANCEL}{flow['nonce']}")


def render_name_step(flow: dict[str, Any], _: Translate) -> Screen:
    text = _(
        "New review cycle (step 1 of 4)\n\n"
        "Type the name of the cycle, for example “360 Semester II 2025”."
    )
    return text, InlineKeyboardMarkup([_cancel_row(flow, _)])


def render_deadline_step(flow: dict[str, Any], _: Translate, language: str, today: date) -> Screen:
    text = _(
        "New review cycle “{name}” (step 2 of 4)\n\n"
        "Until which day can colleagues rate? Choose below, or type a date as "
        "YYYY-MM-DD (for example {example})."
    ).format(name=flow["name"], example=(today + timedelta(days=14)).isoformat())
    rows = [
        _button(
            _("+{days} days ({date})").format(
                days=days, date=format_day(today + timedelta(days=days), language)
            ),
            f"{DEADLINE}{flow['nonce']}:{days}",
        )
        for days in DEADLINE_DAYS
    ]
    rows.append(_cancel_row(flow, _))
    return text, InlineKeyboardMarkup(rows)


def render_scope_step(flow: dict[str, Any], _: Translate, units: list[Any], page: int) -> Screen:
    text = _(
        "New review cycle “{name}” (step 3 of 4)\n\n"
        "Who takes part? All units, or one unit together with its sub-units. Choose "
        "below, or type the unit code."
    ).format(name=flow["name"])
    nonce = flow["nonce"]
    rows = [_button(_("All units"), f"{SCOPE_ALL}{nonce}")]
    pages = max(1, (len(units) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    for unit in units[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        label = f"{unit.code} — {unit.name}"
        label = label if len(label) <= 48 else label[:47] + "…"
        rows.append(_button(label, f"{SCOPE_UNIT}{nonce}:{unit.id}"))
    pager = _pager(nonce, page, pages, _)
    if pager:
        rows.append(pager)
    rows.append(_cancel_row(flow, _))
    return text, InlineKeyboardMarkup(rows)


def _pager(nonce: str, page: int, pages: int, _: Translate) -> list[InlineKeyboardButton]:
    pager = []
    if page > 0:
        pager.append(
            InlineKeyboardButton(_("Previous"), callback_data=f"{UNIT_PAGE}{nonce}:{page - 1}")
        )
    if page + 1 < pages:
        pager.append(
            InlineKeyboardButton(_("Next"), callback_data=f"{UNIT_PAGE}{nonce}:{page + 1}")
        )
    return pager


def render_confirm_step(
    flow: dict[str, Any], preview: CyclePreview, _: Translate, language: str
) -> Screen:
    deadline = format_day(date.fromisoformat(flow["deadline"]), language)
    text = "\n".join(
        [
            _("New review cycle (step 4 of 4): open it?"),
            "",
            _("Name: {name}").format(name=flow["name"]),
            _("Deadline: {deadline}").format(deadline=deadline),
            _("Scope: {scope}").format(scope=_scope(preview.unit_code, preview.unit_name, _)),
            _("Employees rated: {employees}; reviews: {reviews}; raters: {raters}").format(
                employees=preview.employees,
                reviews=preview.assignments,
                raters=preview.raters,
            ),
            _("Raters who will get the opening message in Telegram: {linked}").format(
                linked=preview.linked_raters
            ),
            "",
            _(
                "Everyone is rated by themselves, their direct supervisor, up to 4 peers and "
                "their direct subordinates."
            ),
        ]
    )
    rows = [
        _button(_("Open the cycle"), f"{CONFIRM}{flow['nonce']}"),
        _button(_("First a consultation on example behaviours"), f"{CONSULT}{flow['nonce']}"),
        _cancel_row(flow, _),
    ]
    return text, InlineKeyboardMarkup(rows)


def render_consultation_opened(opened: OpenedConsultation, _: Translate, until: str) -> Screen:
    """After "First a consultation": the window, the invitations, what comes next."""
    text = "\n\n".join(
        [
            _("The consultation “{name}” is open until {until}.").format(
                name=opened.name, until=until
            ),
            _("Participants: {participants}; invitations queued: {notified}.").format(
                participants=opened.participants, notified=opened.notified
            ),
            _(
                "The ASN propose and vote with /konsultasi. After it closes: "
                "ulasan cycle consult-results “{name}”, then ulasan cycle adopt, then open "
                "the cycle “{name}”."
            ).format(name=opened.name),
        ]
    )
    return text, InlineKeyboardMarkup([[InlineKeyboardButton(_("All cycles"), callback_data=LIST)]])


def render_opened(opened: OpenedCycle, _: Translate) -> Screen:
    text = "\n\n".join(
        [
            _(
                "The cycle “{name}” is open: {employees} employees, {reviews} reviews, "
                "{raters} raters."
            ).format(
                name=opened.name,
                employees=opened.employees,
                reviews=opened.assignments,
                raters=opened.raters,
            ),
            _(
                "Opening messages queued: {count}. Raters without a linked account: {unlinked}."
            ).format(count=opened.notified, unlinked=opened.unlinked_raters),
        ]
    )
    return text, _shown_cycle_buttons(opened.cycle_id, _)
