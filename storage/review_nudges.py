"""Bias nudges at submit time, stored with the review so each is asked once.

`prepare_submit` runs when a rater presses Submit at the confirmation: it
finds the nudges due (`scheduler.scoring.rating_nudges`) that were not asked
before and stores them on the review as ``nudge_pending``; the screen then asks
"are you sure?" instead of submitting. `settle` moves the pending nudge to
``nudges_asked`` when the rater answers it ("Submit anyway" or "Change
answers"), so it is never asked again for that review, nor ``ALL_TOP`` again
for any review of that rater in the cycle. A nudge still pending is asked
again by any Submit press (a double tap on the old Submit never skips it).
Every write is conditional on the review still being where the caller saw it.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.scoring.rating_nudges import Nudge, nudges_due
from scheduler.scoring.review_instrument import Instrument
from storage.review_models import IN_PROGRESS, SELF, SUBMITTED, ReviewAssignment
from storage.review_ratings import answers_of, reload
from storage.review_steps import CONFIRM


def codes(text: str | None) -> frozenset[Nudge]:
    """The nudges named in a stored comma-separated text (unknown codes are ignored)."""
    known = {n.value for n in Nudge}
    return frozenset(Nudge(c) for c in (text or "").split(",") if c in known)


def _text(nudges: frozenset[Nudge]) -> str:
    return ",".join(sorted(n.value for n in nudges))


async def _colleague_reviews(
    session: AsyncSession, assignment: ReviewAssignment
) -> list[ReviewAssignment]:
    """The rater's other reviews of colleagues (not self) in the same cycle."""
    rows = await session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.cycle_id == assignment.cycle_id,
            ReviewAssignment.rater_id == assignment.rater_id,
            ReviewAssignment.relation != SELF,
            ReviewAssignment.id != assignment.id,
        )
    )
    return list(rows)


async def _due(
    session: AsyncSession, assignment: ReviewAssignment, instrument: Instrument
) -> frozenset[Nudge]:
    others = await _colleague_reviews(session, assignment)
    all_in = bool(others) and all(o.status == SUBMITTED for o in others)
    others_answers = [await answers_of(session, o.id) for o in others] if all_in else None
    due = nudges_due(
        instrument, assignment.relation, await answers_of(session, assignment.id), others_answers
    )
    due -= codes(assignment.nudges_asked)
    if Nudge.ALL_TOP in due and any(Nudge.ALL_TOP in codes(o.nudges_asked) for o in others):
        due -= {Nudge.ALL_TOP}
    return due


async def prepare_submit(
    session: AsyncSession, assignment: ReviewAssignment, instrument: Instrument
) -> frozenset[Nudge]:
    """The nudges to ask before this review is submitted (now pending), or none: submit."""
    fresh = await reload(session, assignment.id)
    if fresh.status != IN_PROGRESS or fresh.step != CONFIRM:
        return frozenset()  # not at the confirmation: the submit itself refuses
    if fresh.nudge_pending:
        return codes(fresh.nudge_pending)
    due = await _due(session, fresh, instrument)
    if due:
        await session.execute(
            update(ReviewAssignment)
            .where(
                ReviewAssignment.id == fresh.id,
                ReviewAssignment.status == IN_PROGRESS,
                ReviewAssignment.step == CONFIRM,
                ReviewAssignment.nudge_pending.is_(None),
            )
            .values(nudge_pending=_text(due))
            .execution_options(synchronize_session=False)
        )
    return due


async def settle(session: AsyncSession, assignment: ReviewAssignment) -> bool:
    """The rater answered the pending nudge: it counts as asked. False if none was pending."""
    fresh = await reload(session, assignment.id)
    pending = codes(fresh.nudge_pending)
    if not fresh.nudge_pending:
        return False
    result = await session.execute(
        update(ReviewAssignment)
        .where(
            ReviewAssignment.id == fresh.id,
            ReviewAssignment.nudge_pending == fresh.nudge_pending,
        )
        .values(nudge_pending=None, nudges_asked=_text(codes(fresh.nudges_asked) | pending))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]
