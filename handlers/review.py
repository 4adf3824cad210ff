"""The 360° rating conversation: a civil servant rates the colleagues assigned to them.

A rater opens a review from their list (``handlers/review_list.py``). That
message becomes the review, edited step after step (named steps,
`storage.review_steps.steps_for`, drawn in ``handlers/review.mmd``): each
core value of the instrument with its behaviour indicators and the question
(first person for the self-assessment), answered with the scale's buttons
from worst to best plus "cannot assess"; then, only for a direct supervisor
rating a subordinate, the hasil kerja rating; then two optional typed
comments; then a confirmation with Submit. "Back" goes one step back,
"Cancel" leaves the draft as it is (the rater can continue later), "Change
answers" walks the items again with the stored answers marked. A submitted
review can be reopened until the deadline. ``handlers/review_screens.py``
draws every screen.

Where a rater is lives only in the database: each press names the assignment
token and, where it matters, the step it answers (``rv:<token>:<action>…``,
see `handlers.review_screens`); `storage.review_ratings` checks it against
the stored review and writes it with a conditional update, so stale,
repeated or forged presses change nothing, and a restarted bot continues
where the rater was. A press naming an assignment that is not the user's own
(or not valid data at all) is refused and logged with the update id and the
user's pseudonym, never with answers.

Typed input (the comments, or anything where a button is due) reaches this
module through the shared text router, which calls `handle_review_text`
first; this module registers no message handler of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.core.i18n import gettext_for
from handlers import calibration, common
from handlers import review_screens as screens
from handlers.context import BotContext
from handlers.review_screens import After, Answers, clip, render
from scheduler.scoring.instrument_examples import Examples
from scheduler.scoring.review_instrument import Instrument, InstrumentError
from storage import review_nudges as nudges
from storage import review_ratings as ratings
from storage import review_steps as steps
from storage import survey
from storage.consultations import examples_of
from storage.directory import employee_by_telegram
from storage.masking import clean_text
from storage.review_models import IN_PROGRESS, SUBMITTED, ReviewAssignment
from storage.review_steps import COMMENT_STEPS, RatingRefused, Refusal

log = logging.getLogger(__name__)


# -- talking to Telegram -------------------------------------------------------------------


async def _activate(
    context: BotContext, assignment: ReviewAssignment, chat_id: int, message_id: int
) -> None:
    """Remember the message that shows this review; older review messages lose their buttons."""
    async with context.sessions.begin() as session:
        released = await ratings.activate(session, assignment, message_id, now=context.clock.now())
    for old in released:
        await common.remove_keyboard(context, chat_id, old)


async def _refuse_forged(update: Update, context: BotContext, why: str) -> None:
    """A press the user may not make: refused, logged (no answers), nothing written."""
    log.warning(
        "review: refused %s in update %s from user %s",
        why,
        update.update_id,
        common.who(update, context),
    )
    _ = await context.gettext(update)
    await common.answer_query(update, _("This button is not valid."), alert=True)


async def _refuse_unlinked(update: Update, context: BotContext) -> None:
    """A press from someone who is not a linked employee: refused, logged."""
    log.warning(
        "review: refused a press from a user who is not a linked employee "
        "in update %s from user %s",
        update.update_id,
        common.who(update, context),
    )
    _ = await context.gettext(update)
    await common.answer_query(
        update, _("Only linked employees can rate colleagues; see /nilai."), alert=True
    )


async def _refuse(update: Update, context: BotContext, refused: RatingRefused) -> None:
    """A press that came too late or out of order: a short notice, nothing written."""
    if refused.reason in (Refusal.INVALID, Refusal.NOT_ALLOWED):
        await _refuse_forged(update, context, f"a press with invalid data ({refused.reason})")
        return
    _ = await context.gettext(update)
    log.info("review: stale press (%s) in update %s", refused.reason.value, update.update_id)
    await common.answer_query(update, screens.refusal_text(refused.reason, _), alert=True)
    if refused.reason in (Refusal.CLOSED, Refusal.DEADLINE_PASSED):
        message = update.effective_message
        if message is not None:  # its buttons can never work again
            await common.remove_keyboard(context, message.chat_id, message.message_id)


async def _instrument_missing(update: Update, context: BotContext, exc: InstrumentError) -> None:
    log.error("review: the cycle's instrument cannot be loaded (%s)", exc)
    _ = await context.gettext(update)
    await common.answer_query(
        update,
        _("This review cannot be opened at the moment; please contact the BKPSDM admin."),
        alert=True,
    )


# -- review presses ------------------------------------------------------------------------

Action = Callable[[AsyncSession, ReviewAssignment, datetime, tzinfo], Awaitable[After]]


@dataclass(frozen=True)
class Pressed:
    """A review press checked against the stored review: written (``after``), or why not."""

    assignment: ReviewAssignment | None = None  # None: not the presser's (or no) review
    instrument: Instrument | None = None
    after: After = After.STEP
    answers: Answers = field(default_factory=dict)
    remaining: int = 0  # reviews still to do, after Submit
    refused: RatingRefused | None = None
    unlinked: bool = False
    examples: Examples = field(default_factory=dict)  # adopted in the cycle's version


async def _apply(context: BotContext, user_id: int, token: str, action: Action) -> Pressed:
    """Run ``action`` on the rater's review ``token`` in one transaction, if it may run.

    Raises `InstrumentError` when the cycle's instrument cannot be loaded.
    """
    now = context.clock.now()
    tz = context.settings.tz
    async with context.sessions.begin() as session:
        employee = await employee_by_telegram(session, user_id)
        if employee is None:
            return Pressed(unlinked=True)
        assignment = await ratings.assignment_for_rater(session, token, employee.id)
        if assignment is None:
            return Pressed()
        try:
            after = await action(session, assignment, now, tz)
        except RatingRefused as exc:
            return Pressed(assignment, steps.instrument_of(assignment), refused=exc)
        return await _written(session, assignment, after, now, tz)


async def _written(
    session: AsyncSession, assignment: ReviewAssignment, after: After, now: datetime, tz: tzinfo
) -> Pressed:
    """The review as the press left it, with what its next screen shows."""
    assignment = await ratings.reload(session, assignment.id)
    answers = await ratings.answers_of(session, assignment.id)
    remaining = 0
    if after is After.DONE:
        reviews = await ratings.rater_reviews(session, assignment.rater_id, now=now, tz=tz)
        remaining = sum(1 for a in reviews if a.status != SUBMITTED)
    instrument = steps.instrument_of(assignment)
    examples = await _examples(session, assignment, instrument)
    return Pressed(assignment, instrument, after, answers, remaining, examples=examples)


async def _examples(
    session: AsyncSession, assignment: ReviewAssignment, instrument: Instrument
) -> Examples:
    """The examples adopted in the cycle's instrument version (none if it cannot be read)."""
    try:
        return await examples_of(session, instrument, assignment.cycle.instrument_version)
    except InstrumentError:
        return {}


