"""Follow-up plans (Rencana Tindak Lanjut, RTL) as stored: plans, lines, evidence, notices.

- `RtlPlan`: one unit's plan for one SKM period (``skm_periods``), started by
  the unit head from ``/rtl``, with the optional date of the Forum Konsultasi
  Publik (FKP) where it was discussed.
- `RtlLine`: one prioritised unsur with an activity, an owner (a linked
  employee of the unit or its sub-units), a target date (a quarter is kept as
  its last day and its label "TW II 2027"), a target ("U3 NRR 2,91 → ≥ 3,10"),
  a status (`STATUSES`) and its verification by the head. The reminder and
  escalation columns are claimed once by the ``rtl_followup`` job.
- `RtlEvidence`: a photo or document the owner sent to the bot; the bytes sit
  under ``DATA_DIR/rtl_evidence`` (backups carry them), the row names the file.
- `RtlCitizenNotice`: "Anda bilang, kami lakukan" went to this citizen
  (pseudonym) for this period: at most one per citizen per period. Erasure
  (``/hapusdata``) deletes the rows of the erased pseudonym.

Every change of a plan or a line is also an `AuditLog` row (action ``rtl.*``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime

NOT_STARTED = "belum_mulai"
IN_PROGRESS = "berjalan"
DONE = "selesai"
CANCELLED = "batal"
STATUSES: tuple[str, ...] = (NOT_STARTED, IN_PROGRESS, DONE, CANCELLED)


class RtlPlan(Base):
    __tablename__ = "rtl_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("skm_periods.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    forum_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("period_id", "unit_id"),)


class RtlLine(Base):
    __tablename__ = "rtl_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("rtl_plans.id", ondelete="CASCADE"), index=True)
    unsur: Mapped[str] = mapped_column(String(4))
    activity: Mapped[str] = mapped_column(Text, default="")
    owner_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    # "TW II 2027" when the head chose a quarter (due_date is its last day), else None.
    due_label: Mapped[str | None] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=NOT_STARTED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(100))
    # The head's note when they sent a line marked selesai back.
    returned_note: Mapped[str | None] = mapped_column(Text)
    reminded_first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RtlEvidence(Base):
    __tablename__ = "rtl_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("rtl_lines.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # photo | document
    file_name: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to DATA_DIR.
    path: Mapped[str] = mapped_column(String(300))
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RtlCitizenNotice(Base):
    __tablename__ = "rtl_citizen_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("skm_periods.id", ondelete="CASCADE"))
    user_key: Mapped[str] = mapped_column(String(64), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("rtl_lines.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("period_id", "user_key"),)
