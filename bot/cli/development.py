"""``ulasan development coach|mix``: a plan's named coach; the predikat mix that applies.

``mix set|show|clear`` records, per cycle and OPD (or every OPD), the
organisation's achievement and the predikat distribution that applies to it
(SE MenPANRB 03/2023) as whole-percent minimums and maximums: data an admin
enters, never a figure the bot invents. A head whose unit's recommended mix
breaks it is warned at close (`scheduler.development_lists`). Audited.


A plan's text is read only by its ratee, the supervisor who approves it and a
coach named here (`storage.development_plans.Reader`). Naming one is audited;
the coach of an approved plan receives the plan at once, and the plan's
later check-ins through ``/rencana``. ``--clear`` takes the coach away again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import (
    actor,
    clock,
    fail,
    get_settings,
    in_transaction,
    run_in_transaction,
    run_reading,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from scheduler.scoring.predikat_mix import Limit


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


@development_group.group("mix")
def mix_group() -> None:
    """The predikat distribution that applies (SE MenPANRB 03/2023), as recorded by an admin."""


def _limits(minimums: tuple[str, ...], maximums: tuple[str, ...]) -> list[Limit]:
    """``PREDIKAT=PCT`` pairs as limits (one per predikat); bad input exits with one line."""
    from scheduler.scoring.predikat_mix import Limit
    from scheduler.scoring.review_recommendation import Predikat

    bounds: dict[Predikat, dict[str, int]] = {}
    for option, pairs in (("--min", minimums), ("--max", maximums)):
        for pair in pairs:
            name, _, percent = pair.partition("=")
            try:
                predikat = Predikat(name.strip().lower())
            except ValueError:
                choices = ", ".join(p.value for p in Predikat)
                fail(f"{option}: '{name}' is not a predikat ({choices})")
            if not percent.strip().isdigit() or not 0 <= int(percent) <= 100:
                fail(f"{option}: '{pair}' needs a whole percent 0-100, e.g. sangat_baik=20")
            bounds.setdefault(predikat, {})[option] = int(percent)
    limits = []
    for predikat in Predikat:
        found = bounds.get(predikat)
        if found is None:
            continue
        low, high = found.get("--min"), found.get("--max")
        if low is not None and high is not None and low > high:
            fail(f"{predikat.value}: the minimum {low}% is above the maximum {high}%")
        limits.append(Limit(predikat, low, high))
    if not limits:
        fail("give at least one --min or --max PREDIKAT=PCT")
    return limits


async def _cycle_and_scope(
    session: AsyncSession, cycle_name: str, unit_code: str | None
) -> tuple[int, str]:
    from storage import development_counts, predikat_mix
    from storage.development_counts import NotAnOpd

    cycle = await session.scalar(_cycle_query(cycle_name))
    if cycle is None:
        raise MixRefused(f"--cycle: no cycle named '{cycle_name}'")
    if unit_code is None:
        return cycle.id, predikat_mix.EVERY_OPD
    try:
        unit = await development_counts.opd_unit(session, unit_code)
    except NotAnOpd as exc:
        raise MixRefused(f"--unit: {exc.code} is part of the OPD {exc.opd}") from exc
    if unit is None:
        raise MixRefused(f"--unit: no unit with code '{unit_code}'")
    return cycle.id, unit.code


def _cycle_query(name: str) -> Any:
    from sqlalchemy import select

    from storage.review_models import ReviewCycle

    return select(ReviewCycle).where(ReviewCycle.name == name)


class MixRefused(Exception):
    pass


@mix_group.command("set")
@click.option("--cycle", "cycle_name", required=True, help="The cycle the distribution is for.")
@click.option("--unit", "unit_code", metavar="OPD", help="One OPD (default: every OPD).")
@click.option("--achievement", required=True, help="The organisation's achievement, as rated.")
@click.option("--min", "minimums", multiple=True, metavar="PREDIKAT=PCT", help="Minimum share.")
@click.option("--max", "maximums", multiple=True, metavar="PREDIKAT=PCT", help="Maximum share.")
def mix_set_command(
    cycle_name: str,
    unit_code: str | None,
    achievement: str,
    minimums: tuple[str, ...],
    maximums: tuple[str, ...],
) -> None:
    """Record the predikat distribution that applies (replaces the scope's earlier one)."""
    from scheduler import predikat_mix as mix
    from storage import predikat_mix

    limits = _limits(minimums, maximums)
    if not achievement.strip() or len(achievement) > 64:
        fail("--achievement: 1-64 characters")
    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        entry = await predikat_mix.audit(session, actor(), now)
        cycle_id, scope = await _cycle_and_scope(session, cycle_name, unit_code)
        # A closed cycle's heads hear of a breach now (an open one's at its close).
        warned = await mix.record(
            session,
            settings,
            entry=entry,
            cycle_id=cycle_id,
            cycle_name=cycle_name,
            scope=scope,
            achievement=achievement.strip(),
            limits=limits,
            actor=actor(),
            now=now,
        )
        return (
            f"predikat mix for {scope} in '{cycle_name}': {_describe(limits)}; "
            f"{warned} head(s) warned"
        )

    try:
        click.echo(run_in_transaction(settings, work))
    except MixRefused as exc:
        fail(f"development mix set: {exc}")


def _describe(limits: list[Limit] | tuple[Limit, ...]) -> str:
    from scheduler.predikat_mix import describe

    return describe(limits)


@mix_group.command("show")
@click.option("--cycle", "cycle_name", required=True)
def mix_show_command(cycle_name: str) -> None:
    """The distributions recorded for a cycle."""
    from storage import predikat_mix

    settings = get_settings()

    async def work(session: AsyncSession) -> list[str]:
        cycle_id, _ = await _cycle_and_scope(session, cycle_name, None)
        return [
            f"{r.scope:<10} {r.achievement}: {_describe(r.limits)} (by {r.set_by})"
            for r in await predikat_mix.recorded(session, cycle_id)
        ]

    lines = run_reading("development mix show", in_transaction(settings, work), (MixRefused,))
    click.echo("\n".join(lines) if lines else f"No predikat mix recorded for '{cycle_name}'.")


@mix_group.command("clear")
@click.option("--cycle", "cycle_name", required=True)
@click.option("--unit", "unit_code", metavar="OPD", help="One OPD (default: the every-OPD row).")
def mix_clear_command(cycle_name: str, unit_code: str | None) -> None:
    """Remove a recorded distribution."""
    from scheduler import predikat_mix as mix
    from storage import predikat_mix

    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        entry = await predikat_mix.audit(session, actor(), now)
        cycle_id, scope = await _cycle_and_scope(session, cycle_name, unit_code)
        removed = await mix.remove(
            session, entry=entry, cycle_id=cycle_id, cycle_name=cycle_name, scope=scope
        )
        return f"{removed} limit(s) removed for {scope} in '{cycle_name}'"

    try:
        click.echo(run_in_transaction(settings, work))
    except MixRefused as exc:
        fail(f"development mix clear: {exc}")
