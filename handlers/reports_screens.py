"""What ``/laporan`` shows: pure functions from the admin's choices to text and buttons.

Callback data (at most 64 bytes, user input; ``handlers/reports.py`` checks
each press against the admin's scope and the database):

- ``lp:i`` / ``lp:r``: the IKM report / the 360° report: choose the scope;
- ``lp:is:<scope>``: the IKM report of a scope: choose the period;
- ``lp:ip:<scope>:<period>``: build it (period ``m202611`` a month, ``y2026`` a year);
- ``lp:rs:<scope>``: the 360° report of a scope: choose a closed cycle;
- ``lp:rp:<scope>:<cycle id>``: build it;
- ``lp:d``: BKPSDM's development report (city-wide admins only): choose a closed cycle;
- ``lp:dp:<cycle id>``: build it (every OPD; `scheduler.documents.development_counts`);
- ``lp:e``: BKPSDM's e-Kinerja export (city-wide admins only): choose a performance period;
- ``lp:ep:<YYYY-MM>``: build it (every unit; `scheduler.ekinerja_export`);
- ``lp:k``: an approved SKM period's documents: choose the period and unit (its latest
  version; the units of the admin's scope);
- ``lp:kp:<period id>:<unit id>``: choose the document: the report as DOCX or PDF, or the poster;
- ``lp:kf:<period id>:<unit id>:<docx|pdf|poster>``: build it (`scheduler.period_documents`).

``<scope>`` is ``all`` (every unit: city-wide admins only) or a unit id.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.clock import babel_locale, format_day
from bot.core.i18n import N_, Translate
from scheduler.ikm_views import month_span, shift_month
from scheduler.scoring.performance_periods import Period
from storage.review_cycle_types import CycleSummary
from storage.roles import HeadedUnit

_SCOPE = r"(?P<scope>all|\d{1,9})"
PATTERN_IKM = r"^lp:i$"
PATTERN_REVIEW = r"^lp:r$"
PATTERN_IKM_SCOPE = rf"^lp:is:{_SCOPE}$"
PATTERN_IKM_BUILD = rf"^lp:ip:{_SCOPE}:(?P<period>m\d{{6}}|y\d{{4}})$"
PATTERN_REVIEW_SCOPE = rf"^lp:rs:{_SCOPE}$"
PATTERN_REVIEW_BUILD = rf"^lp:rp:{_SCOPE}:(?P<cycle>\d{{1,9}})$"
PATTERN_DEVELOPMENT = r"^lp:d$"
PATTERN_DEVELOPMENT_BUILD = r"^lp:dp:(?P<cycle>\d{1,9})$"
PATTERN_EKINERJA = r"^lp:e$"
PATTERN_EKINERJA_BUILD = r"^lp:ep:(?P<period>\d{4}-\d{2})$"
PATTERN_PERIOD_DOCS = r"^lp:k$"
PATTERN_PERIOD_DOC = r"^lp:kp:(?P<period>\d{1,9}):(?P<unit>\d{1,9})$"
PATTERN_PERIOD_DOC_BUILD = r"^lp:kf:(?P<period>\d{1,9}):(?P<unit>\d{1,9}):(?P<fmt>docx|pdf|poster)$"
PATTERN_ANY = r"^lp:"
PERIOD_DOCS_OFFERED = 12
PERIODS_OFFERED = 6
MONTHS_OFFERED = 6
CYCLES_OFFERED = 8
STEP_LABELS = {
    "rollup": N_("bringing the scores up to date"),
    "reading": N_("reading the figures"),
    "writing": N_("writing the workbook"),
}


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]


def render_menu(_: Translate, city_wide: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The reports; city-wide admins (BKPSDM) also get the development needs."""
    text = _("Which report? Each comes as an XLSX document you can open in a spreadsheet.")
    rows = [
        [InlineKeyboardButton(_("IKM report (SKM)"), callback_data="lp:i")],
        [InlineKeyboardButton(_("360° cycle report"), callback_data="lp:r")],
        [InlineKeyboardButton(_("Approved SKM period: report and poster"), callback_data="lp:k")],
    ]
    if city_wide:
        rows.append([InlineKeyboardButton(_("Development needs (BKPSDM)"), callback_data="lp:d")])
        rows.append([InlineKeyboardButton(_("e-Kinerja export (BKPSDM)"), callback_data="lp:e")])
    return text, InlineKeyboardMarkup(rows)


