"""The supervisor's feedback cards as stored: who gets one, what goes on it, what was said.

Each function takes a session and never commits. A card is one subordinate's
for one performance period (``YYYY-MM``, `scheduler.scoring.performance_periods`),
unique per employee and period so a job that runs twice builds nothing twice.
Citizen figures leave here only as counts and sums (U6, U7) and up to three
comments, never a citizen's pseudonym, chat or response id; the caller shows
them only when n reaches ``FEEDBACK_MIN_CITIZENS``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from storage.crypto import new_token
from storage.models import AuditLog, Employee
from storage.outbox import insert_ignore
from storage.performance_models import (
    GIVEN,
    OPEN,
    SKIPPED,
    WAITING,
    FeedbackCard,
    FeedbackEntry,
    PerformanceNote,
    SkpLine,
)
from storage.survey_models import SUBMITTED, SurveyResponse

CARDS = FeedbackCard.__table__
COMMENTS_SHOWN = 3


@dataclass(frozen=True)
class Pair:
    """An active employee and the supervisor the roster names for them now."""

    employee_id: int
    supervisor_id: int


async def supervised_pairs(session: AsyncSession) -> list[Pair]:
    """Every active employee whose supervisor is an active employee, by employee id."""
    boss = aliased(Employee)
    rows = await session.execute(
        select(Employee.id, Employee.supervisor_id)
        .join(boss, boss.id == Employee.supervisor_id)
        .where(Employee.active.is_(True), boss.active.is_(True))
        .order_by(Employee.id)
    )
    return [Pair(int(e), int(s)) for e, s in rows.all()]


async def carded_employees(session: AsyncSession, period: str) -> set[int]:
    rows = await session.scalars(
        select(FeedbackCard.employee_id).where(FeedbackCard.period == period)
    )
    return set(rows.all())


async def create_card(
    session: AsyncSession, pair: Pair, period: str, status: str, now: datetime
) -> FeedbackCard | None:
    """A new card (None when the employee has one for the period already)."""
    values = {
        "token": new_token(9),
        "employee_id": pair.employee_id,
        "supervisor_id": pair.supervisor_id,
        "period": period,
        "status": status,
        "built_at": now,
        "sent_at": now if status == OPEN else None,
    }
    statement = insert_ignore(session, CARDS, ["employee_id", "period"]).values(values)
    added = (await session.execute(statement.returning(CARDS.c.id))).first()
    if added is None:
        return None
    return await session.get(FeedbackCard, int(added[0]))


async def waiting_cards(session: AsyncSession) -> list[FeedbackCard]:
    rows = await session.scalars(
        select(FeedbackCard).where(FeedbackCard.status == WAITING).order_by(FeedbackCard.id)
    )
    return list(rows.all())


async def mark_sent(session: AsyncSession, card_id: int, now: datetime) -> bool:
    """A waiting card goes to its supervisor now (False if it was not waiting any more)."""
    result = await session.execute(
        update(FeedbackCard)
        .where(FeedbackCard.id == card_id, FeedbackCard.status == WAITING)
        .values(status=OPEN, sent_at=now)
    )
    return bool(result.rowcount)


async def card_by_token(session: AsyncSession, token: str) -> FeedbackCard | None:
    return await session.scalar(
        select(FeedbackCard)
        .where(FeedbackCard.token == token)
        .options(selectinload(FeedbackCard.employee), selectinload(FeedbackCard.supervisor))
    )


@dataclass(frozen=True)
class CitizenFigures:
    """Officer-tagged answers about one employee in a time span (never who answered)."""

    n: int
    u6_sum: int
    u7_sum: int
    comments: tuple[str, ...]


async def citizen_figures(
    session: AsyncSession, employee_id: int, start: datetime, end: datetime
) -> CitizenFigures:
    """Count and U6/U7 sums of submitted answers naming the officer in [start, end),
    and the newest comments (at most `COMMENTS_SHOWN`, unmasked: the caller masks)."""
    span = (
        SurveyResponse.employee_id == employee_id,
        SurveyResponse.status == SUBMITTED,
        SurveyResponse.submitted_at >= start,
        SurveyResponse.submitted_at < end,
        SurveyResponse.u6.is_not(None),
        SurveyResponse.u7.is_not(None),
    )
    n, u6, u7 = (
        await session.execute(
            select(
                func.count(SurveyResponse.id),
                func.coalesce(func.sum(SurveyResponse.u6), 0),
                func.coalesce(func.sum(SurveyResponse.u7), 0),
            ).where(*span)
        )
    ).one()
    comments = await session.scalars(
        select(SurveyResponse.comment)
        .where(*span, SurveyResponse.comment.is_not(None), func.trim(SurveyResponse.comment) != "")
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(COMMENTS_SHOWN)
    )
    return CitizenFigures(int(n), int(u6), int(u7), tuple(str(c) for c in comments.all()))


async def notes_for_card(
    session: AsyncSession, employee_id: int, author_id: int, period: str
) -> list[PerformanceNote]:
    """The card's supervisor's own notes about the employee in the period, oldest first."""
    rows = await session.scalars(
        select(PerformanceNote)
        .where(
            PerformanceNote.employee_id == employee_id,
            PerformanceNote.author_id == author_id,
            PerformanceNote.period == period,
        )
        .order_by(PerformanceNote.created_at, PerformanceNote.id)
    )
    return list(rows.all())


async def entries_of(session: AsyncSession, card_ids: Sequence[int]) -> list[FeedbackEntry]:
    rows = await session.scalars(
        select(FeedbackEntry)
        .where(FeedbackEntry.card_id.in_(list(card_ids)))
        .order_by(FeedbackEntry.created_at, FeedbackEntry.id)
    )
    return list(rows.all())


async def add_entry(
    session: AsyncSession,
    card: FeedbackCard,
    *,
    skp_line_id: int | None,
    value_code: str | None,
    rating: int,
    text: str,
    now: datetime,
) -> FeedbackEntry:
    """One feedback line; the card becomes ``given`` (a skipped card too: it was reconsidered)."""
    entry = FeedbackEntry(
        card_id=card.id,
        skp_line_id=skp_line_id,
        value_code=value_code,
        rating=rating,
        text=text,
        created_at=now,
    )
    session.add(entry)
    card.status, card.closed_at = GIVEN, now
    await session.flush()
    return entry


async def skip(session: AsyncSession, card: FeedbackCard, now: datetime) -> bool:
    """The supervisor skips the period (counted); False when feedback was given already."""
    if card.status != OPEN:
        return False
    card.status, card.closed_at = SKIPPED, now
    await session.flush()
    return True


def audit_view(
    session: AsyncSession, actor: str, card: FeedbackCard, what: str, now: datetime
) -> None:
    """Every view of another person's card is in the audit log (card, period, by whom)."""
    detail = f"card {card.id} of employee {card.employee_id} ({card.period}): {what}"
    session.add(AuditLog(at=now, actor=actor[:100], action="feedback.view", detail=detail))


