"""The message each ASN of a unit gets when a 360° cycle closes: the unit's per-value
figures (no names), and privately where the reader stands against the unit's median.

Figures arrive computed by `scheduler.scoring.unit_openness`; this module only words them.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.i18n import Translate
from scheduler.messages.review_reports import number
from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.unit_openness import Standing, UnitFigures, standing


def _standing(_: Translate, standing: Standing) -> str:
    return {
        Standing.ABOVE: _("above the unit's median"),
        Standing.AT: _("at the unit's median"),
        Standing.BELOW: _("below the unit's median"),
    }[standing]


def unit_results_text(
    _: Translate,
    language: str,
    *,
    cycle: str,
    unit: str,
    instrument: Instrument,
    figures: UnitFigures,
    own: Mapping[str, float],
    min_ratees: int,
) -> str:
    """The unit part for everyone, then (if the reader has released figures) their own."""
    lines = [
        _("Results of {unit} in the 360° cycle “{cycle}”").format(unit=unit, cycle=cycle),
        "",
        _(
            "Per core value, the mean of what colleagues (everyone but the person "
            "themselves) gave the unit's employees, and how many employees it covers. No "
            "names; nobody's own result is published."
        ),
    ]
    for value in figures.values:
        name = _(instrument.item(value.code).name)
        lines.append(
            f"• {name}: {number(value.mean, language)} "
            + _("({n} employees)").format(n=value.ratees)
        )
    if figures.withheld:
        names = ", ".join(_(instrument.item(code).name) for code in figures.withheld)
        lines += [
            "",
            _("Not shown (fewer than {n} employees with a result): {values}").format(
                n=min_ratees, values=names
            ),
        ]
    mine = [v for v in figures.values if v.code in own]
    if mine:
        lines += ["", _("Only for you: where you stand against the unit's median")]
        for value in mine:
            lines.append(
                "• "
                + _("{value}: you {own}, median {median}, {standing}").format(
                    value=_(instrument.item(value.code).name),
                    own=number(own[value.code], language),
                    median=number(value.median, language),
                    standing=_standing(_, standing(own[value.code], value.median)),
                )
            )
    return "\n".join(lines)
