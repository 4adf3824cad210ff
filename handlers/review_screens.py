"""What the 360° review shows: pure functions from a review to text and buttons.

The step callbacks in ``handlers/review.py`` decide what happened; this module
only draws it. `render` is a short dispatcher over one screen per kind of step
(an item of the instrument, hasil kerja, a comment, the confirmation) or the
submitted review; `after_press` adds what a press leads to (thanks after
Submit, the kept draft after Cancel, "continuing" or "reopened" leads);
Nothing here reads the database or talks to Telegram (the rater's list of
reviews is drawn in ``handlers/review_list.py``).

The callback data the buttons carry is defined here too, next to the buttons,
with the exact patterns the step callbacks are registered under. It is user
input: the patterns only say what is well-formed, `storage.review_ratings`
checks it against the stored review.
"""

from __future__ import annotations

from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.core.clock import format_day
from bot.core.i18n import Translate
from scheduler.scoring.instrument_examples import Examples
from scheduler.scoring.rating_nudges import Nudge
from scheduler.scoring.review_instrument import EXPECTATION_SCALE, Instrument, Scale
from storage import review_steps as steps
from storage.review_models import (
    PEER,
    SELF,
    SUBMITTED,
    SUBORDINATE,
    SUPERVISOR,
    ReviewAssignment,
)
from storage.review_nudges import codes
from storage.review_steps import COMMENT_MAX_CHARS, COMMENT_STEPS, CONFIRM, HASIL, KEEP, Refusal

Screen = tuple[str, InlineKeyboardMarkup]
Answers = dict[str, int | None]

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
SUBMIT_ANYWAY = "oks"  # "Yes, submit" under a bias nudge (storage.review_nudges)
CANNOT_ASSESS_VALUE = "n"

_TOKEN = r"(?P<token>[A-Za-z0-9_-]{1,16})"
_STEP = r"(?P<step>[A-Za-z0-9_-]{1,16})"
_COMMENT = r"(?P<step>keep|improve)"
PATTERN_LIST = f"^{LIST}$"
PATTERN_LIST_HERE = f"^{LIST_HERE}$"
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
PATTERN_SUBMIT_ANYWAY = rf"^{REVIEW}:{_TOKEN}:{SUBMIT_ANYWAY}$"
PATTERN_ANY = rf"^{REVIEW}:"

CHECK = " ✓"  # marks the answer stored earlier when the rater comes back to a step


def data(token: str, *parts: str) -> str:
    return ":".join((REVIEW, token, *parts))


class After(StrEnum):
    """What the message shows after a successful press."""

    STEP = "step"  # the review's current step
    CONTINUED = "continued"  # the current step, with "continuing your draft"
    REOPENED = "reopened"  # the first item, with "reopened for changes"
    DONE = "done"  # the thank-you after Submit
    PAUSED = "paused"  # the draft is kept (Cancel)


# -- parts of every review screen ---------------------------------------------------------


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


def _deadline(assignment: ReviewAssignment, language: str) -> str:
    return format_day(assignment.cycle.deadline, language)


def _header(assignment: ReviewAssignment, _: Translate, language: str) -> str:
    return "\n".join(
        [
            _("360° review “{cycle}”, until {deadline}").format(
                cycle=assignment.cycle.name, deadline=_deadline(assignment, language)
            ),
            _("Rating: {who}").format(who=_who(assignment, _)),
        ]
    )


def _marked(label: str, chosen: bool) -> str:
    return label + CHECK if chosen else label


def _button(label: str, token: str, *parts: str) -> list[InlineKeyboardButton]:
    """A row of one button that presses ``rv:<token>:<parts…>``."""
    return [InlineKeyboardButton(label, callback_data=data(token, *parts))]


def _nav(
    assignment: ReviewAssignment, instrument: Instrument, step: str, _: Translate
) -> list[InlineKeyboardButton]:
    row = []
    if steps.previous_step(instrument, assignment.relation, step) is not None:
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


def clip(text: str) -> str:
    """At most one Telegram message."""
    limit = MessageLimit.MAX_TEXT_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the review message, step by step -------------------------------------------------------


