"""The 360° rating conversation: a civil servant rates the colleagues assigned to them.

How a rater arrives:

- ``/nilai`` (``/review``), or the "Start rating" button of the cycle-opening
  message (``rv:list``): the list of their reviews in open cycles, to do
  first, then submitted ones that can still be changed, one button each.
- someone who is not a linked employee is told how to link their account.

Choosing a colleague turns that message into the review, edited step after
step (named steps, `storage.review_ratings.steps_for`): each core value of the
instrument with its behaviour indicators and the question (first person for
the self-assessment), answered with the scale's buttons from worst to best
plus "cannot assess"; then, only for a direct supervisor rating a
subordinate, the hasil kerja rating; then two optional typed comments; then a
confirmation with Submit. "Back" goes one step back, "Cancel" leaves the
draft as it is (the rater can continue later), "Change answers" walks the
items again with the stored answers marked. A submitted review can be
reopened until the deadline.

Where a rater is lives only in the database: each press names the assignment
token and, where it matters, the step it answers (``rv:<token>:<action>…``,
see the patterns below); `storage.review_ratings` checks it against the
stored review and writes it with a conditional update, so stale, repeated or
forged presses change nothing, and a restarted bot continues where the rater
was. A press naming an assignment that is not the user's own (or not valid
data at all) is refused and logged with the update id and the user's
pseudonym, never with answers.

Typed input (the comments, or anything where a button is due) reaches this
module through the shared text router, which calls `handle_review_text`
first; this module registers no message handler of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.core.clock import format_day
from bot.core.i18n import Translate, gettext_for
from handlers import common
from handlers.context import BotContext
from scheduler.scoring.review_instrument import (
    EXPECTATION_SCALE,
    Instrument,
    InstrumentError,
    Scale,
)
from storage import review_ratings as ratings
from storage.directory import employee_by_telegram
from storage.masking import clean_text
from storage.review_models import (
    IN_PROGRESS,
    PEER,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAssignment,
)
from storage.review_ratings import (
    COMMENT_MAX_CHARS,
    COMMENT_STEPS,
    CONFIRM,
    HASIL,
    KEEP,
    RatingRefused,
    Refusal,
)

log = logging.getLogger(__name__)

# -- callback data -------------------------------------------------------------------
# rv:list from the cycle-opening message (the list as a new message, so the
# notification stays readable); rv:list:here from a review message (in place).
# Review presses: rv:<assignment token>:<action>[:<step or value>…] (≤ 64 bytes).
REVIEW = "rv"
LIST = "rv:list"
LIST_HERE = "rv:list:here"
OPEN = "open"
ANSWER = "a"  # rv:<token>:a:<item code>:<value, or "n" for cannot assess>
HASIL_ANSWER = "h"  # rv:<token>:h:<value>
SKIP = "s"  # rv:<token>:s:<keep|improve>
CLEAR = "d"  # rv:<token>:d:<keep|improve>
BACK = "b"  # rv:<token>:b:<the step pressed from>
CHANGE = "e"  # confirmation → first item, or reopen a submitted review
CANCEL = "x"
SUBMIT = "ok"
CANNOT_ASSESS_VALUE = "n"

_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_STEP = r"(?P<step>[A-Za-z0-9_-]{1,16})"
_COMMENT = r"(?P<step>keep|improve)"
PATTERN_OPEN = rf"^{REVIEW}:{_TOKEN}:{OPEN}$"
PATTERN_ANSWER = (
    rf"^{REVIEW}:{_TOKEN}:{ANSWER}:(?P<item>[A-Za-z0-9_-]{{1,16}}):"
    rf"(?P<value>-?\d{{1,3}}|{CANNOT_ASSESS_VALUE})$"
)
PATTERN_HASIL = rf"^{REVIEW}:{_TOKEN}:{HASIL_ANSWER}:(?P<value>\d{{1,3}})$"
PATTERN_SKIP = rf"^{REVIEW}:{_TOKEN}:{SKIP}:{_COMMENT}$"
PATTERN_CLEAR = rf"^{REVIEW}:{_TOKEN}:{CLEAR}:{_COMMENT}$"
PATTERN_BACK = rf"^{REVIEW}:{_TOKEN}:{BACK}:{_STEP}$"
PATTERN_CHANGE = rf"^{REVIEW}:{_TOKEN}:{CHANGE}$"
PATTERN_CANCEL = rf"^{REVIEW}:{_TOKEN}:{CANCEL}$"
PATTERN_SUBMIT = rf"^{REVIEW}:{_TOKEN}:{SUBMIT}$"

CHECK = " ✓"  # marks the answer stored earlier when the rater comes back to a step
DRAFT_MARK = "✎ "
SUBMITTED_MARK = "✓ "
BUTTON_NAME_MAX = 40
MAX_LIST_BUTTONS = 90  # Telegram accepts at most 100 buttons in one keyboard


def data(token: str, *parts: str) -> str:
    return ":".join((REVIEW, token, *parts))


# -- rendering (pure: a review in, text and buttons out) ---------------------------------


def relation_label(relation: str, _: Translate) -> str:
    """How the RATER stands to the ratee, from the rater's point of view."""
    labels = {
        SELF: _("Self-assessment"),
        SUPERVISOR: _("Your subordinate"),  # the rater is the ratee's supervisor
        PEER: _("Peer colleague"),
        SUBORDINATE: _("Your supervisor"),  # the rater is the ratee's subordinate
    }
    return labels.get(relation, relation)


