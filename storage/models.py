"""SQLAlchemy 2 typed models of the organisation roster, accounts and audit log.

Later features add their own model modules on the same `Base`; every schema
change is an Alembic migration in ``storage/migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.core.clock import utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    head_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", use_alter=True, name="fk_units_head_employee_id_employees")
    )
    # A head named by the units import before the employees import created them;
    # the employees import turns it into head_employee_id.
    pending_head_nip: Mapped[str | None] = mapped_column(String(18))
    # The unit's public Telegram channel (``ulasan unit set-channel``): its @name as the
    # operator gave it and its chat id, where an approved SKM period is announced.
    public_channel: Mapped[str | None] = mapped_column(String(64))
    public_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    head: Mapped[Employee | None] = relationship(foreign_keys=[head_employee_id])


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Free by law (e.g. population documents, UU 24/2013 Pasal 79A): any U4
    # answer other than "Gratis" hints at an illegal levy.
    free: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()


class Employee(Base):
    __tablename__ = "employees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("employees.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    supervisor: Mapped[Employee | None] = relationship(
        remote_side=[id], foreign_keys=[supervisor_id]
    )


class RosterVersion(Base):
    """One row counting changes of the roster's names and active flags.

    Every roster import (units, services, employees; from the CLI or uploaded in
    Telegram) adds one in its own transaction (`storage.survey_names.bump`), so a
    process that caches names (the survey screens) sees in one cheap read that
    they may have changed, even when another process imported.
    """

    __tablename__ = "roster_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class TelegramAccount(Base):
    """A Telegram user linked to one employee (one account per employee and vice versa)."""

    __tablename__ = "telegram_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    employee: Mapped[Employee] = relationship()


class LinkCode(Base):
    """A one-time account-link code; only its keyed hash is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    employee: Mapped[Employee] = relationship()


class LinkFailure(Base):
    """A wrong link code from one Telegram user (pseudonymised), for the rate limit."""

    __tablename__ = "link_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_link_failures_user_at", "user_key", "at"),)


class UserPreference(Base):
    """Language chosen by any Telegram user, keyed by the HMAC pseudonym of their id."""

    __tablename__ = "user_preferences"

    user_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")


class UnitAdmin(Base):
    """A Telegram user who administers one unit and its sub-units (``ulasan admin add``).

    City-wide admins are ``ADMIN_IDS`` in the settings, not rows here;
    `storage.unit_admins` answers every scope question from both.
    """

    __tablename__ = "unit_admins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique pair's index serves "which units does this user manage".
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(100), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (UniqueConstraint("telegram_user_id", "unit_id"),)


class NotificationMute(Base):
    """A kind of alert or note one Telegram user chose not to receive (``/pengaturan``).

    Kinds are `storage.mutes.KINDS`; a head still receives the cases they own.
    """

    __tablename__ = "notification_mutes"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    muted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
