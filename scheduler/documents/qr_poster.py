"""The citizen survey's QR code and its printable A5 poster (PNG and PDF), one per service,
and one multi-page PDF of every service of a unit.

A5 portrait at 150 dpi (874×1240 px): a title band naming the local government
(``PEMDA_NAME``, with ``POSTER_LOGO`` when set) and the survey, the unit, the
service, the officer if the code names one, the QR code, the instruction
(the survey opens in Telegram; how to get Telegram) and the link. Poster text
is Indonesian, from the catalogs (the counters are in Indonesia); the font is
Pillow's bundled default, so no system font is needed. The posters are
pictures: Pillow writes their PDF pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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
BAND_HEIGHT = 170
LOGO_SIZE = 130  # the logo's box in the band, in pixels

TITLE = N_("Public satisfaction survey")
OFFICER = N_("Officer: {name}")
INSTRUCTION = N_(
    "Scan this QR code with your phone camera: the survey opens in Telegram. "
    "Less than 1 minute, without your name."
)
NO_TELEGRAM = N_("No Telegram yet? Install it free from the Play Store or App Store first.")
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
    pemda_name: str = ""


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


def _title_band(image: Image.Image, title: str, pemda: str, logo: Image.Image | None) -> None:
    """The band: the logo (if any) on the left, the local government above the title."""
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, POSTER_SIZE[0], BAND_HEIGHT), fill=BAND)
    left = MARGIN // 2
    if logo is not None:
        box = logo.copy()
        box.thumbnail((LOGO_SIZE, LOGO_SIZE))
        top = (BAND_HEIGHT - box.height) // 2
        image.paste(box, (left, top), box if box.mode == "RGBA" else None)
        left += LOGO_SIZE + 16
    centre = (left + POSTER_SIZE[0] - MARGIN // 2) // 2
    width = POSTER_SIZE[0] - MARGIN // 2 - left
    lines = _wrap(draw, pemda.upper(), _font(26), width) if pemda else []
    lines = [line for line in lines if line][:2]
    y = BAND_HEIGHT // 2 - (len(lines) * 32 + 46) // 2
    for line in lines:
        draw.text((centre, y), line, font=_font(26), fill="#dfe8f1", anchor="ma")
        y += 32
    title_lines = _wrap(draw, title.upper(), _font(40), width)
    draw.text((centre, y + 4), title_lines[0], font=_font(40), fill="white", anchor="ma")


def _draw_blocks(draw: ImageDraw.ImageDraw, blocks: list[Block], y: int, gap: int) -> int:
    """Centred blocks from ``y`` down, ``gap`` pixels after each; the next free ``y``."""
    for lines, font, height, colour in blocks:
        step = height // max(len(lines), 1)
        for line in lines:
            draw.text((POSTER_SIZE[0] // 2, y), line, font=font, fill=colour, anchor="ma")  # type: ignore[arg-type]
            y += step
        y += gap
    return y


def poster(text: Poster, qr: Image.Image, logo: Image.Image | None = None) -> Image.Image:
    """The A5 poster: title band, unit, service, officer, QR code, instruction, link."""
    _ = gettext_for(POSTER_LANGUAGE)
    image = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(image)
    width = POSTER_SIZE[0] - 2 * MARGIN
    _title_band(image, _(TITLE), text.pemda_name, logo)
    blocks: list[Block] = [
        (*_block(draw, text.unit_name, 32, width), (60, 60, 60)),
        (*_block(draw, text.service_name, 46, width), (0, 0, 0)),
    ]
    if text.officer_name:
        blocks.append((*_block(draw, _(OFFICER).format(name=text.officer_name), 30, width), BAND))
    instruction = _block(draw, _(INSTRUCTION), 28, width)
    telegram = _block(draw, _(NO_TELEGRAM), 22, width)
    link = _block(draw, _(OR_OPEN).format(link=text.link), 20, width)
    used = (
        BAND_HEIGHT
        + 30
        + sum(b[2] + 12 for b in blocks)
        + instruction[2]
        + telegram[2]
        + link[2]
        + 4 * 24
    )
    qr_side = max(240, min(560, POSTER_SIZE[1] - MARGIN - used))
    y = _draw_blocks(draw, blocks, BAND_HEIGHT + 30, 12) + 12
    image.paste(
        qr.resize((qr_side, qr_side), Image.Resampling.NEAREST),
        ((POSTER_SIZE[0] - qr_side) // 2, y),
    )
    tail = [(*instruction, (0, 0, 0)), (*telegram, (60, 60, 60)), (*link, (90, 90, 90))]
    _draw_blocks(draw, tail, y + qr_side + 24, 14)
    return image


def load_logo(path: Path | None) -> Image.Image | None:
    """The poster logo, or None without one; OSError (one line) when it cannot be read."""
    if path is None:
        return None
    try:
        with Image.open(path) as picture:
            return picture.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise OSError(f"POSTER_LOGO: cannot read {path} as an image ({exc})") from None


def unit_posters_pdf(
    posters: Sequence[Poster], target: Path | object, logo: Image.Image | None = None
) -> None:
    """Every poster of a unit as one A5 PDF, a page per service (``target``: a path or
    a binary file)."""
    pages = [poster(text, qr_image(text.link), logo) for text in posters]
    if not pages:
        raise ValueError("no posters to write")
    pages[0].save(
        target,  # type: ignore[arg-type]
        "PDF",
        resolution=float(POSTER_DPI),
        quality=95,
        save_all=True,
        append_images=pages[1:],
    )


def write_poster_files(
    text: Poster, qr_png: str, poster_png: str, poster_pdf: str, logo: Image.Image | None = None
) -> None:
    """The QR code alone (PNG) and the poster (PNG and PDF) at these paths."""
    qr = qr_image(text.link)
    qr.save(qr_png, "PNG")
    image = poster(text, qr, logo)
    image.save(poster_png, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    # Pillow embeds RGB pages as JPEG; a high quality keeps the QR modules crisp.
    image.save(poster_pdf, "PDF", resolution=float(POSTER_DPI), quality=95)
