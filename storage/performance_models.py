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


# A card's status: waiting (someone has no linked account yet), open (with the
# supervisor), given (feedback written), skipped (the supervisor chose not to; counted).
WAITING, OPEN, GIVEN, SKIPPED = "waiting", "open", "given", "skipped"
CARD_STATUSES = (WAITING, OPEN, GIVEN, SKIPPED)


class PerformanceNote(Base):
    """An observation a supervisor records about a subordinate (``/catat``).

    Text or a photo (Telegram's file id, and the file kept under DATA_DIR) with an
    optional caption, optionally
    tied to a core value (``B1``…``B7``) or an SKP line; ``period`` is the
    performance period (``YYYY-MM``) of the day it was written.
    """

    __tablename__ = "performance_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    # The photo itself, kept under DATA_DIR/evidence/notes/ (relative to DATA_DIR), so
    # backups take it and it outlives Telegram's file ids.
    photo_path: Mapped[str | None] = mapped_column(String(300))
    value_code: Mapped[str | None] = mapped_column(String(8))
    skp_line_id: Mapped[int | None] = mapped_column(ForeignKey("skp_lines.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackCard(Base):
    """One subordinate's card for one performance period, and the dialogue that follows.

    ``supervisor_id`` is whoever the roster named as the supervisor when the
    card was built (a later move does not change it). ``token`` names the card
    in callback data (never its id). The dialogue: ``discussed_at`` when the
    employee tapped "Sudah didiskusikan", ``reply`` their written answer.
    """

    __tablename__ = "feedback_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(16), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(16), default=WAITING)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    supervisor: Mapped[Employee] = relationship(foreign_keys=[supervisor_id])

    __table_args__ = (UniqueConstraint("employee_id", "period"),)


class FeedbackEntry(Base):
    """One feedback line on a card: about an SKP line or a core value, with a rating."""

    __tablename__ = "feedback_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("feedback_cards.id"), index=True)
    skp_line_id: Mapped[int | None] = mapped_column(ForeignKey("skp_lines.id"), index=True)
    value_code: Mapped[str | None] = mapped_column(String(8))
    rating: Mapped[int] = mapped_column(Integer)  # 1 di bawah, 2 sesuai, 3 di atas ekspektasi
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PerformanceExpectation(Base):
    """Klarifikasi ekspektasi: a supervisor's special expectation for a subordinate's year,
    about a core value or an SKP line, and the employee's answer ("Saya mengerti" or a
    question); kept as the record of the exchange."""

    __tablename__ = "performance_expectations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(16), unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value_code: Mapped[str | None] = mapped_column(String(8))
    skp_line_id: Mapped[int | None] = mapped_column(ForeignKey("skp_lines.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    understood_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    question: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Queued to the employee (None: they were not linked yet; it goes once they are), and
    # the one reminder when it stayed unanswered (job expectation_reminders).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship(foreign_keys=[employee_id])
    supervisor: Mapped[Employee] = relationship(foreign_keys=[supervisor_id])


class Achievement(Base):
    """An achievement an employee logs against an SKP line (``/capaian``), with evidence:
    a photo or document kept under ``DATA_DIR/evidence/`` (``file_path``, relative to
    DATA_DIR) or a link, and a caption."""

    __tablename__ = "achievements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    skp_line_id: Mapped[int] = mapped_column(ForeignKey("skp_lines.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))  # photo | document | link
    file_path: Mapped[str | None] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(1000))
    caption: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExpectationPrompt(Base):
    """That a supervisor was asked to clarify expectations for a subordinate's year.

    Written with the first prompt (the year's start, or the first run after the
    roster names a new subordinate); ``reminded_at`` with the one reminder a
    few days later. Nothing more is sent about that pair and year: stating an
    expectation stays the supervisor's choice (``/ekspektasi``).
    """

    __tablename__ = "expectation_prompts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    prompted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("supervisor_id", "employee_id", "year"),)