def _who(assignment: ReviewAssignment, _: Translate) -> str:
    if assignment.relation == SELF:
        return _("Self-assessment")
    return f"{assignment.ratee.name} ({relation_label(assignment.relation, _)})"


def _header(assignment: ReviewAssignment, _: Translate, language: str) -> str:
    cycle = assignment.cycle
    return "\n".join(
        [
            _("360° review “{cycle}”, until {deadline}").format(
                cycle=cycle.name, deadline=format_day(cycle.deadline, language)
            ),
            _("Rating: {who}").format(who=_who(assignment, _)),
        ]
    )


def _marked(label: str, chosen: bool) -> str:
    return label + CHECK if chosen else label


def _nav(
    assignment: ReviewAssignment, instrument: Instrument, step: str, _: Translate
) -> list[InlineKeyboardButton]:
    row = []
    if ratings.previous_step(instrument, assignment.relation, step) is not None:
        row.append(
            InlineKeyboardButton(_("Back"), callback_data=data(assignment.token, BACK, step))
        )
    row.append(InlineKeyboardButton(_("Cancel"), callback_data=data(assignment.token, CANCEL)))
    return row


def _value_label(scale: Scale, value: int | None, _: Translate) -> str:
    if value is None:
        # Never _(""): gettext returns the catalog header for the empty id.
        return _(scale.cannot_assess) if scale.cannot_assess else "-"
    try:
        return _(scale.label(value))
    except KeyError:
        return str(value)


