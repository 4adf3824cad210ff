"""The PDF route: HTML and CSS in, a PDF with real text out (WeasyPrint), and a page of a
PDF as a PNG picture (pdfium) for Telegram.

Why WeasyPrint: the report, the poster and the public page are laid out once,
as Jinja2 templates with CSS (``scheduler/documents/templates/``), so the page
a citizen opens and the PDF a head files say the same thing in the same words;
WeasyPrint paginates tables, repeats their headers, keeps headings with what
follows and embeds subsetted fonts, and its PDF carries text (searchable,
copyable, read back by the tests with pypdf), not pictures of text. The price
is Pango, HarfBuzz and a font from the distribution: ``.ci/ensure-doc-tools.sh``
installs them (``make install``, ``make test``), and `check_pdf_route` says in
one line what is missing. The pure-Python alternatives (fpdf2, ReportLab) would
need every table laid out by hand and a second layout for the web page.

Output is reproducible: the same HTML gives the same bytes (WeasyPrint writes
no time of its own); a document's time is the ``dcterms.created`` meta of its
HTML, which the callers set to the snapshot's time, never the time of
generation.

`pdf_page_png` renders one page with pdfium (the ``pypdfium2`` package ships the
library), so a poster's PNG is the very page of its PDF.
"""

from __future__ import annotations

import io
import logging
from functools import cache

log = logging.getLogger(__name__)

PNG_DPI = 150


class PdfRouteError(RuntimeError):
    """The PDF route cannot run here (a system library is missing); one line."""


@cache
def _weasyprint() -> object:
    # WeasyPrint and its libraries are loaded on first use: ``ulasan --help`` and the
    # bot's start stay fast, and a machine without Pango fails only where a PDF is made.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    try:
        import weasyprint
    except OSError as exc:  # cffi could not open libpango / libgobject
        raise PdfRouteError(
            f"WeasyPrint cannot load the system's Pango ({exc}); "
            "install it with `sudo .ci/ensure-doc-tools.sh` (or `make install` as root)"
        ) from None
    return weasyprint


def check_pdf_route() -> None:
    """Raise `PdfRouteError` when PDFs cannot be made on this machine."""
    _weasyprint()


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document (``base_url``: where its relative links resolve)."""
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=base_url)  # type: ignore[attr-defined]
    pdf: bytes = document.write_pdf()
    return pdf


def page_count(pdf: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def pdf_page_png(pdf: bytes, page: int = 0, dpi: int = PNG_DPI) -> bytes:
    """Page ``page`` (from 0) of a PDF as a PNG at ``dpi`` (white background)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=dpi / 72)
        image = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
