"""A rater's calibration in one cycle: which situations they answered, and how it ended.

One row per cycle and rater (`CalibrationRun`). ``answers`` holds the levels
picked, comma-separated in vignette order; ``status`` is ``started``,
``completed`` (all answered) or ``skipped`` (the rater went straight to rating,
allowed unless ``CALIBRATION=required``). The instrument code and version the
situations came from are recorded with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime

STARTED = "started"
COMPLETED = "completed"
SKIPPED = "skipped"


class CalibrationRun(Base):
    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("review_cycles.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    instrument: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=STARTED)
    answers: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("cycle_id", "rater_id"),)
