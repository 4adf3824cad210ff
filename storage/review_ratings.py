"""Queries of the 360° rating conversation: a rater's reviews, answer by answer.

The database says where a rater is. A `ReviewAssignment` moves through the
steps of `steps_for` (the instrument's items, ``hasil`` for a direct
supervisor, the two comments, ``confirm``) while it is ``in_progress``; every
write is one conditional ``UPDATE … WHERE id = … AND status = … AND step =
<the step answered> AND the cycle is still open``, so a double tap, a
redelivered update, a stale button or a press after the deadline can never
write twice, write into the wrong step or change a closed cycle: the statement
matches no row and the caller gets a typed `RatingRefused`.

Rules:

- Only the rater's own assignments are reachable: `assignment_for_rater`
  returns None for a token that names someone else's (or no) assignment.
- A cycle takes changes while its status is ``open`` and today, in the
  deployment's time zone, is on or before its deadline. After that nothing
  changes (`Refusal.CLOSED`, `Refusal.DEADLINE_PASSED`).
- Answers are upserts on (assignment, item), so writing one twice is harmless;
  ``None`` is "cannot assess" (no score).
- Hasil kerja is recorded only when the rater is the ratee's direct supervisor.
- Comments are cleaned and masked (`storage.masking`) before they are stored;
  the raw text is never written.
- A submitted review can be reopened for changes until the deadline; it is a
  draft again (not counted) until it is submitted again.

The steps and the refusals are `storage.review_steps` (importable from here
too, ``__all__``). Nothing here commits; the caller owns the transaction. The clock and the time
zone are parameters (``now`` is timezone-aware UTC) so tests can move time.
Statements run unchanged on SQLite and PostgreSQL (the upsert picks the
dialect's ``ON CONFLICT`` form).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.clock import local_day
from scheduler.scoring.review_instrument import EXPECTATION_SCALE, Instrument
from storage.db import dialect_insert
from storage.masking import clean_text, mask_personal_data
from storage.review_models import (
    IN_PROGRESS,
    OPEN,
    PENDING,
    SUBMITTED,
    SUPERVISOR,
    ReviewAnswer,
    ReviewAssignment,
    ReviewCycle,
)
from storage.review_steps import (
    COMMENT_MAX_CHARS,
    COMMENT_STEPS,
    CONFIRM,
    HASIL,
    IMPROVE,
    KEEP,
    RatingRefused,
    Refusal,
    current_step,
    cycle_refusal,
    instrument_of,
    next_step,
    previous_step,
    steps_for,
)


def _open_cycle_ids(now: datetime, tz: tzinfo) -> Select[Any]:
    return select(ReviewCycle.id).where(
        ReviewCycle.status == OPEN, ReviewCycle.deadline >= local_day(now, tz)
    )


def _loaded(statement: Select[Any]) -> Select[Any]:
    return statement.options(
        selectinload(ReviewAssignment.cycle), selectinload(ReviewAssignment.ratee)
    )


# -- reading -------------------------------------------------------------------------


async def rater_reviews(
    session: AsyncSession, rater_id: int, *, now: datetime, tz: tzinfo
) -> list[ReviewAssignment]:
    """The rater's reviews in open cycles: to do (pending, in progress) and changeable.

    Submitted reviews are listed too while the cycle is open, because they can
    still be changed. Order: to do first, then by deadline and cycle, the
    self-assessment first, then the colleague's name.
    """
    rows = await session.scalars(
        _loaded(
            select(ReviewAssignment).where(
                ReviewAssignment.rater_id == rater_id,
                ReviewAssignment.cycle_id.in_(_open_cycle_ids(now, tz)),
            )
        )
    )
    order = {"self": 0, SUPERVISOR: 1, "peer": 2, "subordinate": 3}
    return sorted(
        rows,
        key=lambda a: (
            a.status == SUBMITTED,
            a.cycle.deadline,
            a.cycle.id,
            order.get(a.relation, 9),
            a.ratee.name.casefold(),
            a.id,
        ),
    )


async def assignment_for_rater(
    session: AsyncSession, token: str, rater_id: int
) -> ReviewAssignment | None:
    """The assignment named by ``token`` if this rater is its rater, else None.

    A token of someone else's assignment and an unknown token look the same to
    the caller (who refuses and logs), so a forged press learns nothing.
    """
    return await session.scalar(
        _loaded(
            select(ReviewAssignment).where(
                ReviewAssignment.token == token, ReviewAssignment.rater_id == rater_id
            )
        )
    )


async def reload(session: AsyncSession, assignment_id: int) -> ReviewAssignment:
    """The assignment as stored now, with cycle and ratee loaded."""
    assignment = await session.scalar(
        _loaded(
            select(ReviewAssignment).where(ReviewAssignment.id == assignment_id)
        ).execution_options(populate_existing=True)
    )
    if assignment is None:
        raise LookupError(f"review assignment {assignment_id} does not exist")
    return assignment


async def answers_of(session: AsyncSession, assignment_id: int) -> dict[str, int | None]:
    """Item code → stored value (None: cannot assess); unanswered items are absent."""
    rows = await session.execute(
        select(ReviewAnswer.item_code, ReviewAnswer.value).where(
            ReviewAnswer.assignment_id == assignment_id
        )
    )
    return {code: value for code, value in rows}


async def active_review(
    session: AsyncSession, rater_id: int, *, now: datetime, tz: tzinfo
) -> ReviewAssignment | None:
    """The review on the rater's screen: in progress, shown in a message, cycle open.

    "On screen" is ``message_id`` set: `activate` sets it, `pause` (Batal) and
    `submit` clear it. If several qualify (an old message pressed), the most
    recently touched wins.
    """
    return await session.scalar(
        _loaded(
            select(ReviewAssignment)
            .where(
                ReviewAssignment.rater_id == rater_id,
                ReviewAssignment.status == IN_PROGRESS,
                ReviewAssignment.message_id.is_not(None),
                ReviewAssignment.cycle_id.in_(_open_cycle_ids(now, tz)),
            )
            .order_by(ReviewAssignment.updated_at.desc(), ReviewAssignment.id.desc())
            .limit(1)
        )
    )


# -- writing -------------------------------------------------------------------------


async def _refusal_now(
    session: AsyncSession, assignment_id: int, now: datetime, tz: tzinfo
) -> Refusal:
    """Why a conditional write matched no row: read the fresh state and name it."""
    fresh = await reload(session, assignment_id)
    closed = cycle_refusal(fresh.cycle, now, tz)
    if closed is not None:
        return closed
    if fresh.status == SUBMITTED:
        return Refusal.SUBMITTED
    return Refusal.STALE


async def _move(
    session: AsyncSession,
    assignment: ReviewAssignment,
    *,
    from_status: str,
    at_step: str | None,
    now: datetime,
    tz: tzinfo,
    values: dict[str, Any],
) -> None:
    """Write ``values`` only if the review is still where the caller saw it.

    The cycle's state is part of the WHERE clause, so a close (or the
    deadline) between reading and writing still wins. Raises `RatingRefused`
    naming the reason when no row matched.
    """
    statement = update(ReviewAssignment).where(
        ReviewAssignment.id == assignment.id,
        ReviewAssignment.status == from_status,
        ReviewAssignment.cycle_id.in_(_open_cycle_ids(now, tz)),
    )
    if at_step is not None:
        statement = statement.where(ReviewAssignment.step == at_step)
    result = await session.execute(
        statement.values(updated_at=now, **values).execution_options(synchronize_session=False)
    )
    if int(result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        raise RatingRefused(await _refusal_now(session, assignment.id, now, tz))


def _check_open(assignment: ReviewAssignment, now: datetime, tz: tzinfo) -> Instrument:
    """Refuse early (with the reason) when the cycle takes no changes; the instrument."""
    refusal = cycle_refusal(assignment.cycle, now, tz)
    if refusal is not None:
        raise RatingRefused(refusal)
    return instrument_of(assignment)


async def _upsert_answer(
    session: AsyncSession, assignment_id: int, item_code: str, value: int | None, now: datetime
) -> None:
    """Insert or replace one answer (unique on assignment and item) in one statement."""
    statement = dialect_insert(session, ReviewAnswer).values(
        assignment_id=assignment_id, item_code=item_code, value=value, answered_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[ReviewAnswer.assignment_id, ReviewAnswer.item_code],
        set_={"value": statement.excluded.value, "answered_at": statement.excluded.answered_at},
    )
    await session.execute(statement)


async def begin(
    session: AsyncSession, assignment: ReviewAssignment, *, now: datetime, tz: tzinfo
) -> None:
    """Open a review: a pending one starts at the first item; a draft stays where it is.

    A draft whose step is not a step of its instrument (never set) is put at
    the first item. A submitted review is left alone: `reopen` changes it.
    """
    instrument = _check_open(assignment, now, tz)
    first = steps_for(instrument, assignment.relation)[0]
    if assignment.status == PENDING:
        await _move(
            session,
            assignment,
            from_status=PENDING,
            at_step=None,
            now=now,
            tz=tz,
            values={"status": IN_PROGRESS, "step": first},
        )
    elif assignment.status == IN_PROGRESS and assignment.step != current_step(
        assignment, instrument
    ):
        await _move(
            session,
            assignment,
            from_status=IN_PROGRESS,
            at_step=assignment.step,
            now=now,
            tz=tz,
            values={"step": first},
        )


async def record_answer(
    session: AsyncSession,
    assignment: ReviewAssignment,
    item_code: str,
    value: int | None,
    *,
    now: datetime,
    tz: tzinfo,
) -> None:
    """Store the answer to the current item (None: cannot assess) and move on.

    Refused unless the review is in progress at exactly this item and the
    value is on the instrument's scale.
    """
    instrument = _check_open(assignment, now, tz)
    if item_code not in instrument.item_codes:
        raise RatingRefused(Refusal.INVALID)
    if value is not None and value not in instrument.scale:
        raise RatingRefused(Refusal.INVALID)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=item_code,
        now=now,
        tz=tz,
        values={"step": next_step(instrument, assignment.relation, item_code)},
    )
    await _upsert_answer(session, assignment.id, item_code, value, now)


async def record_hasil_kerja(
    session: AsyncSession, assignment: ReviewAssignment, value: int, *, now: datetime, tz: tzinfo
) -> None:
    """The direct supervisor's work-results rating on the three expectation levels."""
    instrument = _check_open(assignment, now, tz)
    if assignment.relation != SUPERVISOR:
        raise RatingRefused(Refusal.NOT_ALLOWED)
    if value not in EXPECTATION_SCALE:
        raise RatingRefused(Refusal.INVALID)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=HASIL,
        now=now,
        tz=tz,
        values={"hasil_kerja": value, "step": next_step(instrument, assignment.relation, HASIL)},
    )


