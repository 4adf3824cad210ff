"""``ulasan link-codes``: one-time codes that link employees' Telegram accounts.

The command resolves the bot's username first (BOT_USERNAME, else getMe) and
only then issues codes, in one transaction: a code printed with a broken link
would be lost, because only its hash is kept. Output is NIP, name, unit, code
and the deep link ``https://t.me/<bot>?start=link_<code>`` per employee.

With ``--format csv`` or ``json`` stdout holds only the data (``ulasan
link-codes --format csv > codes.csv``); the note on expiry goes to stderr.

Exit codes: 1 for an unknown unit, 2 for a setting (no bot username) or a
database that cannot be used.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

from bot.cli.common import actor, bot_username, fail, get_settings, run_in_transaction
from bot.core.links import deep_link

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from storage.link_codes import IssuedCode

FIELDS = ("nip", "name", "unit_code", "unit_name", "code", "link", "expires_at")


def _local(moment: datetime, settings: Settings) -> str:
    local = moment.astimezone(settings.tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _issue(settings: Settings, unit_code: str | None, renew: bool) -> list[IssuedCode]:
    from storage import link_codes as codes

    policy = codes.LinkPolicy.from_settings(settings)
    try:
        return run_in_transaction(
            settings,
            lambda session: codes.issue_link_codes(
                session, policy, actor=actor(), unit_code=unit_code, renew=renew
            ),
        )
    except codes.UnknownUnit as exc:
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


def _table(rows: list[dict[str, str]]) -> str:
    header = ("NIP", "name", "unit", "code", "link")
    data = [(r["nip"], r["name"], r["unit_code"], r["code"], r["link"]) for r in rows]
    widths = [max(len(value) for value in column) for column in zip(header, *data, strict=False)]
    return "\n".join(
        "  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *data)
    )


def _csv(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().rstrip("\n")


@click.command("link-codes")
@click.option(
    "--unit",
    "unit_code",
    metavar="CODE",
    help="Only employees of this unit and its sub-units.",
)
@click.option(
    "--renew",
    is_flag=True,
    help="Issue codes for every active employee, also those already linked "
    "(their link moves to whichever account opens the new code).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="csv/json: fields nip, name, unit_code, unit_name, code, link, expires_at "
    "on stdout, the note on stderr.",
)
def link_codes_command(unit_code: str | None, renew: bool, output_format: str) -> None:
    """Issue one-time account-link codes and print each employee's deep link.

    Without --renew: active employees who have no linked Telegram account yet.
    A code works once and expires after LINK_CODE_TTL_DAYS days; a new code
    revokes the employee's earlier unused one. Only hashes are stored, so the
    codes are shown this one time: hand each employee only their own link.
    """
    settings = get_settings()
    # The username first: codes issued without a printable link would be lost.
    username = bot_username(settings)
    issued = _issue(settings, unit_code, renew)
    rows = _rows(issued, username)
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif output_format == "csv":
        click.echo(_csv(rows))
    elif rows:
        click.echo(_table(rows))
    _note(issued, settings, unit_code, renew, to_stderr=output_format != "table")


def _note(
    issued: list[IssuedCode],
    settings: Settings,
    unit_code: str | None,
    renew: bool,
    *,
    to_stderr: bool,
) -> None:
    """What was issued and until when (stderr when stdout holds only the data)."""
    if not issued:
        who = "active employee" if renew else "active employee without a linked account"
        where = f" in unit {unit_code} or its sub-units" if unit_code else ""
        hint = "" if renew else " Use --renew to issue new codes for linked employees too."
        click.echo(f"No {who}{where}; no codes issued.{hint}", err=to_stderr)
        return
    click.echo(
        f"{len(issued)} code(s) issued. They are shown only this once (only hashes are "
        f"stored) and expire on {_local(issued[0].expires_at, settings)}. "
        "Earlier unused codes of these employees no longer work.",
        err=to_stderr,
    )
