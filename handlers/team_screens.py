"""What ``/tim`` shows a unit head: pure functions from the team's progress to text."""

from __future__ import annotations

from bot.core.clock import format_day
from bot.core.i18n import N_, Translate
from storage.roles import HeadedUnit
from storage.team_feedback import TeamFeedback
from storage.team_progress import TeamCycle, TeamView

NAMES_LIMIT = 15  # unfinished members named per cycle
TEXT_LIMIT = 4000  # Telegram allows 4096 characters
STATE = {"open": N_("open"), "closed": N_("closed")}


def render_team(
    units: tuple[HeadedUnit, ...],
    view: TeamView,
    _: Translate,
    language: str,
    feedback: TeamFeedback | None = None,
) -> str:
    """The team's reach, each cycle's completion (open ones first, then the last closed),
    then the continuous feedback of the last carded period."""
    names = ", ".join(f"{unit.name} ({unit.code})" for unit in units)
    lines = [
        _("Your team: {units} and the units below").format(units=names),
        _("Active employees: {members}; without a linked Telegram account: {unlinked}").format(
            members=view.members, unlinked=view.unlinked
        ),
    ]
    if not view.cycles:
        lines += ["", _("Your team has no 360° reviews to give in any cycle yet.")]
    for cycle in view.cycles:
        lines += ["", *_cycle_lines(cycle, _, language)]
    if feedback is not None:
        lines += ["", *_feedback_lines(feedback, _)]
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _cycle_lines(cycle: TeamCycle, _: Translate, language: str) -> list[str]:
    lines = [
        _("Cycle “{name}” ({state}, deadline {deadline}):").format(
            name=cycle.name,
            state=_(STATE.get(cycle.status, cycle.status)),
            deadline=format_day(cycle.deadline, language),
        ),
        _("{done} of {total} reviews submitted ({percent}%)").format(
            done=cycle.submitted, total=cycle.total, percent=cycle.percent
        ),
    ]
    units = cycle.by_unit()
    if len(units) > 1:
        lines += [f"• {code}: {done}/{total}" for code, done, total in units]
    if cycle.status != "open":
        return lines
    unfinished = [m for m in cycle.members if not m.done]
    if unfinished:
        lines.append(_("Not finished yet ({count}):").format(count=len(unfinished)))
        for member in unfinished[:NAMES_LIMIT]:
            line = _("• {name} ({unit}): {done} of {total}").format(
                name=member.name, unit=member.unit_code, done=member.submitted, total=member.total
            )
            if not member.linked:
                line += " " + _("(no linked account: cannot be reminded)")
            lines.append(line)
        if len(unfinished) > NAMES_LIMIT:
            lines.append(_("… and {count} more").format(count=len(unfinished) - NAMES_LIMIT))
    else:
        lines.append(_("Everyone in your team has finished their reviews."))
    return lines


def _feedback_lines(feedback: TeamFeedback, _: Translate) -> list[str]:
    """Cards, dialogues, who still holds open cards, and the year's expectations: counts only."""
    lines = [_("Continuous feedback, period {period}:").format(period=feedback.period)]
    if not feedback.cards:
        lines.append(_("No feedback cards for this period yet."))
    else:
        lines.append(
            _("{cards} cards: feedback given {given}, skipped {skipped}, not yet {open}").format(
                cards=feedback.cards,
                given=feedback.given,
                skipped=feedback.skipped,
                open=feedback.open + feedback.waiting,
            )
            + (
                " "
                + _("(of them waiting for a linked account: {count})").format(
                    count=feedback.waiting
                )
                if feedback.waiting
                else ""
            )
        )
        lines.append(
            _("Performance dialogues recorded: {dialogues} of {cards}").format(
                dialogues=feedback.dialogues, cards=feedback.cards
            )
        )
        if feedback.pending:
            lines.append(_("Supervisors with cards still open:"))
            lines += [
                _("• {name}: {count}").format(name=name, count=count)
                for name, count in feedback.pending[:NAMES_LIMIT]
            ]
            if len(feedback.pending) > NAMES_LIMIT:
                more = len(feedback.pending) - NAMES_LIMIT
                lines.append(_("… and {count} more").format(count=more))
    lines.append(
        _("Special expectations for {year}: {count} of {members} employees").format(
            year=feedback.year, count=feedback.with_expectation, members=feedback.members
        )
    )
    return lines
