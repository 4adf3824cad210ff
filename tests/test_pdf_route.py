"""The PDF route (`scheduler.documents.pdf`): HTML and CSS in, a PDF with real text out,
the same bytes every time, and a page as a PNG; and the rule that keeps these checks
running once per CI run."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from scheduler.documents.pdf import html_to_pdf, page_count, pdf_page_png
from tests.support.render_checks import skipping

PAGE = """<!doctype html><html lang="id"><head><meta charset="utf-8">
<meta name="dcterms.created" content="2026-04-01T08:00:00+07:00"><title>Uji</title>
<style>@page {{ size: A4; margin: 2cm }} h1 {{ break-before: page }} h1:first-of-type
{{ break-before: auto }}</style></head><body>{body}</body></html>"""


@pytest.mark.render
def test_html_becomes_a_pdf_whose_text_reads_back_the_same_every_time():
    body = "<h1>Indeks Kepuasan Masyarakat</h1><table><tr><td>U1 Persyaratan</td>"
    body += "<td>3,6667</td></tr></table><h1>BAB II</h1><p>Nilai IKM konversi 87,04 (B)</p>"
    pdf = html_to_pdf(PAGE.format(body=body))
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == page_count(pdf) == 2
    first, second = (page.extract_text() for page in reader.pages)
    assert "Indeks Kepuasan Masyarakat" in first and "3,6667" in first
    assert "87,04 (B)" in second
    assert html_to_pdf(PAGE.format(body=body)) == pdf  # no time of generation inside


@pytest.mark.render
def test_a_page_becomes_a_png_of_the_page_size():
    pdf = html_to_pdf(PAGE.format(body="<h1>Poster</h1>"))
    image = Image.open(io.BytesIO(pdf_page_png(pdf, dpi=100)))
    assert image.format == "PNG"
    # A4 is 210 × 297 mm: 827 × 1169 px at 100 dpi.
    assert abs(image.width - 827) <= 2 and abs(image.height - 1169) <= 2


def test_render_checks_are_skipped_only_in_the_postgresql_pass():
    assert skipping({}) is False
    assert skipping({"ULASAN_RENDER_CHECKS": "run"}) is False
    pg = {"ULASAN_TEST_DATABASE_URL": "postgresql+asyncpg://u:p@127.0.0.1/db"}
    assert skipping({**pg, "ULASAN_RENDER_CHECKS": "skip"}) is True
    with pytest.raises(pytest.UsageError, match="PostgreSQL pass only"):
        skipping({"ULASAN_RENDER_CHECKS": "skip"})
    with pytest.raises(pytest.UsageError):
        skipping({**pg, "ULASAN_RENDER_CHECKS": "maybe"})
