"""Printable link-code slips: eight per A4 sheet in the issuing order, each whole and
readable; and ``ulasan link-codes --slips FILE.pdf``, which checks the file can be
written before issuing anything."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from scheduler.documents import link_slips
from scheduler.documents.link_slips import PAGE, Slip, layout, pages, slips_for, slips_pdf
from storage.link_codes import IssuedCode

WIB = ZoneInfo("Asia/Jakarta")


def slip(number: int, unit: str = "Bidang Pelayanan") -> Slip:
    return Slip(
        f"Pegawai {number}",
        f"19900101201501{number:04d}",
        unit,
        "https://t.me/B?start=link_x",
        "7 Des 2026, 16.00 WIB",
    )


def test_eight_to_a_sheet_in_order():
    slips = [slip(n) for n in range(17)]
    places = layout(slips)
    assert [p.slip for p in places] == slips  # the issuing order (by unit, then name)
    assert [p.page for p in places] == [0] * 8 + [1] * 8 + [2]
    width, height = link_slips.slip_size()
    assert (places[0].left, places[0].top) == (0, 0)
    assert (places[1].left, places[1].top) == (width, 0)
    assert (places[2].left, places[2].top) == (0, height)
    assert all(p.left + width <= PAGE[0] and p.top + height <= PAGE[1] for p in places)
    drawn = pages(slips)
    assert len(drawn) == 3 and all(page.size == PAGE for page in drawn)
    # A cut line runs between the columns (dashes of grey), none through the first slip.
    page = drawn[0]
    assert page.getpixel((width, 5)) != (255, 255, 255)


def test_the_pdf_has_a_page_per_sheet_and_the_slips_say_until_when():
    issued = [
        IssuedCode(
            "199001012015011001",
            "Ani",
            "DAFDUK",
            "Bidang Dafduk",
            "AbCdEfGhIjKlMnOp",
            datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
            False,
        )
    ]
    (made,) = slips_for(issued, "KotaBot", WIB)
    assert made.link == "https://t.me/KotaBot?start=link_AbCdEfGhIjKlMnOp"
    assert made.valid_until == "7 Des 2026, 16.00 WIB"
    buffer = io.BytesIO()
    slips_pdf([made] * 9, buffer)
    data = buffer.getvalue()
    assert data.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", data)) == 2
