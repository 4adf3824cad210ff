"""What ``/ikm`` shows a unit head: pure functions from a unit's IKM to text and buttons.

Callback data ``ik:<unit id>:<yyyymm>`` (a month's figures) and
``ik:c:<unit id>`` (choose a month) is user input: the patterns say what is
well formed; ``handlers/ikm.py`` checks the unit is one the person heads and
the month is not in the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import babel_locale
from bot.core.i18n import Translate
from scheduler.documents.ikm_chart import headline, period_text
from scheduler.ikm_views import Line, UnitIkm, shift_month
from scheduler.messages.weekly_digest import number
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE

PATTERN_MONTH = r"^ik:(?P<unit>\d{1,9}):(?P<year>\d{4})(?P<month>\d{2})$"
PATTERN_CHOOSE = r"^ik:c:(?P<unit>\d{1,9})$"
PATTERN_PERIOD = r"^ik:p:(?P<unit>\d{1,9}):(?P<period>\d{1,9})$"
PERIODS_OFFERED = 6
PATTERN_ANY = r"^ik:"
MONTHS_OFFERED = 12
LINES_LIMIT = 25  # services listed in the text (the chart has them all)
TEXT_LIMIT = 4000


def month_data(unit_id: int, year: int, month: int) -> str:
    return f"ik:{unit_id}:{year:04d}{month:02d}"


def _line(line: Line, language: str, _: Translate) -> str:
    if line.result is None:
        return _("• {code} {name}: no respondents").format(code=line.code, name=line.name)
    return _("• {code} {name}: {value} ({mutu}) · {n} respondents").format(
        code=line.code,
        name=line.name,
        value=number(line.result.konversi_rounded, language),
        mutu=line.result.mutu.code,
        n=line.n,
    )


def render_ikm(ikm: UnitIkm, _: Translate, language: str) -> str:
    """The unit's IKM, the weakest unsur, and the breakdowns per sub-unit and per service."""
    lines = [
        _("IKM of {unit} ({code}), {period}").format(
            unit=ikm.name, code=ikm.code, period=period_text(ikm, language)
        ),
        headline(ikm.overall, language),
    ]
    result = ikm.overall.result
    if result is not None:
        weakest = result.weakest[0]
        lines.append(
            _("Weakest unsur: {code} {name} (NRR {nrr})").format(
                code=weakest,
                name=_(UNSUR_BY_CODE[weakest].name),
                nrr=number(skm.round_half_up(result.nrr[weakest], 2), language),
            )
        )
    if ikm.sub_units:
        lines += ["", _("Per sub-unit:"), *(_line(x, language, _) for x in ikm.sub_units)]
    if ikm.services:
        lines += ["", _("Per service:")]
        lines += [_line(x, language, _) for x in ikm.services[:LINES_LIMIT]]
        if len(ikm.services) > LINES_LIMIT:
            lines.append(_("… and {count} more").format(count=len(ikm.services) - LINES_LIMIT))
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def period_buttons(unit_id: int, today: date, _: Translate) -> InlineKeyboardMarkup:
    last_year, last_month = shift_month(today.year, today.month, -1)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("This month"), callback_data=month_data(unit_id, today.year, today.month)
                ),
                InlineKeyboardButton(
                    _("Last month"), callback_data=month_data(unit_id, last_year, last_month)
                ),
            ],
            [InlineKeyboardButton(_("Choose a month…"), callback_data=f"ik:c:{unit_id}")],
        ]
    )


def month_choice(
    unit_id: int,
    today: date,
    _: Translate,
    language: str,
    periods: Sequence[tuple[int, str]] = (),
) -> InlineKeyboardMarkup:
    """The SKM periods of the unit (id, name; latest first, one a row), then the last twelve
    months, three to a row, newest first."""
    rows = [
        [InlineKeyboardButton(name[:60], callback_data=f"ik:p:{unit_id}:{period_id}")]
        for period_id, name in list(periods)[:PERIODS_OFFERED]
    ]
    buttons = []
    for back in range(MONTHS_OFFERED):
        year, month = shift_month(today.year, today.month, -back)
        label = format_date(date(year, month, 1), "MMM y", locale=babel_locale(language))
        buttons.append(InlineKeyboardButton(label, callback_data=month_data(unit_id, year, month)))
    rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows)


def unit_buttons(units: list[tuple[int, str]], today: date) -> InlineKeyboardMarkup:
    """One button per unit the person heads (this month's figures)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(code, callback_data=month_data(unit_id, today.year, today.month))]
            for unit_id, code in units
        ]
    )
