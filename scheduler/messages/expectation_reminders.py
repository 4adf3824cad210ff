"""What a supervisor is told when subordinates have no special expectation for the year yet.

Klarifikasi ekspektasi is the supervisor's choice (PermenPANRB 6/2022 says
"may"): the message names the subordinates, says how to state one
(``/ekspektasi``) and that it is the only reminder about them this year.
"""

from __future__ import annotations

from bot.core.i18n import Translate
from scheduler.messages.review_reminders import TEXT_LIMIT
from storage.outbox import Button

NAMES_LIMIT = 20
BUTTONS_LIMIT = 20
EXPECT_EMPLOYEE = "ex:e:"  # /ekspektasi's step after choosing the subordinate (handlers/notes.py)


def prompt_text(_: Translate, year: int, first: list[str], again: list[str]) -> str:
    """The prompt: new names (the year's start, or new subordinates), then reminded names."""
    blocks = [_("🎯 Klarifikasi ekspektasi {year}").format(year=year)]
    if first:
        blocks.append(
            _(
                "You have not stated a special expectation for {year} yet for ({count}): {names}"
            ).format(year=year, count=len(first), names=_names(first, _))
        )
    if again:
        blocks.append(
            _(
                "A reminder, still without a special expectation for {year} ({count}): {names}"
            ).format(year=year, count=len(again), names=_names(again, _))
        )
    blocks.append(
        _(
            "/ekspektasi states what you expect of them per core value or SKP line; they "
            "answer “Saya mengerti” or ask. You are reminded once about each person a year."
        )
    )
    return "\n\n".join(blocks)[:TEXT_LIMIT]


def _names(names: list[str], _: Translate) -> str:
    shown = ", ".join(names[:NAMES_LIMIT])
    if len(names) > NAMES_LIMIT:
        shown += " " + _("and {count} more").format(count=len(names) - NAMES_LIMIT)
    return shown


def prompt_buttons(people: list[tuple[int, str]]) -> list[list[Button]]:
    """One button per named subordinate: straight to /ekspektasi's next step for them."""
    return [
        [{"text": name[:60], "callback_data": f"{EXPECT_EMPLOYEE}{employee_id}"}]
        for employee_id, name in people[:BUTTONS_LIMIT]
    ]