def _comment_column(step: str) -> str:
    if step not in COMMENT_STEPS:
        raise RatingRefused(Refusal.INVALID)
    return "comment_keep" if step == KEEP else "comment_improve"


async def record_comment(
    session: AsyncSession,
    assignment: ReviewAssignment,
    step: str,
    text: str,
    *,
    now: datetime,
    tz: tzinfo,
) -> str:
    """Store a typed comment cleaned and masked (never the raw text); the stored text.

    The length limit applies to the cleaned text as typed, so the rater is
    told a length they can check.
    """
    instrument = _check_open(assignment, now, tz)
    column = _comment_column(step)
    cleaned = clean_text(text)
    if not cleaned:
        raise RatingRefused(Refusal.EMPTY)
    if len(cleaned) > COMMENT_MAX_CHARS:
        raise RatingRefused(Refusal.TOO_LONG, length=len(cleaned))
    stored = mask_personal_data(cleaned)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=step,
        now=now,
        tz=tz,
        values={column: stored, "step": next_step(instrument, assignment.relation, step)},
    )
    return stored


async def skip_comment(
    session: AsyncSession, assignment: ReviewAssignment, step: str, *, now: datetime, tz: tzinfo
) -> None:
    """Leave a comment step; a comment typed earlier (before going back) is kept."""
    instrument = _check_open(assignment, now, tz)
    _comment_column(step)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=step,
        now=now,
        tz=tz,
        values={"step": next_step(instrument, assignment.relation, step)},
    )


