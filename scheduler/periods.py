"""SKM periods, the use cases: cut the figures, approve a unit, find and publish corrections.

The same functions serve ``ulasan period …``, the ``skm_periods`` job and the
heads' buttons in Telegram, so every way to a period gives the same figures.

**The figures** of a period are computed for every unit in it at once, from
one IKM report over the period's root (`storage.ikm_report.build_ikm_report`:
the rollup tables, the exact math of `scheduler.scoring.skm`) whose services
are added up per unit (a unit pools its sub-units, as ``ulasan report ikm
--unit`` does). A parent's figures and its sub-units' therefore always come
from the same read, and a unit's figures equal ``ulasan report ikm --unit CODE
--from FIRST --to LAST`` over the same responses, digit for digit.

**The cut** (`cut_period`) happens once, when the period has ended (the job on
the first working day after it, or the first approval, whichever is first):
in one transaction that holds the responses still, every unit's figures are
computed and kept as its draft. Approving (`approve`) freezes the draft as
version 1, so what the head was shown is what is published, and parent and
sub-units approved days apart still describe one moment. ``early`` approves
before the period has ended (a pilot month): the unit's figures are computed
at that moment and the version says so.

**Corrections.** A version never changes. Responses that enter the period
after it was cut (counted after an early approval) or leave it (erased with
``/hapusdata``, a service moved to another unit) make the live figures differ
from the latest version: `pending_correction` lists them per service (entered,
left) with the effect on the IKM, and `publish_correction` freezes the live
figures as the next version with that change log. Once the last correction is
published, the latest version equals the live report.

Every function takes a session and never commits; the caller opens one
transaction per step (``cut_period`` and the approvals must start a fresh
one: they begin with a write).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.clock import local_day
from bot.core.settings import Settings
from scheduler.documents import period_snapshot as snap
from scheduler.documents.ikm_labels import num
from scheduler.documents.period_snapshot import Figures, ServiceFigures
from scheduler.scoring.skm_periods import movement, previous_span
from storage import periods
from storage.directory import unit_subtree_ids
from storage.ikm_queries import Totals, merge_profiles
from storage.ikm_report import IkmReport, build_ikm_report, group_report
from storage.ikm_scope import Scope, period_bounds
from storage.models import Unit
from storage.period_models import SkmPeriod, SkmPeriodVersion
from storage.periods import NewVersion, PeriodError
from storage.rollup import refresh as rollup

__all__ = [
    "Correction",
    "PeriodError",
    "ServiceChange",
    "approve",
    "compute_figures",
    "cut_period",
    "has_ended",
    "pending_correction",
    "publish_correction",
]


def has_ended(period: SkmPeriod, now: datetime, settings: Settings) -> bool:
    """Whether the period's last local day is over."""
    return local_day(now, settings.tz) > period.last_day


async def bring_rollup_up_to_date(session: AsyncSession, settings: Settings) -> None:
    """Add responses the rollup has not counted yet (a write: first in a transaction)."""
    if await rollup.scores_need_refresh(session, settings.tz):
        await rollup.refresh_scores(session, tz=settings.tz)


# -- the figures ------------------------------------------------------------------------------


def _children(units: list[Unit]) -> dict[int, list[Unit]]:
    children: dict[int, list[Unit]] = {}
    for unit in units:
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit)
    return children


def _below(unit: Unit, children: dict[int, list[Unit]]) -> list[Unit]:
    """The units under ``unit`` (breadth first, by code; safe against a cycle)."""
    found: list[Unit] = []
    seen = {unit.id}
    frontier = [unit]
    while frontier:
        level = sorted(
            (c for u in frontier for c in children.get(u.id, []) if c.id not in seen),
            key=lambda c: c.code,
        )
        seen.update(c.id for c in level)
        found.extend(level)
        frontier = level
    return found


async def _report(
    session: AsyncSession, period: SkmPeriod, settings: Settings, first: date, last: date
) -> IkmReport:
    root = None
    if period.unit_id is not None:
        root = await session.get(Unit, period.unit_id)
    return await build_ikm_report(
        session,
        unit_code=root.code if root else None,
        date_from=first,
        date_to=last,
        tz=settings.tz,
        timezone_name=settings.timezone,
        refresh=False,
        with_comments=False,
    )


def _pooled(report: IkmReport, codes: set[str]) -> tuple[list[Any], Any]:
    """The services of these units and their pooled group (the unit's figures)."""
    services = [s for s in report.services if s.unit_code in codes]
    totals = Totals()
    for service in services:
        totals.add(Totals(service.group.n, dict(service.group.sums), service.group.comments))
    profile = merge_profiles([s.group.profile for s in services])
    return services, group_report(totals, profile)