def _item_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: dict[str, int | None],
    step: str,
    _: Translate,
    language: str,
) -> tuple[str, InlineKeyboardMarkup]:
    item = instrument.item(step)
    number = instrument.item_codes.index(step) + 1
    parts = [
        _header(assignment, _, language),
        "",
        _("Core value {number}/{total}: {name}").format(
            number=number, total=len(instrument.items), name=_(item.name)
        ),
    ]
    if item.indicators:
        parts.append(_("Expected behaviour:"))
        parts += [f"• {_(indicator)}" for indicator in item.indicators]
    parts += ["", _(instrument.question_for(assignment.relation))]
    answered = step in answers
    stored = answers.get(step)
    token = assignment.token
    rows = [
        [
            InlineKeyboardButton(
                _marked(_(level.label), answered and stored == level.value),
                callback_data=data(token, ANSWER, step, str(level.value)),
            )
        ]
        for level in instrument.scale.levels
    ]
    rows.append(
        [
            InlineKeyboardButton(
                _marked(_value_label(instrument.scale, None, _), answered and stored is None),
                callback_data=data(token, ANSWER, step, CANNOT_ASSESS_VALUE),
            )
        ]
    )
    rows.append(_nav(assignment, instrument, step, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _hasil_screen(
    assignment: ReviewAssignment, instrument: Instrument, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    parts = [
        _header(assignment, _, language),
        "",
        _("Work results (hasil kerja)"),
        _(instrument.questions.hasil_kerja),
    ]
    rows = [
        [
            InlineKeyboardButton(
                _marked(_(level.label), assignment.hasil_kerja == level.value),
                callback_data=data(assignment.token, HASIL_ANSWER, str(level.value)),
            )
        ]
        for level in EXPECTATION_SCALE.levels
    ]
    rows.append(_nav(assignment, instrument, HASIL, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _comment_question(assignment: ReviewAssignment, step: str, _: Translate) -> str:
    name = assignment.ratee.name
    if assignment.relation == SELF:
        return _("What should I keep doing?") if step == KEEP else _("What could I improve?")
    if step == KEEP:
        return _("What should {name} keep doing?").format(name=name)
    return _("What could {name} improve?").format(name=name)


def _comment_of(assignment: ReviewAssignment, step: str) -> str | None:
    return assignment.comment_keep if step == KEEP else assignment.comment_improve


def _comment_screen(
    assignment: ReviewAssignment, instrument: Instrument, step: str, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    number = COMMENT_STEPS.index(step) + 1
    parts = [
        _header(assignment, _, language),
        "",
        _("Comment {number}/{total} (optional)").format(number=number, total=len(COMMENT_STEPS)),
        _comment_question(assignment, step, _),
        _(
            "Type your answer as a normal message (at most {limit} characters), or press "
            "Skip. NIK, phone numbers and e-mail addresses are hidden before it is stored."
        ).format(limit=COMMENT_MAX_CHARS),
    ]
    stored = _comment_of(assignment, step)
    token = assignment.token
    if stored:
        parts += ["", _("Your comment so far: {comment}").format(comment=stored)]
        rows = [
            [
                InlineKeyboardButton(
                    _("Keep it and continue"), callback_data=data(token, SKIP, step)
                )
            ],
            [
                InlineKeyboardButton(
                    _("Delete this comment"), callback_data=data(token, CLEAR, step)
                )
            ],
        ]
    else:
        rows = [[InlineKeyboardButton(_("Skip"), callback_data=data(token, SKIP, step))]]
    rows.append(_nav(assignment, instrument, step, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _summary_lines(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: dict[str, int | None],
    _: Translate,
) -> list[str]:
    lines = []
    for item in instrument.items:
        label = (
            _value_label(instrument.scale, answers[item.code], _) if item.code in answers else "-"
        )
        lines.append(f"• {_(item.name)}: {label}")
    if assignment.relation == SUPERVISOR:
        hasil = assignment.hasil_kerja
        label = _value_label(EXPECTATION_SCALE, hasil, _) if hasil is not None else "-"
        lines.append(_("• Work results (hasil kerja): {label}").format(label=label))
    lines += [
        _("To keep doing: {comment}").format(comment=assignment.comment_keep or "-"),
        _("To improve: {comment}").format(comment=assignment.comment_improve or "-"),
    ]
    return lines


def _confirm_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: dict[str, int | None],
    _: Translate,
    language: str,
) -> tuple[str, InlineKeyboardMarkup]:
    parts = [
        _header(assignment, _, language),
        "",
        _("Please check your answers:"),
        *_summary_lines(assignment, instrument, answers, _),
        "",
        _("Submit this review? You can still change it until {deadline}.").format(
            deadline=format_day(assignment.cycle.deadline, language)
        ),
    ]
    token = assignment.token
    rows = [
        [InlineKeyboardButton(_("Submit"), callback_data=data(token, SUBMIT))],
        [InlineKeyboardButton(_("Change answers"), callback_data=data(token, CHANGE))],
        _nav(assignment, instrument, CONFIRM, _),
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _submitted_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: dict[str, int | None],
    _: Translate,
    language: str,
) -> tuple[str, InlineKeyboardMarkup]:
    parts = [
        _header(assignment, _, language),
        "",
        _("You have submitted this review. Your answers:"),
        *_summary_lines(assignment, instrument, answers, _),
        "",
        _(
            "You can change it until {deadline}. While you change it, it does not count "
            "until you submit it again."
        ).format(deadline=format_day(assignment.cycle.deadline, language)),
    ]
    rows = [
        [InlineKeyboardButton(_("Change answers"), callback_data=data(assignment.token, CHANGE))],
        [InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)],
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def render(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: dict[str, int | None],
    _: Translate,
    language: str,
) -> tuple[str, InlineKeyboardMarkup]:
    """The review message for the assignment's current step."""
    if assignment.status == SUBMITTED:
        return _submitted_screen(assignment, instrument, answers, _, language)
    step = ratings.current_step(assignment, instrument)
    if step in instrument.item_codes:
        return _item_screen(assignment, instrument, answers, step, _, language)
    if step == HASIL:
        return _hasil_screen(assignment, instrument, _, language)
    if step in COMMENT_STEPS:
        return _comment_screen(assignment, instrument, step, _, language)
    return _confirm_screen(assignment, instrument, answers, _, language)


def render_done(
    assignment: ReviewAssignment, remaining: int, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """After Submit: thanks, until when it can be changed, and what is left to do."""
    if assignment.relation == SELF:
        thanks = _("Thank you! Your self-assessment has been submitted.")
    else:
        thanks = _("Thank you! Your review of {name} has been submitted.").format(
            name=assignment.ratee.name
        )
    parts = [
        thanks,
        _("You can still change it with /nilai until {deadline}.").format(
            deadline=format_day(assignment.cycle.deadline, language)
        ),
    ]
    if remaining:
        parts.append(_("Reviews still waiting for you: {count}.").format(count=remaining))
        button = InlineKeyboardButton(_("Rate the next colleague"), callback_data=LIST_HERE)
    else:
        parts.append(_("You have completed all your reviews. Thank you for your time."))
        button = InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)
    return "\n\n".join(parts), InlineKeyboardMarkup([[button]])


def render_paused(
    assignment: ReviewAssignment, _: Translate, language: str
) -> tuple[str, InlineKeyboardMarkup]:
    """After Cancel: the draft is kept; say so and offer to continue."""
    text = _(
        "Stopped for now. Your answers so far are kept as a draft and nothing has been "
        "submitted. You can continue at any time until {deadline}: press Continue, or "
        "use /nilai."
    ).format(deadline=format_day(assignment.cycle.deadline, language))
    rows = [
        [InlineKeyboardButton(_("Continue"), callback_data=data(assignment.token, OPEN))],
        [InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)],
    ]
    return text, InlineKeyboardMarkup(rows)


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
    todo = sum(1 for a in reviews if a.status != SUBMITTED)
    parts = [_("360° review on the BerAKHLAK core values")]
    for cycle in cycles.values():
        parts.append(
            _("• “{cycle}”, until {deadline}").format(
                cycle=cycle.name, deadline=format_day(cycle.deadline, language)
            )
        )
    parts.append("")
    if todo:
        parts.append(_("Reviews waiting for you: {count}. Choose one:").format(count=todo))
    else:
        parts.append(_("You have submitted all your reviews. You can still change them:"))
    if any(a.status in (IN_PROGRESS, SUBMITTED) for a in reviews):
        parts.append(
            _(
                "{draft} started, not submitted · {done} submitted, can be changed until the "
                "deadline"
            ).format(draft=DRAFT_MARK.strip(), done=SUBMITTED_MARK.strip())
        )
    parts.append(
        _(
            "Ratings from peers and subordinates are only ever shown as group results, "
            "never by name."
        )
    )
    if len(reviews) > MAX_LIST_BUTTONS:
        # Telegram caps a keyboard at 100 buttons; the rest appear as these are done.
        parts.append(
            _("Showing the first {shown} of {total}.").format(
                shown=MAX_LIST_BUTTONS, total=len(reviews)
            )
        )
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


def not_linked_text(_: Translate) -> str:
    return _(
        "Your Telegram account is not linked to an active employee record, so there is "
        "nothing for you to rate here. To link it, open the link or use the code you "
        "received from HR (BKPSDM); if you have none, ask the BKPSDM admin of your agency."
    )


def _clip(text: str) -> str:
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- talking to Telegram -------------------------------------------------------------------


async def _answer(update: Update, text: str | None = None, *, alert: bool = False) -> None:
    """Answer the button press; an expired query (redelivery, restart) is not an error."""
    await common.answer_query(update, text, alert=alert)


async def _activate(
    context: BotContext, assignment: ReviewAssignment, chat_id: int, message_id: int
) -> None:
    """Remember the message that shows this review; older review messages lose their buttons."""
    async with context.sessions.begin() as session:
        released = await ratings.activate(session, assignment, message_id, now=context.clock.now())
    for old in released:
        await common.remove_keyboard(context, chat_id, old)


async def _put(
    update: Update, text: str, markup: InlineKeyboardMarkup | None, *, edit: bool
) -> Message | None:
    """Edit the pressed message, or send a new one; the message that shows the text.

    None means the pressed message already showed exactly this.
    """
    query = update.callback_query
    text = _clip(text)
    if edit and query is not None and query.message is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return query.message  # type: ignore[return-value]
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            log.info("could not edit the review message (%s); sending a new one", exc)
    return await update.effective_chat.send_message(text, reply_markup=markup)


def _who_pressed(update: Update, context: BotContext) -> str:
    """The pseudonym of the user (prefix) for the log: enough to correlate, no identity."""
    return context.user_key(update)[:16] if update.effective_user is not None else "?"


async def _refuse_forged(update: Update, context: BotContext, why: str) -> None:
    """A press the user may not make: refused, logged (no answers), nothing written."""
    log.warning(
        "review: refused %s in update %s from user %s",
        why,
        update.update_id,
        _who_pressed(update, context),
    )
    _ = await context.gettext(update)
    await _answer(update, _("This button is not valid."), alert=True)


async def _refuse(update: Update, context: BotContext, refusal: Refusal) -> None:
    """A press that came too late or out of order: a short notice, nothing written."""
    _ = await context.gettext(update)
    texts = {
        Refusal.CLOSED: _("This review cycle is closed; answers can no longer be changed."),
        Refusal.DEADLINE_PASSED: _(
            "The deadline of this review has passed; answers can no longer be changed."
        ),
        Refusal.SUBMITTED: _(
            "This review has already been submitted. To change it, open it again from /nilai."
        ),
        Refusal.STALE: _(
            "That question has already been answered. Please use the latest review message."
        ),
        Refusal.INCOMPLETE: _("Some questions are not answered yet; please answer them first."),
    }
    log.info("review: stale press (%s) in update %s", refusal.value, update.update_id)
    await _answer(update, texts.get(refusal, _("This button is not valid.")), alert=True)
    if refusal in (Refusal.CLOSED, Refusal.DEADLINE_PASSED):
        message = update.effective_message
        if message is not None:  # its buttons can never work again
            await common.remove_keyboard(context, message.chat_id, message.message_id)


async def _instrument_missing(update: Update, context: BotContext, exc: InstrumentError) -> None:
    log.error("review: the cycle's instrument cannot be loaded (%s)", exc)
    _ = await context.gettext(update)
    await _answer(
        update,
        _("This review cannot be opened at the moment; please contact the BKPSDM admin."),
        alert=True,
    )


# -- the list ------------------------------------------------------------------------------


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
        await _answer(update)
    if employee is None:
        await _put(update, not_linked_text(_), None, edit=edit)
        return
    text, markup = render_list(reviews, _, language)
    await _put(update, text, markup, edit=edit)


async def review_command(update: Update, context: BotContext) -> None:
    """``/nilai``: the rater's reviews as a new message."""
    await _show_list(update, context, edit=False)


async def list_pressed(update: Update, context: BotContext) -> None:
    """``rv:list`` (the cycle-opening message): the list as a new message below it."""
    await _show_list(update, context, edit=False)


async def list_here(update: Update, context: BotContext) -> None:
    """``rv:list:here`` (a review message): the list in the same message."""
    await _show_list(update, context, edit=True)


# -- review presses ------------------------------------------------------------------------


class After(StrEnum):
    """What the message shows after a successful press."""

    STEP = "step"  # the review's current step
    CONTINUED = "continued"  # the current step, with "continuing your draft"
    REOPENED = "reopened"  # the first item, with "reopened for changes"
    DONE = "done"  # the thank-you after Submit
    PAUSED = "paused"  # the draft is kept (Cancel)


Action = Callable[[AsyncSession, ReviewAssignment, datetime, tzinfo], Awaitable[After]]


async def _press(update: Update, context: BotContext, action: Action) -> None:
    """Check a review press against the stored review, run ``action``, show the result.

    ``action`` raises `RatingRefused` when the review is not where the button
    says (double tap, redelivery, stale button) or the cycle takes no changes.
    """
    token = context.match.group("token") if context.match else ""
    now = context.clock.now()
    tz = context.settings.tz
    refusal: RatingRefused | None = None
    unlinked = False
    remaining = 0
    after = After.STEP
    answers: dict[str, int | None] = {}
    assignment: ReviewAssignment | None = None
    try:
        async with context.sessions.begin() as session:
            employee = await employee_by_telegram(session, update.effective_user.id)
            if employee is None:
                unlinked = True
            else:
                assignment = await ratings.assignment_for_rater(session, token, employee.id)
            if assignment is not None:
                try:
                    after = await action(session, assignment, now, tz)
                except RatingRefused as exc:
                    refusal = exc
                else:
                    assignment = await ratings.reload(session, assignment.id)
                    answers = await ratings.answers_of(session, assignment.id)
                    if after is After.DONE:
                        reviews = await ratings.rater_reviews(
                            session, assignment.rater_id, now=now, tz=tz
                        )
                        remaining = sum(1 for a in reviews if a.status != SUBMITTED)
            instrument = ratings.instrument_of(assignment) if assignment is not None else None
    except InstrumentError as exc:
        await _instrument_missing(update, context, exc)
        return
    if unlinked:
        log.warning(
            "review: refused a press from a user who is not a linked employee "
            "in update %s from user %s",
            update.update_id,
            _who_pressed(update, context),
        )
        _ = await context.gettext(update)
        await _answer(
            update, _("Only linked employees can rate colleagues; see /nilai."), alert=True
        )
        return
    if assignment is None or instrument is None:
        await _refuse_forged(update, context, "a press naming an assignment not assigned to them")
        return
    if refusal is not None:
        if refusal.reason in (Refusal.INVALID, Refusal.NOT_ALLOWED):
            await _refuse_forged(update, context, f"a press with invalid data ({refusal.reason})")
        else:
            await _refuse(update, context, refusal.reason)
        return
    await _answer(update)
    language = await context.language(update)
    _ = gettext_for(language)
    if after is After.DONE:
        text, markup = render_done(assignment, remaining, _, language)
    elif after is After.PAUSED:
        text, markup = render_paused(assignment, _, language)
    else:
        text, markup = render(assignment, instrument, answers, _, language)
        lead = {
            After.CONTINUED: _("Continuing your draft: your earlier answers are kept."),
            After.REOPENED: _(
                "Reopened for changes. Until you submit it again it does not count; please "
                "submit it again by {deadline}."
            ).format(deadline=format_day(assignment.cycle.deadline, language)),
        }.get(after)
        if lead:
            text = f"{lead}\n\n{text}"
    shown = await _put(update, text, markup, edit=True)
    # Done and paused reviews are off the screen (storage cleared message_id);
    # a submitted review that is only being looked at takes no typed input.
    if assignment.status == IN_PROGRESS and after is not After.PAUSED:
        message_id = shown.message_id if shown is not None else update.effective_message.message_id
        await _activate(context, assignment, update.effective_chat.id, message_id)


async def _step(
    update: Update, context: BotContext, write: Callable[..., Awaitable[Any]], *args: Any
) -> None:
    """A press that writes one step of the review (``write(session, assignment, *args,
    now=, tz=)`` from `storage.review_ratings`) and shows the next screen."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        await write(session, assignment, *args, now=now, tz=tz)
        return After.STEP

    await _press(update, context, action)


async def open_review(update: Update, context: BotContext) -> None:
    """``rv:<token>:open``: start, continue, or look at a submitted review."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        refusal = ratings.cycle_refusal(assignment.cycle, now, tz)
        if refusal is not None:
            raise RatingRefused(refusal)
        if assignment.status == SUBMITTED:
            return After.STEP
        started = assignment.status == IN_PROGRESS
        await ratings.begin(session, assignment, now=now, tz=tz)
        has_answers = bool(await ratings.answers_of(session, assignment.id))
        return After.CONTINUED if started and has_answers else After.STEP

    await _press(update, context, action)


async def answer_item(update: Update, context: BotContext) -> None:
    """``rv:<token>:a:<item>:<value>``: one core value answered (or cannot assess)."""
    item = context.match.group("item")
    raw = context.match.group("value")
    value = None if raw == CANNOT_ASSESS_VALUE else int(raw)
    await _step(update, context, ratings.record_answer, item, value)


async def answer_hasil(update: Update, context: BotContext) -> None:
    """``rv:<token>:h:<value>``: the supervisor's hasil kerja rating."""
    value = int(context.match.group("value"))
    await _step(update, context, ratings.record_hasil_kerja, value)


async def skip_comment(update: Update, context: BotContext) -> None:
    """``rv:<token>:s:<keep|improve>``: no (new) comment; on to the next step."""
    step = context.match.group("step")
    await _step(update, context, ratings.skip_comment, step)


async def clear_comment(update: Update, context: BotContext) -> None:
    """``rv:<token>:d:<keep|improve>``: delete the comment typed earlier; on to the next step."""
    step = context.match.group("step")
    await _step(update, context, ratings.clear_comment, step)


async def go_back(update: Update, context: BotContext) -> None:
    """``rv:<token>:b:<step>``: from that step to the one before."""
    step = context.match.group("step")
    await _step(update, context, ratings.go_back, step)


async def change_answers(update: Update, context: BotContext) -> None:
    """``rv:<token>:e``: from the confirmation to the first item, or reopen a submitted review."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        if assignment.status == SUBMITTED:
            await ratings.reopen(session, assignment, now=now, tz=tz)
            return After.REOPENED
        await ratings.change_answers(session, assignment, now=now, tz=tz)
        return After.STEP

    await _press(update, context, action)


async def cancel_review(update: Update, context: BotContext) -> None:
    """``rv:<token>:x``: stop for now; the draft stays as it is."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        await ratings.pause(session, assignment, now=now, tz=tz)
        return After.PAUSED

    await _press(update, context, action)


async def submit_review(update: Update, context: BotContext) -> None:
    """``rv:<token>:ok``: submit from the confirmation."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        await ratings.submit(session, assignment, now=now, tz=tz)
        return After.DONE

    await _press(update, context, action)


async def malformed_press(update: Update, context: BotContext) -> None:
    """Any ``rv:`` data that none of the exact patterns accepted."""
    await _refuse_forged(update, context, "malformed review callback data")


# -- typed input during a review ------------------------------------------------------------


def _hint(step: str, is_text: bool, _: Translate) -> str:
    """What to do instead, for input that is not what the current step expects."""
    if step in COMMENT_STEPS:
        if is_text:
            return _("Please type your comment as text, or press Skip.")
        return _("Only text can be stored as a comment. Please type it, or press Skip.")
    if step == CONFIRM:
        return _("Please press Submit to send your review, or Change answers.")
    return _("Please answer with one of the buttons below.")


async def handle_review_text(update: Update, context: BotContext) -> bool:
    """A message (not a command) from a rater in the middle of a review: consume it?

    For the shared text router, before the citizen survey. Returns True when
    this module answered the message: a comment at a comment step (stored
    cleaned and masked, then the next step as a new message), or any other
    input (text where a button is due, a sticker, photo, voice…) while a
    review is on the rater's screen (a hint and the current step again).
    Returns False, touching nothing, for everyone else, and when the person
    used a citizen survey more recently than their review.
    """
    message = update.message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None or chat.type != chat.PRIVATE:
        return False
    if message.text is not None and message.text.startswith("/"):
        return False  # commands belong to their handlers
    settings = context.settings
    now = context.clock.now()
    tz = settings.tz
    typed = message.text
    stored: str | None = None
    refusal: RatingRefused | None = None
    try:
        async with context.sessions.begin() as session:
            employee = await employee_by_telegram(session, user.id)
            if employee is None:
                return False
            active = await ratings.active_review(session, employee.id, now=now, tz=tz)
            if active is None:
                return False
            if await ratings.citizen_draft_touched_after(
                session,
                context.user_key(update),
                active.updated_at,
                now=now,
                ttl_hours=settings.survey_draft_ttl_hours,
            ):
                return False
            if active.message_id is not None and message.message_id < active.message_id:
                # Message ids in a private chat grow on both sides, so a message
                # older than the screen it would answer is a redelivered update
                # (at-least-once), already answered: a second comment step must
                # not take it as its answer.
                log.info("review: ignored a typed message older than its screen")
                return True
            instrument = ratings.instrument_of(active)
            step = ratings.current_step(active, instrument)
            if step in COMMENT_STEPS and typed is not None:
                try:
                    stored = await ratings.record_comment(
                        session, active, step, typed, now=now, tz=tz
                    )
                except RatingRefused as exc:
                    refusal = exc
            active = await ratings.reload(session, active.id)
            answers = await ratings.answers_of(session, active.id)
    except InstrumentError as exc:
        log.error("review: the cycle's instrument cannot be loaded (%s)", exc)
        return False
    language = await context.language(update)
    _ = gettext_for(language)
    text, markup = render(active, instrument, answers, _, language)
    if stored is not None:
        lead = _("Comment saved.")
        if typed is not None and stored != clean_text(typed):
            lead += " " + _("Personal data in it (NIK, phone number, e-mail) was hidden.")
    elif refusal is not None and refusal.reason is Refusal.TOO_LONG:
        lead = _(
            "Your comment is {length} characters long; the limit is {limit}. Please shorten "
            "it and send it again. Your answers so far are kept."
        ).format(length=refusal.length, limit=COMMENT_MAX_CHARS)
    else:
        lead = _hint(step, typed is not None, _)
    # A new message: after the rater's own message the old one is out of sight.
    sent = await context.bot.send_message(chat.id, _clip(f"{lead}\n\n{text}"), reply_markup=markup)
    await _activate(context, active, chat.id, sent.message_id)
    return True


_PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler] = [
    CommandHandler(["nilai", "review"], review_command, filters=_PRIVATE),
    CallbackQueryHandler(list_pressed, pattern=f"^{LIST}$"),
    CallbackQueryHandler(list_here, pattern=f"^{LIST_HERE}$"),
    CallbackQueryHandler(open_review, pattern=PATTERN_OPEN),
    CallbackQueryHandler(answer_item, pattern=PATTERN_ANSWER),
    CallbackQueryHandler(answer_hasil, pattern=PATTERN_HASIL),
    CallbackQueryHandler(skip_comment, pattern=PATTERN_SKIP),
    CallbackQueryHandler(clear_comment, pattern=PATTERN_CLEAR),
    CallbackQueryHandler(go_back, pattern=PATTERN_BACK),
    CallbackQueryHandler(change_answers, pattern=PATTERN_CHANGE),
    CallbackQueryHandler(cancel_review, pattern=PATTERN_CANCEL),
    CallbackQueryHandler(submit_review, pattern=PATTERN_SUBMIT),
    CallbackQueryHandler(malformed_press, pattern=rf"^{REVIEW}:"),
]