async def clear_comment(
    session: AsyncSession, assignment: ReviewAssignment, step: str, *, now: datetime, tz: tzinfo
) -> None:
    """Remove the comment of this step and move on (the rater changed their mind)."""
    instrument = _check_open(assignment, now, tz)
    column = _comment_column(step)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=step,
        now=now,
        tz=tz,
        values={column: None, "step": next_step(instrument, assignment.relation, step)},
    )


async def go_back(
    session: AsyncSession,
    assignment: ReviewAssignment,
    from_step: str,
    *,
    now: datetime,
    tz: tzinfo,
) -> None:
    """From ``from_step`` to the step before it (answers stay stored until replaced)."""
    instrument = _check_open(assignment, now, tz)
    previous = previous_step(instrument, assignment.relation, from_step)
    if previous is None:
        raise RatingRefused(Refusal.INVALID)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=from_step,
        now=now,
        tz=tz,
        values={"step": previous},
    )


async def change_answers(
    session: AsyncSession, assignment: ReviewAssignment, *, now: datetime, tz: tzinfo
) -> None:
    """From the confirmation back to the first item, every answer kept and shown."""
    instrument = _check_open(assignment, now, tz)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=CONFIRM,
        now=now,
        tz=tz,
        values={"step": steps_for(instrument, assignment.relation)[0]},
    )


