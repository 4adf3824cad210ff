"""The Laporan Pelaksanaan SKM as DOCX: editable, for the office's letterhead.

The same `ReportContent` as the PDF (`period_report`), laid out with
python-docx: a cover, BAB I–V and the annex as headings, tables in the
document's "Table Grid" style, the trend chart as a picture. The document's
core properties carry the version's approval time (created and modified) and
no generation time, so the same version gives the same text every time.
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from scheduler.documents.period_report import ReportContent
from scheduler.documents.period_view import Table


def _table(document: DocxDocument, table: Table) -> None:
    out = document.add_table(rows=1, cols=len(table.headers))
    out.style = "Table Grid"
    for cell, text in zip(out.rows[0].cells, table.headers, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = out.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, row, strict=True)):
            cell.text = text
            if index in table.numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()


def _paragraphs(document: DocxDocument, texts: list[str], style: str | None = None) -> None:
    for text in texts:
        document.add_paragraph(text, style=style)


def _cover(document: DocxDocument, c: ReportContent) -> None:
    for line in c.organisation:
        document.add_paragraph().add_run(line).bold = True
    document.add_heading(c.title, level=0)
    document.add_paragraph(c.period)
    if c.headline:
        score = document.add_paragraph().add_run(f"IKM {c.headline['konversi']}")
        score.bold, score.font.size = True, Pt(24)
        document.add_paragraph(
            f"Mutu pelayanan {c.headline['mutu']} ({c.headline['mutu_label']}) · "
            f"{c.respondents} responden"
        )
    else:
        document.add_paragraph("Tidak ada responden pada periode ini.")
    _paragraphs(document, [c.version, *([c.early] if c.early else []), *c.changes])


def _bab_1_2(document: DocxDocument, c: ReportContent) -> None:
    heading = document.add_heading
    heading("BAB I Pendahuluan", level=1)
    heading("1.1 Latar belakang", level=2)
    _paragraphs(document, c.background)
    heading("1.2 Dasar hukum", level=2)
    _paragraphs(document, c.legal_basis, "List Number")
    heading("1.3 Maksud dan tujuan", level=2)
    _paragraphs(document, c.aims)
    heading("BAB II Pengumpulan Data", level=1)
    heading("2.1 Pelaksana dan metode", level=2)
    _paragraphs(document, c.method)
    heading("2.2 Waktu pelaksanaan", level=2)
    _table(document, c.schedule)
    heading("2.3 Jumlah responden", level=2)
    _table(document, c.sample)


def _bab_3(document: DocxDocument, c: ReportContent) -> None:
    heading = document.add_heading
    heading("BAB III Hasil", level=1)
    heading("3.1 Profil responden", level=2)
    for title, table in c.profile:
        heading(title, level=3)
        _table(document, table)
    heading("3.2 Nilai per unsur pelayanan", level=2)
    _table(document, c.nrr)
    heading("3.3 Indeks Kepuasan Masyarakat", level=2)
    if c.headline:
        _paragraphs(
            document,
            [
                f"Nilai IKM unit: {c.headline['ikm']} (skala 1–4); IKM konversi "
                f"{c.headline['konversi']}; mutu pelayanan {c.headline['mutu']} "
                f"({c.headline['mutu_label']}); {c.respondents} responden."
            ],
        )
    else:
        _paragraphs(document, ["Tidak ada responden pada periode ini."])
    heading("IKM per jenis layanan", level=3)
    _table(document, c.services)


def _bab_4_5(document: DocxDocument, c: ReportContent) -> None:
    heading = document.add_heading
    heading("BAB IV Analisis", level=1)
    heading("4.1 Kekuatan dan kelemahan per unsur", level=2)
    _paragraphs(document, ["Unsur dengan NRR tertinggi:"])
    _paragraphs(document, c.strongest or ["-"], "List Bullet")
    _paragraphs(document, ["Unsur dengan NRR terendah (prioritas perbaikan):"])
    _paragraphs(document, c.weakest or ["-"], "List Bullet")
    heading("4.2 Rencana tindak lanjut", level=2)
    _table(document, c.plan)
    _paragraphs(document, [*([c.no_plan] if c.no_plan else []), c.forum])
    heading("4.3 Tren nilai SKM", level=2)
    _table(document, c.trend)
    if c.trend_chart:
        document.add_picture(io.BytesIO(c.trend_chart), width=Cm(15))
    heading("BAB V Kesimpulan", level=1)
    _paragraphs(document, c.conclusion)


def _annex(document: DocxDocument, c: ReportContent) -> None:
    heading = document.add_heading
    heading("Lampiran", level=1)
    heading("Lampiran 1 Kuesioner", level=2)
    for unsur, question, answers in c.questionnaire:
        heading(unsur, level=3)
        _paragraphs(document, [question, *answers])
    heading("Lampiran 2 Hasil pengolahan data (jumlah nilai per unsur)", level=2)
    _table(document, c.tabulation)
    heading("Lampiran 3 Laporan tindak lanjut periode sebelumnya", level=2)
    _paragraphs(document, c.followup)


def report_docx(c: ReportContent) -> bytes:
    document = Document()
    created = datetime.fromisoformat(c.created)
    props = document.core_properties
    props.title, props.author, props.last_modified_by = c.title, c.organisation[-1], ""
    props.created = props.modified = created.replace(tzinfo=None)
    props.revision = 1
    _cover(document, c)
    document.add_page_break()
    _bab_1_2(document, c)
    _bab_3(document, c)
    _bab_4_5(document, c)
    _annex(document, c)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
