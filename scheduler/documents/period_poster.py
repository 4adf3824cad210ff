"""The one-page A4 poster of a published period, for the notice board and the channel.

What it says: the Pemda (``PEMDA_NAME``) and the unit, the period, IKM
konversi with its mutu, n and whether the sample suffices, the nine unsur as
bars (NRR on the 1–4 scale, the three weakest marked), the top follow-up
actions when a plan exists, and a QR code to the version's public page
(``PUBLIC_BASE_URL``); without that setting the poster says the page is not
available instead of printing a code that leads nowhere.

The PDF comes from the PDF route (HTML and CSS, ``templates/poster_periode.html``),
and the PNG for the channel is its page rendered by pdfium (`pdf.pdf_page_png`),
so the picture and the printed sheet are the same page.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from scheduler.documents import period_view as view
from scheduler.documents import report_texts
from scheduler.documents.ikm_labels import unsur_name
from scheduler.documents.pdf import html_to_pdf, pdf_page_png
from scheduler.documents.period_snapshot import group_result
from scheduler.documents.qr_poster import qr_image
from scheduler.period_publication import Edition
from scheduler.scoring import skm

TOP_ACTIONS = 3


def bars(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """The nine unsur: NRR as a bar on the 1–4 scale, the three weakest marked."""
    result = group_result(figures["overall"])
    weakest = {w["code"] for w in figures["weakest_three"]}
    out = []
    for code in skm.UNSUR_CODES:
        nrr = result.nrr[code] if result else None
        out.append(
            {
                "code": code,
                "name": unsur_name(code),
                "value": view.angka(nrr, 4) if nrr is not None else "-",
                "width": f"{float(nrr) / 4 * 100:.1f}" if nrr is not None else "0",
                "weak": code in weakest,
            }
        )
    return out


def _qr(url: str) -> str:
    out = io.BytesIO()
    qr_image(url).save(out, "PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode()


def poster_values(edition: Edition) -> dict[str, Any]:
    figures = edition.figures
    sample = figures["sample"]
    return {
        "created": edition.published_at.isoformat(timespec="seconds"),
        "pemda": edition.pemda_name,
        "unit_name": edition.unit_name,
        "period_name": edition.period_name,
        "period": view.period_label(edition),
        "headline": view.headline(figures["overall"]),
        "respondents": figures["overall"]["respondents"],
        "sample": view.sample_verdict(sample)
        if sample is None or sample["sufficient"]
        else f"minimum {sample['minimum']} dari populasi {sample['population']}",
        "sample_short": bool(sample and not sample["sufficient"]),
        "early": view.early_label(edition),
        "bars": bars(figures),
        "actions": [
            f"{unsur_name(a.unsur)}: {a.activity} ({a.quarter}; "
            f"{view.plan_status(a.status, a.verified)})"
            for a in edition.plan
            if a.activity
        ][:TOP_ACTIONS],
        "url": edition.page_url,
        "qr": _qr(edition.page_url) if edition.page_url else None,
        "version": view.version_label(edition),
    }


def poster_html(edition: Edition) -> str:
    template = report_texts.environment().get_template("poster_periode.html")
    return template.render(p=poster_values(edition))


def poster_pdf(edition: Edition) -> bytes:
    return html_to_pdf(poster_html(edition))


def poster_png(pdf: bytes) -> bytes:
    """The poster's page as the channel's picture (pdfium)."""
    return pdf_page_png(pdf)
