"""What a unit admin's roster file may touch: their units and the units below them.

A city-wide admin (and the CLI) imports with ``managed=None``: every unit. A
unit admin imports from Telegram with the ids of the units they manage
(`storage.unit_admins.AdminScope.unit_ids`), and every row must stay inside
them, reported like any other bad row so the whole file is fixed in one go:

- units: an existing unit in the file must be one they manage, and a unit's
  parent must be a managed unit or a unit of the same file (a new unit hangs
  below their tree); the tops of their scope keep the parent they have (a
  unit admin cannot move their own unit elsewhere);
- services and employees: the row's unit must be a managed one, and an
  existing service or employee may not be taken from a unit outside;
- deactivating the employees missing from the file reaches only employees of
  managed units (`storage.roster` asks `covers`).

A supervisor may be anyone in the roster: naming one reads, it moves nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.core.i18n import N_
from storage.models import Employee, Service, Unit
from storage.roster_checks import Problems

OUTSIDE = N_("unit '{code}' is not one of the units you manage")
TAKEN = N_("'{value}' belongs to unit '{code}', which you do not manage")
NO_PARENT = N_("a new unit needs a parent among the units you manage")
MOVED_TOP = N_("you manage unit '{code}' but not the unit above it, so its parent cannot change")


def covers(managed: frozenset[int] | None, unit_id: int | None) -> bool:
    return managed is None or unit_id in managed


def check_units(
    p: Problems, records: Iterable[Any], units: dict[str, Unit], managed: frozenset[int] | None
) -> None:
    """Units a unit admin's file may add or change (see the module docstring)."""
    if managed is None:
        return
    records = list(records)
    in_file = {r.code for r in records if r.code}
    by_id = {unit.id: unit for unit in units.values()}
    for record in records:
        unit = units.get(record.code or "")
        if unit is not None and unit.id not in managed:
            p.add(record.line, "code", OUTSIDE, code=record.code)
            record.ok = False
            continue
        parent = record.parent_code
        current = by_id.get(unit.parent_id) if unit is not None and unit.parent_id else None
        if unit is not None and (current is None or current.id not in managed):
            # The top of the admin's scope: its parent stays what it is.
            if (current.code if current else None) != parent:
                p.add(record.line, "parent_code", MOVED_TOP, code=record.code)
                record.ok = False
            continue
        if parent is None:
            p.add(record.line, "parent_code", NO_PARENT)
            record.ok = False
        elif parent not in in_file and not covers(managed, _id(units, parent)):
            p.add(record.line, "parent_code", OUTSIDE, code=parent)
            record.ok = False


def check_rows(
    p: Problems,
    records: Iterable[Any],
    key: str,
    units: dict[str, Unit],
    existing: dict[str, Service] | dict[str, Employee],
    managed: frozenset[int] | None,
) -> None:
    """Services or employees (keyed by ``key``: code or nip) of a unit admin's file."""
    if managed is None:
        return
    code_of = {unit.id: unit.code for unit in units.values()}
    for record in records:
        unit_id = _id(units, record.unit_code)
        if record.unit_code and unit_id is not None and unit_id not in managed:
            p.add(record.line, "unit_code", OUTSIDE, code=record.unit_code)
            record.ok = False
            continue
        found = existing.get(getattr(record, key) or "")
        if found is not None and found.unit_id not in managed:
            p.add(
                record.line,
                key,
                TAKEN,
                value=getattr(record, key),
                code=code_of.get(found.unit_id, "?"),
            )
            record.ok = False


def _id(units: dict[str, Unit], code: str | None) -> int | None:
    unit = units.get(code or "")
    return unit.id if unit is not None else None
