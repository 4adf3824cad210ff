"""The 360° report as JSON, under the same anonymity rule as every other form.

Shown figures carry their display-rounded mean and n; a suppressed one carries
only its reason. No per-rater rows. The shape is versioned by ``version``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scheduler.documents.review_labels import GROUPS, item_name, mean
from scheduler.documents.review_report import ReviewReport
from scheduler.scoring.review_instrument import Expectation
from scheduler.scoring.review_math import Cell, Figure, Gap, Suppressed
from storage.review_results import PatternList, RateeResults, UnitCell, UnitFigure

JSON_VERSION = 1


def report_json(report: ReviewReport, generated_at: datetime) -> dict[str, Any]:
    instrument = report.instrument
    cycle = report.cycle
    data: dict[str, Any] = {
        "report": "review",
        "version": JSON_VERSION,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "cycle": {
            "name": cycle.name,
            "deadline": cycle.deadline.isoformat(),
            "closed_at": _moment(cycle.closed_at),
            "instrument": cycle.instrument_code,
        },
        "min_anonymous_raters": report.min_raters,
        "recommendation_min_values": report.min_values,
        "filters": {"employee": report.employee_nip, "unit": report.unit_code},
        "items": (
            [
                {
                    "code": c,
                    "name": item_name(instrument, c),
                    "name_en": item_name(instrument, c, "en"),
                }
                for c in instrument.item_codes
            ]
            if instrument
            else []
        ),
        "ratees": [ratee_json(item) for item in report.ratees],
        "units": [
            {
                "code": unit.unit_code,
                "name": unit.unit_name,
                "ratees": unit.ratees,
                "overall": cell_json(unit.overall),
                "items": {code: cell_json(cell) for code, cell in unit.items.items()},
            }
            for unit in report.units
        ],
    }
    if report.patterns is not None:
        data["patterns"] = patterns_json(report.patterns)
    return data


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def cell_json(cell: Cell | UnitCell) -> dict[str, Any]:
    if isinstance(cell, Figure):
        return {"mean": mean(cell.mean), "n": cell.n}
    if isinstance(cell, UnitFigure):
        return {"mean": mean(cell.mean), "ratees": cell.ratees}
    return {"suppressed": cell.reason.value}


def gap_json(gap: Gap | Suppressed) -> dict[str, Any]:
    if isinstance(gap, Gap):
        return {
            "self": mean(gap.self_mean),
            "others": mean(gap.others_mean),
            "gap": mean(gap.gap),
            "flag": gap.flag.value if gap.flag else None,
        }
    return {"suppressed": gap.reason.value}


def expectation_json(value: Expectation | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"value": int(value), "code": value.code, "label_id": value.label_id}


def ratee_json(item: RateeResults) -> dict[str, Any]:
    result = item.result
    return {
        "employee": {
            "nip": item.ratee.nip,
            "name": item.ratee.name,
            "unit_code": item.ratee.unit_code,
            "unit_name": item.ratee.unit_name,
        },
        "received": {"submitted": item.received.submitted, "total": item.received.total},
        "groups": {
            group.value: {
                "overall": cell_json(result.groups[group].overall),
                "items": {c: cell_json(result.groups[group].items[c]) for c in result.item_codes},
            }
            for group in GROUPS
        },
        "gaps": {code: gap_json(result.gaps[code]) for code in result.item_codes},
        "overall_gap": gap_json(result.overall_gap),
        "recommendation": _recommendation(item),
        "coverage": _coverage(item),
        "decision": _decision(item),
        "hasil_kerja": expectation_json(item.hasil_kerja),
        "predikat": _predikat(item),
        "comments": _comments(item),
    }


def _recommendation(item: RateeResults) -> dict[str, Any] | None:
    rec = item.recommendation
    if rec is None:
        return None
    return {
        "basis": rec.basis.value,
        "mean": mean(rec.mean),
        "n": rec.n,
        "perilaku": expectation_json(rec.perilaku),
        "values": list(rec.values),  # the core values the mean rests on
    }


def _coverage(item: RateeResults) -> dict[str, Any] | None:
    covered = item.coverage
    if covered is None:
        return None
    return {
        "basis": covered.basis.value if covered.basis is not None else None,
        "values": list(covered.values),
        "total": covered.total,
        "required": covered.required,
        "enough": covered.enough,
    }


def _decision(item: RateeResults) -> dict[str, Any] | None:
    if item.decision is None:
        return None
    return {
        "recommended": expectation_json(item.decision.recommended),
        "decided": expectation_json(item.decision.decided),
        "decided_at": _moment(item.decision.decided_at),
    }


def _predikat(item: RateeResults) -> dict[str, Any] | None:
    if item.predikat is None:
        return None
    return {
        "code": item.predikat.value,
        "label_id": item.predikat.label_id,
        "label_en": item.predikat.label,
        "decided": item.decision is not None,
    }


def _comments(item: RateeResults) -> dict[str, Any]:
    comments = item.result.comments
    return {
        "self": {k: list(v) for k, v in comments.own.items()},
        "supervisor": {k: list(v) for k, v in comments.supervisor.items()},
        "anonymous": {
            k: ({"suppressed": v.reason.value} if isinstance(v, Suppressed) else list(v))
            for k, v in comments.anonymous.items()
        },
    }


def patterns_json(patterns: PatternList) -> dict[str, Any]:
    def person(p: Any) -> dict[str, str]:
        return {"nip": p.nip, "name": p.name}

    return {
        "reciprocal": [
            {"first": person(f.first), "second": person(f.second), "extreme": f.extreme.value}
            for f in patterns.reciprocal
        ],
        "straight_lining": [
            {"rater": person(f.rater), "ratees": f.ratees} for f in patterns.straight_lining
        ],
        "outliers": [
            {"rater": person(f.rater), "ratees": f.ratees, "z": f.z, "direction": f.direction.value}
            for f in patterns.outliers
        ],
    }
