"""SKM periods as stored: what was defined, each unit's way to approval, and the frozen versions.

- `SkmPeriod`: a span of local days (a quarter, a semester, a year or custom
  dates) for every unit or for one unit and its sub-units, defined by an admin
  (``ulasan period open``). ``cut_at`` is the one moment at which every unit's
  figures of the period were computed after it ended (the close), so a parent
  unit's figures and its sub-units' come from the same moment.
- `SkmPeriodPopulation`: the number of service users of a unit or of a service
  in the period, for the Krejcie–Morgan check (optional).
- `SkmPeriodUnit`: one unit of the period on its way to approval: the figures
  cut at the close (``draft``, the JSON the head is shown and approves), when
  the close message, the reminder and the escalation went out, and the latest
  version published.
- `SkmPeriodVersion`: an approved, immutable snapshot (version 1 at approval,
  2, 3 … for corrections) holding aggregates only: counts, sums, NRR, the
  profile counts, the Krejcie–Morgan result, the weakest unsur, never a
  pseudonym, a chat id or a comment. Rows are only ever inserted; every later
  output of the period reads them. The JSON shape is documented in the README
  ("SKM periods", snapshot).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bot.core.clock import utcnow
from storage.models import Base, UTCDateTime


class SkmPeriod(Base):
    __tablename__ = "skm_periods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # quarter | semester | year | custom
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # The period's unit (with its sub-units); None: every unit.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The moment every unit's figures were cut after the period ended (None: not yet).
    cut_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SkmPeriodPopulation(Base):
    """Service users of one unit (``unit_id``) or one service (``service_id``) in a period."""

    __tablename__ = "skm_period_populations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(
        ForeignKey("skm_periods.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    population: Mapped[int] = mapped_column(Integer)


class SkmPeriodUnit(Base):
    __tablename__ = "skm_period_units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("skm_periods.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # JSON figures cut at the close (what the head is shown and approves), and their digest.
    draft: Mapped[str | None] = mapped_column(Text)
    draft_digest: Mapped[str | None] = mapped_column(String(64))
    close_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest version published (0: not approved yet).
    version: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("period_id", "unit_id"),)


class SkmPeriodVersion(Base):
    __tablename__ = "skm_period_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("skm_periods.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    # The snapshot (JSON, aggregates only) and its SHA-256, which a confirmation binds to.
    figures: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    # The moment the figures describe (the cut, an early approval, a correction).
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(100))
    # Approved (or corrected) before the period's last day had ended.
    early: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # JSON change log against the version before ([] for version 1).
    changes: Mapped[str] = mapped_column(Text, default="[]")

    __table_args__ = (UniqueConstraint("period_id", "unit_id", "version"),)
