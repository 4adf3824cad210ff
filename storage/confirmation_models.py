"""The binding confirmations of destructive or irreversible buttons, as stored.

One row per confirmation shown and not yet used: the nonce its "Yes" button
carries, who was shown it, what it is about and what it showed. The rules are
in `storage.confirmations`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime


class Confirmation(Base):
    __tablename__ = "confirmations"

    # Random, 96 bits, URL-safe: carried in the button's callback data.
    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    # What the button does: "erase", "close_cycle", "relay" … (one name per use).
    action: Mapped[str] = mapped_column(String(32))
    # Keyed pseudonym (HMAC) of the Telegram user who was shown it: only they may press it.
    owner_key: Mapped[str] = mapped_column(String(64))
    # What it is about ("cycle:12", "alert:<token>"), so a change of that thing can void it.
    subject: Mapped[str] = mapped_column(String(200), default="")
    # JSON: what the confirmation showed (the responses it counted, the text to relay …).
    payload: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_confirmations_owner_action", "owner_key", "action"),
        Index("ix_confirmations_subject", "subject"),
        Index("ix_confirmations_expires_at", "expires_at"),
    )
