"""``ulasan roster show``: the units tree with heads, services and employees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.common import fail, get_settings, run_in_transaction

if TYPE_CHECKING:
    from storage.roster import UnitView


@click.group("roster")
def roster_group() -> None:
    """Look at the roster in the database."""


@roster_group.command("show")
@click.option("--unit", "unit_code", metavar="CODE", help="Show only this unit and its sub-units.")
def roster_show(unit_code: str | None) -> None:
    """Print the units tree with each unit's head, services and employees."""
    from storage.roster import UnknownUnit, roster_tree

    try:
        roots = run_in_transaction(get_settings(), lambda s: roster_tree(s, unit_code))
    except UnknownUnit:
        fail(f"Unknown unit '{unit_code}'.", 1)
    if not roots:
        click.echo("The roster is empty; start with `ulasan import units FILE`.")
        return
    for root in roots:
        for line in render_unit(root):
            click.echo(line)


def render_unit(unit: UnitView, depth: int = 0) -> list[str]:
    """The lines of one unit and its sub-units, indented by depth."""
    pad = "  " * depth
    if unit.head_name:
        head = f"{unit.head_name} ({unit.head_nip})"
    elif unit.pending_head_nip:
        head = f"pending: NIP {unit.pending_head_nip} is not an employee yet"
    else:
        head = "none"
    lines = [f"{pad}{unit.code}  {unit.name}", f"{pad}  head: {head}"]
    for service in unit.services:
        flags = [f for f, on in (("free", service.free), ("inactive", not service.active)) if on]
        suffix = f" [{', '.join(flags)}]" if flags else ""
        lines.append(f"{pad}  service {service.code}: {service.name}{suffix}")
    for person in unit.employees:
        boss = f"; supervisor: {person.supervisor_name}" if person.supervisor_name else ""
        state = "" if person.active else " [inactive]"
        position = f" — {person.position}" if person.position else ""
        lines.append(f"{pad}  employee {person.nip} {person.name}{position}{boss}{state}")
    for child in unit.children:
        lines.extend(render_unit(child, depth + 1))
    return lines
