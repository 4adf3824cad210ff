"""What ``/predikat`` shows: pure functions from the admin's choices to text and buttons.

Callback data (at most 64 bytes, user input; ``handlers/predikat_mix.py`` checks
each press against the admin's role and the database):

- ``pm:c:<cycle id>``: the cycle: what is recorded, and the scopes to record for;
- ``pm:s:<cycle id>:<scope>``: record (or replace) the mix for a scope: the
  achievement and the limits are typed next;
- ``pm:d:<cycle id>:<scope>``: remove a scope's mix (a binding confirmation next);
- ``pm:y:<nonce>`` / ``pm:z:<nonce>``: record / remove as shown; ``pm:x:<nonce>``: cancel.

``<scope>`` is ``all`` (every OPD: `storage.predikat_mix.EVERY_OPD`) or the id of a
top-level unit (an OPD).
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.i18n import Translate
from scheduler.scoring.predikat_mix import Limit
from storage.predikat_mix import EVERY_OPD, Recorded
from storage.review_cycle_types import CycleSummary
from storage.roles import HeadedUnit

_SCOPE = r"(?P<scope>all|\d{1,9})"
_CYCLE = r"(?P<cycle>\d{1,9})"
PATTERN_CYCLE = rf"^pm:c:{_CYCLE}$"
PATTERN_SCOPE = rf"^pm:s:{_CYCLE}:{_SCOPE}$"
PATTERN_CLEAR = rf"^pm:d:{_CYCLE}:{_SCOPE}$"
PATTERN_ANY = r"^pm:"
CYCLES_OFFERED = 8
EXAMPLE = "sangat baik max 20; baik min 50; kurang 0-5"

Screen = tuple[str, InlineKeyboardMarkup | None]


def scope_name(scope: str, _: Translate) -> str:
    return _("every OPD") if scope == EVERY_OPD else scope


def limit_lines(limits: Sequence[Limit], _: Translate) -> list[str]:
    """``• Excellent: at most 20%`` per limit, in the admin's language."""
    lines = []
    for limit in limits:
        low, high = limit.min_percent, limit.max_percent
        if low is not None and high is not None:
            bound = _("{low}–{high}%").format(low=low, high=high)
        elif high is not None:
            bound = _("at most {high}%").format(high=high)
        else:
            bound = _("at least {low}%").format(low=low)
        lines.append(f"• {_(limit.predikat.label)}: {bound}")
    return lines


def render_cycles(cycles: list[CycleSummary], _: Translate) -> Screen:
    """Every cycle (open or closed, newest first): the mix is recorded per cycle."""
    if not cycles:
        return _("There is no 360° cycle yet: open one with /siklus first."), None
    rows = [
        [InlineKeyboardButton(c.name[:60], callback_data=f"pm:c:{c.id}")]
        for c in cycles[:CYCLES_OFFERED]
    ]
    text = _(
        "The predikat mix that applies (SE MenPANRB 03/2023) depends on the organisation's "
        "achievement; you record it as rated, the bot invents no percentage. "
        "For which 360° cycle?"
    )
    return text, InlineKeyboardMarkup(rows)


def render_cycle(
    cycle: CycleSummary, recorded: list[Recorded], units: Sequence[HeadedUnit], _: Translate
) -> Screen:
    """What is recorded for the cycle, then a button per scope to record for, and one per
    recorded scope to remove."""
    lines = [_("Predikat mix — “{cycle}”").format(cycle=cycle.name)]
    for found in recorded:
        head = _("{scope}, achievement “{achievement}”:").format(
            scope=scope_name(found.scope, _), achievement=found.achievement
        )
        lines += ["", head, *limit_lines(found.limits, _)]
    if not recorded:
        lines += ["", _("Nothing recorded yet.")]
    lines += [
        "",
        _(
            "Record (or replace) it for every OPD or for one OPD; an OPD's own mix comes "
            "before every OPD's."
        ),
    ]
    ids = {unit.code: unit.id for unit in units}
    choices = [InlineKeyboardButton(_("Every OPD"), callback_data=f"pm:s:{cycle.id}:all")]
    choices += [
        InlineKeyboardButton(unit.code, callback_data=f"pm:s:{cycle.id}:{unit.id}")
        for unit in units
    ]
    rows = [choices[i : i + 3] for i in range(0, len(choices), 3)]
    for found in recorded:
        value = "all" if found.scope == EVERY_OPD else ids.get(found.scope)
        if value is None:
            continue
        label = _("Remove: {scope}").format(scope=scope_name(found.scope, _))
        rows.append([InlineKeyboardButton(label, callback_data=f"pm:d:{cycle.id}:{value}")])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def ask_achievement(cycle_name: str, scope: str, _: Translate) -> str:
    return _(
        "Predikat mix for {scope} in “{cycle}”.\n\nType the organisation's achievement as "
        "rated (for example: Baik), up to 64 characters."
    ).format(scope=scope_name(scope, _), cycle=cycle_name)


def ask_limits(achievement: str, _: Translate) -> str:
    return _(
        "Achievement: {achievement}.\n\nNow type the limits in whole percent in one line, "
        "for example:\n{example}\n\nPredikat: sangat baik, baik, butuh perbaikan, kurang, "
        "sangat kurang; “max”, “min” or a range. Only the predikat you name get a limit."
    ).format(achievement=achievement, example=EXAMPLE)


def bad_limits(reason: str, _: Translate) -> str:
    return _("{reason} Type the limits again, for example:\n{example}").format(
        reason=reason, example=EXAMPLE
    )


def _yes_no(yes: str, nonce: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("Yes, record it"), callback_data=f"pm:{yes}:{nonce}")]
            if yes == "y"
            else [InlineKeyboardButton(_("Yes, remove it"), callback_data=f"pm:{yes}:{nonce}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"pm:x:{nonce}")],
        ]
    )


def render_summary(
    *,
    cycle_name: str,
    closed: bool,
    scope: str,
    achievement: str,
    limits: Sequence[Limit],
    was: str,
    nonce: str,
    _: Translate,
) -> Screen:
    """What will be recorded, with the binding "Yes"."""
    lines = [
        _("Record this predikat mix?"),
        "",
        _("Cycle: {cycle}").format(cycle=cycle_name),
        _("For: {scope}").format(scope=scope_name(scope, _)),
        _("Achievement: {achievement}").format(achievement=achievement),
        *limit_lines(limits, _),
        "",
    ]
    if was:
        lines.append(_("It replaces what is recorded now: {was}").format(was=was))
    lines.append(
        _("The cycle is closed: heads whose unit breaks it are warned at once.")
        if closed
        else _("Heads whose unit breaks it are warned when the cycle closes.")
    )
    return "\n".join(lines), _yes_no("y", nonce, _)


def render_clear(cycle_name: str, scope: str, was: str, nonce: str, _: Translate) -> Screen:
    text = _("Remove the predikat mix recorded for {scope} in “{cycle}” ({was})?").format(
        scope=scope_name(scope, _), cycle=cycle_name, was=was
    )
    return text, _yes_no("z", nonce, _)
