"""Where a rater is in a 360° review, and whether its cycle still takes changes.

A `ReviewAssignment` moves through `steps_for` its instrument and relation:
the instrument's items, ``hasil`` (the direct supervisor only), the two
comments, ``confirm``; ``ReviewAssignment.step`` holds one of them. A change
the database refuses comes back as `RatingRefused` with a `Refusal` the
handler turns into a short notice. `storage.review_ratings` makes the moves.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from enum import StrEnum

from bot.core.clock import local_day
from scheduler.scoring.review_instrument import Instrument
from scheduler.scoring.shipped_instruments import get_instrument
from storage.review_models import OPEN, SUPERVISOR, ReviewAssignment, ReviewCycle

# Steps after the items (ReviewAssignment.step holds an item code or one of these).
HASIL = "hasil"
KEEP = "keep"
IMPROVE = "improve"
CONFIRM = "confirm"
COMMENT_STEPS: tuple[str, ...] = (KEEP, IMPROVE)

# Longest comment accepted (after cleaning, before masking): a screen of text,
# and the confirmation message must still fit Telegram's 4096 characters.
COMMENT_MAX_CHARS = 1000


class Refusal(StrEnum):
    """Why a change was not made; the handler turns each into a short notice."""

    CLOSED = "closed"  # the cycle was closed
    DEADLINE_PASSED = "deadline_passed"  # the cycle is open but its deadline is over
    SUBMITTED = "submitted"  # the review is submitted; reopen it first
    STALE = "stale"  # the review is no longer at the step the press names
    NOT_ALLOWED = "not_allowed"  # e.g. hasil kerja from someone who is not the supervisor
    INVALID = "invalid"  # a value that is not on the scale, an unknown item
    EMPTY = "empty"  # a comment with nothing left after cleaning
    TOO_LONG = "too_long"  # a comment over COMMENT_MAX_CHARS
    INCOMPLETE = "incomplete"  # submit before every item is answered


class RatingRefused(Exception):
    """A change that cannot be made; ``reason`` says why (``length`` for TOO_LONG)."""

    def __init__(self, reason: Refusal, *, length: int = 0) -> None:
        self.reason = reason
        self.length = length
        super().__init__(reason.value)


def steps_for(instrument: Instrument, relation: str) -> tuple[str, ...]:
    """Every step of a review in order: items, hasil (supervisor only), comments, confirm."""
    hasil = (HASIL,) if relation == SUPERVISOR else ()
    return (*instrument.item_codes, *hasil, KEEP, IMPROVE, CONFIRM)


def instrument_of(assignment: ReviewAssignment) -> Instrument:
    """The cycle's instrument (raises `InstrumentError` for an unknown code)."""
    return get_instrument(assignment.cycle.instrument)


def current_step(assignment: ReviewAssignment, instrument: Instrument) -> str:
    """Where the rater is; a blank or unknown step (never started) is the first item."""
    steps = steps_for(instrument, assignment.relation)
    return assignment.step if assignment.step in steps else steps[0]


def previous_step(instrument: Instrument, relation: str, step: str) -> str | None:
    steps = steps_for(instrument, relation)
    if step not in steps:
        return None
    index = steps.index(step)
    return steps[index - 1] if index > 0 else None


def next_step(instrument: Instrument, relation: str, step: str) -> str:
    steps = steps_for(instrument, relation)
    return steps[steps.index(step) + 1]


def cycle_refusal(cycle: ReviewCycle, now: datetime, tz: tzinfo) -> Refusal | None:
    """Why the cycle takes no changes any more, or None while it is open."""
    if cycle.status != OPEN:
        return Refusal.CLOSED
    if local_day(now, tz) > cycle.deadline:
        return Refusal.DEADLINE_PASSED
    return None
