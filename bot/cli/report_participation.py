"""``ulasan report participation``: per OPD, how supervisors keep up continuous feedback.

For a performance period (default: the last one that ended): the share of
supervisors who gave feedback on at least 80 % of their subordinates' cards,
the dialogues recorded, the expectations set (`scheduler.scoring.participation`).
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import clock, fail, format_option, get_settings, in_transaction, run_reading

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


HEADER = (
    f"{'OPD':<16} {'supervisors':>11} {'>=80%':>6} {'share':>6} {'cards':>6} {'waiting':>8} "
    f"{'given':>6} {'dialogues':>10} {'expectations':>13}"
)


def _share(value: Fraction | None) -> str:
    return "-" if value is None else f"{float(value) * 100:.0f}%"


def _json_share(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 4)


@click.command("participation")
@click.option(
    "--period", "period_label", metavar="YYYY-MM", help="Default: the last period that ended."
)
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and the units below it.")
@format_option("table", "json")
def participation_command(
    period_label: str | None, unit_code: str | None, output_format: str
) -> None:
    """Per OPD: supervisors giving feedback to >= 80% of subordinates, dialogues, expectations."""
    from bot.core.clock import local_day
    from scheduler.scoring.participation import participation
    from scheduler.scoring.performance_periods import closed_period, parse_period
    from storage.ikm_scope import unit_by_code
    from storage.participation import card_facts

    settings = get_settings()
    cadence = settings.feedback_cadence_months
    try:
        period = (
            parse_period(period_label, cadence)
            if period_label
            else closed_period(local_day(clock().now(), settings.tz), cadence)
        )
    except ValueError as exc:
        fail(f"--period: {exc}")

    async def work(session: AsyncSession) -> list[Any] | None:
        unit = await unit_by_code(session, unit_code) if unit_code else None
        if unit_code and unit is None:
            return None
        return await card_facts(session, period.label, period.year, unit)

    facts = run_reading("report participation", in_transaction(settings, work))
    if facts is None:
        fail(f"--unit: no unit with code '{unit_code}'")
    figures = participation(facts)
    if output_format == "json":
        click.echo(json.dumps(_as_json(period.label, figures), indent=2))
        return
    click.echo(f"Continuous feedback (umpan balik berkelanjutan), period {period.label}")
    if not figures:
        click.echo("No feedback cards in this period.")
        return
    click.echo(HEADER)
    for f in figures:
        click.echo(
            f"{f.opd:<16} {f.supervisors:>11} {f.compliant:>6} {_share(f.compliant_share):>6} "
            f"{f.cards:>6} {f.waiting:>8} {f.given:>6} "
            f"{f.dialogues:>4} {_share(f.dialogue_share):>5} "
            f"{f.with_expectations:>6} {_share(f.expectation_share):>6}"
        )


def _as_json(period: str, figures: list[Any]) -> dict[str, Any]:
    return {
        "period": period,
        "threshold": 0.8,
        "opd": [
            {
                "opd": f.opd,
                "supervisors": f.supervisors,
                "supervisors_at_threshold": f.compliant,
                "supervisor_share": _json_share(f.compliant_share),
                "cards": f.cards,
                "waiting": f.waiting,
                "given": f.given,
                "skipped_or_open": f.skipped_or_open,
                "dialogues": f.dialogues,
                "dialogue_share": _json_share(f.dialogue_share),
                "employees": f.employees,
                "employees_with_expectations": f.with_expectations,
                "expectation_share": _json_share(f.expectation_share),
            }
            for f in figures
        ],
    }
