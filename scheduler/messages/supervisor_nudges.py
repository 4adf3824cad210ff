"""The nudge a supervisor gets while a 360° cycle is open: their own reviews, the team's progress.

Per open cycle: their reviews of their team still to do (by name: the
supervisor knows whom they rate), the team's completion (one rate per team,
never who rated whom), and the team members not yet linked to the bot.
"""

from __future__ import annotations

from bot.core.clock import format_day
from bot.core.i18n import Translate
from scheduler.messages.review_reminders import TEXT_LIMIT
from storage.cycle_progress import TeamCycle

NAMES_LIMIT = 10


def _names(names: list[str], _: Translate) -> str:
    shown = ", ".join(sorted(names, key=str.casefold)[:NAMES_LIMIT])
    if len(names) > NAMES_LIMIT:
        shown += " " + _("and {count} more").format(count=len(names) - NAMES_LIMIT)
    return shown


def nudge_text(_: Translate, cycles: list[TeamCycle], language: str) -> str:
    blocks = [_("360° review: how your team is doing")]
    any_unlinked = False
    for cycle in cycles:
        lines = [
            _("“{name}”, deadline {deadline}").format(
                name=cycle.name, deadline=format_day(cycle.deadline, language)
            )
        ]
        if cycle.own_pending:
            lines.append(
                _("• Your reviews of your team still to do ({count}): {names}").format(
                    count=len(cycle.own_pending), names=_names(cycle.own_pending, _)
                )
            )
        else:
            lines.append(_("• Your own reviews of your team are done."))
        if cycle.team_total:
            lines.append(
                _("• Your team has submitted {done} of {total} reviews ({percent}%).").format(
                    done=cycle.team_submitted, total=cycle.team_total, percent=cycle.percent
                )
            )
        if cycle.unlinked:
            any_unlinked = True
            lines.append(
                _("• Not yet linked to this bot ({count}): {names}").format(
                    count=len(cycle.unlinked), names=_names(cycle.unlinked, _)
                )
            )
        blocks.append("\n".join(lines))
    if any_unlinked:
        blocks.append(
            _(
                "Team members without a linked account get no reminders and cannot rate yet; "
                "they can ask HR (BKPSDM) for a link code."
            )
        )
    text = "\n\n".join(blocks)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"
