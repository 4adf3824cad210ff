"""Who may see and act on a case, and to whom it may be handed.

A Telegram user may see a case, and act on it (hand it over, set its status,
resolve it, reply to the citizen), when they

- own it (the head it was opened for, or the staff member it was handed to);
- head the case's unit or a unit above it (the head keeps the cases they
  handed over; the head above sees what was escalated to them);
- administer the case's unit (`storage.unit_admins`: a unit admin of it or a
  unit above it, or a city-wide admin).

A case may be handed to an active employee with a linked Telegram account
(they must be able to hear of it) in the case's responsible unit or a unit
below it: the head's own staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.settings import Settings
from storage.directory import employee_by_telegram, headed_unit_ids, unit_subtree_ids
from storage.models import Employee, TelegramAccount
from storage.unit_admins import admin_scope


@dataclass(frozen=True)
class Viewer:
    telegram_user_id: int
    employee_id: int | None
    city_wide: bool
    unit_ids: frozenset[int]  # the subtrees of the units they head or administer

    def may_see(self, unit_id: int, owner_employee_id: int | None) -> bool:
        if self.city_wide or unit_id in self.unit_ids:
            return True
        return self.employee_id is not None and owner_employee_id == self.employee_id

    @property
    def oversees(self) -> bool:
        """Heads or administers something (beyond the cases handed to them)."""
        return self.city_wide or bool(self.unit_ids)


async def viewer_for(session: AsyncSession, settings: Settings, telegram_user_id: int) -> Viewer:
    employee = await employee_by_telegram(session, telegram_user_id)
    scope = await admin_scope(session, settings, telegram_user_id)
    units = set(scope.unit_ids)
    if employee is not None:
        for unit_id in await headed_unit_ids(session, employee.id):
            units.update(await unit_subtree_ids(session, unit_id))
    return Viewer(
        telegram_user_id,
        employee.id if employee is not None else None,
        scope.city_wide,
        frozenset(units),
    )


@dataclass(frozen=True)
class Staff:
    employee_id: int
    name: str
    position: str


async def eligible_staff(session: AsyncSession, responsible_unit_id: int) -> list[Staff]:
    """Active, linked employees of the responsible unit and the units below it, by name."""
    units = await unit_subtree_ids(session, responsible_unit_id)
    rows = await session.execute(
        select(Employee.id, Employee.name, Employee.position)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(Employee.unit_id.in_(units), Employee.active.is_(True))
        .order_by(Employee.name, Employee.id)
    )
    return [Staff(int(e), str(name), str(position or "")) for e, name, position in rows.all()]


async def may_own(session: AsyncSession, responsible_unit_id: int, employee_id: int) -> bool:
    return any(
        s.employee_id == employee_id for s in await eligible_staff(session, responsible_unit_id)
    )
