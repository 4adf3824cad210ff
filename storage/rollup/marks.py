"""What the submitting UPDATE writes for the rollup: the local day and the submission number.

See "Bucketing" in the package docstring (`storage.rollup`). Written at
submit, in the same statement, so the rollup never has to stamp a response
to count it: ``rollup_day`` is the local day (TIMEZONE) the response counts
on, ``rollup_seq`` the order of submission the rollup's watermark counts up to.
`storage.survey.submit_move` carries both (`at_submit`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any

from sqlalchemy import BigInteger, Sequence, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from bot.core.clock import local_day
from storage.rollup_models import SkmRollupCounted
from storage.survey_models import SurveyResponse

# PostgreSQL's numbers (migration 0030); SQLite takes the highest plus one.
ROLLUP_SEQUENCE = Sequence("survey_responses_rollup_seq")


class next_rollup_seq(FunctionElement[int]):
    """The next submission number, evaluated by the submitting UPDATE itself.

    SQLite: one more than the highest number given or counted, read from the
    unique index and the one-row `SkmRollupCounted` inside the UPDATE, which
    holds the database's single write lock: two submissions never draw the same
    number, numbers follow commit order, and a number the rollup has counted is
    never given again (even after the response that had it was erased).
    PostgreSQL: the sequence (the rollup waits for writers in flight before it
    trusts a number: `storage.rollup.refresh.lock`).
    """

    type = BigInteger()
    inherit_cache = True


@compiles(next_rollup_seq, "postgresql")
def _next_postgresql(element: next_rollup_seq, compiler: Any, **kw: Any) -> str:
    return compiler.process(ROLLUP_SEQUENCE.next_value(), **kw)


@compiles(next_rollup_seq, "sqlite")
def _next_sqlite(element: next_rollup_seq, compiler: Any, **kw: Any) -> str:
    latest = SurveyResponse.__table__.alias("latest")
    given = select(func.coalesce(func.max(latest.c.rollup_seq), 0)).scalar_subquery()
    counted = select(func.coalesce(func.max(SkmRollupCounted.upto), 0)).scalar_subquery()
    # Two arguments: SQLite's scalar max(), not the aggregate.
    return compiler.process(func.max(given, counted) + 1, **kw)


NEXT_ROLLUP_SEQ = next_rollup_seq()


def at_submit(tz: tzinfo) -> tuple[dict[str, Callable[[datetime], date]], dict[str, Any]]:
    """The rollup's columns of a submission: (those computed from the press's time,
    those the UPDATE evaluates)."""
    return {"rollup_day": lambda now: local_day(now, tz)}, {"rollup_seq": NEXT_ROLLUP_SEQ}
