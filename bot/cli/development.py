"""``ulasan development coach``: name the coach who may read an employee's development plan.

A plan's text is read only by its ratee, the supervisor who approves it and a
coach named here (`storage.development_plans.Reader`). Naming one is audited;
the coach of an approved plan receives the plan at once, and the plan's
later check-ins through ``/rencana``. ``--clear`` takes the coach away again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.common import actor, clock, fail, get_settings, run_in_transaction

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@click.group("development")
def development_group() -> None:
    """Development plans (IDP) after 360° cycles."""


@development_group.command("coach")
@click.option("--cycle", "cycle_name", required=True, help="The closed cycle of the plan.")
@click.option("--employee", "employee_nip", required=True, help="The ratee's NIP.")
@click.option("--coach", "coach_nip", help="The coach's NIP.")
@click.option("--clear", is_flag=True, help="Take the plan's coach away.")
def coach_command(cycle_name: str, employee_nip: str, coach_nip: str | None, clear: bool) -> None:
    """Name (or --clear) the coach of one employee's development plan."""
    from scheduler.development import CoachRefused, name_coach

    if clear == (coach_nip is not None):
        fail("give either --coach NIP or --clear")
    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        return await name_coach(
            session,
            settings,
            cycle_name=cycle_name,
            employee_nip=employee_nip,
            coach_nip=None if clear else coach_nip,
            actor=actor(),
            now=now,
        )

    try:  # a refusal leaves the transaction (and its audit row) rolled back
        line = run_in_transaction(settings, work)
    except CoachRefused as exc:
        fail(f"development coach: {exc}")
    click.echo(line)
