"""The monthly participation message to city-wide admins (BKPSDM), per OPD."""

from __future__ import annotations

from fractions import Fraction

from bot.core.i18n import gettext_for
from scheduler.messages.limits import shorten
from scheduler.scoring.participation import OpdParticipation
from storage.outbox import MAX_TEXT


def _percent(value: Fraction | None) -> str:
    return "–" if value is None else f"{float(value) * 100:.0f}%"


def admin_text(figures: list[OpdParticipation], period: str, language: str) -> str:
    _ = gettext_for(language)
    lines = [_("📊 Continuous feedback, period {period}, per OPD").format(period=period), ""]
    for f in figures:
        lines.append(
            _(
                "{opd}: {compliant} of {supervisors} supervisors ({share}) gave feedback to at "
                "least 80% of their staff; dialogues {dialogues} of {given}; expectations set "
                "for {expected} of {employees} employees."
            ).format(
                opd=f.opd,
                compliant=f.compliant,
                supervisors=f.supervisors,
                share=_percent(f.compliant_share),
                dialogues=f.dialogues,
                given=f.given,
                expected=f.with_expectations,
                employees=f.employees,
            )
        )
    lines += ["", _("Details: ulasan report participation --period {period}").format(period=period)]
    return shorten("\n".join(lines), MAX_TEXT)
