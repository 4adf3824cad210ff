"""The full rebuild: every score table from ``survey_responses``, in one scan.

``ulasan job run rollup --full``, the first run, a changed TIMEZONE, lost
triggers or an inconsistency found by the incremental run. See "Full rebuild"
in the package docstring (`storage.rollup`): one grouped scan into a
temporary table of cells (day, service, officer) with the profile counted by
conditional sums in the same pass, then every table from those few cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateTable, DropTable

from bot.core.progress import QUIET, Progress
from storage.rollup.local_days import stamp_pending
from storage.rollup.progress import RollupStats
from storage.rollup.sql import (
    KNOWN_VALUES,
    OFFICER_DAILY,
    OFFICER_MONTHLY,
    PROFILE_DAILY,
    PROFILE_FIELDS,
    PROFILE_MONTHLY,
    RETRACTIONS,
    SCORE_TABLES,
    SERVICE_DAILY,
    SERVICE_MONTHLY,
    SERVICE_UNITS,
    SERVICES,
    SR,
    UNIT_DAILY,
    UNIT_MONTHLY,
    UNSUR,
    counted,
    has_comment,
    month_start,
    profile_value,
    sums,
)
from storage.rollup_models import MEASURES, NOT_ANSWERED


def _profile_columns() -> list[tuple[str, str, str | None]]:
    """(temporary column, field, value) for every known value and "not answered" (None)."""
    out: list[tuple[str, str, str | None]] = []
    for name in PROFILE_FIELDS:
        for index, value in enumerate(KNOWN_VALUES[name]):
            out.append((f"p_{name}_{index}", name, value))
        out.append((f"p_{name}_na", name, None))
    return out


def _cell_table(name: str, keys: Sequence[Column[Any]]) -> Table:
    """A temporary table of per-cell sums (dropped at commit on PostgreSQL)."""
    columns = [*keys, *(Column(m, Integer) for m in MEASURES)]
    columns += [Column(column, Integer) for column, _f, _v in _profile_columns()]
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


STEPS = 9  # what `rebuild` reports to its progress: stamp, scan, six table groups, units


async def rebuild(
    session: AsyncSession,
    tz: tzinfo,
    stats: RollupStats,
    *,
    reset: bool,
    progress: Progress = QUIET,
) -> int:
    """Every score table from survey_responses; the highest counted response id."""
    progress.stage("rollup: rebuilding the score tables", STEPS)
    if reset:  # another TIMEZONE: every local day must be computed again
        await session.execute(
            update(SR).where(SR.c.rollup_day.is_not(None)).values(rollup_day=None)
        )
    await session.execute(delete(RETRACTIONS))
    stats.claimed = await stamp_pending(session, tz)
    for table in (*SCORE_TABLES, SERVICE_UNITS):
        await session.execute(delete(table))
    progress.advance()

    profile = _profile_columns()
    cells = _cell_table(
        "rollup_cells",
        [Column("day", Date), Column("service_id", Integer), Column("employee_id", Integer)],
    )
    service_cells = _cell_table(
        "rollup_service_cells", [Column("day", Date), Column("service_id", Integer)]
    )
    month_cells = _cell_table(
        "rollup_month_cells", [Column("month", Date), Column("service_id", Integer)]
    )
    temporary = (cells, service_cells, month_cells)
    for table in temporary:
        await session.execute(DropTable(table, if_exists=True))
        await session.execute(CreateTable(table))
    try:
        await _fill_cells(session, cells, service_cells, month_cells, profile)
        progress.advance()
        await _tables_from_cells(session, cells, service_cells, month_cells, profile, progress)
    finally:
        for table in temporary:
            await session.execute(DropTable(table, if_exists=True))
    await session.execute(
        insert(SERVICE_UNITS).from_select(
            ["service_id", "unit_id"], select(SERVICES.c.id, SERVICES.c.unit_id)
        )
    )
    progress.advance()
    last = await session.scalar(select(func.max(SR.c.id)).where(SR.c.rollup_day.is_not(None)))
    return int(last or 0)


async def _fill_cells(
    session: AsyncSession,
    cells: Table,
    service_cells: Table,
    month_cells: Table,
    profile: Sequence[tuple[str, str, str | None]],
) -> None:
    # The one pass over survey_responses. Grouping by the day first keeps
    # SQLite on a plain table scan and one sort (an index on service_id would
    # turn it into a million random lookups).
    conditional = []
    for _column, name, value in profile:
        column = SR.c[name]
        if value is None:
            condition = or_(column.is_(None), column == "")
        else:
            condition = column == value
        # count(*) FILTER (WHERE …): a fifth cheaper than sum(CASE …) on SQLite.
        conditional.append(func.count().filter(condition))
    scan = (
        select(
            SR.c.rollup_day,
            SR.c.service_id,
            SR.c.employee_id,
            func.count(),
            func.sum(has_comment(SR.c.comment)),
            *(func.sum(SR.c[u]) for u in UNSUR),
            *conditional,
        )
        .where(*counted())
        .group_by(SR.c.rollup_day, SR.c.service_id, SR.c.employee_id)
    )
    names = ["day", "service_id", "employee_id", *MEASURES, *(c for c, _f, _v in profile)]
    await session.execute(insert(cells).from_select(names, scan))
    per_service = select(
        cells.c.day,
        cells.c.service_id,
        *(func.sum(cells.c[name]) for name in names[3:]),
    ).group_by(cells.c.service_id, cells.c.day)  # (service, day) order: see the profile
    await session.execute(
        insert(service_cells).from_select(["day", *names[1:2], *names[3:]], per_service)
    )
    month = month_start(service_cells.c.day)
    per_month = select(
        month, service_cells.c.service_id, *(func.sum(service_cells.c[n]) for n in names[3:])
    ).group_by(service_cells.c.service_id, month)
    await session.execute(
        insert(month_cells).from_select(["month", *names[1:2], *names[3:]], per_month)
    )


async def _tables_from_cells(
    session: AsyncSession,
    cells: Table,
    service_cells: Table,
    month_cells: Table,
    profile: Sequence[tuple[str, str, str | None]],
    progress: Progress = QUIET,
) -> None:
    """Every score table from the temporary cell tables, in this order."""
    await _service_rows(session, service_cells, month_cells)
    progress.advance()
    await _officer_days(session, cells)
    progress.advance()
    await _profile_rows(session, service_cells, month_cells, profile)
    progress.advance()
    await _unknown_profile_values(session, service_cells)
    progress.advance()
    await _unit_days(session, service_cells)
    progress.advance()
    await _unit_and_officer_months(session)
    progress.advance()


async def _service_rows(session: AsyncSession, service_cells: Table, month_cells: Table) -> None:
    sc, mc = service_cells, month_cells
    for target, source, period in ((SERVICE_DAILY, sc, "day"), (SERVICE_MONTHLY, mc, "month")):
        await session.execute(
            insert(target).from_select(
                ["service_id", period, *MEASURES],
                select(source.c.service_id, source.c[period], *(source.c[m] for m in MEASURES)),
            )
        )


async def _officer_days(session: AsyncSession, cells: Table) -> None:
    await session.execute(
        insert(OFFICER_DAILY).from_select(
            ["employee_id", "service_id", "day", *MEASURES],
            select(
                cells.c.employee_id,
                cells.c.service_id,
                cells.c.day,
                *(cells.c[m] for m in MEASURES),
            ).where(cells.c.employee_id.is_not(None)),
        )
    )


def _profile_pairs(
    profile: Sequence[tuple[str, str, str | None]],
) -> tuple[list[tuple[str, str, str]], Any]:
    """The (field, value, cell column) pairs in key order, and them as a constant table ``k``."""
    pairs = sorted(
        ((name, profile_value(value), column) for column, name, value in profile),
        key=lambda pair: pair[:2],
    )
    constants = union_all(
        *(
            select(
                literal(index, Integer).label("k"),
                literal(name, String).label("field"),
                literal(value, String).label("value"),
            )
            for index, (name, value, _column) in enumerate(pairs)
        )
    ).subquery("profile_pairs")
    return pairs, constants


async def _profile_rows(
    session: AsyncSession,
    service_cells: Table,
    month_cells: Table,
    profile: Sequence[tuple[str, str, str | None]],
) -> None:
    # The profile: one row per (field, value) with a count, unpivoted from the
    # per-service cells (a few thousand rows) rather than re-read from the responses:
    # each cell joined with a constant list of the (field, value) pairs in key
    # order. The cells were written in (service, period) order, so with the cells
    # as the outer loop the rows arrive in the b-tree's key order without a sort
    # (appending in order costs half of inserting at random; a sort of the
    # 400,000 rows cost as much again). The order only affects the speed.
    pairs, constants = _profile_pairs(profile)
    sc, mc = service_cells, month_cells
    for target, source, period in ((PROFILE_DAILY, sc, "day"), (PROFILE_MONTHLY, mc, "month")):
        count = case(
            {index: source.c[column] for index, (_n, _v, column) in enumerate(pairs)},
            value=constants.c.k,
        )
        rows = (
            select(
                source.c.service_id.label("service_id"),
                source.c[period].label("period"),
                constants.c.field,
                constants.c.value,
                count.label("n"),
            )
            # LEFT JOIN (every cell matches all the pairs, so the same rows as a
            # JOIN): SQLite keeps the written order, the cells outside.
            .select_from(source.outerjoin(constants, literal(True)))
            .subquery()
        )
        await session.execute(
            insert(target).from_select(
                ["service_id", period, "field", "value", "n"],
                select(
                    rows.c.service_id, rows.c.period, rows.c.field, rows.c.value, rows.c.n
                ).where(rows.c.n > 0),
            )
        )


async def _unit_days(session: AsyncSession, service_cells: Table) -> None:
    sc = service_cells
    await session.execute(
        insert(UNIT_DAILY).from_select(
            ["unit_id", "day", *MEASURES],
            select(SERVICES.c.unit_id, sc.c.day, *sums(sc))
            .select_from(sc.join(SERVICES, SERVICES.c.id == sc.c.service_id))
            .group_by(SERVICES.c.unit_id, sc.c.day),
        )
    )


async def _unit_and_officer_months(session: AsyncSession) -> None:
    for monthly, daily, keys in (
        (UNIT_MONTHLY, UNIT_DAILY, ("unit_id",)),
        (OFFICER_MONTHLY, OFFICER_DAILY, ("employee_id", "service_id")),
    ):
        month = month_start(daily.c.day)
        source = select(*(daily.c[k] for k in keys), month, *sums(daily)).group_by(
            *(daily.c[k] for k in keys), month
        )
        await session.execute(insert(monthly).from_select([*keys, "month", *MEASURES], source))


async def _unknown_profile_values(session: AsyncSession, service_cells: Table) -> None:
    """Profile values outside the instrument's lists: counted exactly, in passes of their own.

    Normally none (the bot accepts only the listed values), so this is one
    cheap check per field; older data with other values costs one scan each.
    """
    sc = service_cells
    pd = PROFILE_DAILY
    for name in PROFILE_FIELDS:
        columns = [c for c, f, _v in _profile_columns() if f == name]
        unknown = await session.scalar(
            select(func.sum(sc.c.n - sum((sc.c[c] for c in columns), literal(0))))
        )
        if not unknown:
            continue
        column = SR.c[name]
        await session.execute(
            insert(pd).from_select(
                ["service_id", "day", "field", "value", "n"],
                select(SR.c.service_id, SR.c.rollup_day, literal(name), column, func.count())
                .where(*counted(), column.is_not(None), column != "")
                .where(column.not_in(KNOWN_VALUES[name]))
                .group_by(SR.c.service_id, SR.c.rollup_day, column),
            )
        )
        month = month_start(pd.c.day)
        await session.execute(
            insert(PROFILE_MONTHLY).from_select(
                ["service_id", "month", "field", "value", "n"],
                select(pd.c.service_id, month, pd.c.field, pd.c.value, func.sum(pd.c.n))
                .where(
                    pd.c.field == name,
                    pd.c.value != NOT_ANSWERED,
                    pd.c.value.not_in(KNOWN_VALUES[name]),
                )
                .group_by(pd.c.service_id, month, pd.c.field, pd.c.value),
            )
        )
