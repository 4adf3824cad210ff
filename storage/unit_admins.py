"""Who administers what: city-wide admins (``ADMIN_IDS``) and unit admins (the database).

The one answer to two questions every admin feature asks:

- `admin_scope`: which units may this Telegram user manage? A city-wide admin
  (``ADMIN_IDS``) manages every unit; a unit admin manages each unit they were
  granted (``ulasan admin add TELEGRAM_ID --unit CODE``) **and every unit below
  it**; anyone else manages nothing.
- `unit_admin_chats`: who are this unit's admins (for alerts and escalation)?
  The Telegram users granted this unit or a unit above it (they manage it),
  nearest first; never the city-wide admins, who are not anyone's unit admin.

Grants are rows of `UnitAdmin` keyed by Telegram user id (an admin need not be
a linked employee: BKPSDM operators often are not in the unit's roster).
`grant` and `revoke` write the audit log; like every query here they take a
session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from storage.directory import unit_ancestor_ids, unit_subtree_ids
from storage.models import AuditLog, Employee, TelegramAccount, Unit, UnitAdmin

ACTION_GRANT = "admin.grant"
ACTION_REVOKE = "admin.revoke"


class AdminError(Exception):
    """A grant or revocation that cannot be done; the message is one line."""


@dataclass(frozen=True)
class AdminScope:
    """The units one Telegram user may manage."""

    city_wide: bool  # ADMIN_IDS: every unit
    unit_ids: frozenset[int]  # the granted units and every unit below them
    granted_unit_ids: frozenset[int]  # only the granted units (the tops of the scope)

    @property
    def is_admin(self) -> bool:
        return self.city_wide or bool(self.unit_ids)

    def covers(self, unit_id: int) -> bool:
        return self.city_wide or unit_id in self.unit_ids


NO_SCOPE = AdminScope(False, frozenset(), frozenset())


async def admin_scope(
    session: AsyncSession, settings: Settings, telegram_user_id: int
) -> AdminScope:
    """The units this Telegram user may manage (see the module docstring)."""
    granted = frozenset(
        int(unit_id)
        for unit_id in await session.scalars(
            select(UnitAdmin.unit_id).where(UnitAdmin.telegram_user_id == telegram_user_id)
        )
    )
    covered: set[int] = set()
    for unit_id in granted:
        covered.update(await unit_subtree_ids(session, unit_id))
    return AdminScope(settings.is_admin(telegram_user_id), frozenset(covered), granted)


async def unit_admin_chats(session: AsyncSession, unit_id: int) -> list[int]:
    """Telegram ids of the admins of this unit: granted it or a unit above it, nearest
    first, each once. City-wide admins (``ADMIN_IDS``) are not among them."""
    found: list[int] = []
    for level in await unit_ancestor_ids(session, unit_id):
        rows = await session.scalars(
            select(UnitAdmin.telegram_user_id)
            .where(UnitAdmin.unit_id == level)
            .order_by(UnitAdmin.added_at, UnitAdmin.id)
        )
        found += [int(chat) for chat in rows if int(chat) not in found]
    return found


async def granted_units(session: AsyncSession, telegram_user_id: int) -> list[tuple[str, str]]:
    """(code, name) of each unit granted to this user, by code (for /akun)."""
    rows = await session.execute(
        select(Unit.code, Unit.name)
        .join(UnitAdmin, UnitAdmin.unit_id == Unit.id)
        .where(UnitAdmin.telegram_user_id == telegram_user_id)
        .order_by(Unit.code)
    )
    return [(str(code), str(name)) for code, name in rows.all()]


# -- grants -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One unit admin as listed by ``ulasan admin list`` and ``/admin``."""

    id: int
    telegram_user_id: int
    unit_code: str
    unit_name: str
    employee: str | None  # "NIP name" of the employee linked to that Telegram id, if any
    added_at: datetime
    added_by: str


@dataclass(frozen=True)
class Granted:
    unit_code: str
    unit_name: str
    sub_units: int  # units below it, also managed
    created: bool  # False: the grant existed already (nothing changed)


async def _unit(session: AsyncSession, code: str) -> Unit:
    unit = await session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise AdminError(f"unknown unit '{code}' (see `ulasan roster show`)")
    return unit


