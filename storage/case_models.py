"""Models of the cases that alerts open: an owner, a status, a deadline, a history.

A `SurveyCase` belongs to one `SurveyAlert` (hence one citizen response) and
is deleted with it (``/hapusdata`` erases the citizen's response, its alert
and its case). Statuses and deadlines follow `scheduler.scoring.case_rules`.
``version`` grows with every change a person makes, so a button pressed on an
older view of the case is recognised as stale and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime
from storage.survey_models import SurveyAlert


class SurveyCase(Base):
    __tablename__ = "survey_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("survey_alerts.id", ondelete="CASCADE"), unique=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the service's
    # The unit whose head owns the case: the service's unit, or the nearest unit above it
    # with a linked head. Staff it may be handed to, and "the head above", start here.
    responsible_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    owner_employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))  # baru | ditangani | selesai
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # first response by then
    escalate_at: Mapped[datetime] = mapped_column(UTCDateTime)  # past the target twice
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    alert: Mapped[SurveyAlert] = relationship()

    __table_args__ = (Index("ix_survey_cases_status_due", "status", "due_at"),)


class CaseEvent(Base):
    """One step of a case's history: opened, replied, status, handed over, resolved,
    reminded, escalated."""

    __tablename__ = "survey_case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("survey_cases.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    # Who did it when an employee did (None: an admin who is no employee, or the system).
    employee_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"))
    detail: Mapped[str] = mapped_column(Text, default="")
