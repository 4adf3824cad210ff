"""The weekly digest a unit head reads on Monday: respondents, IKM and its change, the weakest
unsur, comments, alerts and cases; and how the text and its chart fit into Telegram messages.

The change from the week before is computed on the two values as printed, so
the numbers shown add up. The digest is one photo with the text as caption
when it fits Telegram's 1024 characters; otherwise the photo has a short
caption and the text follows as a message (`digest_parts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

from bot.core.clock import babel_locale
from bot.core.i18n import Translate, gettext_for
from scheduler.messages.limits import shorten
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.case_queries import CaseCounts
from storage.outbox import MAX_CAPTION, MAX_TEXT
from storage.survey_digest import WeekFigures, WeekSpan


def number(value: Decimal, language: str) -> str:
    return format_decimal(value, format="0.00", locale=babel_locale(language))


def signed(value: Decimal, language: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return sign + number(abs(value), language)


def span_text(span: WeekSpan, language: str) -> str:
    locale = babel_locale(language)
    return f"{format_date(span.start, 'd MMM', locale=locale)} – " + format_date(
        span.end, "d MMM y", locale=locale
    )


def digest_title(unit_name: str, span: WeekSpan, language: str) -> str:
    _ = gettext_for(language)
    return _("📊 Weekly survey digest: {unit}\n{week}").format(
        unit=unit_name, week=span_text(span, language)
    )


def digest_text(
    unit_name: str,
    last: WeekFigures,
    before: WeekFigures,
    language: str,
    *,
    with_sub_units: bool,
    cases: CaseCounts | None = None,
) -> str:
    _ = gettext_for(language)
    lines = [digest_title(unit_name, last.span, language), ""]
    if last.result is None:
        lines.append(
            _(
                "No respondents last week. Are the survey QR codes on display at the "
                "service counters?"
            )
        )
        if cases is not None and cases.open:
            lines.append(case_line(cases, _))
    else:
        lines += _figures(last, before, _, language)
        if cases is not None:
            lines.append(case_line(cases, _))
    if with_sub_units:
        lines += ["", _("Including the sub-units.")]
    return "\n".join(lines)


def _figures(last: WeekFigures, before: WeekFigures, _: Translate, language: str) -> list[str]:
    """Respondents, IKM, its change, the weakest unsur, comments and alerts of a week with
    respondents."""
    result = last.result
    assert result is not None
    lines = [
        _("Respondents: {n}").format(n=result.n),
        _("IKM: {value} (mutu {code}, {label})").format(
            value=number(result.konversi_rounded, language),
            code=result.mutu.code,
            label=result.mutu.label(language),
        ),
    ]
    previous = before.result
    if previous is None:
        lines.append(_("The week before had no respondents: no comparison yet."))
    else:
        change = result.konversi_rounded - previous.konversi_rounded
        lines.append(
            _("Change from the week before: {change} (then {previous})").format(
                change=signed(change, language),
                previous=number(previous.konversi_rounded, language),
            )
        )
    weakest = [UNSUR_BY_CODE[code] for code in result.weakest]
    lines.append(
        _("Weakest unsur: {unsur} (NRR {nrr})").format(
            unsur=", ".join(f"{u.code} {_(u.name)}" for u in weakest),
            nrr=number(skm.round_half_up(result.nrr[result.weakest[0]], 2), language),
        )
    )
    lines.append(_("Suggestions and complaints: {count}").format(count=last.totals.comments))
    lines.append(_("Low-score alerts: {count}").format(count=last.alerts))
    return lines


def case_line(cases: CaseCounts, _: Translate) -> str:
    """Cases opened last week, open now, and past the first-response target now."""
    return _(
        "Cases: {opened} opened last week; {open} open now, {late} past the "
        "first-response target (see /kasus)"
    ).format(opened=cases.opened, open=cases.open, late=cases.late)


@dataclass(frozen=True)
class DigestPart:
    suffix: str
    text: str
    image: bytes | None


def digest_parts(title: str, text: str, chart: bytes | None) -> list[DigestPart]:
    """One photo with the text as caption when it fits, else photo + message."""
    if chart is None:
        return [DigestPart("", shorten(text, MAX_TEXT), None)]
    if len(text) <= MAX_CAPTION:
        return [DigestPart("", text, chart)]
    return [
        DigestPart("", shorten(title, MAX_CAPTION), chart),
        DigestPart(":text", shorten(text, MAX_TEXT), None),
    ]
