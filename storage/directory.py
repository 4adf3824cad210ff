"""Lookups of the organisation shared by every feature: who is this Telegram user,
how to reach an employee, which units lie below a unit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Employee, TelegramAccount, Unit


async def employee_by_telegram(session: AsyncSession, telegram_user_id: int) -> Employee | None:
    """The active employee linked to this Telegram user, if any."""
    return await session.scalar(
        select(Employee)
        .join(TelegramAccount, TelegramAccount.employee_id == Employee.id)
        .where(TelegramAccount.telegram_user_id == telegram_user_id, Employee.active.is_(True))
    )


async def accounts_by_employee(
    session: AsyncSession, employee_ids: list[int]
) -> dict[int, TelegramAccount]:
    """Linked accounts of these employees, by employee id (unlinked ones are absent)."""
    if not employee_ids:
        return {}
    rows = await session.scalars(
        select(TelegramAccount).where(TelegramAccount.employee_id.in_(employee_ids))
    )
    return {row.employee_id: row for row in rows}


async def unit_subtree_ids(session: AsyncSession, unit_id: int) -> list[int]:
    """This unit and every unit below it (breadth first; safe against bad cycles)."""
    found = [unit_id]
    seen = {unit_id}
    frontier = [unit_id]
    while frontier:
        children = (
            await session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier)))
        ).all()
        frontier = [c for c in children if c not in seen]
        seen.update(frontier)
        found.extend(frontier)
    return found


async def unit_subtree(session: AsyncSession, unit_id: int) -> list[Unit]:
    """The unit and all its descendants (breadth first), safe against a cycle."""
    root = await session.get(Unit, unit_id)
    if root is None:
        return []
    seen = {root.id}
    found = [root]
    frontier = [root.id]
    while frontier:
        children = (
            await session.scalars(
                select(Unit).where(Unit.parent_id.in_(frontier)).order_by(Unit.code)
            )
        ).all()
        frontier = []
        for child in children:
            if child.id not in seen:
                seen.add(child.id)
                found.append(child)
                frontier.append(child.id)
    return found


async def employee_by_nip(session: AsyncSession, nip: str) -> Employee | None:
    return await session.scalar(select(Employee).where(Employee.nip == nip))


async def unit_ancestor_ids(session: AsyncSession, unit_id: int) -> list[int]:
    """This unit and every unit above it, nearest first (safe against bad cycles);
    [] for an unknown unit."""
    found: list[int] = []
    current: int | None = unit_id
    while current is not None and current not in found:
        parent = (
            await session.execute(select(Unit.id, Unit.parent_id).where(Unit.id == current))
        ).first()
        if parent is None:
            break
        found.append(current)
        current = parent[1]
    return found
