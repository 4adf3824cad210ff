"""``ulasan period …``: define SKM periods, see where they stand, approve and correct them.

The same use cases as the bot (`scheduler.periods`): a period approved here is
approved for its head in Telegram too. Each command is one transaction (or
two: the rollup first, as ``ulasan report ikm`` does); every refusal is one
line on stderr, exit 1; a database that cannot be used exits 2. ``--early``
approves before the period has ended and every output of that version says so.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.cli.common import (
    actor,
    clock,
    fail,
    format_option,
    get_settings,
    run_async,
    run_in_transaction,
    write_document,
)
from bot.cli.cycle import OneLineErrors
from bot.cli.report_ikm import parse_date, parse_population

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.core.settings import Settings
    from scheduler.period_overview import PeriodOverview

T = TypeVar("T")


@click.group("period", cls=OneLineErrors)
def period_group() -> None:
    """SKM periods: the close, each unit head's approval, frozen versions and corrections."""


def _run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from storage.periods import PeriodError

    try:
        return run_in_transaction(settings, work)
    except (PeriodError, LookupError) as exc:
        fail(f"Error: {exc}")


@period_group.command("open")
@click.argument("name")
@click.option("--from", "date_from", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@click.option("--population", metavar="N", help="Service users of the unit in the period.")
def open_command(
    name: str, date_from: str, date_to: str, unit_code: str | None, population: str | None
) -> None:
    """Define the period NAME (e.g. "TW I 2026") from --from to --to, both included.

    A calendar quarter, half year or year is recognised as TW I–IV, S1–S2 or a
    year; other dates make a custom period. --population is the number of
    service users of --unit in the period, for the Krejcie–Morgan minimum sample.
    """
    from scheduler.scoring.skm_periods import close_day
    from storage import holidays, periods

    first, last = parse_date("--from", date_from), parse_date("--to", date_to)
    assert first is not None and last is not None
    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        period = await periods.create_period(
            session,
            name=name,
            first=first,
            last=last,
            unit_code=unit_code,
            population=parse_population(population),
            actor=actor(),
            now=now,
        )
        units = await periods.scope_units(session, period)
        calendar = await holidays.work_calendar(session, settings)
        scope = f"{units[0].code} and {len(units) - 1} sub-unit(s)" if unit_code else "every unit"
        return (
            f"Opened '{period.name}' ({period.kind}): {first} to {last}, {scope}. "
            f"Unit heads get the figures on {close_day(last, calendar)}, "
            "the first working day after it ends."
        )

    click.echo(_run(settings, work))


@period_group.command("population")
@click.argument("name")
@click.argument("population", metavar="N")
@click.option("--unit", "unit_code", metavar="CODE", help="The unit whose service users these are.")
@click.option(
    "--service", "service_code", metavar="CODE", help="The service whose users these are."
)
def population_command(
    name: str, population: str, unit_code: str | None, service_code: str | None
) -> None:
    """Set the number of service users N of a unit or a service in the period NAME.

    Used for the Krejcie–Morgan minimum sample; set it before the period closes
    (the figures cut at the close carry it).
    """
    from storage import periods

    if (unit_code is None) == (service_code is None):
        fail("Error: give either --unit CODE or --service CODE")
    value = parse_population(population)
    assert value is not None
    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> str:
        period = await periods.period_named(session, name)
        if period.cut_at is not None:
            raise periods.PeriodError(
                f"'{period.name}' was closed; its figures were cut with the populations then"
            )
        if unit_code is not None:
            unit = await periods.unit_by_code(session, unit_code)
            if not await periods.in_scope(session, period, unit.id):
                raise periods.PeriodError(f"unit '{unit_code}' is not in '{period.name}'")
            target, label = {"unit_id": unit.id}, f"unit {unit.code}"
        else:
            service = await periods.service_by_code(session, str(service_code))
            if not await periods.in_scope(session, period, service.unit_id):
                raise periods.PeriodError(f"service '{service_code}' is not in '{period.name}'")
            target, label = {"service_id": service.id}, f"service {service.code}"
        await periods.set_population(
            session, period, population=value, actor=actor(), now=now, label=label, **target
        )
        return f"'{period.name}': {label} has {value} service users in the period."

    click.echo(_run(settings, work))


def _overviews(settings: Settings, name: str | None, now: datetime) -> list[PeriodOverview]:
    """Bring the rollup up to date (its own transaction), then read the overviews."""
    from scheduler.period_overview import overview
    from scheduler.periods import bring_rollup_up_to_date
    from storage import periods

    _run(settings, lambda session: bring_rollup_up_to_date(session, settings))

    async def work(session: AsyncSession) -> list[PeriodOverview]:
        chosen = (
            [await periods.period_named(session, name)]
            if name is not None
            else await periods.list_periods(session)
        )
        return [await overview(session, p, settings, now) for p in chosen]

    return _run(settings, work)


@period_group.command("list")
@format_option("table", "json")
def list_command(output_format: str) -> None:
    """Every period: its days, units approved, pending corrections, status."""
    from scheduler.documents.period_text import list_text, overview_json

    settings = get_settings()
    found = _overviews(settings, None, clock().now())
    if output_format == "json":
        data = [overview_json(o) | {"units": len(o.units)} for o in found]
        for item, o in zip(data, found, strict=True):
            item["approved"], item["pending_corrections"] = o.approved, o.pending
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(list_text(found), nl=False)


@period_group.command("show")
@click.argument("name")
@click.option("--unit", "unit_code", metavar="CODE", help="One unit's figures and versions.")
@click.option("--version", "version", type=int, metavar="N", help="With --unit: that version.")
@format_option("table", "json")
def show_command(name: str, unit_code: str | None, version: int | None, output_format: str) -> None:
    """Where the period NAME stands; with --unit, that unit's figures, every version and any
    pending correction (figures of an approved unit come from its frozen version)."""
    from scheduler.documents.period_text import overview_json, show_text, unit_text

    if version is not None and unit_code is None:
        fail("Error: --version needs --unit CODE")
    settings = get_settings()
    (found,) = _overviews(settings, name, clock().now())
    unit = next((u for u in found.units if u.unit.code == unit_code), None)
    if unit_code is not None and unit is None:
        fail(f"Error: unit '{unit_code}' has no figures in '{found.period.name}'")
    if output_format == "json":
        data = overview_json(found, unit_code=unit_code)
        click.echo(json.dumps(_with_version(data, version), ensure_ascii=False, indent=2))
        return
    if unit is None:
        click.echo(show_text(found, settings.tz), nl=False)
        return
    try:
        click.echo(unit_text(found, unit, settings.tz, version), nl=False)
    except LookupError as exc:
        fail(f"Error: {exc}")


def _with_version(data: dict[str, Any], version: int | None) -> dict[str, Any]:
    if version is None:
        return data
    for unit in data["units"]:
        chosen = [v for v in unit["versions"] if v["version"] == version]
        if not chosen:
            fail(f"Error: {unit['code']} has no version {version}")
        unit["figures"] = chosen[0]["figures"]
    return data


@period_group.command("approve")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit approved.")
@click.option("--early", is_flag=True, help="Approve before the period has ended (a pilot).")
def approve_command(name: str, unit_code: str, early: bool) -> None:
    """Approve the unit's figures of NAME: they become version 1, frozen.

    After the period has ended, the figures cut at its close are approved (the
    close is made now if it has not run yet). --early approves the figures of
    this moment before the period ends; responses after it are then listed as a
    pending correction.
    """
    from scheduler.documents.period_snapshot import loads
    from scheduler.documents.period_text import early_note, figures_text
    from scheduler.periods import approve, cut_period, has_ended
    from storage import periods

    settings = get_settings()
    now = clock().now()

    async def cut(session: AsyncSession) -> None:
        period = await periods.period_named(session, name)
        if has_ended(period, now, settings) and period.cut_at is None:
            await cut_period(session, period, settings, now)

    _run(settings, cut)

    async def work(session: AsyncSession) -> tuple[Any, Any]:
        period = await periods.period_named(session, name)
        unit = await periods.unit_by_code(session, unit_code)
        version = await approve(
            session, period, unit.id, settings, now=now, actor=actor(), early=early
        )
        return period, version

    period, version = _run(settings, work)
    figures = loads(version.figures)
    click.echo(f"Approved '{period.name}' for {unit_code}: version {version.version}, frozen.")
    if version.early:
        click.echo(early_note(period) + "; later responses will be a pending correction.")
    elif early:
        click.echo("Note: the period has ended, so it was approved as usual (--early not needed).")
    click.echo("\n".join(figures_text(figures)))
    _release(settings, version.period_id, version.unit_id, version.version)


@period_group.command("correct")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit corrected.")
def correct_command(name: str, unit_code: str) -> None:
    """Publish the unit's pending correction of NAME as its next version, with a change log."""
    from scheduler.documents.period_text import early_note, pending_text
    from scheduler.periods import publish_correction
    from storage import periods

    settings = get_settings()
    now = clock().now()

    async def work(session: AsyncSession) -> tuple[Any, Any, Any]:
        period = await periods.period_named(session, name)
        unit = await periods.unit_by_code(session, unit_code)
        version, correction = await publish_correction(
            session, period, unit.id, settings, now=now, actor=actor()
        )
        return period, version, correction

    period, version, correction = _run(settings, work)
    click.echo(
        f"Published version {version.version} of '{period.name}' for {unit_code} "
        f"(corrects version {correction.version}): {pending_text(correction)}."
    )
    for change in correction.services:
        click.echo(
            f"  {change.code} {change.name}: {change.entered} entered, {change.left} left; "
            f"n {change.respondents[0]}→{change.respondents[1]}; "
            f"IKM konversi {change.konversi[0]}→{change.konversi[1]}"
        )
    if version.early:
        click.echo(early_note(period))
    _release(settings, version.period_id, version.unit_id, version.version)


@period_group.command("report")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit reported.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["docx", "pdf", "poster"], case_sensitive=False),
    default="pdf",
    show_default=True,
    help="The report (DOCX or PDF) or the A4 poster (PDF, with its PNG beside it).",
)
@click.option("--version", "version", type=int, metavar="N", help="That version (default: latest).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: exports).",
)
def report_command(
    name: str, unit_code: str, output_format: str, version: int | None, out: Path | None
) -> None:
    """The Laporan Pelaksanaan SKM or the poster of NAME for --unit, from its approved version.

    Every figure comes from the frozen version and the files carry its approval
    time, so the same version always gives the same text. Texts an office changes
    (introduction, method, conclusion, legal basis) are read from the home's
    templates/ folder when present (see the README). A poster's PNG is written
    beside its PDF.
    """
    from scheduler.documents.pdf import PdfRouteError
    from scheduler.documents.report_texts import TemplateTextError
    from scheduler.period_documents import render
    from scheduler.period_publication import edition

    settings = get_settings()
    found = _run(settings, lambda session: edition(session, settings, name, unit_code, version))
    try:
        documents = render(found, output_format.lower(), settings.templates_dir)
    except (PdfRouteError, TemplateTextError) as exc:
        fail(f"Error: {exc}")
    first = out if out is not None else settings.exports_dir / documents[0].name
    for document in documents:
        path = first if document is documents[0] else first.with_suffix(Path(document.name).suffix)
        write_document(path, lambda p, data=document.content: p.write_bytes(data))
    click.echo(
        f"'{found.period_name}' for {found.unit_code}, version {found.version}: "
        f"IKM konversi {_konversi_text(found)}"
    )
    if output_format.lower() == "poster" and found.page_url is None:
        click.echo("Note: PUBLIC_BASE_URL is not set, so the poster has no QR code to a page.")


