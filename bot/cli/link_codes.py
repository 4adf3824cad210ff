"""``ulasan link-codes``: one-time codes that link employees' Telegram accounts.

``ulasan link-codes [--unit CODE] [--renew | --nip NIP ...]`` issues codes
(`storage.link_codes` says who gets one: by default only employees with neither
a linked account nor a valid code, so earlier slips keep working);
``ulasan link-codes status`` lists who is linked and who holds a valid code,
issuing nothing.

The issuing command resolves the bot's username first (BOT_USERNAME, else
getMe) and only then issues codes, in one transaction: a code printed with a
broken link would be lost, because only its hash is kept. Output is NIP, name,
unit, code and the deep link ``https://t.me/<bot>?start=link_<code>`` per
employee, as a table, CSV, JSON or an XLSX file (NIP as text, so a spreadsheet
keeps its 18 digits).

With ``--format csv`` or ``json`` stdout holds only the data (``ulasan
link-codes --format csv > codes.csv``); the note on expiry goes to stderr.

Exit codes: 1 for an unknown unit or NIP, 2 for a setting (no bot username) or
a database that cannot be used.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    actor,
    bot_username,
    clock,
    fail,
    format_option,
    get_settings,
    run_in_transaction,
    run_reading,
    write_document,
)
from bot.cli.progress import terminal_progress
from bot.core.links import deep_link

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.link_codes import CodeStatus, IssuedCode

FIELDS = ("nip", "name", "unit_code", "unit_name", "code", "link", "expires_at")
STATUS_FIELDS = ("nip", "name", "unit_code", "unit_name", "linked", "code_expires_at")
ISSUE_FORMATS = ("table", "csv", "json", "xlsx")


def _issue(
    settings: Settings, unit_code: str | None, renew: bool, nips: Sequence[str]
) -> list[IssuedCode]:
    from storage import link_codes as codes

    policy = codes.LinkPolicy.from_settings(settings)
    try:
        return run_in_transaction(
            settings,
            lambda session: codes.issue_link_codes(
                session,
                policy,
                actor=actor(),
                unit_code=unit_code,
                renew=renew,
                nips=nips,
                now=clock().now(),
            ),
        )
    except (codes.UnknownUnit, codes.UnknownEmployee) as exc:
        fail(f"link-codes: {exc}; nothing issued.", 1)


def _rows(issued: list[IssuedCode], username: str) -> list[dict[str, str]]:
    return [
        {
            "nip": item.nip,
            "name": item.name,
            "unit_code": item.unit_code,
            "unit_name": item.unit_name,
            "code": item.code,
            "link": deep_link(username, item.payload),
            "expires_at": item.expires_at.isoformat(timespec="seconds"),
        }
        for item in issued
    ]


def _table(header: Sequence[str], data: Sequence[Sequence[str]]) -> str:
    widths = [max(len(value) for value in column) for column in zip(header, *data, strict=False)]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *data)
    )


def _csv(rows: list[dict[str, str]], fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().rstrip("\n")


@click.group("link-codes", invoke_without_command=True)
@click.option(
    "--unit",
    "unit_code",
    metavar="CODE",
    help="Only employees of this unit and its sub-units.",
)
@click.option(
    "--renew",
    is_flag=True,
    help="A new code for every active employee in scope, also those linked or holding a "
    "valid code; their earlier codes stop working (a linked employee's link moves to "
    "whichever account opens the new code).",
)
@click.option(
    "--nip",
    "nips",
    metavar="NIP",
    multiple=True,
    help="A new code for this employee only (repeat for several), e.g. one who lost "
    "their slip; their earlier code stops working.",
)
@format_option(*ISSUE_FORMATS)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx default: DATA_DIR/exports/link-codes-<date>.xlsx).",
)
@click.option(
    "--slips",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.pdf",
    help="Also write printable slips (eight per A4 sheet with cut lines: name, NIP, unit, "
    "QR of the link, expiry, what to do), sorted by unit.",
)
@click.pass_context
def link_codes_group(
    context: click.Context,
    unit_code: str | None,
    renew: bool,
    nips: tuple[str, ...],
    output_format: str,
    out: Path | None,
    slips: Path | None,
) -> None:
    """Issue one-time account-link codes and print each employee's deep link.

    Without --renew or --nip: active employees who have neither a linked
    Telegram account nor a valid code (new staff, expired codes), so slips
    already handed out keep working. A code works once and expires after
    LINK_CODE_TTL_DAYS days. Only hashes are stored, so the codes are shown
    this one time: hand each employee only their own link. `ulasan link-codes
    status` shows who is linked and who holds a valid code.
    """
    if context.invoked_subcommand is not None:
        if unit_code or renew or nips or out or slips or output_format != ISSUE_FORMATS[0]:
            fail(
                "link-codes: put the options after the subcommand, e.g. 'link-codes status "
                "--unit CODE'"
            )
        return
    if renew and nips:
        fail("link-codes: --renew and --nip exclude each other (--nip renews those employees)")
    if slips is not None:
        _check_writable(slips)
    settings = get_settings()
    # The username first: codes issued without a printable link would be lost.
    username = bot_username(settings)
    issued = _issue(settings, unit_code, renew, nips)
    rows = _rows(issued, username)
    if slips is not None and issued:
        _write_slips(issued, username, settings, slips)
    _emit_codes(issued, rows, output_format, out, settings)
    _note(issued, settings, unit_code, renew or bool(nips), to_stderr=output_format != "table")


def _check_writable(path: Path) -> None:
    """Before any code is issued: the slips' folder must be writable (a code whose slip
    cannot be written would be lost, only its hash being kept)."""
    folder = path.expanduser().resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--slips: cannot create {folder}: {exc.strerror or exc}; nothing issued.")
    if not os.access(folder, os.W_OK):
        fail(f"--slips: cannot write to {folder}; nothing issued.")


def _write_slips(issued: list[IssuedCode], username: str, settings: Settings, path: Path) -> None:
    """The printable slips PDF (a progress bar on a terminal)."""
    from scheduler.documents.link_slips import PER_PAGE, pages, save_pages, slips_for

    slips = slips_for(issued, username, settings.tz)
    with terminal_progress() as progress:
        progress.stage("link-codes: drawing slips", -(-len(slips) // PER_PAGE))
        images = []
        for start in range(0, len(slips), PER_PAGE):
            images += pages(slips[start : start + PER_PAGE])
            progress.advance()
    try:
        save_pages(images, path)
    except OSError as exc:
        fail(f"--slips: cannot write {path}: {exc.strerror or exc}")
    click.echo(f"{len(slips)} slip(s) on {len(images)} page(s): {path}", err=True)


def _emit_codes(
    issued: list[IssuedCode],
    rows: list[dict[str, str]],
    output_format: str,
    out: Path | None,
    settings: Settings,
) -> None:
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif output_format == "csv":
        click.echo(_csv(rows, FIELDS))
    elif output_format == "xlsx":
        if not issued:
            return
        from scheduler.documents.link_codes_xlsx import write_codes_xlsx

        today = clock().now().astimezone(settings.tz).date()
        path = out or settings.exports_dir / f"link-codes-{today.isoformat()}.xlsx"
        links = [row["link"] for row in rows]
        write_document(path, lambda target: write_codes_xlsx(issued, links, settings.tz, target))
    elif rows:
        header = ("NIP", "name", "unit", "code", "link")
        click.echo(
            _table(
                header, [(r["nip"], r["name"], r["unit_code"], r["code"], r["link"]) for r in rows]
            )
        )


def _note(
    issued: list[IssuedCode],
    settings: Settings,
    unit_code: str | None,
    renewed: bool,
    *,
    to_stderr: bool,
) -> None:
    """What was issued and until when (stderr when stdout holds only the data)."""
    from scheduler.documents.link_codes_xlsx import local_time

    if not issued:
        who = (
            "active employee"
            if renewed
            else "active employee without a linked account or a valid code"
        )
        where = f" in unit {unit_code} or its sub-units" if unit_code else ""
        hint = (
            ""
            if renewed
            else " 'ulasan link-codes status' lists who holds a code; --nip NIP renews one "
            "employee's code, --renew everyone's."
        )
        click.echo(f"No {who}{where}; no codes issued.{hint}", err=to_stderr)
        return
    voided = (
        " Earlier unused codes of these employees no longer work."
        if renewed
        else " Codes handed out earlier still work."
    )
    click.echo(
        f"{len(issued)} code(s) issued. They are shown only this once (only hashes are "
        f"stored) and expire on {local_time(issued[0].expires_at, settings.tz)}.{voided}",
        err=to_stderr,
    )


@link_codes_group.command("status")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@format_option("table", "csv", "json", "xlsx")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (xlsx default: DATA_DIR/exports/link-status-<date>.xlsx).",
)
def status_command(unit_code: str | None, output_format: str, out: Path | None) -> None:
    """Who is linked and who holds a valid code, per active employee; issues nothing."""
    from storage.link_codes import UnknownUnit, code_status

    settings = get_settings()
    now = clock().now()

    async def load() -> list[CodeStatus]:
        from storage.db import create_engine, session_factory

        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await code_status(session, unit_code=unit_code, now=now)
        finally:
            await engine.dispose()

    rows = run_reading("link-codes status", load(), (UnknownUnit,))
    _emit_status(rows, output_format, out, settings)


def _emit_status(
    rows: list[CodeStatus], output_format: str, out: Path | None, settings: Settings
) -> None:
    from scheduler.documents.link_codes_xlsx import local_time, write_status_xlsx

    if output_format == "xlsx":
        today = clock().now().astimezone(settings.tz).date()
        path = out or settings.exports_dir / f"link-status-{today.isoformat()}.xlsx"
        write_document(path, lambda target: write_status_xlsx(rows, settings.tz, target))
        return
    data = [
        {
            "nip": r.nip,
            "name": r.name,
            "unit_code": r.unit_code,
            "unit_name": r.unit_name,
            "linked": r.linked,
            "code_expires_at": r.code_expires_at.isoformat(timespec="seconds")
            if r.code_expires_at
            else None,
        }
        for r in rows
    ]
    if output_format == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if output_format == "csv":
        click.echo(
            _csv([{**d, "linked": "yes" if d["linked"] else "no"} for d in data], STATUS_FIELDS)
        )
        return
    lines = [
        (
            r.nip,
            r.name,
            r.unit_code,
            "linked" if r.linked else "-",
            local_time(r.code_expires_at, settings.tz) if r.code_expires_at else "-",
        )
        for r in rows
    ]
    if lines:
        click.echo(_table(("NIP", "name", "unit", "account", "valid code until"), lines))
    linked = sum(1 for r in rows if r.linked)
    holding = sum(1 for r in rows if not r.linked and r.code_expires_at)
    click.echo(
        f"{len(rows)} active employee(s): {linked} linked, {holding} holding a valid code, "
        f"{len(rows) - linked - holding} with neither (run 'ulasan link-codes' to issue theirs)."
    )
