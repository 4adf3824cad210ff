"""The daily praise note an officer and their supervisor read.

A note collects the day's praise (every answer 4 and a comment, at a QR code
naming the officer): the comments masked (NIK, phone numbers, e-mail
addresses hidden), each with its service, in a random order, and **never a
date, a time or anything about the citizen**, so that nobody can tell who
wrote which or when. The officer's note also says how many praises they had
this month so far.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.core.i18n import gettext_for
from scheduler.messages.limits import shorten
from storage.masking import clean_text, mask_personal_data
from storage.outbox import MAX_TEXT

COMMENT_LIMIT = 500
_shuffle = random.SystemRandom().shuffle


@dataclass(frozen=True)
class Praise:
    response_id: int  # never shown; it only keeps two notes' outbox keys apart
    officer_id: int
    service: str
    comment: str


def _quoted(items: list[Praise]) -> list[str]:
    """The comments as bullet lines, masked and shuffled."""
    lines = [
        f"• “{shorten(mask_personal_data(clean_text(p.comment)), COMMENT_LIMIT)}” ({p.service})"
        for p in items
    ]
    _shuffle(lines)
    return lines


def officer_text(items: list[Praise], month_total: int, language: str) -> str:
    """To the officer: what citizens wrote about their service."""
    _ = gettext_for(language)
    lines = [
        _("🌟 Citizens praised your service"),
        "",
        _("Citizens who gave every answer the best score: {n}. They wrote:").format(n=len(items)),
        *_quoted(items),
        "",
        _("Praise this month so far: {n}. Thank you for your good service!").format(n=month_total),
    ]
    return shorten("\n".join(lines), MAX_TEXT)


def supervisor_text(team: dict[str, list[Praise]], language: str) -> str:
    """To the supervisor: the praise each member of their team received."""
    _ = gettext_for(language)
    lines = [_("🌟 Citizens praised your team"), ""]
    for name, items in sorted(team.items()):
        lines.append(f"{name} ({len(items)}):")
        lines += _quoted(items)
        lines.append("")
    lines.append(_("A word of thanks from you means a lot to them."))
    return shorten("\n".join(lines), MAX_TEXT)
