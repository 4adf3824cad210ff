"""Models of the supervisor's side of performance (PermenPANRB 6/2022): SKP lines.

An SKP line is loaded from HR's file (``ulasan import skp``), never edited by
the bot: feedback and evidence attach to it. A line missing from a later file
is archived (``archived_at``), not deleted, so what was said about it stays.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.clock import utcnow
from storage.models import Base, Employee, UTCDateTime

PLAN_MAX = 500


class SkpLine(Base):
    """One rencana hasil kerja of one employee's SKP for a year."""

    __tablename__ = "skp_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(String(PLAN_MAX))  # rencana hasil kerja
    indicator: Mapped[str] = mapped_column(Text)  # indikator kinerja
    target: Mapped[str] = mapped_column(String(200))
    perspective: Mapped[str] = mapped_column(String(200), default="")  # perspektif
    imported_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship()

    __table_args__ = (UniqueConstraint("employee_id", "year", "plan"),)