async def compute_figures(
    session: AsyncSession,
    period: SkmPeriod,
    settings: Settings,
    *,
    as_of: datetime,
    early: bool,
    previous: dict[int, dict[str, Any] | None] | None = None,
) -> dict[int, Figures]:
    """Every unit's figures of the period now (units with at least one service).

    ``previous`` (by unit id) is each unit's previous-period comparison; None
    looks it up (`previous_figures`). The rollup must be up to date.
    """
    report = await _report(session, period, settings, period.first_day, period.last_day)
    units = await periods.scope_units(session, period)
    children = _children(units)
    populations = await periods.populations(session, period.id)
    levy = await periods.levy_by_service(session, report.scope)
    free = await periods.free_services(session)
    service_ids = await periods.service_ids(session)
    if previous is None:
        previous = await previous_figures(session, period, settings, units)
    out: dict[int, Figures] = {}
    for unit in units:
        below = _below(unit, children)
        services, overall = _pooled(report, {unit.code, *(u.code for u in below)})
        if not services:
            continue  # a unit without services has nothing to approve
        items = [
            ServiceFigures(
                s, free.get(s.code, False), levy.get(s.code, 0),
                populations.services.get(service_ids.get(s.code, 0)),
            )
            for s in services
        ]  # fmt: skip
        out[unit.id] = snap.snapshot(
            period=period,
            timezone=settings.timezone,
            unit=(unit.code, unit.name, [(u.code, u.name) for u in below]),
            as_of=as_of,
            early=early,
            overall=overall,
            services=items,
            population=populations.units.get(unit.id),
            previous=previous.get(unit.id),
        )
    return out


async def previous_figures(
    session: AsyncSession, period: SkmPeriod, settings: Settings, units: list[Unit]
) -> dict[int, dict[str, Any] | None]:
    """Each unit's figures of the period before (same kind): from the latest version of
    a defined period with exactly those days where the unit has one, else live."""
    first, last = previous_span(period.first_day, period.last_day)
    defined = await periods.periods_with_days(session, first, last)
    report = await _report(session, period, settings, first, last)
    children = _children(units)
    out: dict[int, dict[str, Any] | None] = {}
    for unit in units:
        frozen = await _frozen_previous(session, defined, unit)
        if frozen is not None:
            out[unit.id] = frozen
            continue
        _services, group = _pooled(report, {unit.code, *(u.code for u in _below(unit, children))})
        out[unit.id] = {
            "name": None,
            "from": first.isoformat(),
            "to": last.isoformat(),
            "source": "live",
            "version": None,
            "respondents": group.n,
            "konversi": float(group.result.konversi_rounded) if group.result else None,
            "mutu": group.result.mutu.code if group.result else None,
        }
    return out


async def _frozen_previous(
    session: AsyncSession, defined: list[SkmPeriod], unit: Unit
) -> dict[str, Any] | None:
    for earlier in defined:
        version = await periods.latest_version(session, earlier.id, unit.id)
        if version is None:
            continue
        result = snap.group_result(snap.loads(version.figures)["overall"])
        return {
            "name": earlier.name,
            "from": earlier.first_day.isoformat(),
            "to": earlier.last_day.isoformat(),
            "source": "version",
            "version": version.version,
            "respondents": result.n if result else 0,
            "konversi": float(result.konversi_rounded) if result else None,
            "mutu": result.mutu.code if result else None,
        }
    return None


# -- the cut ------------------------------------------------------------------------------------


async def cut_period(
    session: AsyncSession, period: SkmPeriod, settings: Settings, now: datetime
) -> bool:
    """Cut every unit's figures of an ended period at ``now``, once (False: cut already).

    First in a fresh transaction: the claim is a write that serialises cuts
    (SQLite: the write lock), then the rollup catches up and the responses are
    held still, so all drafts describe one moment.
    """
    if not has_ended(period, now, settings):
        raise PeriodError(f"'{period.name}' ends on {period.last_day}; it cannot be cut before")
    if not await periods.claim_cut(session, period.id, now):
        return False
    await rollup.refresh_scores(session, tz=settings.tz)
    await periods.hold_responses_still(session)
    figures = await compute_figures(session, period, settings, as_of=now, early=False)
    for unit_id, unit_figures in figures.items():
        await periods.save_draft(
            session, period.id, unit_id, snap.canonical(unit_figures), snap.digest(unit_figures)
        )
    return True


