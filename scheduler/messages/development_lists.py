"""Texts of the unit head's recognition and development lists after a 360° cycle
(`scheduler.development_lists`): names, reasons, released figures; each list labelled
a recommendation for the Pejabat Penilai Kinerja."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.i18n import Translate
from scheduler.messages.review_reports import number
from scheduler.scoring.development_lists import Below
from scheduler.scoring.predikat_mix import ABOVE, Breach
from scheduler.scoring.review_instrument import Instrument


@dataclass(frozen=True)
class Recognised:
    name: str
    excellent: bool  # predikat Sangat Baik
    praise: int  # citizen praise notes in the cycle's dates (0: not on the list for it)


@dataclass(frozen=True)
class Developing:
    name: str
    instrument: Instrument
    below: tuple[Below, ...]


def _value(instrument: Instrument, code: str, _: Translate) -> str:
    try:
        return _(instrument.item(code).name)
    except KeyError:
        return code


def _reasons(person: Recognised, _: Translate) -> str:
    reasons = []
    if person.excellent:
        reasons.append(_("predikat Sangat Baik"))
    if person.praise:
        reasons.append(_("{count} citizen praise notes").format(count=person.praise))
    return "; ".join(reasons)


def lists_text(
    cycle: str,
    recognition: Sequence[Recognised],
    development: Sequence[Developing],
    min_praise: int,
    _: Translate,
    language: str,
) -> str:
    lines = [
        _("Recognition and development lists — “{cycle}”").format(cycle=cycle),
        _(
            "A recommendation for the Pejabat Penilai Kinerja, not a decision: nothing "
            "follows from these lists automatically."
        ),
        "",
        _("Recognition (predikat Sangat Baik, or at least {count} citizen praise notes):").format(
            count=min_praise
        ),
    ]
    lines += [f"• {p.name}: {_reasons(p, _)}" for p in recognition] or ["• " + _("nobody")]
    lines += ["", _("Development (core values below expectation):")]
    for person in development:
        values = ", ".join(
            f"{_value(person.instrument, b.code, _)} {number(b.mean, language)}"
            for b in person.below
        )
        lines.append(f"• {person.name}: {values}")
    if not development:
        lines.append("• " + _("nobody"))
    return "\n".join(lines)


def _percent(count: int, total: int) -> int:
    """A share in whole percent, half-up."""
    return (count * 200 + total) // (2 * total)


def mix_warning(achievement: str, broken: Sequence[Breach], _: Translate) -> str:
    """The head's warning: which predikat's share breaks the recorded distribution."""
    lines = [
        _(
            "Warning: the recommended predikat mix of your unit breaks the distribution "
            "recorded for the organisation's achievement “{achievement}” (SE MenPANRB 03/2023):"
        ).format(achievement=achievement)
    ]
    for breach in broken:
        template = (
            _("• {predikat}: {count} of {total} ({share}%), above the maximum of {limit}%")
            if breach.kind == ABOVE
            else _("• {predikat}: {count} of {total} ({share}%), below the minimum of {limit}%")
        )
        lines.append(
            template.format(
                predikat=_(breach.predikat.label),
                count=breach.count,
                total=breach.total,
                share=_percent(breach.count, breach.total),
                limit=breach.percent,
            )
        )
    lines.append(_("Only a warning: no recommendation or decision was changed."))
    return "\n".join(lines)
