"""The reminder a rater gets while their 360° reviews wait: what is left, and by when.

One message per rater and day lists every open cycle with unfinished reviews,
with a "Continue rating" button (``rv:list``, the rater's list of reviews);
``scheduler/messages/supervisor_nudges.py`` uses the same button and limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.core.clock import format_day
from bot.core.i18n import Translate
from scheduler.messages.cycles import START_RATING_CALLBACK
from storage.cycle_progress import Todo

TEXT_LIMIT = 4000  # Telegram allows 4096 characters


def remaining_phrase(_: Translate, colleagues: int, self_review: bool) -> str:
    if colleagues > 1 and self_review:
        return _("{count} colleagues and your self-assessment").format(count=colleagues)
    if colleagues > 1:
        return _("{count} colleagues").format(count=colleagues)
    if colleagues == 1 and self_review:
        return _("1 colleague and your self-assessment")
    if colleagues == 1:
        return _("1 colleague")
    return _("your self-assessment")


def deadline_line(_: Translate, deadline: date, day: date, language: str) -> str:
    when = format_day(deadline, language)
    left = (deadline - day).days
    if left <= 0:
        return _("Today, {deadline}, is the last day.").format(deadline=when)
    if left == 1:
        return _("The deadline is tomorrow, {deadline}.").format(deadline=when)
    return _("Please finish by {deadline} ({days} days left).").format(deadline=when, days=left)


def reminder_text(_: Translate, todos: Sequence[Todo], day: date, language: str) -> str:
    """The reminder: what is left in each open cycle and by when."""
    if len(todos) == 1:
        todo = todos[0]
        parts = [
            _("Reminder: the 360° review “{name}” is still waiting for you.").format(
                name=todo.name
            ),
            _("Still to rate: {what}.").format(
                what=remaining_phrase(_, todo.colleagues, todo.self_review)
            ),
            deadline_line(_, todo.deadline, day, language),
        ]
        return "\n\n".join(parts)
    lines = [_("Reminder: your 360° reviews are still waiting for you."), ""]
    for todo in todos:
        lines.append(
            _("• “{name}”: {what}; deadline {deadline}").format(
                name=todo.name,
                what=remaining_phrase(_, todo.colleagues, todo.self_review),
                deadline=format_day(todo.deadline, language),
            )
        )
    text = "\n".join(lines)
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def continue_button(_: Translate) -> list[list[dict[str, str]]]:
    return [[{"text": _("Continue rating"), "callback_data": START_RATING_CALLBACK}]]
