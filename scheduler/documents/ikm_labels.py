"""The words and numbers of the IKM report, shared by its table, JSON and XLSX forms.

The report is Indonesian, in the regulation's terms (IKM, NRR, mutu, unsur):
every label comes from the Indonesian catalog (``bot/locales/id/.../reports.po``;
unsur and profile names from ``skm.po``), so the three forms say the same thing
and a label is changed in one place.

Rounding is for display only: NRR and weighted NRR to 4 decimals, IKM to 4,
IKM konversi to 2 (the value mutu is classified on), all half-up.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from bot.core.i18n import gettext_for
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import PROFILE, UNSUR_BY_CODE
from storage.ikm_report import GroupReport, IkmReport

REGULATION = "PermenPANRB 14/2017"

_ = gettext_for("id")  # the English catalog only when asked for: compiling one costs ~0.2 s


def unsur_name(code: str, language: str = "id") -> str:
    translate = gettext_for("en") if language == "en" else _
    return translate(UNSUR_BY_CODE[code].name)


def profile_label(name: str, value: str | None) -> str:
    if value is None:
        return _("Not answered")
    labels = dict(PROFILE.get(name, ()))
    return _(labels[value]) if value in labels else value


def profile_keys(name: str, counts: dict[str | None, int]) -> list[str | None]:
    """Display order of one profile field: the instrument's values, unexpected ones, None."""
    known = [value for value, _label in PROFILE.get(name, ())]
    extra = sorted(k for k in counts if k is not None and k not in known)
    return [*known, *extra, None]


def dec(value: Fraction | Decimal, places: int) -> Decimal:
    return skm.round_half_up(value, places)


def num(value: Fraction | Decimal, places: int) -> float:
    """A display-rounded JSON number (half-up first, so 76.605 is 76.61, not 76.6)."""
    return float(dec(value, places))


def period_text(report: IkmReport) -> str:
    start = report.date_from.isoformat() if report.date_from else _("start")
    end = report.date_to.isoformat() if report.date_to else _("now")
    return _("{start} to {end} (date of submission, {timezone})").format(
        start=start, end=end, timezone=report.timezone
    )


def unit_text(report: IkmReport) -> str:
    return f"{report.unit.code} — {report.unit.name}" if report.unit else _("all units")


def mutu_text(group: GroupReport) -> str:
    if group.result is None:
        return "-"
    return f"{group.result.mutu.code} ({group.result.mutu.label_id})"


def weakest_text(group: GroupReport) -> str:
    if group.result is None:
        return "-"
    return ", ".join(f"{c} {unsur_name(c)}" for c in group.result.weakest)


def sample_text(report: IkmReport) -> str:
    """Population and the Krejcie–Morgan minimum ("" without a population)."""
    if report.sample is None:
        return ""
    return _("population {population}, Krejcie–Morgan minimum {minimum}").format(
        population=report.sample.population, minimum=report.sample.minimum
    )
