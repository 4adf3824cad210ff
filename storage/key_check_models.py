"""The check value of the deployment's secret key, kept in the database it belongs to.

Citizens' pseudonyms and link-code hashes are HMACs under ``SECRET_KEY``: with
another key the same citizen becomes a stranger and every issued link code
stops working. The database therefore records a check value of its key (an HMAC
of a fixed text, from which the key cannot be recovered), and every command
compares it with the key it found before it touches anything (storage/key_check.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime


class KeyCheck(Base):
    """One row: the check value of the key this database was made with."""

    __tablename__ = "key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_value: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
