"""``/nilai`` (``/review``): the list of a rater's reviews, a button each.

- ``/nilai``, or the "Start rating" button of the cycle-opening message
  (``rv:list``): the rater's reviews in open cycles, to do first, then
  submitted ones that can still be changed, as a new message (the
  notification stays readable).
- "My reviews" / "Rate the next colleague" on a review message
  (``rv:list:here``): the same list in that message.
- someone who is not a linked employee is told how to link their account.

A button opens the review (``rv:<token>:open``, ``handlers/review.py``).
Registered before ``handlers/review.py``, whose catch-all answers any other
``rv:`` data.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import format_day
from bot.core.i18n import Translate, gettext_for
from handlers import common
from handlers.context import BotContext
from handlers.review_screens import (
    OPEN,
    PATTERN_LIST,
    PATTERN_LIST_HERE,
    clip,
    data,
    relation_label,
)
from storage import review_ratings as ratings
from storage.directory import employee_by_telegram
from storage.review_models import IN_PROGRESS, SELF, SUBMITTED, ReviewAssignment

DRAFT_MARK = "✎ "
SUBMITTED_MARK = "✓ "
BUTTON_NAME_MAX = 40
MAX_LIST_BUTTONS = 90  # Telegram accepts at most 100 buttons in one keyboard


def not_linked_text(_: Translate) -> str:
    return _(
        "Your Telegram account is not linked to an active employee record, so there is "
        "nothing for you to rate here. To link it, open the link or use the code you "
        "received from HR (BKPSDM); if you have none, ask the BKPSDM admin of your agency."
    )


def render_list(
    reviews: list[ReviewAssignment], _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The rater's reviews in open cycles, a button each."""
    if not reviews:
        return (
            _(
                "There is no open 360° review for you at the moment. When a review cycle "
                "opens, you will get a message here."
            ),
            None,
        )
    cycles = {}
    for assignment in reviews:
        cycles.setdefault(assignment.cycle.id, assignment.cycle)
    parts = [_("360° review on the BerAKHLAK core values")]
    for cycle in cycles.values():
        parts.append(
            _("• “{cycle}”, until {deadline}").format(
                cycle=cycle.name, deadline=format_day(cycle.deadline, language)
            )
        )
    parts += ["", *_list_explanation(reviews, _)]
    several = len(cycles) > 1
    rows = [
        [
            InlineKeyboardButton(
                _list_button_label(assignment, _, several),
                callback_data=data(assignment.token, OPEN),
            )
        ]
        for assignment in reviews[:MAX_LIST_BUTTONS]
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _list_explanation(reviews: list[ReviewAssignment], _: Translate) -> list[str]:
    """How many are waiting, what the marks mean, anonymity, and a cut list."""
    todo = sum(1 for a in reviews if a.status != SUBMITTED)
    if todo:
        lines = [_("Reviews waiting for you: {count}. Choose one:").format(count=todo)]
    else:
        lines = [_("You have submitted all your reviews. You can still change them:")]
    if any(a.status in (IN_PROGRESS, SUBMITTED) for a in reviews):
        lines.append(
            _(
                "{draft} started, not submitted · {done} submitted, can be changed until the "
                "deadline"
            ).format(draft=DRAFT_MARK.strip(), done=SUBMITTED_MARK.strip())
        )
    lines.append(
        _(
            "Ratings from peers and subordinates are only ever shown as group results, "
            "never by name."
        )
    )
    if len(reviews) > MAX_LIST_BUTTONS:
        # Telegram caps a keyboard at 100 buttons; the rest appear as these are done.
        lines.append(
            _("Showing the first {shown} of {total}.").format(
                shown=MAX_LIST_BUTTONS, total=len(reviews)
            )
        )
    return lines


def _list_button_label(assignment: ReviewAssignment, _: Translate, several_cycles: bool) -> str:
    if assignment.relation == SELF:
        who = _("Self-assessment")
    else:
        name = assignment.ratee.name
        if len(name) > BUTTON_NAME_MAX:
            name = name[: BUTTON_NAME_MAX - 1] + "…"
        who = f"{name} · {relation_label(assignment.relation, _)}"
    mark = ""
    if assignment.status == IN_PROGRESS:
        mark = DRAFT_MARK
    elif assignment.status == SUBMITTED:
        mark = SUBMITTED_MARK
    prefix = f"{assignment.cycle.name[:20]}: " if several_cycles else ""
    return f"{mark}{prefix}{who}"


async def _show_list(update: Update, context: BotContext, *, edit: bool) -> None:
    language = await context.language(update)
    _ = gettext_for(language)
    async with context.sessions() as session:
        employee = await employee_by_telegram(session, update.effective_user.id)
        reviews = (
            await ratings.rater_reviews(
                session, employee.id, now=context.clock.now(), tz=context.settings.tz
            )
            if employee is not None
            else []
        )
    if update.callback_query is not None:
        await common.answer_query(update)
    if employee is None:
        await common.edit_or_send(update, clip(not_linked_text(_)), None, edit=edit)
        return
    text, markup = render_list(reviews, _, language)
    await common.edit_or_send(update, clip(text), markup, edit=edit)


async def review_command(update: Update, context: BotContext) -> None:
    """``/nilai``: the rater's reviews as a new message."""
    await _show_list(update, context, edit=False)


async def list_pressed(update: Update, context: BotContext) -> None:
    """``rv:list`` (the cycle-opening message): the list as a new message below it."""
    await _show_list(update, context, edit=False)


async def list_here(update: Update, context: BotContext) -> None:
    """``rv:list:here`` (a review message): the list in the same message."""
    await _show_list(update, context, edit=True)


HANDLERS: list[BaseHandler] = [
    CommandHandler(["nilai", "review"], review_command, filters=filters.ChatType.PRIVATE),
    CallbackQueryHandler(list_pressed, pattern=PATTERN_LIST),
    CallbackQueryHandler(list_here, pattern=PATTERN_LIST_HERE),
]
