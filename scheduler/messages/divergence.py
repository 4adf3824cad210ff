"""The divergence flag's messages: to the supervisor's own superior, and to BKPSDM.

Levels only (never means, raters or answers), labelled as material for a
conversation, not a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.i18n import Translate
from scheduler.scoring.perilaku_divergence import Divergence


@dataclass(frozen=True)
class Flagged:
    supervisor: str
    ratee: str
    unit: str
    found: Divergence


def _line(_: Translate, flag: Flagged) -> str:
    return _("{supervisor} on {ratee} ({unit}): supervisor {own}, colleagues {others}").format(
        supervisor=flag.supervisor,
        ratee=flag.ratee,
        unit=flag.unit,
        own=_(flag.found.supervisor.label),
        others=_(flag.found.others.label),
    )


def superior_text(_: Translate, cycle: str, flags: Sequence[Flagged]) -> str:
    return "\n".join(
        [
            _(
                "360° cycle “{cycle}”: a supervisor in your team sees a subordinate differently"
            ).format(cycle=cycle),
            "",
            *(f"• {_line(_, flag)}" for flag in flags),
            "",
            _(
                "The supervisor's perilaku rating differs by a level or more from the pooled "
                "peers and subordinates. Worth a conversation about what each has seen; it "
                "is not a verdict on anyone."
            ),
        ]
    )


def admin_text(_: Translate, cycle: str, flags: Sequence[Flagged]) -> str:
    return "\n".join(
        [
            _("360° cycle “{cycle}”: supervisors whose view differs from colleagues'").format(
                cycle=cycle
            ),
            "",
            *(f"• {_line(_, flag)}" for flag in flags),
            "",
            _(
                "Only where the pooled peers and subordinates could be shown. For rater "
                "calibration and coaching, not a verdict."
            ),
        ]
    )