async def _press(update: Update, context: BotContext, action: Action) -> None:
    """Check a review press against the stored review, run ``action``, show the result.

    ``action`` raises `RatingRefused` when the review is not where the button
    says (double tap, redelivery, stale button) or the cycle takes no changes.
    """
    token = context.match.group("token") if context.match else ""
    try:
        pressed = await _apply(context, update.effective_user.id, token, action)
    except InstrumentError as exc:
        await _instrument_missing(update, context, exc)
        return
    if pressed.unlinked:
        await _refuse_unlinked(update, context)
    elif pressed.assignment is None or pressed.instrument is None:
        await _refuse_forged(update, context, "a press naming an assignment not assigned to them")
    elif pressed.refused is not None:
        await _refuse(update, context, pressed.refused)
    else:
        await common.answer_query(update)
        await _show_pressed(update, context, pressed)


async def _show_pressed(update: Update, context: BotContext, pressed: Pressed) -> None:
    """Edit the pressed message into what the press led to; it shows the review from now on."""
    assignment, instrument = pressed.assignment, pressed.instrument
    assert assignment is not None and instrument is not None
    language = await context.language(update)
    _ = gettext_for(language)
    text, markup = screens.after_press(
        pressed.after,
        assignment,
        instrument,
        pressed.answers,
        pressed.remaining,
        _,
        language,
        examples=pressed.examples,
    )
    shown = await common.edit_or_send(update, clip(text), markup, edit=True)
    # Done and paused reviews are off the screen (storage cleared message_id);
    # a submitted review that is only being looked at takes no typed input.
    if assignment.status == IN_PROGRESS and pressed.after is not After.PAUSED:
        await _activate(context, assignment, update.effective_chat.id, shown.message_id)


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
    """``rv:<token>:open``: stores the review as started (at its first item) and asks
    where the rater is; a submitted review is only shown."""
    token = context.match.group("token") if context.match else ""
    if await calibration.offered(update, context, token):
        return  # the rater's first review of the cycle: the calibration comes first

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        refusal = steps.cycle_refusal(assignment.cycle, now, tz)
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
    """``rv:<token>:a:<item>:<value>``: stores one core value's answer (or cannot assess)
    and asks the next item (after the last: hasil kerja or the first comment)."""
    item = context.match.group("item")
    raw = context.match.group("value")
    value = None if raw == screens.CANNOT_ASSESS_VALUE else int(raw)
    await _step(update, context, ratings.record_answer, item, value)


