"""The Laporan Pelaksanaan SKM of a published period: its content, and the PDF.

The table of contents is the template KemenPANRB gives service units
(domain/publikasi.md): BAB I Pendahuluan (background, legal basis as data,
aims), BAB II Pengumpulan Data (method, the survey's dates and working days,
the Krejcie–Morgan sample), BAB III Hasil (respondent profile, NRR per unsur,
IKM of the unit and per service, mutu), BAB IV Analisis (strengths and
weaknesses per unsur, the follow-up plan with its headings, the Forum
Konsultasi Publik, the trend as a table and a chart), BAB V Kesimpulan, and
the annex (the questionnaire, the aggregate tabulation, last period's
follow-up). `report_content` decides every word once; the PDF (HTML and CSS
through the PDF route, ``templates/laporan.html``) and the DOCX
(`period_report_docx`) only lay it out. The document's time is the version's
approval, never the time of generation, so regenerating gives the same text.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from scheduler.documents import period_view as view
from scheduler.documents import report_texts
from scheduler.documents.pdf import html_to_pdf
from scheduler.documents.period_view import Table
from scheduler.documents.trend_chart import trend_png
from scheduler.period_publication import Edition

TITLE = "Laporan Pelaksanaan Survei Kepuasan Masyarakat"


@dataclass(frozen=True)
class ReportContent:
    """Every word and table of the report, in order."""

    title: str
    organisation: list[str]  # the Pemda (when set) and the unit
    period: str
    version: str
    early: str | None
    changes: list[str]
    headline: dict[str, str] | None
    respondents: int
    background: list[str]
    legal_basis: list[str]
    aims: list[str]
    method: list[str]
    schedule: Table
    sample: Table
    profile: list[tuple[str, Table]]
    nrr: Table
    services: Table
    strongest: list[str]
    weakest: list[str]
    plan: Table
    no_plan: str | None
    forum: str
    trend: Table
    trend_chart: bytes | None
    conclusion: list[str]
    questionnaire: list[tuple[str, str, list[str]]]
    tabulation: Table
    followup: list[str]
    created: str  # ISO time of the version (the document's dcterms.created)


def report_content(edition: Edition, home_templates: Path | None) -> ReportContent:
    values = view.text_values(edition)
    overall = edition.figures["overall"]
    strongest, weakest = view.ranked_unsur(edition.figures)
    trend = view.trend_rows(edition.trend)
    chart_title = f"Tren IKM konversi {edition.unit_name}"
    return ReportContent(
        title=TITLE,
        organisation=[x for x in (edition.pemda_name, edition.unit_name) if x],
        period=f"Periode {edition.period_name}: {view.period_label(edition)}",
        version=view.version_label(edition),
        early=view.early_label(edition),
        changes=view.change_lines(edition),
        headline=view.headline(overall),
        respondents=int(overall["respondents"]),
        background=report_texts.render_text("latar_belakang", values, home_templates),
        legal_basis=report_texts.legal_basis(home_templates),
        aims=report_texts.render_text("tujuan", values, home_templates),
        method=report_texts.render_text("metode", values, home_templates),
        schedule=view.schedule_table(edition),
        sample=view.sample_table(edition.figures),
        profile=view.profile_tables(overall),
        nrr=view.nrr_table(overall),
        services=view.service_table(edition.figures),
        strongest=strongest,
        weakest=weakest,
        plan=view.plan_table(edition),
        no_plan=None if edition.plan else view.NO_PLAN,
        forum=view.forum_sentence(edition),
        trend=trend,
        trend_chart=trend_png(edition.trend, chart_title) if edition.trend else None,
        conclusion=report_texts.render_text("kesimpulan", values, home_templates),
        questionnaire=view.questionnaire(),
        tabulation=view.tabulation_table(edition.figures),
        followup=view.followup_lines(edition),
        created=edition.published_at.isoformat(timespec="seconds"),
    )


def report_html(content: ReportContent) -> str:
    chart = base64.b64encode(content.trend_chart).decode() if content.trend_chart else None
    template = report_texts.environment().get_template("laporan.html")
    return template.render(c=content, chart=chart)


def report_pdf(edition: Edition, home_templates: Path | None) -> bytes:
    return html_to_pdf(report_html(report_content(edition, home_templates)))
