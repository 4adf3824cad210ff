"""``ulasan admin add|list|remove``: unit admins, who see and manage one unit and its sub-units.

City-wide admins are ``ADMIN_IDS`` in the settings (``list`` shows them too,
marked "all units"); unit admins are kept in the database
(`storage.unit_admins`). A unit admin receives the alerts of their unit's
services and sees its cases in ``/kasus``; an admin of another unit gets
nothing of it. Each change is one transaction and one audit-log row naming the
operator. Errors (an unknown unit, a Telegram id that is not a number, nothing
to remove) are one line on stderr and exit code 1.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import actor, clock, fail, format_option, get_settings, run_in_transaction
from bot.cli.cycle import OneLineErrors

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.unit_admins import Grant

FORMATS = ("table", "json")


@click.group("admin", cls=OneLineErrors)
def admin_group() -> None:
    """Unit admins: Telegram users who manage one unit and its sub-units."""


def _run_grant_change(settings: Settings, work: Any) -> Any:
    from storage.unit_admins import AdminError

    try:
        return run_in_transaction(settings, work)
    except AdminError as exc:
        fail(f"Error: {exc}")


@admin_group.command("add")
@click.argument("telegram_id", type=int, metavar="TELEGRAM_ID")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit to manage.")
def add(telegram_id: int, unit_code: str) -> None:
    """Make TELEGRAM_ID an admin of the unit CODE and its sub-units."""
    from storage import unit_admins

    settings = get_settings()
    now = clock().now()
    done = _run_grant_change(
        settings,
        lambda s: unit_admins.grant(s, telegram_id, unit_code, actor=actor(), now=now),
    )
    below = f" and its {done.sub_units} sub-unit(s)" if done.sub_units else ""
    if done.created:
        click.echo(f"{telegram_id} is now an admin of {done.unit_code} ({done.unit_name}){below}.")
    else:
        click.echo(f"{telegram_id} was already an admin of {done.unit_code}; nothing changed.")
    if settings.is_admin(telegram_id):
        click.echo(
            f"Note: {telegram_id} is also in ADMIN_IDS, so they manage every unit "
            "until removed from there."
        )


@admin_group.command("remove")
@click.argument("telegram_id", type=int, metavar="TELEGRAM_ID")
@click.option(
    "--unit", "unit_code", metavar="CODE", help="Only this unit (default: every unit of theirs)."
)
def remove(telegram_id: int, unit_code: str | None) -> None:
    """Stop TELEGRAM_ID administering the unit CODE (or every unit)."""
    from storage import unit_admins

    settings = get_settings()
    now = clock().now()
    codes = _run_grant_change(
        settings,
        lambda s: unit_admins.revoke(s, telegram_id, unit_code, actor=actor(), now=now),
    )
    click.echo(f"{telegram_id} no longer administers {', '.join(codes)}.")
    if settings.is_admin(telegram_id):
        click.echo(f"Note: {telegram_id} is still a city-wide admin (ADMIN_IDS in the settings).")


@admin_group.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only the admins who manage this unit.")
@format_option(*FORMATS)
def list_admins(unit_code: str | None, output_format: str) -> None:
    """City-wide admins (ADMIN_IDS) and unit admins, with the employee linked to each id."""
    from storage import unit_admins

    settings = get_settings()
    grants: list[Grant] = _run_grant_change(
        settings, lambda s: unit_admins.list_grants(s, unit_code)
    )
    rows = [_city_row(admin_id) for admin_id in settings.admin_ids]
    rows += [_grant_row(grant, settings) for grant in grants]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No admins: set ADMIN_IDS, or `ulasan admin add TELEGRAM_ID --unit CODE`.")
        return
    click.echo(render_table(rows))


def _city_row(admin_id: int) -> dict[str, Any]:
    return {
        "telegram_id": admin_id,
        "scope": "city",
        "unit_code": None,
        "unit_name": None,
        "employee": None,
        "added_at": None,
        "added_by": "ADMIN_IDS",
    }


def _grant_row(grant: Grant, settings: Settings) -> dict[str, Any]:
    return {
        "telegram_id": grant.telegram_user_id,
        "scope": "unit",
        "unit_code": grant.unit_code,
        "unit_name": grant.unit_name,
        "employee": grant.employee,
        "added_at": grant.added_at.astimezone(settings.tz).isoformat(timespec="minutes"),
        "added_by": grant.added_by,
    }


def render_table(rows: list[dict[str, Any]]) -> str:
    from scheduler.documents.text_table import aligned

    body = [
        [
            str(row["telegram_id"]),
            row["unit_code"] + " " + row["unit_name"] if row["unit_code"] else "all units",
            row["employee"] or "-",
            row["added_by"],
        ]
        for row in rows
    ]
    return "\n".join(
        aligned(["telegram id", "manages", "linked employee", "added by"], body, set())
    )
