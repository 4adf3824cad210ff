"""Models of 360° review cycles on the BerAKHLAK core values (PermenPANRB 6/2022).

A `ReviewCycle` gathers `ReviewAssignment`s (who rates whom, in which
relation). Each answer is a `ReviewAnswer` row written when given, so a restart
loses nothing. Individual answers never leave the database except aggregated
by `scheduler.scoring.review_math` under the anonymity rules.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.clock import utcnow
from storage.models import Base, Employee, Unit, UTCDateTime

# ReviewCycle.status
OPEN = "open"
CLOSED = "closed"

# ReviewAssignment.relation: how the rater stands to the ratee.
SELF = "self"
SUPERVISOR = "supervisor"  # the rater is the ratee's direct supervisor
PEER = "peer"
SUBORDINATE = "subordinate"  # the rater is a direct subordinate of the ratee
RELATIONS = (SELF, SUPERVISOR, PEER, SUBORDINATE)

# ReviewAssignment.status
PENDING = "pending"
IN_PROGRESS = "in_progress"
SUBMITTED = "submitted"


class ReviewCycle(Base):
    __tablename__ = "review_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=OPEN)
    instrument: Mapped[str] = mapped_column(String(64), default="berakhlak3")
    # The version of the instrument's adopted examples the cycle used (1: as shipped;
    # storage.consultation_models.InstrumentVersion).
    instrument_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # SHA-256 of the instrument's content when the cycle opened
    # (scheduler.scoring.review_instrument_config.instrument_digest); results refuse a cycle
    # whose shipped file no longer matches. None: not recorded (a cycle made outside
    # insert_cycle on an instrument unknown to migration 0028), never checked.
    instrument_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    max_peers: Mapped[int] = mapped_column(Integer, default=4)
    include_self: Mapped[bool] = mapped_column(Boolean, default=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(100), default="")

    unit: Mapped[Unit | None] = relationship()


class ReviewAssignment(Base):
    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # Random token carried in callback data, so a button can name an
    # assignment without exposing (or trusting) database ids.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    # Where the rater is: an item code, "hasil", "keep", "improve", "confirm".
    step: Mapped[str] = mapped_column(String(16), default="")
    comment_keep: Mapped[str | None] = mapped_column(Text)
    comment_improve: Mapped[str | None] = mapped_column(Text)
    # Work results rating (hasil kerja), asked of the direct supervisor only.
    hasil_kerja: Mapped[int | None] = mapped_column(SmallInteger)
    message_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bias nudges at submit (scheduler.scoring.rating_nudges): the ones this review has
    # asked (comma-separated codes, each asked once), and the one now awaiting an answer.
    nudges_asked: Mapped[str] = mapped_column(String(32), default="", server_default="")
    nudge_pending: Mapped[str | None] = mapped_column(String(32))

    cycle: Mapped[ReviewCycle] = relationship()
    rater: Mapped[Employee] = relationship(foreign_keys=[rater_id])
    ratee: Mapped[Employee] = relationship(foreign_keys=[ratee_id])

    __table_args__ = (UniqueConstraint("cycle_id", "rater_id", "ratee_id"),)


class ReviewAnswer(Base):
    """One answer to one item; value None means "cannot assess" (no score)."""

    __tablename__ = "review_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("review_assignments.id", ondelete="CASCADE"), index=True
    )
    item_code: Mapped[str] = mapped_column(String(16))
    value: Mapped[int | None] = mapped_column(SmallInteger)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("assignment_id", "item_code"),)


class PerilakuDecision(Base):
    """The supervisor's confirmation or override of the recommended perilaku rating."""

    __tablename__ = "perilaku_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    recommended: Mapped[int | None] = mapped_column(SmallInteger)
    decided: Mapped[int] = mapped_column(SmallInteger)
    decided_by: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("cycle_id", "ratee_id"),)