async def answer_hasil(update: Update, context: BotContext) -> None:
    """``rv:<token>:h:<value>``: stores the supervisor's hasil kerja rating and asks for
    the first comment."""
    value = int(context.match.group("value"))
    await _step(update, context, ratings.record_hasil_kerja, value)


async def skip_comment(update: Update, context: BotContext) -> None:
    """``rv:<token>:s:<keep|improve>``: keeps the comment as it is (none, or the one typed
    earlier) and asks the next step."""
    step = context.match.group("step")
    await _step(update, context, ratings.skip_comment, step)


async def clear_comment(update: Update, context: BotContext) -> None:
    """``rv:<token>:d:<keep|improve>``: deletes the comment typed earlier and asks the
    next step."""
    step = context.match.group("step")
    await _step(update, context, ratings.clear_comment, step)


async def go_back(update: Update, context: BotContext) -> None:
    """``rv:<token>:b:<step>``: moves from that step to the one before and asks it again,
    its stored answer marked."""
    step = context.match.group("step")

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        await ratings.go_back(session, assignment, step, now=now, tz=tz)
        await nudges.settle(session, assignment)  # leaving a nudge answers it
        return After.STEP

    await _press(update, context, action)


async def change_answers(update: Update, context: BotContext) -> None:
    """``rv:<token>:e``: from the confirmation back to the first item, or reopens a
    submitted review (a draft again, not counted) at its first item."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        if assignment.status == SUBMITTED:
            await ratings.reopen(session, assignment, now=now, tz=tz)
            return After.REOPENED
        await ratings.change_answers(session, assignment, now=now, tz=tz)
        await nudges.settle(session, assignment)  # a nudge answered by changing
        return After.STEP

    await _press(update, context, action)


async def cancel_review(update: Update, context: BotContext) -> None:
    """``rv:<token>:x``: stops for now; the draft stays as it is, and Continue is offered."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        await ratings.pause(session, assignment, now=now, tz=tz)
        return After.PAUSED

    await _press(update, context, action)


async def _submit_unless_nudged(
    session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
) -> After:
    """Submit, unless a bias nudge not asked before is due: then ask it (and stay)."""
    refusal = steps.cycle_refusal(assignment.cycle, now, tz)
    if refusal is not None:
        raise RatingRefused(refusal)
    if await nudges.prepare_submit(session, assignment, steps.instrument_of(assignment)):
        return After.STEP
    await ratings.submit(session, assignment, now=now, tz=tz)
    return After.DONE


async def submit_review(update: Update, context: BotContext) -> None:
    """``rv:<token>:ok`` at the confirmation: stores the review as submitted; thanks, and
    says how many reviews are left. When a bias nudge is due and was not asked before
    (`storage.review_nudges`), asks "are you sure?" instead and submits nothing."""
    await _press(update, context, _submit_unless_nudged)


async def submit_anyway(update: Update, context: BotContext) -> None:
    """``rv:<token>:oks`` under a nudge: the nudge counts as asked, the review is submitted.
    Without a pending nudge (forged, or pressed twice) it is an ordinary Submit."""

    async def action(
        session: AsyncSession, assignment: ReviewAssignment, now: datetime, tz: tzinfo
    ) -> After:
        refusal = steps.cycle_refusal(assignment.cycle, now, tz)
        if refusal is not None:
            raise RatingRefused(refusal)
        if not await nudges.settle(session, assignment):
            return await _submit_unless_nudged(session, assignment, now, tz)
        await ratings.submit(session, assignment, now=now, tz=tz)
        return After.DONE

    await _press(update, context, action)


async def malformed_press(update: Update, context: BotContext) -> None:
    """Any ``rv:`` data that none of the exact patterns accepted."""
    await _refuse_forged(update, context, "malformed review callback data")


# -- typed input during a review ------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """A message typed while a review is on the rater's screen, and what became of it."""

    review: ReviewAssignment  # as stored after the message
    instrument: Instrument
    answers: Answers
    step: str  # the step the message was typed at
    stored: str | None = None  # the comment as stored (cleaned, masked)
    too_long: int = 0  # the length of a comment over the limit
    examples: Examples = field(default_factory=dict)