def render(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    _: Translate,
    language: str,
    *,
    examples: Examples | None = None,
) -> Screen:
    """The review message for the assignment's current step (``examples``: those adopted in
    the cycle's instrument version, shown under their indicators)."""
    if assignment.status == SUBMITTED:
        return _submitted_screen(assignment, instrument, answers, _, language)
    step = steps.current_step(assignment, instrument)
    if step in instrument.item_codes:
        return _item_screen(assignment, instrument, answers, step, _, language, examples or {})
    if step == HASIL:
        return _hasil_screen(assignment, instrument, _, language)
    if step in COMMENT_STEPS:
        return _comment_screen(assignment, instrument, step, _, language)
    if assignment.nudge_pending:
        return _nudge_screen(assignment, instrument, answers, _, language)
    return _confirm_screen(assignment, instrument, answers, _, language)


def _item_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    step: str,
    _: Translate,
    language: str,
    examples: Examples,
) -> Screen:
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
        for n, indicator in enumerate(item.indicators):
            parts.append(f"• {_(indicator)}")
            parts += [
                "   " + _("Example agreed in our consultation: {text}").format(text=example)
                for example in examples.get((item.code, n), ())
            ]
    parts += ["", _(instrument.question_for(assignment.relation))]
    rows = _item_rows(assignment, instrument, answers, step, _)
    rows.append(_nav(assignment, instrument, step, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _item_rows(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    step: str,
    _: Translate,
) -> list[list[InlineKeyboardButton]]:
    """A button per level of the scale, then "cannot assess"; the stored answer marked."""
    answered = step in answers
    stored = answers.get(step)
    token = assignment.token
    rows = [
        _button(
            _marked(_(level.label), answered and stored == level.value),
            token,
            ANSWER,
            step,
            str(level.value),
        )
        for level in instrument.scale.levels
    ]
    cannot_assess = _value_label(instrument.scale, None, _)
    marked = _marked(cannot_assess, answered and stored is None)
    rows.append(_button(marked, token, ANSWER, step, CANNOT_ASSESS_VALUE))
    return rows


def _hasil_screen(
    assignment: ReviewAssignment, instrument: Instrument, _: Translate, language: str
) -> Screen:
    parts = [
        _header(assignment, _, language),
        "",
        _("Work results (hasil kerja)"),
        _(instrument.questions.hasil_kerja),
    ]
    rows = [
        _button(
            _marked(_(level.label), assignment.hasil_kerja == level.value),
            assignment.token,
            HASIL_ANSWER,
            str(level.value),
        )
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
) -> Screen:
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
            _button(_("Keep it and continue"), token, SKIP, step),
            _button(_("Delete this comment"), token, CLEAR, step),
        ]
    else:
        rows = [_button(_("Skip"), token, SKIP, step)]
    rows.append(_nav(assignment, instrument, step, _))
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _summary_lines(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
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
    answers: Answers,
    _: Translate,
    language: str,
) -> Screen:
    parts = [
        _header(assignment, _, language),
        "",
        _("Please check your answers:"),
        *_summary_lines(assignment, instrument, answers, _),
        "",
        _("Submit this review? You can still change it until {deadline}.").format(
            deadline=_deadline(assignment, language)
        ),
    ]
    token = assignment.token
    rows = [
        _button(_("Submit"), token, SUBMIT),
        _button(_("Change answers"), token, CHANGE),
        _nav(assignment, instrument, CONFIRM, _),
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _nudge_lines(
    assignment: ReviewAssignment, instrument: Instrument, answers: Answers, _: Translate
) -> list[str]:
    """The "are you sure?" of each pending nudge (`scheduler.scoring.rating_nudges`)."""
    pending = codes(assignment.nudge_pending)
    lines: list[str] = []
    if Nudge.ALL_TOP in pending:
        top = _(instrument.scale.label(instrument.scale.highest))
        lines += [
            _('"{top}" for everyone, on everything — are you sure?').format(top=top),
            _(
                'You have given every colleague you rate "{top}" on every core value. That '
                "is possible, but it tells them and their supervisors little about what to "
                "keep and what to improve."
            ).format(top=top),
        ]
    elif Nudge.SAME in pending:
        value = answers.get(instrument.item_codes[0])
        level = _(instrument.scale.label(value)) if value is not None else ""
        lines += [
            _("All answers are the same — are you sure?"),
            _(
                'You gave the same level, "{level}", on every core value. Few people show '
                "every value equally; a different level where you saw a difference makes "
                "the feedback more useful."
            ).format(level=level),
        ]
    lines.append(_("If this is what you saw, submit it as it is. This question comes only once."))
    return lines


def _nudge_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    _: Translate,
    language: str,
) -> Screen:
    """A bias nudge at the confirmation: the question, the answers, Submit anyway or change."""
    parts = [
        _header(assignment, _, language),
        "",
        *_nudge_lines(assignment, instrument, answers, _),
        "",
        *_summary_lines(assignment, instrument, answers, _),
    ]
    token = assignment.token
    rows = [
        _button(_("Yes, submit"), token, SUBMIT_ANYWAY),
        _button(_("Change answers"), token, CHANGE),
        _nav(assignment, instrument, CONFIRM, _),
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def _submitted_screen(
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    _: Translate,
    language: str,
) -> Screen:
    parts = [
        _header(assignment, _, language),
        "",
        _("You have submitted this review. Your answers:"),
        *_summary_lines(assignment, instrument, answers, _),
        "",
        _(
            "You can change it until {deadline}. While you change it, it does not count "
            "until you submit it again."
        ).format(deadline=_deadline(assignment, language)),
    ]
    rows = [
        _button(_("Change answers"), assignment.token, CHANGE),
        [InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)],
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


# -- after a press ------------------------------------------------------------------------------


def after_press(
    after: After,
    assignment: ReviewAssignment,
    instrument: Instrument,
    answers: Answers,
    remaining: int,
    _: Translate,
    language: str,
    *,
    examples: Examples | None = None,
) -> Screen:
    """What the pressed message shows once the press is stored."""
    if after is After.DONE:
        return render_done(assignment, remaining, _, language)
    if after is After.PAUSED:
        return render_paused(assignment, _, language)
    text, markup = render(assignment, instrument, answers, _, language, examples=examples)
    if after is After.CONTINUED:
        text = _("Continuing your draft: your earlier answers are kept.") + "\n\n" + text
    elif after is After.REOPENED:
        lead = _(
            "Reopened for changes. Until you submit it again it does not count; please "
            "submit it again by {deadline}."
        ).format(deadline=_deadline(assignment, language))
        text = f"{lead}\n\n{text}"
    return text, markup


def render_done(
    assignment: ReviewAssignment, remaining: int, _: Translate, language: str
) -> Screen:
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
            deadline=_deadline(assignment, language)
        ),
    ]
    if remaining:
        parts.append(_("Reviews still waiting for you: {count}.").format(count=remaining))
        button = InlineKeyboardButton(_("Rate the next colleague"), callback_data=LIST_HERE)
    else:
        parts.append(_("You have completed all your reviews. Thank you for your time."))
        button = InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)
    return "\n\n".join(parts), InlineKeyboardMarkup([[button]])