def _konversi_text(found: Any) -> str:
    from scheduler.documents.period_view import headline

    shown = headline(found.figures["overall"])
    return "no respondents" if shown is None else f"{shown['konversi']} (mutu {shown['mutu']})"


def _announce(settings: Settings, period_id: int, unit_id: int, version: int) -> str | None:
    """Queue the version's post to the unit's channel (none without a channel); the
    approval stands whatever happens here."""
    from scheduler.channel_posts import announce
    from scheduler.documents.pdf import PdfRouteError
    from storage.db import create_engine, session_factory

    now = clock().now()

    async def work() -> str | None:
        engine = create_engine(
            settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            sessions = session_factory(engine)
            return await announce(sessions, settings, period_id, unit_id, version, now=now)
        finally:
            await engine.dispose()

    try:
        channel = run_async(work)
    except PdfRouteError as exc:
        click.echo(f"Note: no channel post, the poster cannot be made: {exc}")
        return None
    if channel is not None:
        click.echo(f"Queued its announcement for {channel} (the bot's outbox sends it).")
    return channel


def _release(settings: Settings, period_id: int, unit_id: int, version: int) -> None:
    """Queue the version's channel post and the unit head's report (DOCX, PDF); the
    approval stands whatever happens here."""
    from scheduler.period_release import release
    from storage.db import create_engine, session_factory

    now = clock().now()

    async def work() -> Any:
        engine = create_engine(
            settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        try:
            return await release(
                session_factory(engine), settings, period_id, unit_id, version, now=now
            )
        finally:
            await engine.dispose()

    done = run_async(work)
    if done.channel is not None:
        click.echo(f"Queued its announcement for {done.channel} (the bot's outbox sends it).")
    if done.reports:
        click.echo(
            f"Queued the report (DOCX, PDF) for {len(done.reports)} chat(s): the unit's head, "
            "else its admins."
        )
    for problem in done.problems:
        click.echo(f"Note: {problem}")


@period_group.command("post")
@click.argument("name")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit announced.")
@click.option("--version", "version", type=int, metavar="N", help="That version (default: latest).")
def post_command(name: str, unit_code: str, version: int | None) -> None:
    """Queue the announcement of NAME's approved version in the unit's channel (after
    ``ulasan unit set-channel``); a version already announced is not posted twice."""
    from scheduler.period_publication import edition
    from storage import periods

    settings = get_settings()

    async def work(session: AsyncSession) -> tuple[int, int, int, str | None]:
        found = await edition(session, settings, name, unit_code, version)
        unit = await periods.unit_by_code(session, unit_code)
        return found.period_id, unit.id, found.version, unit.public_channel

    period_id, unit_id, shown, channel = _run(settings, work)
    if channel is None:
        fail(f"Error: {unit_code} has no public channel: ulasan unit set-channel {unit_code} @name")
    if _announce(settings, period_id, unit_id, shown) is None:
        click.echo(f"Version {shown} of '{name}' was announced in {channel} before; not again.")