async def _review_on_screen(
    session: AsyncSession, context: BotContext, update: Update, now: datetime
) -> ReviewAssignment | None:
    """The review this person's typed text is for: their active review, unless they
    used a citizen survey more recently (then the text is the survey's)."""
    employee = await employee_by_telegram(session, update.effective_user.id)
    if employee is None:
        return None
    active = await ratings.active_review(session, employee.id, now=now, tz=context.settings.tz)
    if active is None:
        return None
    touched = await survey.citizen_draft_touched_after(
        session,
        context.user_key(update),
        active.updated_at,
        now=now,
        ttl_hours=context.settings.survey_draft_ttl_hours,
    )
    return None if touched else active


async def _take_typed(context: BotContext, update: Update, message: Message) -> Typed | bool:
    """Store ``message`` as the comment if the review is at a comment step.

    False: not for the review; True: a redelivered message, already answered.
    Raises `InstrumentError` when the cycle's instrument cannot be loaded.
    """
    now = context.clock.now()
    tz = context.settings.tz
    async with context.sessions.begin() as session:
        active = await _review_on_screen(session, context, update, now)
        if active is None:
            return False
        if active.message_id is not None and message.message_id < active.message_id:
            # Message ids in a private chat grow on both sides, so a message older
            # than the screen it would answer is a redelivered update (at-least-once),
            # already answered: a second comment step must not take it as its answer.
            log.info("review: ignored a typed message older than its screen")
            return True
        instrument = steps.instrument_of(active)
        step = steps.current_step(active, instrument)
        stored, too_long = None, 0
        if step in COMMENT_STEPS and message.text is not None:
            try:
                stored = await ratings.record_comment(
                    session, active, step, message.text, now=now, tz=tz
                )
            except RatingRefused as exc:
                too_long = exc.length if exc.reason is Refusal.TOO_LONG else 0
        active = await ratings.reload(session, active.id)
        answers = await ratings.answers_of(session, active.id)
        examples = await _examples(session, active, instrument)
        return Typed(active, instrument, answers, step, stored, too_long, examples)


async def handle_review_text(update: Update, context: BotContext) -> bool:
    """A message (not a command) from a rater in the middle of a review: consume it?

    For the shared text router, before the citizen survey. Returns True when
    this module answered the message: at a comment step it stores the comment
    (cleaned and masked) and asks the next step as a new message; any other
    input (text where a button is due, a sticker, photo, voice…) while a
    review is on the rater's screen gets a hint and the current step again.
    Returns False, touching nothing, for everyone else, and when the person
    used a citizen survey more recently than their review.
    """
    if not common.is_private_text(update):
        return False  # commands belong to their handlers
    message = update.message
    try:
        typed = await _take_typed(context, update, message)
    except InstrumentError as exc:
        log.error("review: the cycle's instrument cannot be loaded (%s)", exc)
        return False
    if isinstance(typed, bool):
        return typed
    language = await context.language(update)
    _ = gettext_for(language)
    text, markup = render(
        typed.review, typed.instrument, typed.answers, _, language, examples=typed.examples
    )
    masked = message.text is not None and typed.stored != clean_text(message.text)
    lead = screens.typed_lead(typed.step, message.text, typed.stored, masked, typed.too_long, _)
    # A new message: after the rater's own message the old one is out of sight.
    chat_id = update.effective_chat.id
    sent = await context.bot.send_message(chat_id, clip(f"{lead}\n\n{text}"), reply_markup=markup)
    await _activate(context, typed.review, chat_id, sent.message_id)
    return True


HANDLERS: list[BaseHandler] = [
    CallbackQueryHandler(open_review, pattern=screens.PATTERN_OPEN),
    CallbackQueryHandler(answer_item, pattern=screens.PATTERN_ANSWER),
    CallbackQueryHandler(answer_hasil, pattern=screens.PATTERN_HASIL),
    CallbackQueryHandler(skip_comment, pattern=screens.PATTERN_SKIP),
    CallbackQueryHandler(clear_comment, pattern=screens.PATTERN_CLEAR),
    CallbackQueryHandler(go_back, pattern=screens.PATTERN_BACK),
    CallbackQueryHandler(change_answers, pattern=screens.PATTERN_CHANGE),
    CallbackQueryHandler(cancel_review, pattern=screens.PATTERN_CANCEL),
    CallbackQueryHandler(submit_review, pattern=screens.PATTERN_SUBMIT),
    CallbackQueryHandler(submit_anyway, pattern=screens.PATTERN_SUBMIT_ANYWAY),
    # Also rv: data that handlers/review_list.py (registered before) did not accept.
    CallbackQueryHandler(malformed_press, pattern=screens.PATTERN_ANY),
]