# -- approval -----------------------------------------------------------------------------------


async def approve(
    session: AsyncSession,
    period: SkmPeriod,
    unit_id: int,
    settings: Settings,
    *,
    now: datetime,
    actor: str,
    early: bool = False,
    draft_digest: str | None = None,
) -> SkmPeriodVersion:
    """Publish version 1 of a unit: the draft cut at the close (which must be the one with
    ``draft_digest`` when given: what the head was shown), or, with ``early`` before the
    period has ended, the figures of this moment. Cut first (`cut_period`) when ended."""
    ended = has_ended(period, now, settings)
    if not ended and not early:
        raise PeriodError(
            f"'{period.name}' ends on {period.last_day}; add --early to approve it before"
        )
    row = await periods.period_unit(session, period.id, unit_id)
    if row is not None and row.version > 0:
        raise PeriodError(
            f"already approved (version {row.version}); changes since are published "
            "with `ulasan period correct`"
        )
    if ended:
        if row is None or row.draft is None or row.draft_digest is None:
            raise PeriodError("this unit has no services in the period: nothing to approve")
        if draft_digest is not None and draft_digest != row.draft_digest:
            raise PeriodError("the figures shown are not the figures cut for this period")
        new = NewVersion(row.draft, row.draft_digest, _as_of(row.draft), False, "[]")
    else:
        new = await _early_figures(session, period, unit_id, settings, now)
    version = await periods.publish_version(
        session, period, unit_id, new, expected=0, actor=actor, now=now
    )
    if version is None:
        raise PeriodError("approved meanwhile by someone else; nothing changed")
    return version


def _as_of(text: str) -> datetime:
    return datetime.fromisoformat(snap.loads(text)["as_of"])


async def _early_figures(
    session: AsyncSession, period: SkmPeriod, unit_id: int, settings: Settings, now: datetime
) -> NewVersion:
    await bring_rollup_up_to_date(session, settings)
    await periods.hold_responses_still(session)
    figures = (await compute_figures(session, period, settings, as_of=now, early=True)).get(unit_id)
    if figures is None:
        raise PeriodError("this unit has no services in the period: nothing to approve")
    return NewVersion(snap.canonical(figures), snap.digest(figures), now, True, "[]")


# -- corrections --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceChange:
    """One service's part of a correction."""

    code: str
    name: str
    entered: int
    left: int
    respondents: tuple[int, int]  # (version, live)
    konversi: tuple[float | None, float | None]


@dataclass(frozen=True)
class Correction:
    """The difference between a unit's latest version and its live figures."""

    unit_id: int
    version: int  # the version it corrects
    frozen: Figures
    live: Figures
    entered: int
    left: int
    services: list[ServiceChange] = field(default_factory=list)

    @property
    def live_digest(self) -> str:
        return snap.content_digest(self.live)

    def konversi(self) -> tuple[float | None, float | None]:
        return _konversi(self.frozen["overall"]), _konversi(self.live["overall"])

    def respondents(self) -> tuple[int, int]:
        return int(self.frozen["overall"]["respondents"]), int(self.live["overall"]["respondents"])

    def change_log(self, now: datetime | None) -> list[dict[str, Any]]:
        """The change log entry of the version that publishes this correction (``now``:
        when; None for a correction still pending)."""
        before, after = self.konversi()
        return [
            {
                "from_version": self.version,
                "at": now.astimezone(UTC).isoformat(timespec="seconds") if now else None,
                "entered": self.entered,
                "left": self.left,
                "respondents": list(self.respondents()),
                "konversi": [before, after],
                "mutu": [_mutu(self.frozen["overall"]), _mutu(self.live["overall"])],
                "services": [
                    {**asdict(change), "respondents": list(change.respondents),
                     "konversi": list(change.konversi)}
                    for change in self.services
                ],
            }
        ]  # fmt: skip


