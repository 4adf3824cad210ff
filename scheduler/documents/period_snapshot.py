"""The frozen figures of one unit's SKM period (a snapshot), as JSON, and how to read them.

A snapshot is what a head approves and what every later output of the period
(the CLI, the bot, the report and publication of issue 15) reads: aggregates
only, never a pseudonym, a chat id, a response id or a comment's text. Each
group (the unit with its sub-units, and each service) has exactly the shape
of a GROUP of ``ulasan report ikm --format json`` (`ikm_json.group_json`:
respondents, sums, NRR, weighted NRR, IKM, konversi, mutu, weakest, profile
counts, comment count), so the same numbers read the same everywhere. The
README ("Snapshot of a period") documents every field; ``"snapshot"`` and
``"version"`` name the shape, and fields are only ever added.

Reading back: `group_result` recomputes the exact IKM of a group from its
integer sums and n (`scheduler.scoring.skm.compute`), so nothing is ever
re-derived from a rounded number. `digest` fingerprints a snapshot (what a
confirmation binds to); `content` is the part that responses decide, which
is what a correction compares.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scheduler.documents.ikm_json import group_json
from scheduler.documents.ikm_labels import REGULATION, num, unsur_name
from scheduler.scoring import skm
from scheduler.scoring.skm_instrument import UNSUR_BY_CODE
from scheduler.scoring.skm_periods import classify, weakest
from storage.ikm_report import GroupReport, SampleCheck, ServiceReport
from storage.period_models import SkmPeriod

SNAPSHOT = "skm-period"
SNAPSHOT_VERSION = 1

Figures = dict[str, Any]


@dataclass(frozen=True)
class ServiceFigures:
    """One service of the unit: its report group plus what the period adds."""

    report: ServiceReport
    free: bool
    levy_signals: int
    population: int | None


def sample_json(population: int | None, respondents: int) -> dict[str, Any] | None:
    if population is None:
        return None
    check = SampleCheck(
        population,
        skm.krejcie_morgan_min_sample(population),
        respondents,
        respondents >= skm.krejcie_morgan_min_sample(population),
    )
    return {
        "population": check.population,
        "minimum": check.minimum,
        "respondents": check.respondents,
        "sufficient": check.sufficient,
    }


def period_json(period: SkmPeriod, timezone: str) -> dict[str, Any]:
    kind = classify(period.first_day, period.last_day)
    return {
        "name": period.name,
        "kind": kind.kind,
        "number": kind.number,
        "year": kind.year,
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "timezone": timezone,
        "date_basis": "submitted",
    }


def _service_json(item: ServiceFigures) -> dict[str, Any]:
    service = item.report
    return {
        "code": service.code,
        "name": service.name,
        "unit_code": service.unit_code,
        "unit_name": service.unit_name,
        "active": service.active,
        "free": item.free,
        "levy_signals": item.levy_signals,
        "sample": sample_json(item.population, service.group.n),
        **group_json(service.group),
    }


def _weakest_json(overall: GroupReport) -> list[dict[str, Any]]:
    if overall.result is None:
        return []
    return [
        {"code": code, "name": unsur_name(code), "nrr": num(overall.result.nrr[code], 4)}
        for code in weakest(overall.result.nrr)
    ]


def snapshot(
    *,
    period: SkmPeriod,
    timezone: str,
    unit: tuple[str, str, list[tuple[str, str]]],
    as_of: datetime,
    early: bool,
    overall: GroupReport,
    services: list[ServiceFigures],
    population: int | None,
    previous: dict[str, Any] | None,
) -> Figures:
    """One unit's figures of the period at ``as_of`` (see the module docstring)."""
    code, name, sub_units = unit
    return {
        "snapshot": SNAPSHOT,
        "version": SNAPSHOT_VERSION,
        "regulation": REGULATION,
        "period": period_json(period, timezone),
        "unit": {
            "code": code,
            "name": name,
            "sub_units": [{"code": c, "name": n} for c, n in sub_units],
        },
        "as_of": as_of.astimezone(UTC).isoformat(timespec="seconds"),
        "early": early,
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
        "overall": group_json(overall),
        "weakest_three": _weakest_json(overall),
        "sample": sample_json(population, overall.n),
        "levy_signals": sum(item.levy_signals for item in services),
        "services": [_service_json(item) for item in services],
        "previous": previous,
    }


# -- reading a snapshot back ----------------------------------------------------------------------


def group_result(group: dict[str, Any]) -> skm.IkmResult | None:
    """The exact IKM of a snapshot group, from its integer sums and n (None when n = 0)."""
    n = int(group["respondents"])
    if n == 0:
        return None
    return skm.compute({code: int(group["sums"][code]) for code in skm.UNSUR_CODES}, n)


def canonical(figures: Figures) -> str:
    """The stored text of a snapshot: sorted keys, no spaces, UTF-8."""
    return json.dumps(figures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(figures: Figures) -> str:
    return hashlib.sha256(canonical(figures).encode()).hexdigest()


def content(figures: Figures) -> dict[str, Any]:
    """What the responses decide: each group's counts and sums and the levy signals, by
    service code (names, the moment, the previous period are left out)."""
    numbers = ("respondents", "sums", "profile", "comments")
    return {
        "overall": {key: figures["overall"][key] for key in numbers},
        "levy_signals": figures["levy_signals"],
        "services": {
            s["code"]: {**{key: s[key] for key in numbers}, "levy_signals": s["levy_signals"]}
            for s in figures["services"]
            if s["respondents"]
        },
    }


def content_digest(figures: Figures) -> str:
    return hashlib.sha256(
        json.dumps(content(figures), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def loads(text: str) -> Figures:
    figures: Figures = json.loads(text)
    return figures
