"""Printable link-code slips: eight to an A4 sheet with cut lines, one per employee.

Each slip says whose it is (name, NIP, unit), carries the QR code of the
employee's deep link ``https://t.me/<bot>?start=link_<code>`` and the link
itself, until when it works, and two lines on what to do. The slips come in
the order given (the issuing order: by unit, then name), so HR cuts a sheet and
hands a unit its pile. Drawn with Pillow, like the QR posters (A4 portrait at
150 dpi, 1240×1754 px; Pillow's bundled font), and saved as a multi-page PDF.
Text is Indonesian from the catalogs: the slips are handed out in Indonesia.

`layout` says which slip goes where on which page (tests read it); `pages`
draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageDraw, ImageFont

from bot.core.clock import format_moment
from bot.core.i18n import N_, gettext_for
from bot.core.links import deep_link
from scheduler.documents.qr_poster import qr_image
from storage.link_codes import IssuedCode

PAGE = (1240, 1754)  # A4 portrait at 150 dpi
DPI = 150
COLUMNS, ROWS = 2, 4
PER_PAGE = COLUMNS * ROWS
PADDING = 28
QR_SIDE = 230
LANGUAGE = "id"

TITLE = N_("Link your Telegram account to Ulasan")
STEP_ONE = N_("1. Scan the QR code with your phone camera (or open the link): Telegram opens.")
STEP_TWO = N_("2. Press Start. The code works once; keep this slip to yourself.")
VALID_UNTIL = N_("Valid until {moment}")


@dataclass(frozen=True)
class Slip:
    name: str
    nip: str
    unit_name: str
    link: str
    valid_until: str  # already formatted in the local time zone


@dataclass(frozen=True)
class Place:
    page: int
    left: int
    top: int
    slip: Slip


def _until(item: IssuedCode, tz: tzinfo) -> str:
    """ "7 Des 2026, 16.00 WIB": the expiry as people read it where the slip is used."""
    zone = item.expires_at.astimezone(tz).tzname()
    return f"{format_moment(item.expires_at, tz, LANGUAGE)} {zone}"


def slips_for(issued: Sequence[IssuedCode], username: str, tz: tzinfo) -> list[Slip]:
    """A slip per issued code, in the issuing order (by unit, then name)."""
    return [
        Slip(
            item.name,
            item.nip,
            item.unit_name,
            deep_link(username, item.payload),
            _until(item, tz),
        )
        for item in issued
    ]


def slip_size() -> tuple[int, int]:
    return PAGE[0] // COLUMNS, PAGE[1] // ROWS


def layout(slips: Sequence[Slip]) -> list[Place]:
    """Where each slip goes: left to right, top to bottom, eight to a page, in order."""
    width, height = slip_size()
    places = []
    for index, slip in enumerate(slips):
        page, cell = divmod(index, PER_PAGE)
        row, column = divmod(cell, COLUMNS)
        places.append(Place(page, column * width, row * height, slip))
    return places


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> list[str]:
    """Greedy word wrap of ``text`` to ``width`` pixels."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=_font(size)) > width:  # type: ignore[arg-type]
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _cut_lines(draw: ImageDraw.ImageDraw) -> None:
    """Dashed lines between the slips (and a faint frame), where the scissors go."""
    width, height = slip_size()
    for x in range(width, PAGE[0], width):
        for y in range(0, PAGE[1], 24):
            draw.line((x, y, x, y + 12), fill=(90, 90, 90), width=2)
    for y in range(height, PAGE[1], height):
        for x in range(0, PAGE[0], 24):
            draw.line((x, y, x + 12, y), fill=(90, 90, 90), width=2)


def _slip(image: Image.Image, place: Place) -> None:
    """One slip: title, whose it is, the QR code, validity, the two steps and the link."""
    _ = gettext_for(LANGUAGE)
    draw = ImageDraw.Draw(image)
    width, height = slip_size()
    left, top = place.left + PADDING, place.top + PADDING
    text_width = width - 2 * PADDING - QR_SIDE - 16
    slip = place.slip
    draw.text((left, top), _(TITLE), font=_font(22), fill=(21, 76, 121))
    y = top + 40
    size = 30
    lines = _fit(draw, slip.name, size, text_width)
    if len(lines) > 2:  # a long name gets a smaller font, never a cut
        size = 22
        lines = _fit(draw, slip.name, size, text_width)
    for line in lines:
        draw.text((left, y), line, font=_font(size), fill="black")
        y += size + 6
    draw.text((left, y + 4), f"NIP {slip.nip}", font=_font(22), fill="black")
    y += 36
    for line in _fit(draw, slip.unit_name, 20, text_width)[:2]:
        draw.text((left, y), line, font=_font(20), fill=(60, 60, 60))
        y += 26
    y += 6
    for line in _fit(draw, _(VALID_UNTIL).format(moment=slip.valid_until), 20, text_width):
        draw.text((left, y), line, font=_font(20), fill=(150, 30, 30))
        y += 26
    qr = qr_image(slip.link).resize((QR_SIDE, QR_SIDE), Image.Resampling.NEAREST)
    image.paste(qr, (place.left + width - PADDING - QR_SIDE, top + 30))
    y = max(top + 30 + QR_SIDE + 10, y + 10)
    for text in (_(STEP_ONE), _(STEP_TWO)):
        for line in _fit(draw, text, 18, width - 2 * PADDING):
            draw.text((left, y), line, font=_font(18), fill="black")
            y += 22
    draw.text(
        (left, min(y + 4, place.top + height - PADDING - 18)),
        slip.link,
        font=_font(16),
        fill=(90, 90, 90),
    )


def pages(slips: Sequence[Slip]) -> list[Image.Image]:
    """The A4 pages, eight slips each, with cut lines."""
    by_page: dict[int, list[Place]] = {}
    for place in layout(slips):
        by_page.setdefault(place.page, []).append(place)
    images = []
    for number in sorted(by_page):
        image = Image.new("RGB", PAGE, "white")
        _cut_lines(ImageDraw.Draw(image))
        for place in by_page[number]:
            _slip(image, place)
        images.append(image)
    return images


def save_pages(images: Sequence[Image.Image], target: Path | BinaryIO) -> None:
    """Pages as one PDF, in black and white: about 50 KB a sheet instead of 600 KB in
    colour, so the slips of a whole city (hundreds of sheets) stay a file one can send."""
    if not images:
        raise ValueError("no slips to write")
    if isinstance(target, Path):
        target.parent.mkdir(parents=True, exist_ok=True)
    sheets = [image.convert("1", dither=Image.Dither.NONE) for image in images]
    sheets[0].save(target, "PDF", resolution=float(DPI), save_all=True, append_images=sheets[1:])


def slips_pdf(slips: Sequence[Slip], target: Path | BinaryIO) -> None:
    """The slips as one PDF (``target``: a path or a binary file); ValueError without slips."""
    save_pages(pages(slips), target)
