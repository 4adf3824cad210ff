"""The documents of a published period, named and rendered: what ``ulasan period report``
writes, what a head receives in Telegram after approving, and what a channel post carries.

`load` reads one approved version (`period_publication.edition`) in the
caller's session; `render` is pure CPU work (WeasyPrint, matplotlib,
python-docx) for a worker thread, outside any transaction. File names say the
unit, the period and the version, so two versions never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scheduler.documents.file_names import file_safe
from scheduler.period_publication import Edition

FORMATS = ("docx", "pdf", "poster")


@dataclass(frozen=True)
class NamedDocument:
    name: str
    content: bytes


def base_name(edition: Edition, kind: str) -> str:
    return file_safe(f"{kind}_{edition.unit_code}_{edition.period_name}_v{edition.version}", 100)


def render(edition: Edition, fmt: str, home_templates: Path | None) -> list[NamedDocument]:
    """The ``fmt`` documents of ``edition``: the report as DOCX or PDF, or the poster as
    PDF and PNG (the PDF first)."""
    from scheduler.documents import period_poster, period_report
    from scheduler.documents.period_report_docx import report_docx

    if fmt == "docx":
        content = period_report.report_content(edition, home_templates)
        return [NamedDocument(base_name(edition, "laporan-skm") + ".docx", report_docx(content))]
    if fmt == "pdf":
        pdf = period_report.report_pdf(edition, home_templates)
        return [NamedDocument(base_name(edition, "laporan-skm") + ".pdf", pdf)]
    if fmt == "poster":
        pdf = period_poster.poster_pdf(edition)
        name = base_name(edition, "poster-skm")
        return [
            NamedDocument(name + ".pdf", pdf),
            NamedDocument(name + ".png", period_poster.poster_png(pdf)),
        ]
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
