"""What one Telegram user is to Ulasan: an admin (city-wide or of some units), a unit head.

The one answer the role-aware commands ask first (``/help``, ``/ikm``,
``/tim``, ``/laporan``): admins come from `storage.unit_admins` (``ADMIN_IDS``
and the unit-admin grants); a head is the active employee linked to this
Telegram account whom the roster names as a unit's head (``head_nip``). A head
sees their unit **and every unit below it**, as an admin does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from storage.directory import employee_by_telegram
from storage.models import Unit
from storage.unit_admins import NO_SCOPE, AdminScope, admin_scope


@dataclass(frozen=True)
class HeadedUnit:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class Roles:
    admin: AdminScope
    employee_id: int | None  # the linked, active employee, if any
    headed: tuple[HeadedUnit, ...]  # units this person heads, by code

    @property
    def is_admin(self) -> bool:
        return self.admin.is_admin

    @property
    def is_head(self) -> bool:
        return bool(self.headed)


NOBODY = Roles(NO_SCOPE, None, ())


async def headed_units(session: AsyncSession, employee_id: int) -> tuple[HeadedUnit, ...]:
    """The units whose head is this employee, by code."""
    rows = await session.execute(
        select(Unit.id, Unit.code, Unit.name)
        .where(Unit.head_employee_id == employee_id)
        .order_by(Unit.code)
    )
    return tuple(HeadedUnit(int(i), str(c), str(n)) for i, c, n in rows.all())


async def roles_of(session: AsyncSession, settings: Settings, telegram_user_id: int) -> Roles:
    """The admin scope and headed units of this Telegram user."""
    scope = await admin_scope(session, settings, telegram_user_id)
    employee = await employee_by_telegram(session, telegram_user_id)
    if employee is None:
        return Roles(scope, None, ())
    return Roles(scope, employee.id, await headed_units(session, employee.id))


async def scope_units(session: AsyncSession, scope: AdminScope) -> tuple[HeadedUnit, ...]:
    """The units an admin picks from for a report: the top-level units for a city-wide
    admin (every unit below is in their reports), the granted units for a unit admin."""
    statement = select(Unit.id, Unit.code, Unit.name).order_by(Unit.code)
    if scope.city_wide:
        statement = statement.where(Unit.parent_id.is_(None))
    else:
        statement = statement.where(Unit.id.in_(sorted(scope.granted_unit_ids)))
    rows = await session.execute(statement)
    return tuple(HeadedUnit(int(i), str(c), str(n)) for i, c, n in rows.all())
