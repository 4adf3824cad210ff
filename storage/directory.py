"""Lookups of the organisation shared by every feature: who is this Telegram user,
how to reach an employee, which units lie below a unit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
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


async def top_unit_codes(session: AsyncSession) -> dict[int, str]:
    """Unit id → the code of the top of its tree (its OPD: a unit without a parent)."""
    parents = {u: p for u, p in (await session.execute(select(Unit.id, Unit.parent_id))).all()}
    codes = {u: c for u, c in (await session.execute(select(Unit.id, Unit.code))).all()}
    tops: dict[int, str] = {}
    for unit in parents:
        node, seen = unit, set()
        while parents.get(node) is not None and node not in seen:
            seen.add(node)
            node = parents[node]
        tops[unit] = codes[node]
    return tops


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


async def child_units(session: AsyncSession, unit_id: int) -> list[Unit]:
    """The units directly below this one, by code."""
    rows = await session.scalars(select(Unit).where(Unit.parent_id == unit_id).order_by(Unit.code))
    return list(rows.all())


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


@dataclass(frozen=True)
class LinkedHead:
    """The head found for a unit: who (employee, Telegram id) and which unit they head."""

    employee_id: int
    chat_id: int
    unit_id: int


async def nearest_linked_head(session: AsyncSession, unit_id: int) -> LinkedHead | None:
    """The linked, active head of the unit, else of the nearest unit above it that has
    one; None if no unit up the tree has one (safe against bad cycles)."""
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        row = (
            await session.execute(
                select(Unit.parent_id, Employee.id, TelegramAccount.telegram_user_id)
                .select_from(Unit)
                .outerjoin(
                    Employee,
                    and_(Employee.id == Unit.head_employee_id, Employee.active.is_(True)),
                )
                .outerjoin(TelegramAccount, TelegramAccount.employee_id == Employee.id)
                .where(Unit.id == current)
            )
        ).first()
        if row is None:
            return None
        parent_id, employee_id, telegram_id = row
        if employee_id is not None and telegram_id is not None:
            return LinkedHead(int(employee_id), int(telegram_id), current)
        current = parent_id
    return None


@dataclass(frozen=True)
class Placed:
    """An employee's name and unit (to route a list to the unit's head)."""

    name: str
    unit_id: int | None


async def placed(session: AsyncSession, employee_ids: list[int]) -> dict[int, Placed]:
    """Active employees among ``employee_ids`` with their unit."""
    if not employee_ids:
        return {}
    rows = await session.execute(
        select(Employee.id, Employee.name, Employee.unit_id).where(
            Employee.id.in_(employee_ids), Employee.active.is_(True)
        )
    )
    return {int(e): Placed(str(n), u) for e, n, u in rows.all()}


async def headed_unit_ids(session: AsyncSession, employee_id: int) -> list[int]:
    """The units this employee heads (active or not is the caller's concern)."""
    rows = await session.scalars(select(Unit.id).where(Unit.head_employee_id == employee_id))
    return [int(unit_id) for unit_id in rows]


async def units_headed_by(session: AsyncSession, employee_id: int) -> list[Unit]:
    """The units this employee heads, by code."""
    rows = await session.scalars(
        select(Unit).where(Unit.head_employee_id == employee_id).order_by(Unit.code)
    )
    return list(rows.all())