async def grant(
    session: AsyncSession, telegram_user_id: int, unit_code: str, *, actor: str, now: datetime
) -> Granted:
    """Make ``telegram_user_id`` an admin of the unit (and its sub-units); idempotent."""
    if telegram_user_id <= 0:
        raise AdminError(f"'{telegram_user_id}' is not a Telegram user id (a positive number)")
    unit = await _unit(session, unit_code)
    below = len(await unit_subtree_ids(session, unit.id)) - 1
    existing = await session.scalar(
        select(UnitAdmin.id).where(
            UnitAdmin.telegram_user_id == telegram_user_id, UnitAdmin.unit_id == unit.id
        )
    )
    if existing is not None:
        return Granted(unit.code, unit.name, below, created=False)
    session.add(
        UnitAdmin(
            telegram_user_id=telegram_user_id, unit_id=unit.id, added_by=actor[:100], added_at=now
        )
    )
    session.add(
        AuditLog(
            at=now,
            actor=actor[:100],
            action=ACTION_GRANT,
            detail=f"telegram user {telegram_user_id} administers unit {unit.code}",
        )
    )
    await session.flush()
    return Granted(unit.code, unit.name, below, created=True)


async def revoke(
    session: AsyncSession,
    telegram_user_id: int,
    unit_code: str | None,
    *,
    actor: str,
    now: datetime,
) -> list[str]:
    """Remove the user's grant of one unit, or every grant without ``unit_code``; the
    codes of the units removed. `AdminError` when there was nothing to remove."""
    statement = select(UnitAdmin.id, Unit.code).join(Unit, Unit.id == UnitAdmin.unit_id)
    statement = statement.where(UnitAdmin.telegram_user_id == telegram_user_id)
    if unit_code is not None:
        unit = await _unit(session, unit_code)
        statement = statement.where(UnitAdmin.unit_id == unit.id)
    rows = (await session.execute(statement.order_by(Unit.code))).all()
    if not rows:
        where = f"unit {unit_code}" if unit_code is not None else "any unit"
        raise AdminError(f"{telegram_user_id} is not an admin of {where}")
    await session.execute(delete(UnitAdmin).where(UnitAdmin.id.in_([row[0] for row in rows])))
    codes = [str(row[1]) for row in rows]
    session.add(
        AuditLog(
            at=now,
            actor=actor[:100],
            action=ACTION_REVOKE,
            detail=f"telegram user {telegram_user_id} no longer administers {', '.join(codes)}",
        )
    )
    return codes


async def list_grants(session: AsyncSession, unit_code: str | None = None) -> list[Grant]:
    """Every unit admin, by unit code; with ``unit_code`` only those who manage that
    unit (granted it or a unit above it)."""
    statement = (
        select(UnitAdmin, Unit.code, Unit.name, Employee.nip, Employee.name)
        .join(Unit, Unit.id == UnitAdmin.unit_id)
        .outerjoin(TelegramAccount, TelegramAccount.telegram_user_id == UnitAdmin.telegram_user_id)
        .outerjoin(Employee, Employee.id == TelegramAccount.employee_id)
        .order_by(Unit.code, UnitAdmin.telegram_user_id)
    )
    if unit_code is not None:
        unit = await _unit(session, unit_code)
        statement = statement.where(
            UnitAdmin.unit_id.in_(await unit_ancestor_ids(session, unit.id))
        )
    rows = (await session.execute(statement)).all()
    return [
        Grant(
            int(row.id),
            int(row.telegram_user_id),
            str(code),
            str(name),
            f"{nip} {employee}" if nip is not None else None,
            row.added_at,
            row.added_by,
        )
        for row, code, name, nip, employee in rows
    ]


async def grant_by_id(session: AsyncSession, grant_id: int) -> Grant | None:
    for found in await list_grants(session):
        if found.id == grant_id:
            return found
    return None


async def revoke_grant(
    session: AsyncSession, grant_id: int, *, actor: str, now: datetime
) -> Grant | None:
    """Remove one grant by its id (``/admin``); None when it is gone already."""
    found = await grant_by_id(session, grant_id)
    if found is None:
        return None
    await revoke(session, found.telegram_user_id, found.unit_code, actor=actor, now=now)
    return found


async def units(session: AsyncSession) -> list[tuple[int, str, str]]:
    """(id, code, name) of every unit, by code (``/admin``'s unit chooser)."""
    rows = await session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code))
    return [(int(unit_id), str(code), str(name)) for unit_id, code, name in rows.all()]
