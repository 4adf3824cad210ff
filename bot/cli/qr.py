"""``ulasan qr``: QR codes and printable A5 posters that open the citizen survey.

For each active service (or the ones named) the command creates or reuses a
`SurveyEntry`, whose opaque payload goes into the deep link
``https://t.me/<bot>?start=<payload>``. Re-running reuses the same payload, so
posters already on the counters stay valid; ``--employee NIP`` makes entries
that name one officer (the survey then attributes competence and behaviour,
U6/U7, to them).

Files per service in ``--out`` (default ``DATA_DIR/qr``, i.e. ``data/qr``):
``<service>[_<nip>]_qr.png``, ``…_poster.png`` and ``…_poster.pdf`` (A5 at
150 dpi, 874×1240 px), drawn by `scheduler.documents.qr_poster`; and per unit
``<unit>[_<nip>]_posters.pdf``, every poster of the unit's services in one
file, a page each, to print in one go. The posters name ``PEMDA_NAME`` and
carry ``POSTER_LOGO`` when set.

Exit codes: 1 for a bad argument (unknown unit, service or NIP), 2 for a
setting (no bot username: neither BOT_USERNAME nor a token to ask getMe).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import bot_username, fail, get_settings, run_async
from bot.cli.progress import terminal_progress
from bot.core.links import deep_link

if TYPE_CHECKING:
    from bot.core.settings import Settings
    from scheduler.documents.qr_poster import Poster
    from storage.models import Employee, Service
    from storage.survey_models import SurveyEntry


@dataclass
class QrRow:
    code: str
    name: str
    unit_code: str
    employee_nip: str | None
    payload: str
    link: str
    qr_png: str
    poster_png: str
    poster_pdf: str
    unit_posters_pdf: str = ""
    unit_name: str = ""
    employee_name: str | None = None
    created: bool = False
    pemda_name: str = ""

    def public(self) -> dict[str, object]:
        """The JSON fields (documented in the command's help)."""
        data = asdict(self)
        for private in ("unit_name", "employee_name", "created", "pemda_name"):
            data.pop(private)
        return data

    def poster(self) -> Poster:
        from scheduler.documents.qr_poster import Poster

        return Poster(self.unit_name, self.name, self.employee_name, self.link, self.pemda_name)


def _safe(name: str) -> str:
    """A file-name-safe form of a roster code."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "service"


def _row(
    service: Service,
    employee: Employee | None,
    entry: SurveyEntry,
    created: bool,
    username: str,
    out: Path,
) -> QrRow:
    stem = _safe(service.code) + (f"_{_safe(employee.nip)}" if employee else "")
    return QrRow(
        code=service.code,
        name=service.name,
        unit_code=service.unit.code,
        employee_nip=employee.nip if employee else None,
        payload=entry.payload,
        link=deep_link(username, entry.payload),
        qr_png=str(out / f"{stem}_qr.png"),
        poster_png=str(out / f"{stem}_poster.png"),
        poster_pdf=str(out / f"{stem}_poster.pdf"),
        unit_posters_pdf=str(
            out / (_safe(service.unit.code) + (f"_{_safe(employee.nip)}" if employee else ""))
        )
        + "_posters.pdf",
        unit_name=service.unit.name,
        employee_name=employee.name if employee else None,
        created=created,
    )


async def _entries(
    settings: Settings,
    username: str,
    out: Path,
    unit_code: str | None,
    service_codes: tuple[str, ...],
    nip: str | None,
) -> list[QrRow]:
    from storage import directory, survey
    from storage.db import create_engine, session_factory

    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine).begin() as session:
            employee = None
            if nip is not None:
                employee = await directory.employee_by_nip(session, nip)
                if employee is None:
                    raise survey.QrScopeError(f"unknown employee NIP '{nip}'")
                if not employee.active:
                    raise survey.QrScopeError(f"employee NIP '{nip}' is not active")
            services = await survey.qr_services(
                session, unit_code=unit_code, service_codes=service_codes, employee=employee
            )
            rows = []
            for service in services:
                entry, created = await survey.ensure_entry(
                    session, service.id, employee.id if employee else None
                )
                rows.append(_row(service, employee, entry, created, username, out))
            return rows
    finally:
        await engine.dispose()


def _table(rows: list[QrRow], out: Path) -> str:
    header = ("service", "unit", "officer", "payload", "link")
    data = [(r.code, r.unit_code, r.employee_nip or "-", r.payload, r.link) for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *data, strict=False)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *data)
    ]
    created = sum(1 for r in rows if r.created)
    units = sorted({r.unit_posters_pdf for r in rows if r.unit_posters_pdf})
    every = f"; every poster of a unit in one PDF: {', '.join(Path(u).name for u in units)}"
    lines.append(
        f"{len(rows)} QR code(s) and poster(s) written to {out} "
        f"({created} new, {len(rows) - created} reused){every if units else ''}."
    )
    return "\n".join(lines)


def _load_rows(
    settings: Settings,
    username: str,
    folder: Path,
    unit_code: str | None,
    service_codes: tuple[str, ...],
    nip: str | None,
) -> list[QrRow]:
    from sqlalchemy.exc import SQLAlchemyError

    from storage.survey import QrScopeError

    try:
        rows = run_async(
            lambda: _entries(settings, username, folder, unit_code, service_codes, nip)
        )
    except QrScopeError as exc:
        fail(f"qr: {exc}", 1)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"qr: cannot use the database ({reason}); is it migrated? Run 'ulasan db upgrade'", 2)
    if not rows:
        fail("qr: no active services match; nothing written.", 1)
    return rows


def _write_files(rows: list[QrRow], folder: Path, settings: Settings, whole: bool) -> None:
    """Each service's files, then (``whole``: every service of the units, no --service)
    each unit's posters in one PDF; a bar on a terminal."""
    from scheduler.documents.qr_poster import load_logo, unit_posters_pdf, write_poster_files

    try:
        logo = load_logo(settings.poster_logo)
    except OSError as exc:
        fail(f"Setting error: {exc}", 2)
    units: dict[str, list[QrRow]] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with terminal_progress() as progress:
            progress.stage("qr: drawing posters", len(rows))
            for row in rows:
                row.pemda_name = settings.pemda_name
                write_poster_files(row.poster(), row.qr_png, row.poster_png, row.poster_pdf, logo)
                if whole:
                    units.setdefault(row.unit_posters_pdf, []).append(row)
                else:
                    row.unit_posters_pdf = ""  # a partial set would overwrite the unit's file
                progress.advance()
            progress.stage("qr: one PDF per unit", len(units))
            for path, unit_rows in units.items():
                unit_posters_pdf([row.poster() for row in unit_rows], Path(path), logo)
                progress.advance()
    except OSError as exc:
        fail(f"qr: cannot write to {folder}: {exc.strerror or exc}", 1)


@click.command("qr")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit and its sub-units.")
@click.option(
    "--service",
    "service_codes",
    metavar="CODE",
    multiple=True,
    help="Only this service (repeat for several).",
)
@click.option(
    "--employee",
    "nip",
    metavar="NIP",
    help="Name one officer on the codes (competence and behaviour are attributed to them). "
    "Without --unit/--service: the services of the officer's unit.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the PNG/PDF files (default: DATA_DIR/qr, i.e. data/qr).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="json: a list with code, name, unit_code, employee_nip, payload, link, "
    "qr_png, poster_png, poster_pdf, unit_posters_pdf per service.",
)
def qr_command(
    unit_code: str | None,
    service_codes: tuple[str, ...],
    nip: str | None,
    out: Path | None,
    output_format: str,
) -> None:
    """Write QR codes and A5 posters that open the citizen survey for each service.

    Payloads are reused on re-runs, so printed posters stay valid.
    """
    settings = get_settings()
    username = bot_username(settings)
    folder = out if out is not None else settings.data_dir / "qr"
    rows = _load_rows(settings, username, folder, unit_code, service_codes, nip)
    _write_files(rows, folder, settings, whole=not service_codes)
    if output_format == "json":
        click.echo(json.dumps([row.public() for row in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(_table(rows, folder))
