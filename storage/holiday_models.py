"""The holidays an admin loads (``ulasan holidays import``): days that are not worked.

Together with ``WORK_DAYS`` they make the deployment's working days
(`scheduler.scoring.working_days`, loaded by `storage.holidays.work_calendar`):
national holidays (libur nasional) and cuti bersama, or a regional holiday.
One row per date, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime


class Holiday(Base):
    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    imported_by: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
