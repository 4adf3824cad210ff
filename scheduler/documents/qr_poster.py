"""The citizen survey's QR code and its printable A5 poster (PNG and PDF).

A5 portrait at 150 dpi (874×1240 px): a title band, the unit, the service, the
officer if the code names one, the QR code, the instruction and the link.
Poster text is Indonesian, from the catalogs (the counters are in Indonesia);
the font is Pillow's bundled default, so no system font is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from bot.core.i18n import N_, gettext_for

# A5 portrait at 150 dpi.
POSTER_SIZE = (874, 1240)
POSTER_DPI = 150
POSTER_LANGUAGE = "id"  # the counters are in Indonesia; the instruction is Indonesian
MARGIN = 56
BAND = (21, 76, 121)  # dark blue title band
BAND_HEIGHT = 130

TITLE = N_("Public satisfaction survey")
OFFICER = N_("Officer: {name}")
INSTRUCTION = N_(
    "Scan this QR code with your phone camera to rate our service. "
    "Less than 1 minute, without your name."
)
OR_OPEN = N_("Or open: {link}")

# A block of text: its lines, its font, its height in pixels and its colour.
Block = tuple[list[str], object, int, object]


@dataclass(frozen=True)
class Poster:
    """What one poster says: where, which service, which officer (if any), the link."""

    unit_name: str
    service_name: str
    officer_name: str | None
    link: str


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


def _title_band(draw: ImageDraw.ImageDraw, title: str) -> None:
    draw.rectangle((0, 0, POSTER_SIZE[0], BAND_HEIGHT), fill=BAND)
    draw.text(
        (POSTER_SIZE[0] // 2, BAND_HEIGHT // 2),
        title.upper(),
        font=_font(40),
        fill="white",
        anchor="mm",
    )


def _draw_blocks(draw: ImageDraw.ImageDraw, blocks: list[Block], y: int, gap: int) -> int:
    """Centred blocks from ``y`` down, ``gap`` pixels after each; the next free ``y``."""
    for lines, font, height, colour in blocks:
        step = height // max(len(lines), 1)
        for line in lines:
            draw.text((POSTER_SIZE[0] // 2, y), line, font=font, fill=colour, anchor="ma")  # type: ignore[arg-type]
            y += step
        y += gap
    return y


def poster(text: Poster, qr: Image.Image) -> Image.Image:
    """The A5 poster: title band, unit, service, officer, QR code, instruction, link."""
    _ = gettext_for(POSTER_LANGUAGE)
    image = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    width = POSTER_SIZE[0] - 2 * MARGIN
    _title_band(draw, _(TITLE))
    blocks: list[Block] = [
        (*_block(draw, text.unit_name, 32, width), (60, 60, 60)),
        (*_block(draw, text.service_name, 46, width), (0, 0, 0)),
    ]
    if text.officer_name:
        blocks.append((*_block(draw, _(OFFICER).format(name=text.officer_name), 30, width), BAND))
    instruction = _block(draw, _(INSTRUCTION), 30, width)
    link = _block(draw, _(OR_OPEN).format(link=text.link), 20, width)
    used = BAND_HEIGHT + 36 + sum(b[2] + 12 for b in blocks) + instruction[2] + link[2] + 3 * 28
    qr_side = max(240, min(600, POSTER_SIZE[1] - MARGIN - used))
    y = _draw_blocks(draw, blocks, BAND_HEIGHT + 36, 12) + 16
    image.paste(
        qr.resize((qr_side, qr_side), Image.Resampling.NEAREST),
        ((POSTER_SIZE[0] - qr_side) // 2, y),
    )
    _draw_blocks(draw, [(*instruction, (0, 0, 0)), (*link, (90, 90, 90))], y + qr_side + 28, 16)
    return image


def write_poster_files(text: Poster, qr_png: str, poster_png: str, poster_pdf: str) -> None:
    """The QR code alone (PNG) and the poster (PNG and PDF) at these paths."""
    qr = qr_image(text.link)
    qr.save(qr_png, "PNG")
    image = poster(text, qr)
    image.save(poster_png, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    # Pillow embeds RGB pages as JPEG; a high quality keeps the QR modules crisp.
    image.save(poster_pdf, "PDF", resolution=float(POSTER_DPI), quality=95)
