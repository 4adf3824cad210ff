"""The IKM report as JSON: every figure, the filters, the profile and the comments.

The shape is versioned by its ``version`` field; numbers are display-rounded
half-up like the table (`ikm_labels.num`), names are Indonesian with the
unsur's English name beside them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.documents.ikm_labels import REGULATION, num, profile_keys, unsur_name
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from storage.ikm_report import PROFILE_FIELDS, GroupReport, IkmReport

JSON_VERSION = 1
NOT_ANSWERED_KEY = "not_answered"


def group_json(group: GroupReport) -> dict[str, Any]:
    result = group.result
    return {
        "respondents": group.n,
        "sums": dict(group.sums),
        "nrr": {c: num(v, 4) for c, v in result.nrr.items()} if result else None,
        "nrr_weighted": (
            {c: num(v, 4) for c, v in result.nrr_weighted.items()} if result else None
        ),
        "ikm": num(result.ikm, 4) if result else None,
        "konversi": float(result.konversi_rounded) if result else None,
        "mutu": (
            {
                "code": result.mutu.code,
                "label_id": result.mutu.label_id,
                "label_en": result.mutu.label_en,
            }
            if result
            else None
        ),
        "weakest": list(result.weakest) if result else [],
        "profile": {
            name: {
                (NOT_ANSWERED_KEY if key is None else key): group.profile[name].get(key, 0)
                for key in profile_keys(name, group.profile[name])
            }
            for name in PROFILE_FIELDS
        },
        "comments": group.comments,
    }


def report_json(report: IkmReport, generated_at: datetime) -> dict[str, Any]:
    return {
        "report": "ikm",
        "version": JSON_VERSION,
        "regulation": REGULATION,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "filters": _filters(report),
        "weight": "1/9",
        "unsur": [
            {
                "code": c,
                "name": unsur_name(c),
                "name_en": unsur_name(c, "en"),
                "about_officer": UNSUR_BY_CODE[c].about_officer,
            }
            for c in skm.UNSUR_CODES
        ],
        "overall": group_json(report.overall),
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "unit_code": s.unit_code,
                "unit_name": s.unit_name,
                "active": s.active,
                **group_json(s.group),
            }
            for s in report.services
        ],
        "sample": _sample(report),
        "comments": [
            {
                "date": c.local_date.isoformat(),
                "service_code": c.service_code,
                "service_name": c.service_name,
                "text": c.text,
            }
            for c in report.comments
        ],
    }


def _filters(report: IkmReport) -> dict[str, Any]:
    unit = report.unit
    return {
        "unit": (
            {
                "code": unit.code,
                "name": unit.name,
                "sub_units": [{"code": c, "name": n} for c, n in unit.sub_units],
            }
            if unit
            else None
        ),
        "service": (
            {"code": report.service[0], "name": report.service[1]} if report.service else None
        ),
        "employee": (
            {"nip": report.employee[0], "name": report.employee[1]} if report.employee else None
        ),
        "from": report.date_from.isoformat() if report.date_from else None,
        "to": report.date_to.isoformat() if report.date_to else None,
        "timezone": report.timezone,
        "date_basis": "submitted",
    }


def _sample(report: IkmReport) -> dict[str, Any] | None:
    if report.sample is None:
        return None
    return {
        "population": report.sample.population,
        "minimum": report.sample.minimum,
        "respondents": report.sample.respondents,
        "sufficient": report.sample.sufficient,
    }