def render_performance_periods(last: Period, _: Translate) -> tuple[str, InlineKeyboardMarkup]:
    """The latest ended performance periods, newest first, for the e-Kinerja export."""
    periods = [last]
    while len(periods) < PERIODS_OFFERED:
        periods.append(periods[-1].previous())
    buttons = [
        InlineKeyboardButton(period.label, callback_data=f"lp:ep:{period.label}")
        for period in periods
    ]
    text = _(
        "Which performance period? The workbook has the evaluation form's columns for every "
        "employee with a feedback card; the recommended perilaku stays a recommendation."
    )
    return text, InlineKeyboardMarkup(_rows(buttons, 3))


def render_scopes(
    kind: str, city_wide: bool, units: tuple[HeadedUnit, ...], _: Translate
) -> tuple[str, InlineKeyboardMarkup]:
    """Every unit (city-wide admins) or one of the admin's units; ``kind`` "is" or "rs"."""
    buttons = []
    if city_wide:
        buttons.append(InlineKeyboardButton(_("All units"), callback_data=f"lp:{kind}:all"))
    buttons += [
        InlineKeyboardButton(unit.code, callback_data=f"lp:{kind}:{unit.id}") for unit in units
    ]
    return _("For which units? A unit's report includes the units below it."), InlineKeyboardMarkup(
        _rows(buttons, 3)
    )


def period_of(code: str, today: date) -> tuple[date, date]:
    """The first and last local day of ``m202611`` (a month) or ``y2026`` (a year, to today)."""
    if code.startswith("y"):
        year = int(code[1:])
        return date(year, 1, 1), min(date(year, 12, 31), today)
    return month_span(int(code[1:5]), int(code[5:7]), today)


def render_periods(
    scope: str, today: date, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        InlineKeyboardButton(
            _("This year ({year})").format(year=today.year),
            callback_data=f"lp:ip:{scope}:y{today.year}",
        )
    ]
    for back in range(MONTHS_OFFERED):
        year, month = shift_month(today.year, today.month, -back)
        label = format_date(date(year, month, 1), "MMMM y", locale=babel_locale(language))
        buttons.append(
            InlineKeyboardButton(label, callback_data=f"lp:ip:{scope}:m{year:04d}{month:02d}")
        )
    return _("Which period?"), InlineKeyboardMarkup(_rows(buttons))


def render_cycles(
    scope: str, cycles: list[CycleSummary], _: Translate, language: str, prefix: str = ""
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The closed cycles to choose from, each pressing ``lp:rp:<scope>:<id>`` (or, with
    ``prefix``, ``<prefix><id>``)."""
    closed = [c for c in cycles if c.status != "open"][:CYCLES_OFFERED]
    if not closed:
        return _(
            "There is no closed 360° cycle yet: results are released when a cycle closes."
        ), None
    buttons = [
        InlineKeyboardButton(
            f"{c.name} ({format_day(c.deadline, language)})"[:60],
            callback_data=f"{prefix}{c.id}" if prefix else f"lp:rp:{scope}:{c.id}",
        )
        for c in closed
    ]
    return _("Which closed cycle?"), InlineKeyboardMarkup(_rows(buttons, 1))


def progress_text(title: str, stage: str, number: int, total: int, _: Translate) -> str:
    return _("Building {title}… (step {number} of {total}: {stage})").format(
        title=title, number=number, total=total, stage=_(STEP_LABELS.get(stage, stage))
    )


def render_period_documents(
    published: list[tuple[int, int, str]], _: Translate
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The approved periods of the admin's units: (period id, unit id, label) each."""
    if not published:
        return _("No SKM period of your units has been approved yet."), None
    buttons = [
        InlineKeyboardButton(label[:60], callback_data=f"lp:kp:{period_id}:{unit_id}")
        for period_id, unit_id, label in published[:PERIOD_DOCS_OFFERED]
    ]
    return _("Which approved period? (its latest version)"), InlineKeyboardMarkup(_rows(buttons, 1))


def render_period_formats(
    period_id: int, unit_id: int, label: str, _: Translate
) -> tuple[str, InlineKeyboardMarkup]:
    ids = f"{period_id}:{unit_id}"
    buttons = [
        InlineKeyboardButton(_("Report (DOCX)"), callback_data=f"lp:kf:{ids}:docx"),
        InlineKeyboardButton(_("Report (PDF)"), callback_data=f"lp:kf:{ids}:pdf"),
        InlineKeyboardButton(_("Poster (PDF, PNG)"), callback_data=f"lp:kf:{ids}:poster"),
    ]
    text = _("{period}: which document? The DOCX is for the letterhead.").format(period=label)
    return text, InlineKeyboardMarkup(_rows(buttons, 1))