def render_paused(assignment: ReviewAssignment, _: Translate, language: str) -> Screen:
    """After Cancel: the draft is kept; say so and offer to continue."""
    text = _(
        "Stopped for now. Your answers so far are kept as a draft and nothing has been "
        "submitted. You can continue at any time until {deadline}: press Continue, or "
        "use /nilai."
    ).format(deadline=_deadline(assignment, language))
    rows = [
        _button(_("Continue"), assignment.token, OPEN),
        [InlineKeyboardButton(_("My reviews"), callback_data=LIST_HERE)],
    ]
    return text, InlineKeyboardMarkup(rows)


def refusal_text(refusal: Refusal, _: Translate) -> str:
    """The short notice for a press that came too late or out of order."""
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
    return texts.get(refusal, _("This button is not valid."))


# -- typed input ---------------------------------------------------------------------------------


def typed_lead(
    step: str, typed: str | None, stored: str | None, masked: bool, too_long: int, _: Translate
) -> str:
    """What the bot says about a message typed during a review, above the step again."""
    if stored is not None:
        lead = _("Comment saved.")
        if masked:
            lead += " " + _("Personal data in it (NIK, phone number, e-mail) was hidden.")
        return lead
    if too_long:
        return _(
            "Your comment is {length} characters long; the limit is {limit}. Please shorten "
            "it and send it again. Your answers so far are kept."
        ).format(length=too_long, limit=COMMENT_MAX_CHARS)
    return hint(step, typed is not None, _)


def hint(step: str, is_text: bool, _: Translate) -> str:
    """What to do instead, for input that is not what the current step expects."""
    if step in COMMENT_STEPS:
        if is_text:
            return _("Please type your comment as text, or press Skip.")
        return _("Only text can be stored as a comment. Please type it, or press Skip.")
    if step == CONFIRM:
        return _("Please press Submit to send your review, or Change answers.")
    return _("Please answer with one of the buttons below.")
