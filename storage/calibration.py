"""Queries of rater calibration runs (`storage.calibration_models`). Never commits.

Writes are conditional on the run being where the caller saw it (the answers so
far), so a double tap or a redelivered press records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.calibration_models import COMPLETED, SKIPPED, STARTED, CalibrationRun
from storage.db import dialect_insert
from storage.directory import top_unit_codes
from storage.models import Employee
from storage.review_models import PENDING, ReviewAssignment


def answers_of(run: CalibrationRun) -> tuple[int, ...]:
    return tuple(int(v) for v in run.answers.split(",") if v)


async def run_of(session: AsyncSession, cycle_id: int, rater_id: int) -> CalibrationRun | None:
    return await session.scalar(
        select(CalibrationRun)
        .where(CalibrationRun.cycle_id == cycle_id, CalibrationRun.rater_id == rater_id)
        .execution_options(populate_existing=True)
    )


async def has_begun_rating(session: AsyncSession, cycle_id: int, rater_id: int) -> bool:
    """Whether the rater has opened any review of the cycle already."""
    found = await session.scalar(
        select(func.count()).where(
            ReviewAssignment.cycle_id == cycle_id,
            ReviewAssignment.rater_id == rater_id,
            ReviewAssignment.status != PENDING,
        )
    )
    return bool(found)


async def _insert(
    session: AsyncSession,
    cycle_id: int,
    rater_id: int,
    instrument: str,
    version: int,
    status: str,
    now: datetime,
) -> None:
    statement = dialect_insert(session, CalibrationRun).values(
        cycle_id=cycle_id,
        rater_id=rater_id,
        instrument=instrument,
        version=version,
        status=status,
        answers="",
        started_at=now,
        finished_at=now if status != STARTED else None,
    )
    await session.execute(
        statement.on_conflict_do_nothing(
            index_elements=[CalibrationRun.cycle_id, CalibrationRun.rater_id]
        )
    )


async def start(
    session: AsyncSession,
    cycle_id: int,
    rater_id: int,
    instrument: str,
    version: int,
    now: datetime,
) -> CalibrationRun:
    """The rater's run in the cycle, started now if there was none."""
    await _insert(session, cycle_id, rater_id, instrument, version, STARTED, now)
    run = await run_of(session, cycle_id, rater_id)
    assert run is not None
    return run


async def skip(
    session: AsyncSession,
    cycle_id: int,
    rater_id: int,
    instrument: str,
    version: int,
    now: datetime,
) -> None:
    """Skipped: a new run is stored as skipped, a started one becomes skipped."""
    await _insert(session, cycle_id, rater_id, instrument, version, SKIPPED, now)
    await session.execute(
        update(CalibrationRun)
        .where(
            CalibrationRun.cycle_id == cycle_id,
            CalibrationRun.rater_id == rater_id,
            CalibrationRun.status == STARTED,
        )
        .values(status=SKIPPED, finished_at=now)
        .execution_options(synchronize_session=False)
    )


async def record_answer(
    session: AsyncSession, run: CalibrationRun, index: int, value: int, total: int, now: datetime
) -> bool:
    """Store the answer to situation ``index`` if it is the one due; True if stored."""
    if run.status == SKIPPED or len(answers_of(run)) != index or index >= total:
        return False
    answers = ",".join(str(v) for v in (*answers_of(run), value))
    done = index + 1 == total
    result = await session.execute(
        update(CalibrationRun)
        .where(CalibrationRun.id == run.id, CalibrationRun.answers == run.answers)
        .values(
            answers=answers,
            status=COMPLETED if done else run.status,
            finished_at=now if done else None,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OpdCompletion:
    opd: str
    raters: int
    completed: int
    skipped: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.raters) if self.raters else 0


async def completion_by_opd(session: AsyncSession, cycle_id: int) -> list[OpdCompletion]:
    """Per OPD (the top of each rater's unit tree): raters, completed, skipped. Counts only."""
    raters = {
        int(r): u
        for r, u in (
            await session.execute(
                select(ReviewAssignment.rater_id, Employee.unit_id)
                .join(Employee, Employee.id == ReviewAssignment.rater_id)
                .where(ReviewAssignment.cycle_id == cycle_id)
                .distinct()
            )
        ).all()
    }
    status = {
        int(r): s
        for r, s in (
            await session.execute(
                select(CalibrationRun.rater_id, CalibrationRun.status).where(
                    CalibrationRun.cycle_id == cycle_id
                )
            )
        ).all()
    }
    tops = await top_unit_codes(session)
    counts: dict[str, list[int]] = {}
    for rater, unit in raters.items():
        row = counts.setdefault(tops.get(unit, "-") if unit else "-", [0, 0, 0])
        row[0] += 1
        row[1] += status.get(rater) == COMPLETED
        row[2] += status.get(rater) == SKIPPED
    return [OpdCompletion(opd, *row) for opd, row in sorted(counts.items())]
