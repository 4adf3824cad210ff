"""``ulasan cycle …``: open, adjust, watch, close and list 360° review cycles.

The transaction boundary is here: each command runs in one transaction around
one `scheduler.cycles` use case or `storage.review_cycles` query, so a failed
``open`` leaves no half cycle and no queued message behind. Output is for the
operator, in English.

Every user error (unknown cycle, unit or NIP, a bad date, a closed cycle, a
missing option) prints ONE line on stderr and exits with code 1; a database
that cannot be used exits 2, like a bad setting. ``status`` shows completion
counts (per relation group, per rater's unit, per rater), never who rates whom
or what anyone answered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.cli.common import actor, clock, fail, get_settings, in_transaction, run_async
from scheduler.scoring.assignments import ASSIGNABLE, MAX_PEERS_LIMIT

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.settings import Settings
    from storage.review_cycle_types import Counts, CycleStatus

T = TypeVar("T")

JSON_VERSION = 1
FORMATS = ("table", "json")
RELATION_LABELS = {
    "self": "self",
    "supervisor": "supervisor",
    "peer": "peers",
    "subordinate": "subordinates",
}
ACCOUNT_LABELS = {"linked": "linked", "unreachable": "blocked the bot", "none": "NOT LINKED"}


class OneLineErrors(click.Group):
    """A group whose subcommands report usage errors in one line with exit code 1.

    Click's default prints the usage block and exits 2, which this CLI keeps
    for setting errors.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = " ".join(p for p in ("ulasan", ctx.info_name, ctx.invoked_subcommand) if p)
            fail(f"Error: {exc.format_message()} (see `{where} --help`)", 1)


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """``work`` in one transaction: a cycle error exits 1, an unusable database 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from storage.review_cycle_types import CycleError

    try:
        return run_async(lambda: in_transaction(settings, work))
    except CycleError as exc:
        fail(f"Error: {exc}", 1)
    except OSError as exc:
        fail(f"DATABASE_URL: cannot open the database: {exc}", 2)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        fail(
            f"Database error: {reason}. Is DATABASE_URL right and migrated (`ulasan db upgrade`)?",
            2,
        )


def parse_deadline(value: str) -> date:
    text = value.strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        fail(f"Error: --deadline: '{value}' is not a date; use YYYY-MM-DD", 1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"Error: --deadline: '{value}' is not a valid date; use YYYY-MM-DD", 1)


def _when(moment: datetime | None, settings: Settings) -> str:
    return moment.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _done(counts: Counts) -> str:
    return f"{counts.submitted}/{counts.total} ({counts.percent_done}%)"


# -- rendering ---------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def _count_cells(counts: Counts) -> list[str]:
    return [
        str(counts.total),
        str(counts.submitted),
        str(counts.in_progress),
        str(counts.pending),
        f"{counts.percent_done}%",
    ]


COUNT_HEADERS = ["total", "submitted", "in progress", "pending", "done"]


def render_status(status: CycleStatus, settings: Settings) -> str:
    scope = f"unit {status.unit_code} and its sub-units" if status.unit_code else "all units"
    lines = [
        f"Cycle: {status.name} ({status.status})",
        f"Scope: {scope}; deadline {status.deadline.isoformat()}",
        f"Opened {_when(status.opened_at, settings)} by {status.opened_by or '-'}"
        + (f"; closed {_when(status.closed_at, settings)}" if status.closed_at else ""),
        f"Reviews: {status.totals.total}; submitted {status.totals.submitted} "
        f"({status.totals.percent_done}%), in progress {status.totals.in_progress}, "
        f"pending {status.totals.pending}",
        f"Raters: {len(status.by_rater)}; finished all their reviews: {status.raters_done}",
        "",
        "By relation group",
    ]
    lines += _table(
        ["relation", *COUNT_HEADERS],
        [
            [RELATION_LABELS.get(relation, relation), *_count_cells(counts)]
            for relation, counts in status.by_relation.items()
        ],
    )
    lines += ["", "By unit (the rater's unit)"]
    lines += _table(
        ["unit", "name", *COUNT_HEADERS],
        [[u.code, u.name, *_count_cells(u.counts)] for u in status.by_unit],
    )
    lines += ["", "By rater"]
    lines += _table(
        ["nip", "name", "unit", *COUNT_HEADERS, "telegram"],
        [
            [r.nip, r.name, r.unit_code, *_count_cells(r.counts), ACCOUNT_LABELS[r.account]]
            for r in status.by_rater
        ],
    )
    unlinked = status.unlinked_raters
    lines.append("")
    if unlinked:
        lines.append(f"Raters with no linked Telegram account ({len(unlinked)}):")
        lines += [f"  {r.nip}  {r.name}  ({r.unit_code})" for r in unlinked]
    else:
        lines.append("Every rater has a linked Telegram account.")
    return "\n".join(lines) + "\n"


def status_json(status: CycleStatus) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "cycle": {
            "name": status.name,
            "status": status.status,
            "deadline": status.deadline.isoformat(),
            "unit": status.unit_code,
            "opened_at": status.opened_at.isoformat(),
            "opened_by": status.opened_by,
            "closed_at": status.closed_at.isoformat() if status.closed_at else None,
        },
        "totals": status.totals.as_dict(),
        "raters": len(status.by_rater),
        "raters_done": status.raters_done,
        "by_relation": {r: c.as_dict() for r, c in status.by_relation.items()},
        "by_unit": [{"unit": u.code, "name": u.name, **u.counts.as_dict()} for u in status.by_unit],
        "by_rater": [
            {
                "nip": r.nip,
                "name": r.name,
                "unit": r.unit_code,
                "account": r.account,
                **r.counts.as_dict(),
            }
            for r in status.by_rater
        ],
        "unlinked_raters": [
            {"nip": r.nip, "name": r.name, "unit": r.unit_code} for r in status.unlinked_raters
        ],
    }


# -- commands -------------------------------------------------------------------------------


@click.group("cycle", cls=OneLineErrors)
def cycle_group() -> None:
    """360° review cycles: open, adjust assignments, watch completion, close.

    A cycle covers the active employees of a unit with its sub-units (or of
    everyone). Each is rated by themselves, their direct supervisor, up to
    --max-peers peers (same direct supervisor) and their direct subordinates.
    """


@cycle_group.command("open")
@click.argument("name")
@click.option("--deadline", required=True, metavar="YYYY-MM-DD", help="Last day to rate.")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@click.option(
    "--max-peers",
    type=click.IntRange(0, MAX_PEERS_LIMIT),
    default=4,
    show_default=True,
    help="At most this many peers rate each person.",
)
@click.option("--no-self", is_flag=True, help="No self-assessments.")
def open_command(
    name: str, deadline: str, unit_code: str | None, max_peers: int, no_self: bool
) -> None:
    """Open cycle NAME, generate its assignments and notify the raters.

    Every rater with a linked Telegram account gets one message saying how
    many colleagues to rate and by when, with a button to start.
    """
    from scheduler import cycles

    day = parse_deadline(deadline)
    settings = get_settings()
    opened = _run(
        settings,
        lambda session: cycles.open_cycle(
            session,
            name=name,
            deadline=day,
            unit_code=unit_code,
            max_peers=max_peers,
            no_self=no_self,
            actor=actor(),
            now=clock().now(),
            settings=settings,
        ),
    )
    scope = f"unit {opened.unit_code} and its sub-units" if opened.unit_code else "all units"
    click.echo(
        f'Opened cycle "{opened.name}" for {scope}, deadline {opened.deadline.isoformat()}: '
        f"{opened.employees} employee(s), {opened.assignments} review(s), "
        f"{opened.raters} rater(s)."
    )
    click.echo(f"Opening messages queued: {opened.notified}.")
    if opened.unlinked_raters:
        click.echo(
            f"{opened.unlinked_raters} rater(s) have no linked Telegram account; "
            f'see `ulasan cycle status "{opened.name}"`.'
        )
    for note in opened.notes:
        click.echo(f"note: {note.describe()}")


@cycle_group.command("assign")
@click.argument("name")
@click.option("--rater", "rater_nip", required=True, metavar="NIP", help="Who rates.")
@click.option("--ratee", "ratee_nip", required=True, metavar="NIP", help="Who is rated.")
@click.option(
    "--relation",
    required=True,
    type=click.Choice(ASSIGNABLE, case_sensitive=False),
    help="How the rater stands to the ratee (supervisor: the rater is the ratee's supervisor).",
)
def assign_command(name: str, rater_nip: str, ratee_nip: str, relation: str) -> None:
    """Add one assignment to the open cycle NAME.

    A rater with a linked Telegram account is told there is one more review to do.
    """
    from scheduler import cycles

    settings = get_settings()
    change = _run(
        settings,
        lambda session: cycles.assign(
            session,
            name,
            rater_nip,
            ratee_nip,
            relation,
            actor(),
            settings=settings,
            now=clock().now(),
        ),
    )
    told = "; the rater was notified" if change.notified else ""
    click.echo(
        f'Assigned in "{change.cycle}": {change.rater_nip} rates {change.ratee_nip} '
        f"as {change.relation}{told}."
    )


@cycle_group.command("unassign")
@click.argument("name")
@click.option("--rater", "rater_nip", required=True, metavar="NIP", help="Who rates.")
@click.option("--ratee", "ratee_nip", required=True, metavar="NIP", help="Who is rated.")
def unassign_command(name: str, rater_nip: str, ratee_nip: str) -> None:
    """Remove one assignment from the open cycle NAME.

    A submitted review cannot be removed. An unfinished one is removed with
    its draft answers (they were never counted).
    """
    from scheduler import cycles

    settings = get_settings()
    change = _run(
        settings,
        lambda session: cycles.unassign(
            session, name, rater_nip, ratee_nip, actor(), now=clock().now()
        ),
    )
    dropped = (
        f"; {change.discarded_answers} draft answer(s) discarded"
        if change.discarded_answers
        else ""
    )
    click.echo(
        f'Unassigned in "{change.cycle}": {change.rater_nip} no longer rates '
        f"{change.ratee_nip} ({change.relation}){dropped}."
    )


@cycle_group.command("status")
@click.argument("name")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS, case_sensitive=False),
    default="table",
    show_default=True,
    help="Output format.",
)
def status_command(name: str, output_format: str) -> None:
    """Completion of cycle NAME per relation, unit and rater.

    Also lists raters with no linked Telegram account. Shows how many reviews
    each rater finished, never whom they rated or what they answered.
    """
    from storage import review_cycles

    settings = get_settings()
    status = _run(settings, lambda session: review_cycles.cycle_status(session, name))
    if output_format.lower() == "json":
        click.echo(json.dumps(status_json(status), ensure_ascii=False, indent=2))
    else:
        click.echo(render_status(status, settings), nl=False)


@cycle_group.command("close")
@click.argument("name")
def close_command(name: str) -> None:
    """Close cycle NAME and queue everyone's report.

    Nothing can be rated or changed in the cycle afterwards. Each ratee with a
    linked account gets their report, each supervisor their team summary.
    """
    from scheduler import cycles

    settings = get_settings()
    closed = _run(
        settings,
        lambda session: cycles.close_cycle(session, name, actor(), clock().now(), settings),
    )
    click.echo(
        f'Closed cycle "{closed.name}": {_done(closed.counts)} reviews submitted; '
        f"{closed.reports_queued} report message(s) queued."
    )


@cycle_group.command("list")
def list_command() -> None:
    """All cycles, newest first, with their completion."""
    from storage import review_cycles

    settings = get_settings()
    cycles = _run(settings, review_cycles.list_cycles)
    if not cycles:
        click.echo("No cycles yet; open one with `ulasan cycle open NAME --deadline YYYY-MM-DD`.")
        return
    rows = [
        [
            c.name,
            c.status,
            c.deadline.isoformat(),
            c.unit_code or "all",
            f"{c.submitted}/{c.assignments} ({c.percent_done}%)",
            _when(c.opened_at, settings),
            _when(c.closed_at, settings),
        ]
        for c in cycles
    ]
    headers = ["name", "status", "deadline", "scope", "submitted", "opened", "closed"]
    for line in _table(headers, rows):
        click.echo(line)
