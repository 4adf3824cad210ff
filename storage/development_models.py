"""Models of individual development plans (IDP) that follow a closed 360° cycle.

One `DevelopmentPlan` per ratee with results per closed cycle, created as a
draft when the cycle closes, with the core values the bot suggested already
chosen (`DevelopmentFocus`, at most two). Every answer the ratee gives is
written when given (the conversation's step is ``step``), so a restart loses
nothing. The supervisor approves it, comments on it or asks for a change;
an approved plan gets one `DevelopmentCheckin` per month.

The texts of a plan (the actions, the supervisor's comment, check-in notes) are
shown only to the ratee, their supervisor in the cycle and a named coach: every
query that returns them checks who asks (`storage.development_plans`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime

# DevelopmentPlan.status
DRAFT = "draft"  # the ratee is writing it (again, after a request for changes)
SUBMITTED = "submitted"  # waiting for the supervisor
APPROVED = "approved"
STATUSES = (DRAFT, SUBMITTED, APPROVED)

# DevelopmentCheckin.status
CHECKIN_NOT_STARTED = "belum"
CHECKIN_ONGOING = "berjalan"
CHECKIN_DONE = "selesai"
CHECKIN_STATUSES = (CHECKIN_NOT_STARTED, CHECKIN_ONGOING, CHECKIN_DONE)


class DevelopmentPlan(Base):
    __tablename__ = "development_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    # Who approves: the holder of the cycle's supervisor assignment, else the roster's.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    # An optional named coach (set by an admin), who may read the plan too.
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    # Random, carried in callback data instead of the id.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    # The conversation's step while a draft (handlers/development.py's STEPS).
    step: Mapped[str] = mapped_column(String(16), default="focus")
    # The suggested values at close ("B3,B2"), kept to show what the bot proposed.
    suggested: Mapped[str] = mapped_column(String(64), default="")
    target_date: Mapped[date | None] = mapped_column(Date)
    # Raised whenever the ratee changes the plan: an approval binds to what it showed.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    supervisor_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("cycle_id", "employee_id"),)


class DevelopmentFocus(Base):
    """One core value of a plan: the activity chosen for it and one concrete action."""

    __tablename__ = "development_focus"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("development_plans.id", ondelete="CASCADE"), index=True
    )
    value_code: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(SmallInteger)  # 1, 2: the order they were chosen
    activity: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("plan_id", "value_code"),)


class DevelopmentCheckin(Base):
    """The ratee's answer to one month's check-in of an approved plan."""

    __tablename__ = "development_checkins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("development_plans.id", ondelete="CASCADE"), index=True
    )
    month: Mapped[date] = mapped_column(Date)  # the first day of the local month
    status: Mapped[str | None] = mapped_column(String(16))  # None: asked, not answered
    note: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("plan_id", "month"),)


class PredikatMixLimit(Base):
    """One predikat's share limit in a cycle, as an admin recorded it (SE MenPANRB 03/2023).

    The organisation's achievement and the distribution that applies to it are data an
    admin enters (``ulasan development mix set``): the bot never invents a percentage.
    ``scope`` is an OPD's code, or ``*`` for every OPD without a row of its own. A head
    whose unit's recommended mix breaks a limit is warned at close; nothing else follows.
    """

    __tablename__ = "predikat_mix_limits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"), index=True)
    scope: Mapped[str] = mapped_column(String(32))
    achievement: Mapped[str] = mapped_column(String(64))  # the organisation's, as recorded
    predikat: Mapped[str] = mapped_column(String(24))  # `Predikat` value
    min_percent: Mapped[int | None] = mapped_column(SmallInteger)
    max_percent: Mapped[int | None] = mapped_column(SmallInteger)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("cycle_id", "scope", "predikat"),)