async def reopen(
    session: AsyncSession, assignment: ReviewAssignment, *, now: datetime, tz: tzinfo
) -> None:
    """Make a submitted review a draft again, at the first item, until the deadline.

    It no longer counts until it is submitted again (``submitted_at`` is
    cleared with the status, so the two always agree).
    """
    instrument = _check_open(assignment, now, tz)
    await _move(
        session,
        assignment,
        from_status=SUBMITTED,
        at_step=None,
        now=now,
        tz=tz,
        values={
            "status": IN_PROGRESS,
            "submitted_at": None,
            "step": steps_for(instrument, assignment.relation)[0],
        },
    )


async def submit(
    session: AsyncSession, assignment: ReviewAssignment, *, now: datetime, tz: tzinfo
) -> None:
    """Submit from the confirmation step once every item (and hasil kerja) is answered."""
    instrument = _check_open(assignment, now, tz)
    fresh = await reload(session, assignment.id)
    if fresh.status == IN_PROGRESS and fresh.step == CONFIRM:
        answered = await answers_of(session, assignment.id)
        missing = [code for code in instrument.item_codes if code not in answered]
        if missing or (fresh.relation == SUPERVISOR and fresh.hasil_kerja is None):
            raise RatingRefused(Refusal.INCOMPLETE)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=CONFIRM,
        now=now,
        tz=tz,
        values={"status": SUBMITTED, "submitted_at": now, "message_id": None},
    )


async def pause(
    session: AsyncSession, assignment: ReviewAssignment, *, now: datetime, tz: tzinfo
) -> None:
    """Batal: the draft stays as it is, but it is no longer on screen (typed text passes by)."""
    _check_open(assignment, now, tz)
    await _move(
        session,
        assignment,
        from_status=IN_PROGRESS,
        at_step=None,
        now=now,
        tz=tz,
        values={"message_id": None},
    )


async def activate(
    session: AsyncSession, assignment: ReviewAssignment, message_id: int, *, now: datetime
) -> list[int]:
    """Show this review in ``message_id``; other reviews of the rater leave the screen.

    Returns the messages that showed a review before (other than this one), so
    the caller can take their buttons away. Bookkeeping only: no answer changes.
    """
    others = await session.scalars(
        select(ReviewAssignment.message_id).where(
            ReviewAssignment.rater_id == assignment.rater_id,
            ReviewAssignment.message_id.is_not(None),
        )
    )
    released = sorted({int(m) for m in others if m is not None and m != message_id})
    await session.execute(
        update(ReviewAssignment)
        .where(
            ReviewAssignment.rater_id == assignment.rater_id,
            ReviewAssignment.id != assignment.id,
            ReviewAssignment.message_id.is_not(None),
        )
        .values(message_id=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ReviewAssignment)
        .where(ReviewAssignment.id == assignment.id)
        .values(message_id=message_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return released


__all__ = [
    "COMMENT_MAX_CHARS",
    "COMMENT_STEPS",
    "CONFIRM",
    "HASIL",
    "IMPROVE",
    "KEEP",
    "RatingRefused",
    "Refusal",
    "activate",
    "active_review",
    "answers_of",
    "assignment_for_rater",
    "begin",
    "change_answers",
    "clear_comment",
    "current_step",
    "cycle_refusal",
    "go_back",
    "instrument_of",
    "next_step",
    "pause",
    "previous_step",
    "rater_reviews",
    "record_answer",
    "record_comment",
    "record_hasil_kerja",
    "reload",
    "reopen",
    "skip_comment",
    "steps_for",
    "submit",
]
