"""What ``/rtl`` and ``/tugas`` show: pure functions from plans and lines to text and buttons.

Callback data (``rl:…``) is user input: the patterns say what is well formed;
``handlers/rtl.py``, ``handlers/rtl_tasks.py`` and ``handlers/rtl_verify.py``
check that the unit is one the person heads (or the line one they own) and
that the line is at the step the press names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import format_day
from bot.core.i18n import Translate
from scheduler.messages import rtl as texts
from scheduler.messages.limits import shorten
from scheduler.rtl import PlanOutcome, Proposal
from scheduler.scoring.rtl_suggestions import SUGGESTIONS
from scheduler.scoring.skm import UNSUR_CODES
from scheduler.scoring.skm_periods import quarter
from storage.rtl import MAX_LINES, LineView, Owner
from storage.rtl_models import STATUSES

ID = r"\d{1,9}"
PATTERN_UNIT = rf"^rl:u:(?P<unit>{ID})$"
# ``:n`` (the SKM period's close message): show it as a new message, keep the pressed one.
PATTERN_PERIOD = rf"^rl:p:(?P<unit>{ID}):(?P<period>{ID})(?P<new>:n)?$"
PATTERN_START = rf"^rl:s:(?P<unit>{ID}):(?P<period>{ID})$"
PATTERN_LINE = rf"^rl:l:(?P<line>{ID})$"
PATTERN_EDIT = rf"^rl:e:(?P<line>{ID}):(?P<field>act|own|due|tgt)$"
PATTERN_SUGGESTION = rf"^rl:sg:(?P<line>{ID}):(?P<index>\d)$"
PATTERN_OWNER = rf"^rl:o:(?P<line>{ID}):(?P<employee>{ID})$"
PATTERN_QUARTER = rf"^rl:q:(?P<line>{ID}):(?P<year>\d{{4}})(?P<number>[1-4])$"
PATTERN_TARGET = rf"^rl:tg:(?P<line>{ID})$"
PATTERN_FORUM = rf"^rl:f:(?P<plan>{ID})$"
PATTERN_FORUM_NONE = rf"^rl:fx:(?P<plan>{ID})$"
PATTERN_ADD = rf"^rl:a:(?P<plan>{ID})$"
PATTERN_ADD_UNSUR = rf"^rl:n:(?P<plan>{ID}):(?P<unsur>U[1-9])$"
PATTERN_DROP = rf"^rl:d:(?P<line>{ID})$"
PATTERN_ANY = r"^rl:"
QUARTERS_OFFERED = 4
ROMAN = ("I", "II", "III", "IV")


def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(shorten(text, 60), callback_data=data)


def unit_choice(units: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(code, f"rl:u:{uid}")] for uid, code in units])


def period_choice(unit_id: int, periods: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(name, f"rl:p:{unit_id}:{pid}")] for pid, name in periods])


def proposal_text(
    proposal: Proposal, outcome: PlanOutcome | None, _: Translate, language: str
) -> str:
    rows = []
    if outcome is not None:
        rows += [texts.outcome_text(outcome, language), ""]
    rows.append(
        _("Follow-up plan (RTL) of {unit}, {period}").format(
            unit=proposal.unit_name, period=proposal.period.name
        )
    )
    rows.append(_("The three unsur with the lowest NRR (n {n}):").format(n=proposal.lines[0].n))
    for item in proposal.lines:
        rows.append(
            f"• {texts.unsur_label(item.code, _)}: NRR {texts.nrr_text(item.nrr, language)}"
        )
        for comment in item.comments:
            rows.append(f"   “{shorten(comment, 200)}”")
    rows += [
        "",
        _("Start the plan with a line for each of them; you can change, add or drop lines."),
    ]
    return shorten("\n".join(rows), 4000)


def proposal_buttons(unit_id: int, period_id: int, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(_("Start the plan"), f"rl:s:{unit_id}:{period_id}")]])


def plan_text(
    unit_name: str, period_name: str, forum: date | None, lines: list[LineView], language: str
) -> str:
    from bot.core.i18n import gettext_for

    _ = gettext_for(language)
    rows = [
        _("Follow-up plan (RTL) of {unit}, {period}").format(unit=unit_name, period=period_name)
    ]
    if forum is not None:
        rows.append(
            _("Discussed in the Forum Konsultasi Publik on {day}.").format(
                day=format_day(forum, language)
            )
        )
    for number, line in enumerate(lines, start=1):
        rows += ["", texts.line_text(line, language, number)]
    if not lines:
        rows += ["", _("(no lines)")]
    return shorten("\n".join(rows), 4000)


def plan_buttons(plan_id: int, lines: list[LineView], _: Translate) -> InlineKeyboardMarkup:
    rows = [
        [_button(f"{n}. {line.unsur} ✏️", f"rl:l:{line.id}")]
        for n, line in enumerate(lines, start=1)
    ]
    extra = [_button(_("Forum date"), f"rl:f:{plan_id}")]
    if len(lines) < MAX_LINES:
        extra.insert(0, _button(_("Add a line"), f"rl:a:{plan_id}"))
    rows.append(extra)
    return InlineKeyboardMarkup(rows)


def line_buttons(line: LineView, _: Translate) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(_("Activity"), f"rl:e:{line.id}:act"),
            _button(_("Person responsible"), f"rl:e:{line.id}:own"),
        ],
        [
            _button(_("Target date"), f"rl:e:{line.id}:due"),
            _button(_("Target"), f"rl:e:{line.id}:tgt"),
        ],
    ]
    if line.awaiting_verification:
        rows.append([_button(_("Verify…"), f"rl:v:{line.id}")])
    rows.append(
        [
            _button(_("Drop this line"), f"rl:d:{line.id}"),
            _button(_("« The plan"), f"rl:p:{line.unit_id}:{line.period_id}"),
        ]
    )
    return InlineKeyboardMarkup(rows)


def suggestion_buttons(line: LineView, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(_(text), f"rl:sg:{line.id}:{index}")]
            for index, text in enumerate(SUGGESTIONS.get(line.unsur, ()))
        ]
    )


def owner_buttons(line: LineView, owners: list[Owner]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[_button(f"{o.name} ({o.unit_code})", f"rl:o:{line.id}:{o.employee_id}")] for o in owners]
    )


def quarter_label(year: int, number: int) -> str:
    return f"TW {ROMAN[number - 1]} {year}"


def next_quarters(today: date, count: int = QUARTERS_OFFERED) -> list[tuple[int, int]]:
    """The quarter of ``today`` and the ones after it."""
    year, number = today.year, (today.month - 1) // 3 + 1
    out = []
    for _i in range(count):
        out.append((year, number))
        year, number = (year + 1, 1) if number == 4 else (year, number + 1)
    return out


def quarter_last_day(year: int, number: int) -> date:
    return quarter(year, number)[1]


def quarter_buttons(line: LineView, today: date) -> InlineKeyboardMarkup:
    row = [_button(quarter_label(y, n), f"rl:q:{line.id}:{y}{n}") for y, n in next_quarters(today)]
    return InlineKeyboardMarkup([row[:2], row[2:]])


def target_buttons(line: LineView, suggestion: str | None) -> InlineKeyboardMarkup | None:
    if suggestion is None:
        return None
    return InlineKeyboardMarkup([[_button(suggestion, f"rl:tg:{line.id}")]])


def forum_buttons(plan_id: int, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(_("No forum (clear the date)"), f"rl:fx:{plan_id}")]])


def unsur_buttons(plan_id: int, _: Translate) -> InlineKeyboardMarkup:
    row = [_button(code, f"rl:n:{plan_id}:{code}") for code in UNSUR_CODES]
    return InlineKeyboardMarkup([row[:5], row[5:]])


# -- /tugas --------------------------------------------------------------------------------------

PATTERN_TASK = rf"^rl:t:(?P<line>{ID})$"
PATTERN_TASKS = r"^rl:tl$"
PATTERN_STATUS = rf"^rl:st:(?P<line>{ID}):(?P<status>{'|'.join(STATUSES)})$"
PATTERN_EVIDENCE = rf"^rl:ev:(?P<line>{ID})$"


def tasks_buttons(lines: list[LineView]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [_button(f"{n}. {line.unsur} · {shorten(line.activity or '—', 40)}", f"rl:t:{line.id}")]
            for n, line in enumerate(lines, start=1)
        ]
    )


def task_buttons(line: LineView, _: Translate) -> InlineKeyboardMarkup:
    statuses = [
        _button(
            ("• " if line.status == s else "") + texts.status_label(s, _), f"rl:st:{line.id}:{s}"
        )
        for s in STATUSES
    ]
    return InlineKeyboardMarkup(
        [
            statuses[:2],
            statuses[2:],
            [_button(_("Send evidence"), f"rl:ev:{line.id}"), _button(_("« My lines"), "rl:tl")],
        ]
    )
