"""``ulasan qr``: QR codes and printable A5 posters that open the citizen survey.

For each active service (or the ones named) the command creates or reuses a
`SurveyEntry`, whose opaque payload goes into the deep link
``https://t.me/<bot>?start=<payload>``. Re-running reuses the same payload, so
posters already on the counters stay valid; ``--employee NIP`` makes entries
that name one officer (the survey then attributes competence and behaviour,
U6/U7, to them).

Files per service in ``--out`` (default ``DATA_DIR/qr``, i.e. ``data/qr``):
``<service>[_<nip>]_qr.png``, ``…_poster.png`` and ``…_poster.pdf`` (A5 at
150 dpi, 874×1240 px). Poster text is Indonesian, from the catalogs; the font
is Pillow's bundled default, so no system font is needed.

Exit codes: 1 for a bad argument (unknown unit, service or NIP), 2 for a
setting (no bot username: neither BOT_USERNAME nor a token to ask getMe).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy.exc import SQLAlchemyError

from bot.cli import fail, get_settings, run_async
from bot.core.i18n import N_, gettext_for
from bot.core.settings import Settings, SettingsError
from bot.telegram_info import deep_link, resolve_bot_username
from storage import survey
from storage.db import create_engine, session_factory

# A5 portrait at 150 dpi.
POSTER_SIZE = (874, 1240)
POSTER_DPI = 150
POSTER_LANGUAGE = "id"  # the counters are in Indonesia; the instruction is Indonesian
MARGIN = 56
BAND = (21, 76, 121)  # dark blue title band

TITLE = N_("Public satisfaction survey")
OFFICER = N_("Officer: {name}")
INSTRUCTION = N_(
    "Scan this QR code with your phone camera to rate our service. "
    "Less than 1 minute, without your name."
)
OR_OPEN = N_("Or open: {link}")


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
    unit_name: str = ""
    employee_name: str | None = None
    created: bool = False

    def public(self) -> dict[str, object]:
        """The JSON fields (documented in the command's help)."""
        data = asdict(self)
        for private in ("unit_name", "employee_name", "created"):
            data.pop(private)
        return data


def _safe(name: str) -> str:
    """A file-name-safe form of a roster code."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "service"


async def _entries(
    settings: Settings,
    username: str,
    out: Path,
    unit_code: str | None,
    service_codes: tuple[str, ...],
    nip: str | None,
) -> list[QrRow]:
    engine = create_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    try:
        async with session_factory(engine).begin() as session:
            employee = None
            if nip is not None:
                employee = await survey.employee_by_nip(session, nip)
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
                stem = _safe(service.code) + (f"_{_safe(employee.nip)}" if employee else "")
                rows.append(
                    QrRow(
                        code=service.code,
                        name=service.name,
                        unit_code=service.unit.code,
                        employee_nip=employee.nip if employee else None,
                        payload=entry.payload,
                        link=deep_link(username, entry.payload),
                        qr_png=str(out / f"{stem}_qr.png"),
                        poster_png=str(out / f"{stem}_poster.png"),
                        poster_pdf=str(out / f"{stem}_poster.pdf"),
                        unit_name=service.unit.name,
                        employee_name=employee.name if employee else None,
                        created=created,
                    )
                )
            return rows
    finally:
        await engine.dispose()


def qr_image(link: str) -> Image.Image:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(link)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    return image.get_image().convert("RGB")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: object, width: int) -> list[str]:
    """Greedy word wrap to ``width`` pixels (a single over-long word is left whole)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if current and draw.textlength(candidate, font=font) > width:  # type: ignore[arg-type]
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines


def _block(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: int
) -> tuple[list[str], object, int]:
    font = _font(size)
    lines = _wrap(draw, text, font, width)
    return lines, font, len(lines) * int(size * 1.25)


def poster(row: QrRow, qr: Image.Image) -> Image.Image:
    """The A5 poster: title band, unit, service, officer, QR code, instruction, link."""
    _ = gettext_for(POSTER_LANGUAGE)
    image = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    width = POSTER_SIZE[0] - 2 * MARGIN
    band_height = 130
    draw.rectangle((0, 0, POSTER_SIZE[0], band_height), fill=BAND)
    title_font = _font(40)
    draw.text(
        (POSTER_SIZE[0] // 2, band_height // 2),
        _(TITLE).upper(),
        font=title_font,
        fill="white",
        anchor="mm",
    )
    blocks = [
        (*_block(draw, row.unit_name, 32, width), (60, 60, 60)),
        (*_block(draw, row.name, 46, width), (0, 0, 0)),
    ]
    if row.employee_name:
        blocks.append((*_block(draw, _(OFFICER).format(name=row.employee_name), 30, width), BAND))
    instruction = _block(draw, _(INSTRUCTION), 30, width)
    link = _block(draw, _(OR_OPEN).format(link=row.link), 20, width)
    used = band_height + 36 + sum(b[2] + 12 for b in blocks) + instruction[2] + link[2] + 3 * 28
    qr_side = max(240, min(600, POSTER_SIZE[1] - MARGIN - used))
    y = band_height + 36
    for lines, font, height, colour in blocks:
        step = height // max(len(lines), 1)
        for line in lines:
            draw.text((POSTER_SIZE[0] // 2, y), line, font=font, fill=colour, anchor="ma")  # type: ignore[arg-type]
            y += step
        y += 12
    y += 16
    image.paste(
        qr.resize((qr_side, qr_side), Image.Resampling.NEAREST),
        ((POSTER_SIZE[0] - qr_side) // 2, y),
    )
    y += qr_side + 28
    for lines, font, height, colour in (
        (*instruction, (0, 0, 0)),
        (*link, (90, 90, 90)),
    ):
        step = height // max(len(lines), 1)
        for line in lines:
            draw.text((POSTER_SIZE[0] // 2, y), line, font=font, fill=colour, anchor="ma")  # type: ignore[arg-type]
            y += step
        y += 16
    return image


def write_files(row: QrRow) -> None:
    qr = qr_image(row.link)
    qr.save(row.qr_png, "PNG")
    image = poster(row, qr)
    image.save(row.poster_png, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    # Pillow embeds RGB pages as JPEG; a high quality keeps the QR modules crisp.
    image.save(row.poster_pdf, "PDF", resolution=float(POSTER_DPI), quality=95)


def _table(rows: list[QrRow], out: Path) -> str:
    header = ("service", "unit", "officer", "payload", "link")
    data = [(r.code, r.unit_code, r.employee_nip or "-", r.payload, r.link) for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *data, strict=False)]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *data)
    ]
    created = sum(1 for r in rows if r.created)
    lines.append(
        f"{len(rows)} QR code(s) and poster(s) written to {out} "
        f"({created} new, {len(rows) - created} reused)."
    )
    return "\n".join(lines)


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
    "qr_png, poster_png, poster_pdf per service.",
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
    try:
        username = run_async(lambda: resolve_bot_username(settings))
    except SettingsError as exc:
        fail(f"Setting error: {exc}", 2)
    folder = out if out is not None else settings.data_dir / "qr"
    try:
        rows = run_async(
            lambda: _entries(settings, username, folder, unit_code, service_codes, nip)
        )
    except survey.QrScopeError as exc:
        fail(f"qr: {exc}", 1)
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(f"qr: cannot use the database ({reason}); is it migrated? Run 'ulasan db upgrade'", 2)
    if not rows:
        fail("qr: no active services match; nothing written.", 1)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for row in rows:
            write_files(row)
    except OSError as exc:
        fail(f"qr: cannot write to {folder}: {exc.strerror or exc}", 1)
    if output_format == "json":
        click.echo(json.dumps([row.public() for row in rows], ensure_ascii=False, indent=2))
    else:
        click.echo(_table(rows, folder))


def register(cli: click.Group) -> None:
    cli.add_command(qr_command)