def _numbers(group: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("respondents", "sums", "profile", "comments", "levy_signals")
    return tuple(group.get(key) for key in keys)


def _konversi(group: dict[str, Any]) -> float | None:
    result = snap.group_result(group)
    return num(result.konversi_rounded, 2) if result else None


def _mutu(group: dict[str, Any]) -> str | None:
    result = snap.group_result(group)
    return result.mutu.code if result else None


async def live_figures(
    session: AsyncSession, period: SkmPeriod, settings: Settings, now: datetime
) -> dict[int, Figures]:
    """Every unit's figures now, the previous-period part left out (a correction keeps the
    one of the version it corrects). The rollup must be up to date."""
    early = not has_ended(period, now, settings)
    return await compute_figures(session, period, settings, as_of=now, early=early, previous={})


async def pending_correction(
    session: AsyncSession,
    period: SkmPeriod,
    unit_id: int,
    settings: Settings,
    live: dict[int, Figures],
) -> Correction | None:
    """What changed in a unit's period since its latest version (None: nothing, or not
    approved yet). ``live`` is `live_figures` of the period."""
    version = await periods.latest_version(session, period.id, unit_id)
    if version is None:
        return None
    frozen = snap.loads(version.figures)
    now_figures = live.get(unit_id) or _empty_like(frozen)
    if snap.content(frozen) == snap.content(now_figures):
        return None
    changes = await _service_changes(
        session, period, unit_id, settings, version, frozen, now_figures
    )
    return Correction(
        unit_id=unit_id,
        version=version.version,
        frozen=frozen,
        live=now_figures,
        entered=sum(c.entered for c in changes),
        left=sum(c.left for c in changes),
        services=changes,
    )


def _empty_like(frozen: Figures) -> Figures:
    """Live figures of a unit that no longer has any service in the period."""
    empty = json.loads(json.dumps(frozen))
    empty["overall"]["respondents"] = 0
    empty["overall"]["sums"] = dict.fromkeys(empty["overall"]["sums"], 0)
    empty["services"] = []
    empty["levy_signals"] = 0
    return empty


async def _service_changes(
    session: AsyncSession,
    period: SkmPeriod,
    unit_id: int,
    settings: Settings,
    version: SkmPeriodVersion,
    frozen: Figures,
    live: Figures,
) -> list[ServiceChange]:
    start, end = period_bounds(period.first_day, period.last_day, settings.tz)
    assert start is not None and end is not None
    units = tuple(await unit_subtree_ids(session, unit_id))
    cut = min(max(version.as_of, start), end)
    before = await periods.counts_by_service(session, Scope(unit_ids=units, start=start, end=cut))
    after = await periods.counts_by_service(session, Scope(unit_ids=units, start=cut, end=end))
    old = {s["code"]: s for s in frozen["services"]}
    new = {s["code"]: s for s in live["services"]}
    changes = []
    for code in sorted(set(old) | set(new)):
        was, now = old.get(code), new.get(code)
        frozen_n = int(was["respondents"]) if was else 0
        moved = movement(frozen_n, before.get(code, 0), after.get(code, 0))
        same = was is not None and now is not None and _numbers(was) == _numbers(now)
        if same and not moved.any:
            continue
        changes.append(
            ServiceChange(
                code=code,
                name=(now or was or {}).get("name", code),
                entered=moved.entered,
                left=moved.left,
                respondents=(frozen_n, int(now["respondents"]) if now else 0),
                konversi=(_konversi(was) if was else None, _konversi(now) if now else None),
            )
        )
    return changes


async def publish_correction(
    session: AsyncSession,
    period: SkmPeriod,
    unit_id: int,
    settings: Settings,
    *,
    now: datetime,
    actor: str,
    live_digest: str | None = None,
    from_version: int | None = None,
) -> tuple[SkmPeriodVersion, Correction]:
    """Freeze the live figures as the next version with its change log. ``live_digest``
    and ``from_version`` (what a head was shown) must still hold, else nothing is written.
    First in a fresh transaction (it brings the rollup up to date)."""
    await bring_rollup_up_to_date(session, settings)
    await periods.hold_responses_still(session)
    live = await live_figures(session, period, settings, now)
    correction = await pending_correction(session, period, unit_id, settings, live)
    if correction is None:
        raise PeriodError("nothing to correct: the latest version equals the live figures")
    if from_version is not None and correction.version != from_version:
        raise PeriodError("a newer version was published meanwhile; look again")
    if live_digest is not None and correction.live_digest != live_digest:
        raise PeriodError("the figures changed since they were shown; look again")
    figures = dict(correction.live)
    figures["previous"] = correction.frozen.get("previous")
    new = NewVersion(
        snap.canonical(figures),
        snap.digest(figures),
        now,
        bool(figures["early"]),
        json.dumps(correction.change_log(now), ensure_ascii=False),
    )
    version = await periods.publish_version(
        session, period, unit_id, new, expected=correction.version, actor=actor, now=now
    )
    if version is None:
        raise PeriodError("a newer version was published meanwhile; look again")
    return version, correction
