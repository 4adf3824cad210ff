"""A published period version as open data (JSON), in the shape ``open_data.schema.json`` documents.

The same figures as the public page, from the same frozen snapshot: per unit
and per service the respondents, the sums per unsur (from which anyone can
recompute the exact IKM), NRR, IKM, IKM konversi and mutu, the sample check,
and the trend. Never a comment, a comment count, a respondent's profile or a
levy signal: the public gets the regulation's figures, nothing that could
point at a person (GOV.UK publishes satisfaction the same way, without the
comments).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from scheduler.documents import report_texts
from scheduler.documents.ikm_labels import REGULATION
from scheduler.period_publication import Edition, TrendPoint

DATASET = "ulasan-skm-period"
SCHEMA_VERSION = 1
SCHEMA_FILE = "open_data.schema.json"
GROUP_FIELDS = ("respondents", "sums", "nrr", "ikm", "konversi", "mutu")


def schema_text() -> str:
    return report_texts.packaged(SCHEMA_FILE)


def _group(group: dict[str, Any]) -> dict[str, Any]:
    return {key: group[key] for key in GROUP_FIELDS}


def _trend(point: TrendPoint) -> dict[str, Any]:
    return {
        "period": point.name,
        "from": point.first.isoformat(),
        "to": point.last.isoformat(),
        "version": point.version,
        "respondents": point.respondents,
        "ikm": float(point.ikm) if point.ikm is not None else None,
        "konversi": float(point.konversi) if point.konversi is not None else None,
        "mutu": point.mutu,
    }


def version_json(edition: Edition) -> dict[str, Any]:
    figures = edition.figures
    period = figures["period"]
    return {
        "dataset": DATASET,
        "schema_version": SCHEMA_VERSION,
        "regulation": REGULATION,
        "pemda": edition.pemda_name,
        "unit": {"code": edition.unit_code, "name": edition.unit_name},
        "period": {
            "name": edition.period_name,
            "kind": period["kind"],
            "from": edition.first.isoformat(),
            "to": edition.last.isoformat(),
        },
        "version": edition.version,
        "published_at": edition.published_at.astimezone(UTC).isoformat(timespec="seconds"),
        "as_of": edition.as_of.astimezone(UTC).isoformat(timespec="seconds"),
        "early": edition.early,
        "page": edition.page_path,
        "unsur": [{k: u[k] for k in ("code", "name", "name_en")} for u in figures["unsur"]],
        "overall": _group(figures["overall"]),
        "sample": figures["sample"],
        "services": [
            {
                "code": s["code"],
                "name": s["name"],
                **_group(s),
                "sample": s["sample"],
                "sample_sufficient": s["sample"]["sufficient"] if s["sample"] else None,
            }
            for s in figures["services"]
        ],
        "trend": [_trend(p) for p in edition.trend],
    }


def dumps(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode()
