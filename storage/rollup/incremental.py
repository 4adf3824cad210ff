"""The incremental run: steps 1–4 of the package docstring (`storage.rollup`).

Claims what changed since the last run (retractions, then pending responses),
adds the sums to the day rows, and recomputes with set-based SQL only the
derived rows those day rows feed: the touched services' units and months, and
units a service moved into or out of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import Date, delete, func, insert, literal, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import Table

from bot.core.clock import first_of_month, next_month
from storage.db import dialect_insert
from storage.rollup.deltas import Deltas
from storage.rollup.local_days import claim_pending, counted_by_number
from storage.rollup.progress import RollupStats
from storage.rollup.sql import (
    OFFICER_DAILY,
    OFFICER_MONTHLY,
    PROFILE_DAILY,
    PROFILE_FIELDS,
    PROFILE_MONTHLY,
    RETRACTIONS,
    SERVICE_DAILY,
    SERVICE_MEASURES,
    SERVICE_MONTHLY,
    SERVICE_UNITS,
    SERVICES,
    UNIT_DAILY,
    UNIT_MONTHLY,
    UNSUR,
    chunks,
    month_start,
    sums,
)
from storage.rollup_models import MEASURES


class Inconsistent(Exception):
    """A retraction for a row the tables do not hold: only a rebuild can repair that."""


async def refresh(
    session: AsyncSession, tz: tzinfo, stats: RollupStats, *, after: int, upto: int
) -> None:
    """Steps 1–4 of the package docstring: count the numbers (after, upto] and the rest.

    ``after`` is the watermark's number (what the tables count), ``upto`` the
    highest number given, read under the run's lock.
    """
    deltas = Deltas()
    stats.retracted = await _claim_retractions(session, deltas, counted_upto=after)
    # By number first: a row the stamp below counts has no number (the trigger
    # cleared it), so no response is added twice.
    by_number, _ = await counted_by_number(session, after, upto, deltas)
    stamped, _ = await claim_pending(session, tz, deltas)
    stats.claimed = by_number + stamped
    await _add_deltas_to_days(session, deltas)
    # Derived rows of what was touched, month by month.
    services_by_month = _ids_by_month(deltas.service)
    officers_by_month = _ids_by_month((e, day) for e, _service, day in deltas.officer)
    moved_units, stats.moved_services = await _moved_units(session)
    await _recompute_service_months(session, services_by_month, moved_units)
    for month, employee_ids in sorted(officers_by_month.items()):
        await _monthly_from_daily(
            session,
            OFFICER_MONTHLY,
            OFFICER_DAILY,
            ("employee_id", "service_id"),
            "employee_id",
            employee_ids,
            month,
        )
    await _rebuild_units(session, moved_units)


async def _add_deltas_to_days(session: AsyncSession, deltas: Deltas) -> None:
    """Step 2: the summed deltas into the service (with their profile counts), officer
    and profile (values outside the lists) day rows."""
    await _add_to_days(
        session,
        SERVICE_DAILY,
        ("service_id", "day"),
        SERVICE_MEASURES,
        deltas.service,
        deltas.shrinking["service"],
    )
    await _add_to_days(
        session,
        OFFICER_DAILY,
        ("employee_id", "service_id", "day"),
        MEASURES,
        deltas.officer,
        deltas.shrinking["officer"],
    )
    await _add_to_days(
        session,
        PROFILE_DAILY,
        ("service_id", "day", "field", "value"),
        ("n",),
        deltas.profile,
        deltas.shrinking["profile"],
    )


def _ids_by_month(keys: Iterable[tuple[int, date]]) -> dict[date, set[int]]:
    """(id, day) pairs grouped as {first of month: ids}."""
    out: dict[date, set[int]] = defaultdict(set)
    for an_id, day in keys:
        out[first_of_month(day)].add(an_id)
    return out


async def _recompute_service_months(
    session: AsyncSession, services_by_month: dict[date, set[int]], moved_units: set[int]
) -> None:
    """Step 3 for services: their month rows, profile month rows, and their units' rows."""
    unit_of = await _unit_of(session, {s for ids in services_by_month.values() for s in ids})
    for month, service_ids in sorted(services_by_month.items()):
        await _monthly_from_daily(
            session,
            SERVICE_MONTHLY,
            SERVICE_DAILY,
            ("service_id",),
            "service_id",
            service_ids,
            month,
            SERVICE_MEASURES,
        )
        await _monthly_from_daily(
            session,
            PROFILE_MONTHLY,
            PROFILE_DAILY,
            ("service_id", "field", "value"),
            "service_id",
            service_ids,
            month,
            ("n",),
        )
        units = {unit_of[s] for s in service_ids if s in unit_of} - moved_units
        if units:
            await _unit_days(session, units, month, next_month(month))
            await _monthly_from_daily(
                session, UNIT_MONTHLY, UNIT_DAILY, ("unit_id",), "unit_id", units, month
            )


def moved_services_query() -> Any:
    snap = SERVICE_UNITS
    return (
        select(SERVICES.c.id, SERVICES.c.unit_id, snap.c.unit_id)
        .select_from(SERVICES.outerjoin(snap, snap.c.service_id == SERVICES.c.id))
        .where(or_(snap.c.unit_id.is_(None), snap.c.unit_id != SERVICES.c.unit_id))
    )


def gone_services_query() -> Any:
    return select(SERVICE_UNITS.c.service_id).where(
        ~select(SERVICES.c.id).where(SERVICES.c.id == SERVICE_UNITS.c.service_id).exists()
    )


