"""The roster as it stands (``ulasan roster show``): units as a tree with services and staff.

Also `pending_heads`, the unit heads a units import named before the
employees import created them (the roster import resolves them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Employee, Service, Unit


async def pending_heads(session: AsyncSession) -> dict[str, str]:
    """Unit code → NIP named as head by a units import but not yet an employee."""
    rows = await session.execute(
        select(Unit.code, Unit.pending_head_nip).where(
            Unit.pending_head_nip.is_not(None), Unit.head_employee_id.is_(None)
        )
    )
    return {code: nip for code, nip in rows}


@dataclass(frozen=True)
class EmployeeView:
    nip: str
    name: str
    position: str
    active: bool
    supervisor_nip: str | None
    supervisor_name: str | None


@dataclass(frozen=True)
class ServiceView:
    code: str
    name: str
    free: bool
    active: bool


@dataclass
class UnitView:
    code: str
    name: str
    head_nip: str | None
    head_name: str | None
    pending_head_nip: str | None
    services: list[ServiceView] = field(default_factory=list)
    employees: list[EmployeeView] = field(default_factory=list)
    children: list[UnitView] = field(default_factory=list)


class UnknownUnit(LookupError):
    """No unit has the requested code."""


async def roster_tree(session: AsyncSession, unit_code: str | None = None) -> list[UnitView]:
    """The units as a forest (or the subtree of one unit) with their services and employees."""
    # Insertion order is the order of the first units file: the admin's own order.
    units = sorted(await session.scalars(select(Unit)), key=lambda u: u.id)
    employees = list(await session.scalars(select(Employee)))
    services = sorted(await session.scalars(select(Service)), key=lambda s: s.code)
    pending = await pending_heads(session)
    by_id = {e.id: e for e in employees}
    views = {u.id: _unit_view(u, by_id, pending) for u in units}
    for service in services:
        views[service.unit_id].services.append(
            ServiceView(service.code, service.name, service.free, service.active)
        )
    for employee in sorted(employees, key=lambda e: (e.name, e.nip)):
        boss = by_id.get(employee.supervisor_id) if employee.supervisor_id else None
        views[employee.unit_id].employees.append(
            EmployeeView(
                employee.nip,
                employee.name,
                employee.position,
                employee.active,
                boss.nip if boss else None,
                boss.name if boss else None,
            )
        )
    roots = []
    for unit in units:
        view = views[unit.id]
        _head_first(view)
        if unit.parent_id is None:
            roots.append(view)
        else:
            views[unit.parent_id].children.append(view)
    if unit_code is None:
        return roots
    for unit in units:
        if unit.code == unit_code:
            return [views[unit.id]]
    raise UnknownUnit(unit_code)


def _head_first(view: UnitView) -> None:
    head = view.head_nip
    view.employees.sort(key=lambda e: e.nip != head)  # stable: the rest stay by name


def _unit_view(unit: Unit, by_id: dict[int, Employee], pending: dict[str, str]) -> UnitView:
    head = by_id.get(unit.head_employee_id) if unit.head_employee_id else None
    return UnitView(
        code=unit.code,
        name=unit.name,
        head_nip=head.nip if head else None,
        head_name=head.name if head else None,
        pending_head_nip=pending.get(unit.code) if head is None else None,
    )
