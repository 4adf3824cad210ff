"""Models of the consultation on example behaviours (contoh perilaku) and of instrument versions.

A `Consultation` is a window before a 360° cycle in which the ASN of a unit
(or of every unit) propose example behaviours per behaviour indicator
(`ConsultationProposal`) and vote on them (`ConsultationVote`, one per person
per indicator, changeable while the window is open). The proposal rows do not
say who proposed them: that is in the audit log only, so no query that shows
proposals can name a colleague.

HR adopts examples into an `InstrumentVersion`: the examples of every
indicator of one instrument as JSON (`scheduler.scoring.instrument_examples`),
numbered from 2 (version 1 is the instrument as shipped, without adopted
examples). The regulation's indicator wording is never part of a version and
never changes. Each `ReviewCycle` records the version it used.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime


class Consultation(Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # the coming cycle's name
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    instrument: Mapped[str] = mapped_column(String(64))
    base_version: Mapped[int] = mapped_column(Integer)  # the version proposals start from
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(100), default="")
    adopted_version: Mapped[int | None] = mapped_column(Integer)


class ConsultationProposal(Base):
    """One proposed example for one indicator; the proposer is in the audit log only."""

    __tablename__ = "consultation_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[int] = mapped_column(SmallInteger)  # 0-based index in the item
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsultationVote(Base):
    """A person's one vote for one indicator (which proposal)."""

    __tablename__ = "consultation_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(16))
    indicator: Mapped[int] = mapped_column(SmallInteger)
    voter_id: Mapped[int] = mapped_column(ForeignKey("employees.id"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("consultation_proposals.id"))
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("consultation_id", "item_code", "indicator", "voter_id"),)


class InstrumentVersion(Base):
    """The adopted examples of one version of an instrument, as JSON."""

    __tablename__ = "instrument_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    examples: Mapped[str] = mapped_column(Text)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")

    __table_args__ = (UniqueConstraint("instrument", "version"),)
