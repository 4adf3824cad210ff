"""``ulasan alerts list``: the cases that alerts opened, with their owner, age and status.

``--unit CODE`` keeps the cases of that unit and its sub-units; ``--status``
one status (baru, ditangani, selesai). The table is for the operator (English
with the units' own status words); ``--format json`` prints a list of objects,
oldest first. Nothing identifies a citizen: the service, the unit, why it
alerted, and what was done.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import clock, format_option, get_settings, run_reading
from bot.cli.cycle import OneLineErrors
from scheduler.scoring.case_rules import STATUSES

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.case_queries import CaseView

FORMATS = ("table", "json")


@click.group("alerts", cls=OneLineErrors)
def alerts_group() -> None:
    """The cases opened by low-score and levy alerts."""


class UnknownUnit(Exception):
    pass


async def load_cases(settings: Settings, unit_code: str | None, status: str | None) -> list[Any]:
    from sqlalchemy import select

    from storage.case_queries import cases_in_units
    from storage.db import create_engine, session_factory
    from storage.directory import unit_subtree_ids
    from storage.models import Unit

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine)() as session:
            units = None
            if unit_code is not None:
                unit_id = await session.scalar(select(Unit.id).where(Unit.code == unit_code))
                if unit_id is None:
                    raise UnknownUnit(f"unknown unit '{unit_code}' (see `ulasan roster show`)")
                units = await unit_subtree_ids(session, unit_id)
            return await cases_in_units(session, units, status)
    finally:
        await engine.dispose()


@alerts_group.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@click.option(
    "--status",
    type=click.Choice(STATUSES, case_sensitive=False),
    help="Only cases with this status.",
)
@format_option(*FORMATS)
def list_cases(unit_code: str | None, status: str | None, output_format: str) -> None:
    """Cases with their owner, age and status, oldest first."""
    settings = get_settings()
    now = clock().now()
    views = run_reading(
        "alerts list",
        load_cases(settings, unit_code, status.lower() if status else None),
        (UnknownUnit,),
    )
    rows = [as_row(view, settings, now) for view in views]
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        click.echo("No cases.")
    else:
        click.echo(render_table(rows))


def _local(moment: datetime | None, settings: Settings) -> str | None:
    return moment.astimezone(settings.tz).isoformat(timespec="minutes") if moment else None


def as_row(view: CaseView, settings: Settings, now: datetime) -> dict[str, Any]:
    from scheduler.messages.cases import last_day  # the database stack: not for --help

    service = view.response.service
    return {
        "case": view.id,
        "opened_at": _local(view.opened_at, settings),
        "age_hours": round((now - view.opened_at).total_seconds() / 3600, 1),
        "unit": {"code": service.unit.code, "name": service.unit.name},
        "service": {"code": service.code, "name": service.name},
        "reasons": list(view.reasons),
        "status": view.status,
        "owner": view.owner_name,
        "first_response_due_by": last_day(view.due_at, settings).isoformat(),
        "past_target": view.late(now),
        "first_response_at": _local(view.first_response_at, settings),
        "escalated_at": _local(view.escalated_at, settings),
        "resolved_at": _local(view.resolved_at, settings),
        "resolution": view.resolution,
    }


def age_text(hours: float) -> str:
    whole = int(hours)
    return f"{whole // 24} d {whole % 24} h" if whole >= 24 else f"{whole} h"


def render_table(rows: list[dict[str, Any]]) -> str:
    from scheduler.documents.text_table import aligned

    body = []
    for row in rows:
        flags = [
            f for f, on in (("LATE", row["past_target"]), ("escalated", row["escalated_at"])) if on
        ]
        body.append(
            [
                str(row["case"]),
                (row["opened_at"] or "").replace("T", " ")[:16],
                age_text(row["age_hours"]),
                row["unit"]["code"],
                row["service"]["name"],
                ",".join(row["reasons"]),
                row["status"],
                row["owner"] or "-",
                row["first_response_due_by"],
                " ".join(flags) or "-",
                row["resolution"] or "",
            ]
        )
    headers = [
        "case",
        "opened",
        "age",
        "unit",
        "service",
        "reasons",
        "status",
        "owner",
        "due",
        "flags",
        "resolution",
    ]
    return "\n".join(aligned(headers, body, {0}))
