"""A unit's IKM on request (``/ikm``): the unit, each sub-unit and each service, for a period.

The numbers are the IKM report's (`storage.ikm_report`: the rollup tables,
brought up to date first, and `scheduler.scoring.skm`), so a head reads in
Telegram exactly what ``ulasan report ikm --unit CODE --from … --to …``
prints. A sub-unit's figures pool its own services and those of every unit
below it (each service belongs to exactly one sub-unit, so the sums add up to
the unit's); the unit's own services (not in any sub-unit) are their own line.

Periods are calendar months in TIMEZONE (this month so far, last month, or a
chosen one); `month_span` gives the first and last local day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from scheduler.scoring import skm
from storage.db import SessionFactory
from storage.directory import unit_subtree
from storage.ikm_report import IkmReport, build_ikm_report
from storage.rollup import refresh as rollup


@dataclass(frozen=True)
class Line:
    """One row of the breakdown: a sub-unit or a service, with its figures."""

    code: str
    name: str
    n: int
    result: skm.IkmResult | None  # None when nobody answered


@dataclass(frozen=True)
class UnitIkm:
    code: str
    name: str
    first: date
    last: date
    overall: Line
    sub_units: tuple[Line, ...]  # direct sub-units (their own trees pooled), by code
    services: tuple[Line, ...]  # every active service in the unit's tree, by unit and code


def month_span(year: int, month: int, today: date) -> tuple[date, date]:
    """The month's first day and its last day (today, for the month in progress)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    last = date.fromordinal(following.toordinal() - 1)
    return first, min(last, today) if first <= today else last


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    """The month ``months`` after (negative: before) year-month."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _line(code: str, name: str, n: int, sums: dict[str, int]) -> Line:
    return Line(code, name, n, skm.compute(sums, n) if n else None)


async def unit_ikm(
    sessions: SessionFactory, tz: tzinfo, unit_id: int, first: date, last: date
) -> UnitIkm:
    """The unit's IKM, its sub-units' and its services', for local days first..last."""
    async with sessions() as session:
        stale = await rollup.scores_need_refresh(session, tz)
    if stale:  # a short write of its own, so the report below only reads
        async with sessions.begin() as session:
            await rollup.refresh_scores(session, tz=tz)
    async with sessions() as session:
        tree = await unit_subtree(session, unit_id)
        report = await build_ikm_report(
            session,
            unit_code=tree[0].code,
            date_from=first,
            date_to=last,
            tz=tz,
            refresh=False,
            with_comments=False,
        )
    return _shape(report, {u.id: (u.code, u.name, u.parent_id) for u in tree}, first, last)


def _top_of(unit_code: str, root: str, parents: dict[str, str | None]) -> str:
    """The direct sub-unit of ``root`` whose tree holds ``unit_code`` (root itself if none)."""
    code = unit_code
    while parents.get(code) not in (root, None):
        code = parents[code]  # type: ignore[assignment]
    return code if parents.get(code) == root else root


def _shape(
    report: IkmReport,
    tree: dict[int, tuple[str, str, int | None]],
    first: date,
    last: date,
) -> UnitIkm:
    code_of = {unit_id: code for unit_id, (code, _name, _parent) in tree.items()}
    parents = {code: code_of.get(parent) if parent else None for code, _n, parent in tree.values()}
    names = {code: name for code, name, _parent in tree.values()}
    assert report.unit is not None
    root = report.unit.code
    pooled: dict[str, tuple[int, dict[str, int]]] = {}
    for service in report.services:
        top = _top_of(service.unit_code, root, parents)
        n, sums = pooled.get(top, (0, dict.fromkeys(skm.UNSUR_CODES, 0)))
        pooled[top] = (
            n + service.group.n,
            {code: sums[code] + service.group.sums[code] for code in skm.UNSUR_CODES},
        )
    children = sorted(code for code, parent in parents.items() if parent == root)
    empty = (0, dict.fromkeys(skm.UNSUR_CODES, 0))
    sub_units = [_line(c, names[c], *pooled.get(c, empty)) for c in children]
    if root in pooled:  # the unit's own services, apart from any sub-unit
        sub_units.insert(0, _line(root, names[root], *pooled[root]))
    services = tuple(Line(s.code, s.name, s.group.n, s.group.result) for s in report.services)
    overall = Line(root, report.unit.name, report.overall.n, report.overall.result)
    return UnitIkm(root, report.unit.name, first, last, overall, tuple(sub_units), services)