HISTORY_PERIODS = 12


async def history_of(session: AsyncSession, employee_id: int) -> list[FeedbackCard]:
    """The employee's cards, newest period first (with the supervisor loaded)."""
    rows = await session.scalars(
        select(FeedbackCard)
        .where(FeedbackCard.employee_id == employee_id)
        .order_by(FeedbackCard.period.desc())
        .limit(HISTORY_PERIODS)
        .options(selectinload(FeedbackCard.supervisor), selectinload(FeedbackCard.employee))
    )
    return list(rows.all())


async def given_by(session: AsyncSession, supervisor_id: int) -> list[FeedbackCard]:
    """Cards this supervisor holds, newest period first (with the employee loaded)."""
    rows = await session.scalars(
        select(FeedbackCard)
        .where(FeedbackCard.supervisor_id == supervisor_id)
        .order_by(FeedbackCard.period.desc(), FeedbackCard.id)
        .limit(HISTORY_PERIODS * 10)
        .options(selectinload(FeedbackCard.supervisor), selectinload(FeedbackCard.employee))
    )
    return list(rows.all())


async def skp_lines_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, SkpLine]:
    if not ids:
        return {}
    rows = await session.scalars(select(SkpLine).where(SkpLine.id.in_(list(ids))))
    return {line.id: line for line in rows.all()}


async def officers_answered(session: AsyncSession, start: datetime, end: datetime) -> list[int]:
    """Officers named by at least one submitted citizen answer in [start, end)."""
    rows = await session.scalars(
        select(SurveyResponse.employee_id)
        .where(
            SurveyResponse.employee_id.is_not(None),
            SurveyResponse.status == SUBMITTED,
            SurveyResponse.submitted_at >= start,
            SurveyResponse.submitted_at < end,
        )
        .distinct()
    )
    return sorted(int(e) for e in rows.all())


async def held_below(session: AsyncSession, superior_id: int) -> list[FeedbackCard]:
    """Cards held by the supervisors the roster names as this person's subordinates now,
    newest period first (with the employee and the supervisor loaded)."""
    boss = aliased(Employee)
    rows = await session.scalars(
        select(FeedbackCard)
        .join(boss, boss.id == FeedbackCard.supervisor_id)
        .where(boss.supervisor_id == superior_id)
        .order_by(FeedbackCard.period.desc(), FeedbackCard.id)
        .limit(HISTORY_PERIODS * 10)
        .options(selectinload(FeedbackCard.supervisor), selectinload(FeedbackCard.employee))
    )
    return list(rows.all())