async def _claim_retractions(session: AsyncSession, deltas: Deltas, *, counted_upto: int) -> int:
    """Take every retraction (each exactly once) and subtract the counted ones in ``deltas``.

    A response numbered above ``counted_upto`` was never counted (erased or
    changed before a run reached it): its retraction is dropped. No number:
    counted before numbers existed, or stamped and counted by a run.
    """
    table = RETRACTIONS
    result = await session.execute(
        delete(table).returning(
            table.c.rollup_seq,
            table.c.service_id,
            table.c.employee_id,
            table.c.day,
            table.c.comments,
            *(table.c[u] for u in UNSUR),
            *(table.c[name] for name in PROFILE_FIELDS),
        )
    )
    count = 0
    for row in result:
        number, *values = tuple(row)
        if number is not None and number > counted_upto:
            continue
        deltas.add(-1, values[0], values[1], values[2], int(values[3]), values[4:13], values[13:])
        count += 1
    return count


async def _add_to_days(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    measures: Sequence[str],
    deltas: Mapping[tuple[Any, ...], list[int]],
    shrinking: set[tuple[Any, ...]],
) -> None:
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(measures, values, strict=True))}
        for key, values in deltas.items()
        if any(values)
    ]
    if rows:
        statement = dialect_insert(session, table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={m: table.c[m] + statement.excluded[m] for m in measures},
        )
        await session.execute(statement, rows)
    if not shrinking:
        return
    key_columns = tuple_(*(table.c[k] for k in keys))
    for chunk in chunks(shrinking):
        negative = await session.scalar(
            select(func.count()).where(key_columns.in_(chunk), table.c.n < 0)
        )
        if negative:
            raise Inconsistent(f"{table.name}: a retraction below zero")
        await session.execute(delete(table).where(key_columns.in_(chunk), table.c.n == 0))


async def _monthly_from_daily(
    session: AsyncSession,
    monthly: Table,
    daily: Table,
    keys: Sequence[str],
    by: str,
    ids: Iterable[int],
    month: date,
    measures: Sequence[str] = MEASURES,
) -> None:
    """Recompute the month rows of ``month`` for the given ids of column ``by``."""
    end = next_month(month)
    for chunk in chunks(set(ids)):
        await session.execute(
            delete(monthly).where(monthly.c.month == month, monthly.c[by].in_(chunk))
        )
        source = (
            select(*(daily.c[k] for k in keys), literal(month, Date), *sums(daily, measures))
            .where(daily.c[by].in_(chunk), daily.c.day >= month, daily.c.day < end)
            .group_by(*(daily.c[k] for k in keys))
        )
        await session.execute(insert(monthly).from_select([*keys, "month", *measures], source))


async def _unit_days(
    session: AsyncSession, unit_ids: Iterable[int], first: date | None, end: date | None
) -> None:
    """Recompute unit day rows from service day rows (current service → unit mapping)."""
    sd = SERVICE_DAILY
    for chunk in chunks(set(unit_ids)):
        removal = delete(UNIT_DAILY).where(UNIT_DAILY.c.unit_id.in_(chunk))
        source = (
            select(SERVICES.c.unit_id, sd.c.day, *sums(sd))
            .select_from(sd.join(SERVICES, SERVICES.c.id == sd.c.service_id))
            .where(SERVICES.c.unit_id.in_(chunk))
            .group_by(SERVICES.c.unit_id, sd.c.day)
        )
        if first is not None and end is not None:
            removal = removal.where(UNIT_DAILY.c.day >= first, UNIT_DAILY.c.day < end)
            source = source.where(sd.c.day >= first, sd.c.day < end)
        await session.execute(removal)
        await session.execute(insert(UNIT_DAILY).from_select(["unit_id", "day", *MEASURES], source))


async def _unit_of(session: AsyncSession, service_ids: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in chunks(set(service_ids)):
        rows = await session.execute(
            select(SERVICES.c.id, SERVICES.c.unit_id).where(SERVICES.c.id.in_(chunk))
        )
        out.update({service: unit for service, unit in rows})
    return out


async def _moved_units(session: AsyncSession) -> tuple[set[int], int]:
    """Units to rebuild because a service moved (or appeared), and the snapshot fixed."""
    units: set[int] = set()
    moved = 0
    rows = (await session.execute(moved_services_query())).all()
    for service_id, unit_id, old_unit in rows:
        if old_unit is not None:
            moved += 1
            units.update((unit_id, old_unit))
        # A service new to the snapshot has no rows counted under another unit:
        # recording it is enough (its new rows are recomputed as they come).
        statement = dialect_insert(session, SERVICE_UNITS).values(
            service_id=service_id, unit_id=unit_id
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["service_id"], set_={"unit_id": statement.excluded.unit_id}
            )
        )
    gone = (await session.scalars(gone_services_query())).all()
    if gone:
        await session.execute(delete(SERVICE_UNITS).where(SERVICE_UNITS.c.service_id.in_(gone)))
    return units, moved


async def _rebuild_units(session: AsyncSession, unit_ids: set[int]) -> None:
    """All day and month rows of these units, from the service rows."""
    if not unit_ids:
        return
    await _unit_days(session, unit_ids, None, None)
    for chunk in chunks(unit_ids):
        await session.execute(delete(UNIT_MONTHLY).where(UNIT_MONTHLY.c.unit_id.in_(chunk)))
        ud = UNIT_DAILY
        month = month_start(ud.c.day)
        source = (
            select(ud.c.unit_id, month, *sums(ud))
            .where(ud.c.unit_id.in_(chunk))
            .group_by(ud.c.unit_id, month)
        )
        await session.execute(
            insert(UNIT_MONTHLY).from_select(["unit_id", "month", *MEASURES], source)
        )
