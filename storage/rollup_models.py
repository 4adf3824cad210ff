"""Rollup tables: SKM score sums per day and month, and released 360° results per ratee.

Everything here is derived data, written only by the rollup job
(`storage.rollup`) and rebuilt from scratch by ``ulasan job run rollup
--full``; reports read it instead of the raw answers.

Citizen survey (SKM), over *complete submitted* responses (status
``submitted`` and all nine answers), bucketed by the local day in TIMEZONE on
which the survey was **submitted** (`SurveyResponse.rollup_day`):

- ``skm_service_daily`` / ``skm_service_monthly``: per service, with the
  respondent profile as counts, one column per known value of each field
  (``p_<field>_<position>``, ``p_<field>_na`` for "not answered");
- ``skm_unit_daily`` / ``skm_unit_monthly``: per unit, over the services whose
  *own* unit it is (a unit with sub-units is summed over its subtree when read);
- ``skm_officer_daily`` / ``skm_officer_monthly``: per officer named by the QR
  code, split by service (so a report can filter by officer *and* unit or
  service); the officer's total is the sum over their services. U6 and U7 are
  the unsur about the officer, but all nine sums are kept;
- ``skm_profile_daily`` / ``skm_profile_monthly``: profile values outside the
  instrument's lists (older data; normally empty), per service, one row per
  (field, value).

Each score row holds the count ``n``, the number of responses with a comment,
and ``sum_u1`` … ``sum_u9``, which is all `scheduler.scoring.skm` needs: NRR = sum / n.
A month row is the first day of that month and equals the sum of its day rows.
Rows with n = 0 are never stored.

Two bookkeeping tables serve the incremental run: ``skm_rollup_retractions``
(filled by database triggers when a rolled-up response is deleted or its
counted columns change, so that the next run can subtract it) and
``skm_rollup_service_units`` (the service → unit mapping the unit rows were
built with, so a service moved to another unit is noticed); ``skm_rollup_counted``
holds the watermark's submission number where a submission reads it.

360° review: for every CLOSED cycle, only what `scheduler.scoring.review_math.aggregate`
released for each ratee. A cell is a figure (mean and n) or a suppressed cell
(both NULL, with the reason); CHECK constraints make a suppressed cell with a
number impossible. There is no per-rater row and no rater id anywhere (the
direct supervisor's id is an attributed fact of the result, as in
`storage.review_results.RateeResults`); anonymous comments are kept only as
released, as bare texts in their released order.

No foreign keys: these rows are derived and rebuildable, and must never stand
in the way of roster maintenance; their integrity comes from how they are built.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.scoring.skm_instrument import PROFILE
from storage.models import Base, UTCDateTime

# -- citizen survey (SKM) ------------------------------------------------------------------

SUM_COLUMNS: tuple[str, ...] = tuple(f"sum_u{i}" for i in range(1, 10))
MEASURES: tuple[str, ...] = ("n", "comments", *SUM_COLUMNS)
NOT_ANSWERED = ""  # profile value of a question the citizen skipped
# Composite-key tables live in their key's b-tree on SQLite (no hidden rowid:
# about half the size and one lookup per row); PostgreSQL ignores the option.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class ScoreSums:
    """Measures shared by every SKM score table."""

    n: Mapped[int] = mapped_column(Integer)  # complete submitted responses
    comments: Mapped[int] = mapped_column(Integer)  # of which with a comment
    sum_u1: Mapped[int] = mapped_column(Integer)
    sum_u2: Mapped[int] = mapped_column(Integer)
    sum_u3: Mapped[int] = mapped_column(Integer)
    sum_u4: Mapped[int] = mapped_column(Integer)
    sum_u5: Mapped[int] = mapped_column(Integer)
    sum_u6: Mapped[int] = mapped_column(Integer)
    sum_u7: Mapped[int] = mapped_column(Integer)
    sum_u8: Mapped[int] = mapped_column(Integer)
    sum_u9: Mapped[int] = mapped_column(Integer)


# The day tables are keyed by the day first (migration 0035): the full rebuild
# writes them a run of days at a time, in that order (appends, not inserts all
# over the table), and sums a month's rows from one range of the key; a report
# reads a service's or an officer's days within a range of days just as well.


class SkmServiceDaily(ScoreSums, Base):
    __tablename__ = "skm_service_daily"
    __table_args__ = WITHOUT_ROWID

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class SkmServiceMonthly(ScoreSums, Base):
    __tablename__ = "skm_service_monthly"
    __table_args__ = WITHOUT_ROWID

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month


def _profile_columns() -> tuple[tuple[str, str, str | None], ...]:
    """(column, field, value) of each respondent-profile count a service row carries:
    every known value of every field by its position in the instrument's list, and
    "not answered" (None) as ``p_<field>_na`` (migration 0033 holds a frozen copy)."""
    out: list[tuple[str, str, str | None]] = []
    for name in PROFILE_FIELDS:
        out += [(f"p_{name}_{i}", name, value) for i, (value, _label) in enumerate(PROFILE[name])]
        out.append((f"p_{name}_na", name, None))
    return tuple(out)


PROFILE_FIELDS: tuple[str, ...] = tuple(PROFILE)  # the instrument's fields, in its order
PROFILE_COLUMNS = _profile_columns()
# The service rows carry their respondents' profile as counts, one column per
# known value (a fixed list): one row per (service, day) instead of one per
# (service, day, field, value), which the full rebuild wrote 400,000 times per
# million responses. Values outside the lists (older data) keep rows of their
# own in the profile tables.
for _table in (SkmServiceDaily.__table__, SkmServiceMonthly.__table__):
    for _column, _field, _value in PROFILE_COLUMNS:
        _table.append_column(Column(_column, Integer, nullable=False, server_default="0"))


class SkmUnitDaily(ScoreSums, Base):
    __tablename__ = "skm_unit_daily"
    __table_args__ = WITHOUT_ROWID

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class SkmUnitMonthly(ScoreSums, Base):
    __tablename__ = "skm_unit_monthly"
    __table_args__ = WITHOUT_ROWID

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class SkmOfficerDaily(ScoreSums, Base):
    __tablename__ = "skm_officer_daily"
    __table_args__ = WITHOUT_ROWID

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class SkmOfficerMonthly(ScoreSums, Base):
    __tablename__ = "skm_officer_monthly"
    __table_args__ = WITHOUT_ROWID

    employee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class SkmProfileDaily(Base):
    __tablename__ = "skm_profile_daily"
    __table_args__ = (Index("ix_skm_profile_daily_day", "day"), WITHOUT_ROWID)

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(16), primary_key=True)  # "" = not answered
    n: Mapped[int] = mapped_column(Integer)


class SkmProfileMonthly(Base):
    __tablename__ = "skm_profile_monthly"
    __table_args__ = WITHOUT_ROWID

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class SkmRollupRetraction(Base):
    """A rolled-up response that was deleted or changed: to be subtracted by the next run.

    Written only by the triggers on ``survey_responses`` (migration 0030): the
    values the rollup had added, nothing that identifies the citizen.
    """

    __tablename__ = "skm_rollup_retractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Which response, and its submission number (NULL: counted before numbers
    # existed): a chunked rebuild drops the retractions of the rows it reads, and
    # the incremental run those of rows it had not counted yet (migration 0030).
    response_id: Mapped[int | None] = mapped_column(Integer)
    rollup_seq: Mapped[int | None] = mapped_column(BigInteger)
    service_id: Mapped[int] = mapped_column(Integer)
    employee_id: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    comments: Mapped[int] = mapped_column(SmallInteger)  # 1 if it had a comment
    u1: Mapped[int] = mapped_column(SmallInteger)
    u2: Mapped[int] = mapped_column(SmallInteger)
    u3: Mapped[int] = mapped_column(SmallInteger)
    u4: Mapped[int] = mapped_column(SmallInteger)
    u5: Mapped[int] = mapped_column(SmallInteger)
    u6: Mapped[int] = mapped_column(SmallInteger)
    u7: Mapped[int] = mapped_column(SmallInteger)
    u8: Mapped[int] = mapped_column(SmallInteger)
    u9: Mapped[int] = mapped_column(SmallInteger)
    age_group: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(16))


class SkmRollupServiceUnit(Base):
    """The unit each service belonged to when the unit rows were last built."""

    __tablename__ = "skm_rollup_service_units"

    service_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)


class SkmRollupCounted(Base):
    """The highest submission number the tables count (one row; none before the first run).

    The same number as the watermark's, kept where the submitting UPDATE can
    read it on SQLite: a new number is above it even if the highest-numbered
    response was erased since (`storage.rollup.marks`).
    """

    __tablename__ = "skm_rollup_counted"

    upto: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


# -- 360° review results -------------------------------------------------------------------

OVERALL = "*"  # item_code of the overall row (item codes are identifiers, never "*")
RESULT_GROUPS: tuple[str, ...] = ("self", "supervisor", "peers", "subordinates", "others")
# ReviewResultComment.source
OWN = "self"
SUPERVISOR_SOURCE = "supervisor"
ANONYMOUS = "anonymous"


def _cell_check(prefix: str) -> CheckConstraint:
    """A cell is a figure (mean and n, no reason) or suppressed (reason only)."""
    mean, n, reason = f"{prefix}_mean", f"{prefix}_n", f"{prefix}_reason"
    return CheckConstraint(
        f"({mean} IS NOT NULL AND {n} IS NOT NULL AND {reason} IS NULL)"
        f" OR ({mean} IS NULL AND {n} IS NULL AND {reason} IS NOT NULL)",
        name=f"{prefix}_cell",
    )


class ReviewResultCycle(Base):
    """A closed cycle whose results are materialised, and under which rule."""

    __tablename__ = "review_result_cycles"

    cycle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The cycle's closed_at, instrument and the minimum of anonymous raters the
    # rows were computed with: if any differs now, the rows are not used.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    instrument: Mapped[str] = mapped_column(String(64))
    min_raters: Mapped[int] = mapped_column(Integer)
    materialised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewResultRatee(Base):
    """Attributed facts and the recommendation of one ratee in one closed cycle."""

    __tablename__ = "review_result_ratees"

    cycle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ratee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supervisor_id: Mapped[int | None] = mapped_column(Integer)
    received_submitted: Mapped[int] = mapped_column(Integer)
    received_total: Mapped[int] = mapped_column(Integer)
    hasil_kerja: Mapped[int | None] = mapped_column(SmallInteger)
    rec_basis: Mapped[str | None] = mapped_column(String(16))
    rec_mean: Mapped[float | None] = mapped_column(Float)
    rec_n: Mapped[int | None] = mapped_column(Integer)
    rec_perilaku: Mapped[int | None] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint(
            "(rec_basis IS NULL AND rec_mean IS NULL AND rec_n IS NULL AND rec_perilaku IS NULL)"
            " OR (rec_basis IS NOT NULL AND rec_mean IS NOT NULL AND rec_n IS NOT NULL"
            " AND rec_perilaku IS NOT NULL)",
            name="recommendation",
        ),
    )


class ReviewResultItem(Base):
    """One row of a ratee's result table: an item (or ``*``, the overall) × every group."""

    __tablename__ = "review_result_items"

    cycle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ratee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    self_mean: Mapped[float | None] = mapped_column(Float)
    self_n: Mapped[int | None] = mapped_column(Integer)
    self_reason: Mapped[str | None] = mapped_column(String(16))
    supervisor_mean: Mapped[float | None] = mapped_column(Float)
    supervisor_n: Mapped[int | None] = mapped_column(Integer)
    supervisor_reason: Mapped[str | None] = mapped_column(String(16))
    peers_mean: Mapped[float | None] = mapped_column(Float)
    peers_n: Mapped[int | None] = mapped_column(Integer)
    peers_reason: Mapped[str | None] = mapped_column(String(16))
    subordinates_mean: Mapped[float | None] = mapped_column(Float)
    subordinates_n: Mapped[int | None] = mapped_column(Integer)
    subordinates_reason: Mapped[str | None] = mapped_column(String(16))
    others_mean: Mapped[float | None] = mapped_column(Float)
    others_n: Mapped[int | None] = mapped_column(Integer)
    others_reason: Mapped[str | None] = mapped_column(String(16))
    # Self − others (per item, or the overall gap): shown or suppressed like a cell.
    gap_self: Mapped[float | None] = mapped_column(Float)
    gap_others: Mapped[float | None] = mapped_column(Float)
    gap: Mapped[float | None] = mapped_column(Float)
    gap_flag: Mapped[str | None] = mapped_column(String(16))
    gap_reason: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        *(_cell_check(group) for group in RESULT_GROUPS),
        CheckConstraint(
            "(gap IS NOT NULL AND gap_self IS NOT NULL AND gap_others IS NOT NULL"
            " AND gap_reason IS NULL)"
            " OR (gap IS NULL AND gap_self IS NULL AND gap_others IS NULL AND gap_flag IS NULL"
            " AND gap_reason IS NOT NULL)",
            name="gap_cell",
        ),
    )


class ReviewResultComment(Base):
    """A released comment (attributed self/supervisor, or the anonymous pool's texts).

    An anonymous pool below the minimum is one row with no text and its reason.
    """

    __tablename__ = "review_result_comments"

    cycle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ratee_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint(
            "(text IS NOT NULL AND reason IS NULL) OR (text IS NULL AND reason IS NOT NULL)",
            name="released",
        ),
    )
