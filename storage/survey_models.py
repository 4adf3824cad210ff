"""Models of the citizen satisfaction survey (SKM, PermenPANRB 14/2017).

A `SurveyEntry` is what a QR code points at (an opaque payload naming a
service and optionally one officer). A `SurveyResponse` is one citizen's
survey, written answer by answer while it is a draft; only ``submitted``
responses count in the IKM. The citizen is stored as a keyed pseudonym, never
their Telegram id; a chat id is kept only when they agree to be contacted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.clock import utcnow
from storage.models import Base, Employee, Service, UTCDateTime

UNSUR_CODES: tuple[str, ...] = tuple(f"U{i}" for i in range(1, 10))
# The columns of the rollup's index, in its order: the day, service and officer
# the full rebuild groups by (the order it reads them in), then everything else
# it reads, ``status`` last (SQLite reads a partial index's own condition from
# the index only when the column is in it).
ROLLUP_CELL_COLUMNS: tuple[str, ...] = (
    "rollup_day",
    "service_id",
    "employee_id",
    "rollup_seq",
    *(code.lower() for code in UNSUR_CODES),
    "age_group",
    "gender",
    "education",
    "occupation",
    "status",
)

# The responses in that index: submitted, with all nine answers (what the rollup counts).
ROLLUP_CELLS_WHERE = "status = 'submitted' AND " + " AND ".join(
    f"{code.lower()} IS NOT NULL" for code in UNSUR_CODES
)
ROLLUP_COMMENTED_WHERE = ROLLUP_CELLS_WHERE + " AND comment IS NOT NULL AND comment <> ''"

# status values of SurveyResponse
DRAFT = "draft"
SUBMITTED = "submitted"
ABANDONED = "abandoned"
CANCELLED = "cancelled"


class SurveyEntry(Base):
    __tablename__ = "survey_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    service: Mapped[Service] = relationship()
    employee: Mapped[Employee | None] = relationship()


class SurveyResponse(Base):
    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random per-response token carried in callback data: a button of an
    # earlier or cancelled survey names another token and is refused.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    user_key: Mapped[str | None] = mapped_column(String(64), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), index=True)
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("survey_entries.id"))
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    # Where the citizen is (or stopped): intro, U1…U9, comment, age, gender,
    # education, occupation, contact, done. Kept after abandonment for drop-off.
    step: Mapped[str] = mapped_column(String(16), default="intro")
    language: Mapped[str] = mapped_column(String(8), default="id")
    message_id: Mapped[int | None] = mapped_column(Integer)
    local_date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The local day (TIMEZONE) of submitted_at, written by the submitting UPDATE
    # itself (storage.rollup.marks); NULL on a submitted response means "its day is
    # still to be stamped by the rollup" (older rows, a changed counted column, a
    # new TIMEZONE). A plain date column lets both databases group by day.
    rollup_day: Mapped[date | None] = mapped_column(Date)
    # The order of submission, also written at submit: the rollup counts the
    # responses up to a number and keeps that number as its watermark, so nothing
    # is written per response when it is counted (storage.rollup, "Bucketing").
    rollup_seq: Mapped[int | None] = mapped_column(BigInteger)
    u1: Mapped[int | None] = mapped_column(SmallInteger)
    u2: Mapped[int | None] = mapped_column(SmallInteger)
    u3: Mapped[int | None] = mapped_column(SmallInteger)
    u4: Mapped[int | None] = mapped_column(SmallInteger)
    u5: Mapped[int | None] = mapped_column(SmallInteger)
    u6: Mapped[int | None] = mapped_column(SmallInteger)
    u7: Mapped[int | None] = mapped_column(SmallInteger)
    u8: Mapped[int | None] = mapped_column(SmallInteger)
    u9: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    age_group: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    education: Mapped[str | None] = mapped_column(String(16))
    occupation: Mapped[str | None] = mapped_column(String(16))
    contact_ok: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_chat_id: Mapped[int | None] = mapped_column(BigInteger)

    service: Mapped[Service] = relationship()
    employee: Mapped[Employee | None] = relationship()

    __table_args__ = (
        Index("ix_survey_responses_user_service_date", "user_key", "service_id", "local_date"),
        Index("ix_survey_responses_status_submitted", "status", "submitted_at"),
        # Partial indexes (both databases): the few submitted responses the rollup
        # has not counted yet, and the commented ones the IKM report lists.
        Index(
            "ix_survey_responses_rollup_pending",
            "submitted_at",
            sqlite_where=text("rollup_day IS NULL AND submitted_at IS NOT NULL"),
            postgresql_where=text("rollup_day IS NULL AND submitted_at IS NOT NULL"),
        ),
        Index("ix_survey_responses_rollup_seq", "rollup_seq", unique=True),
        # The full rebuild reads the complete submitted responses a run of days at
        # a time from this one index, in its (day, service, officer) order: no
        # sort, and no table row read (it holds every column the rebuild sums; the
        # comment is counted through the commented index below); SQLite does not
        # test again per row what the index's condition implies. Written once per
        # submission (`storage.rollup.rebuild`, migration 0034).
        Index(
            "ix_survey_responses_rollup_cells",
            *ROLLUP_CELL_COLUMNS,
            sqlite_where=text(ROLLUP_CELLS_WHERE),
            postgresql_where=text(ROLLUP_CELLS_WHERE),
        ),
        # The same responses with a comment, for the rebuild to count the comments
        # per (day, service, officer) from the index alone (SQLite skips the
        # table row when every column it tests is the index's condition).
        Index(
            "ix_survey_responses_rollup_commented",
            *ROLLUP_CELL_COLUMNS[:4],
            sqlite_where=text(ROLLUP_COMMENTED_WHERE),
            postgresql_where=text(ROLLUP_COMMENTED_WHERE),
        ),
        Index(
            "ix_survey_responses_commented",
            "service_id",
            "submitted_at",
            sqlite_where=text("comment IS NOT NULL"),
            postgresql_where=text("comment IS NOT NULL"),
        ),
    )

    def answers(self) -> dict[str, int | None]:
        return {code: getattr(self, code.lower()) for code in UNSUR_CODES}


class SurveyAlert(Base):
    """A citizen response that was flagged to the unit head (low score, levy, comment)."""

    __tablename__ = "survey_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), unique=True
    )
    # Comma-separated reasons: low_mean, unsur_1, levy, comment.
    reasons: Mapped[str] = mapped_column(String(64))
    # Random token for the "Balas" button; never a database id in callback data.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyRelay(Base):
    """A message relayed between a unit head and a citizen who agreed to be contacted."""

    __tablename__ = "survey_relays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))  # to_citizen | from_citizen
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PraiseNote(Base):
    """A survey that praised the officer named by its QR code, taken into a daily note.

    The row says "already sent in a daily note" (the praise itself is the
    response: every answer at 4 and a comment); counts per officer and month
    come from the responses (`storage.praise`), so they never wait for a note.
    """

    __tablename__ = "praise_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_responses.id", ondelete="CASCADE"), unique=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
