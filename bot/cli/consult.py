"""``ulasan cycle consult|consult-results|adopt``: the consultation on example behaviours.

HR opens a window before the cycle NAME in which the unit's ASN propose
examples per indicator and vote (``/konsultasi``); reads the results (votes
per proposal, how many proposed and voted, never who); and adopts chosen
proposals into the next version of the instrument, which cycles opened later
record. The use cases are `scheduler.consultations`, shared with ``/siklus``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import actor, clock, format_option, get_settings
from bot.cli.cycle import _run

if TYPE_CHECKING:
    from storage.consultation_types import ConsultationResults


@click.command("consult")
@click.argument("name")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@click.option(
    "--days", type=int, default=None, help="Days the window stays open (CONSULTATION_DAYS)."
)
def consult_command(name: str, unit_code: str | None, days: int | None) -> None:
    """Open a consultation before cycle NAME: ASN propose examples and vote on them.

    Every linked participant gets one invitation with a button to take part.
    """
    from scheduler import consultations

    settings = get_settings()
    opened = _run(
        settings,
        lambda session: consultations.open_consultation(
            session,
            name=name,
            unit_code=unit_code,
            days=days if days is not None else settings.consultation_days,
            actor=actor(),
            now=clock().now(),
            settings=settings,
        ),
    )
    scope = f"unit {opened.unit_code} and its sub-units" if opened.unit_code else "all units"
    until = opened.closes_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    click.echo(
        f'Opened the consultation "{opened.name}" for {scope} until {until} '
        f"({opened.instrument}, examples from version {opened.base_version}): "
        f"{opened.participants} participant(s), {opened.notified} invitation(s) queued."
    )


def results_json(found: ConsultationResults) -> dict[str, Any]:
    return {
        "name": found.name,
        "unit": found.unit_code,
        "instrument": found.instrument,
        "base_version": found.base_version,
        "opens_at": found.opens_at.isoformat(),
        "closes_at": found.closes_at.isoformat(),
        "open": found.is_open,
        "adopted_version": found.adopted_version,
        "participants": found.participants,
        "proposers": found.proposers,
        "voters": found.voters,
        "proposals": [
            {
                "id": p.proposal_id,
                "item": p.item_code,
                "indicator": p.indicator + 1,
                "text": p.text,
                "votes": p.votes,
            }
            for p in found.proposals
        ],
    }


def render_results(found: ConsultationResults) -> str:
    state = "open" if found.is_open else "closed"
    adopted = f"; adopted as version {found.adopted_version}" if found.adopted_version else ""
    lines = [
        f'Consultation "{found.name}" ({state}{adopted}), {found.instrument} from version '
        f"{found.base_version}: {found.participants} participant(s), {found.proposers} "
        f"proposed, {found.voters} voted.",
    ]
    if not found.proposals:
        lines.append("No proposals.")
    where = None
    for p in found.proposals:
        if (p.item_code, p.indicator) != where:
            where = (p.item_code, p.indicator)
            lines.append(f"{p.item_code} indicator {p.indicator + 1}:")
        lines.append(f"  #{p.proposal_id}  {p.votes} vote(s)  {p.text}")
    return "\n".join(lines)


@click.command("consult-results")
@click.argument("name")
@format_option("table", "json")
def consult_results_command(name: str, output_format: str) -> None:
    """Votes per proposed example of consultation NAME (who proposed is never shown)."""
    from scheduler import consultations

    settings = get_settings()
    found = _run(settings, lambda session: consultations.results(session, name, clock().now()))
    if output_format == "json":
        click.echo(json.dumps(results_json(found), ensure_ascii=False, indent=2))
    else:
        click.echo(render_results(found))


@click.command("adopt")
@click.argument("name")
@click.option(
    "--proposal",
    "proposal_ids",
    type=int,
    multiple=True,
    required=True,
    metavar="ID",
    help="A proposal to adopt (repeat the option; ids from consult-results).",
)
def adopt_command(name: str, proposal_ids: tuple[int, ...]) -> None:
    """Adopt proposals of consultation NAME into the next version of the instrument.

    The regulation's indicators never change; the examples do. Cycles opened from
    now on record the new version.
    """
    from scheduler import consultations

    settings = get_settings()
    adopted = _run(
        settings,
        lambda session: consultations.adopt(
            session, name=name, proposal_ids=list(proposal_ids), actor=actor(), now=clock().now()
        ),
    )
    click.echo(
        f"{adopted.instrument} version {adopted.version}: {adopted.adopted} example(s) adopted "
        f'from "{adopted.name}", {adopted.examples} example(s) in all.'
    )


COMMANDS = (consult_command, consult_results_command, adopt_command)
