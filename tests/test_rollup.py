"""The ``rollup`` job: worked examples, incremental == full == raw, idempotence, CLI, reports.

Every check compares *every row of every score table* with what the raw
``survey_responses`` give when computed here in plain Python (the local day of
``submitted_at`` in TIMEZONE; complete submitted responses only), after the
incremental run and after ``--full``. Runs on SQLite and, with
ULASAN_TEST_DATABASE_URL, on PostgreSQL (a database per test).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.main import cli, register_commands
from scheduler.scoring import skm
from storage import review_result_store, review_results, survey
from storage.db import SessionFactory, create_engine, session_factory
from storage.ikm_report import build_ikm_report, resolve_scope, totals_by_service
from storage.models import Employee, Service, Unit
from storage.rollup import local_days, progress, rebuild, sql, triggers
from storage.rollup import refresh as rollup
from storage.rollup_models import (
    PROFILE_COLUMNS,
    ReviewResultCycle,
    ReviewResultItem,
    SkmRollupRetraction,
    SkmServiceMonthly,
)
from storage.survey import delete_user_data
from storage.survey_models import ABANDONED, DRAFT, SUBMITTED, SurveyResponse
from tests.support.result_world import base_reviews
from tests.support.result_world import seed as seed_cycle

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")  # daylight saving: days of 23 and 25 hours
UNSUR = tuple(f"u{i}" for i in range(1, 10))
PROFILE_FIELDS = ("age_group", "gender", "education", "occupation")
ALL_4 = (4,) * 9
ALL_3 = (3,) * 9
MIXED = (4, 4, 3, 3, 4, 4, 2, 3, 4)
MEASURES = ("n", "comments", *(f"sum_u{i}" for i in range(1, 10)))
KEYS = {
    "skm_service_daily": ("service_id", "day"),
    "skm_service_monthly": ("service_id", "month"),
    "skm_unit_daily": ("unit_id", "day"),
    "skm_unit_monthly": ("unit_id", "month"),
    "skm_officer_daily": ("employee_id", "service_id", "day"),
    "skm_officer_monthly": ("employee_id", "service_id", "month"),
    "skm_profile_daily": ("service_id", "day", "field", "value"),
    "skm_profile_monthly": ("service_id", "month", "field", "value"),
}


@dataclass
class World:
    url: str
    units: dict[str, int]  # label → id: P (parent), S (its sub-unit), O (other)
    unit_codes: dict[str, str]
    services: dict[str, int]  # A, D (of P), B (of S), C (of O)
    employees: list[int]


@pytest.fixture
async def world(migrated: str) -> World:
    sfx = secrets.token_hex(3).upper()
    engine = create_engine(migrated)
    try:
        async with session_factory(engine).begin() as session:
            parent = Unit(code=f"P{sfx}", name="Dinas Dukcapil")
            other = Unit(code=f"O{sfx}", name="Dinas Lain")
            session.add_all([parent, other])
            await session.flush()
            sub = Unit(code=f"S{sfx}", name="UPT Utara", parent_id=parent.id)
            session.add(sub)
            await session.flush()
            services = {
                "A": Service(code=f"A{sfx}", unit_id=parent.id, name="KTP-el", free=True),
                "D": Service(code=f"D{sfx}", unit_id=parent.id, name="Akta"),
                "B": Service(code=f"B{sfx}", unit_id=sub.id, name="KK"),
                "C": Service(code=f"C{sfx}", unit_id=other.id, name="Sampah"),
            }
            session.add_all(services.values())
            digits = f"{secrets.randbelow(10**8):08d}"
            officers = [
                Employee(nip=f"1980{digits}00{i}", name=f"Petugas {i}", unit_id=parent.id)
                for i in range(3)
            ]
            session.add_all(officers)
            await session.flush()
            return World(
                url=migrated,
                units={"P": parent.id, "S": sub.id, "O": other.id},
                unit_codes={"P": parent.code, "S": sub.code, "O": other.code},
                services={label: s.id for label, s in services.items()},
                employees=[e.id for e in officers],
            )
    finally:
        await engine.dispose()


def local(tz: ZoneInfo, y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=tz).astimezone(UTC)


def response(
    service_id: int,
    scores: tuple[int | None, ...] | None,
    at: datetime,
    *,
    status: str = SUBMITTED,
    employee_id: int | None = None,
    started: datetime | None = None,
    user_key: str | None = None,
    **extra: Any,
) -> SurveyResponse:
    started = started or at - timedelta(minutes=5)
    values = dict(zip(UNSUR, scores or (), strict=False))
    return SurveyResponse(
        token=secrets.token_hex(8),
        user_key=user_key or secrets.token_hex(16),
        service_id=service_id,
        employee_id=employee_id,
        status=status,
        step="done" if status == SUBMITTED else "U3",
        local_date=started.date(),
        started_at=started,
        updated_at=at,
        submitted_at=at if status == SUBMITTED else None,
        **values,
        **extra,
    )


async def add(url: str, *rows: SurveyResponse) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            session.add_all(rows)
    finally:
        await engine.dispose()


async def roll(url: str, tz: ZoneInfo, *, full: bool = False) -> progress.RollupStats:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            return await rollup.refresh(
                session, tz=tz, now=datetime.now(UTC), min_raters=3, full=full
            )
    finally:
        await engine.dispose()


async def tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every score table, as (keys…, measures…), sorted."""
    engine = create_engine(url)
    out = {}
    try:
        async with session_factory(engine)() as session:
            for name, keys in KEYS.items():
                table = sql.SCORE_TABLES[list(KEYS).index(name)]
                assert table.name == name
                measures = ("n",) if "profile" in name else MEASURES
                rows = [
                    tuple(row)
                    for row in await session.execute(
                        select(*(table.c[c] for c in (*keys, *measures)))
                    )
                ]
                if "profile" in name:  # the known values: the service rows' columns
                    rows += await _profile_columns_as_rows(session, name.split("_")[-1])
                out[name] = sorted(
                    tuple(int(v) if isinstance(v, int) else v for v in row) for row in rows
                )
    finally:
        await engine.dispose()
    return out


async def _profile_columns_as_rows(session: Any, kind: str) -> list[tuple[Any, ...]]:
    """(service, period, field, value, n) of every non-zero profile column of the
    service rows of ``kind`` (daily or monthly), "" for "not answered"."""
    table = sql.SERVICE_DAILY if kind == "daily" else sql.SERVICE_MONTHLY
    period = "day" if kind == "daily" else "month"
    columns = [table.c[c] for c, _f, _v in PROFILE_COLUMNS]
    out = []
    for service_id, when, *counts in await session.execute(
        select(table.c.service_id, table.c[period], *columns)
    ):
        for (_c, name, value), n in zip(PROFILE_COLUMNS, counts, strict=True):
            if n:
                out.append((service_id, when, name, value or "", n))
    return out


async def expected(url: str, tz: ZoneInfo) -> dict[str, list[tuple[Any, ...]]]:
    """The same tables computed here from the raw rows (the definition)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            unit_of = dict((await session.execute(select(Service.id, Service.unit_id))).all())
            responses = (await session.scalars(select(SurveyResponse))).all()
    finally:
        await engine.dispose()
    sums: dict[str, dict[tuple[Any, ...], list[int]]] = {name: {} for name in KEYS}

    def plus(name: str, key: tuple[Any, ...], values: list[int]) -> None:
        current = sums[name].setdefault(key, [0] * len(values))
        for index, value in enumerate(values):
            current[index] += value

    for r in responses:
        scores = [getattr(r, u) for u in UNSUR]
        if r.status != SUBMITTED or r.submitted_at is None or None in scores:
            continue
        day = r.submitted_at.astimezone(tz).date()
        month = day.replace(day=1)
        values = [1, 1 if r.comment else 0, *scores]
        for period in (day, month):
            kind = "daily" if period is day else "monthly"
            plus(f"skm_service_{kind}", (r.service_id, period), values)
            plus(f"skm_unit_{kind}", (unit_of[r.service_id], period), values)
            if r.employee_id is not None:
                plus(f"skm_officer_{kind}", (r.employee_id, r.service_id, period), values)
            for name in PROFILE_FIELDS:
                value = getattr(r, name) or ""
                plus(f"skm_profile_{kind}", (r.service_id, period, name, value), [1])
    return {name: sorted((*k, *v) for k, v in rows.items()) for name, rows in sums.items()}


async def assert_all_agree(url: str, tz: ZoneInfo) -> dict[str, list[tuple[Any, ...]]]:
    """Incremental == raw; then --full == the same; returns the tables."""
    await roll(url, tz)
    incremental = await tables(url)
    truth = await expected(url, tz)
    for name in KEYS:
        assert incremental[name] == truth[name], name
    await roll(url, tz, full=True)
    assert await tables(url) == incremental
    return incremental


# -- worked examples ---------------------------------------------------------------------------


async def test_worked_example_in_every_table(world: World):
    a, b = world.services["A"], world.services["B"]
    officer = world.employees[0]
    await add(
        world.url,
        response(
            a,
            ALL_4,
            local(JAKARTA, 2026, 3, 2),
            employee_id=officer,
            comment="Cepat",
            gender="f",
            age_group="20-29",
        ),
        response(a, ALL_3, local(JAKARTA, 2026, 3, 5), gender="m"),
        # Submitted at 00:30 local on 11 March (10 March in UTC): counts on the 11th.
        response(
            a,
            MIXED,
            local(JAKARTA, 2026, 3, 11, 0, 30),
            employee_id=officer,
            started=local(JAKARTA, 2026, 3, 10, 23, 50),
        ),
        response(b, ALL_3, local(JAKARTA, 2026, 4, 1)),
        # Never counted: a draft, an abandoned survey, a submitted one missing U9.
        response(a, (1, 1, 1), local(JAKARTA, 2026, 3, 2), status=DRAFT),
        response(a, (1,) * 9, local(JAKARTA, 2026, 3, 2), status=ABANDONED),
        response(a, (1,) * 8 + (None,), local(JAKARTA, 2026, 3, 3)),
    )
    stats = await roll(world.url, JAKARTA)
    assert stats.full and stats.reason == "first run"
    got = await tables(world.url)
    march = date(2026, 3, 1)
    sums = [sum(s) for s in zip(ALL_4, ALL_3, MIXED, strict=True)]
    assert (a, march, 3, 1, *sums) in got["skm_service_monthly"]
    result = skm.compute(dict(zip(skm.UNSUR_CODES, sums, strict=True)), 3)
    assert round(float(result.ikm), 4) == 3.4815
    assert (str(result.konversi_rounded), result.mutu.label_id) == ("87.04", "Baik")
    assert (a, date(2026, 3, 11), 1, 0, *MIXED) in got["skm_service_daily"]
    assert (a, date(2026, 3, 10)) not in {row[:2] for row in got["skm_service_daily"]}
    # Unit rows hold each unit's own services; the sub-unit's are its own.
    assert (world.units["P"], march, 3, 1, *sums) in got["skm_unit_monthly"]
    assert (world.units["S"], date(2026, 4, 1), 1, 0, *ALL_3) in got["skm_unit_monthly"]
    officer_sums = [x + y for x, y in zip(ALL_4, MIXED, strict=True)]
    assert (officer, a, march, 2, 1, *officer_sums) in got["skm_officer_monthly"]
    profile = {row[2:4]: row[4] for row in got["skm_profile_monthly"] if row[:2] == (a, march)}
    assert profile[("gender", "f")] == 1 and profile[("gender", "m")] == 1
    assert profile[("gender", "")] == 1  # not answered
    assert profile[("age_group", "")] == 2
    assert await tables(world.url) == await expected(world.url, JAKARTA)


async def test_profile_values_outside_the_lists_are_counted_beside_the_known_ones(world: World):
    """Older data may hold a value the instrument no longer lists: the rebuild's
    cells cannot carry it as a column, so it is counted in rows of its own, and
    must sit beside the known values of the same day and month, exactly."""
    a = world.services["A"]
    day = local(JAKARTA, 2026, 5, 4)
    await add(
        world.url,
        response(a, ALL_4, day, gender="f", occupation="nelayan-lama"),
        response(a, ALL_3, day, gender="f", occupation="nelayan-lama"),
        response(a, MIXED, day, gender="x", age_group="20-29"),
        response(a, ALL_3, local(JAKARTA, 2026, 5, 20), occupation="nelayan-lama"),
    )
    got = await assert_all_agree(world.url, JAKARTA)
    may = date(2026, 5, 1)
    monthly = {row[2:4]: row[4] for row in got["skm_profile_monthly"] if row[:2] == (a, may)}
    assert monthly[("occupation", "nelayan-lama")] == 3
    assert monthly[("gender", "f")] == 2 and monthly[("gender", "x")] == 1
    assert monthly[("gender", "")] == 1 and monthly[("occupation", "")] == 1
    daily = {row[2:4]: row[4] for row in got["skm_profile_daily"] if row[:2] == (a, day.date())}
    assert daily[("occupation", "nelayan-lama")] == 2 and daily[("age_group", "20-29")] == 1


async def test_a_service_day_too_large_for_the_packed_profile_is_counted_exactly(
    world: World, monkeypatch: pytest.MonkeyPatch
):
    """The rebuild counts the profile four values to a sum, in slots of 15 bits; a
    service's day with more responses than a slot holds is counted value by value.
    Here the slots hold 3: five answers "f" in one day of one service would carry
    into the next slot if that were not noticed."""
    monkeypatch.setattr(rebuild, "SLOT_BITS", 2)
    monkeypatch.setattr(rebuild, "SLOT_MAX", 3)
    rebuild._days_statements.cache_clear()
    try:
        a = world.services["A"]
        day = local(JAKARTA, 2026, 5, 4)
        await add(
            world.url,
            *(response(a, ALL_4, day + timedelta(minutes=i), gender="f") for i in range(5)),
            response(a, ALL_3, day, gender="m", age_group="20-29"),
        )
        got = await assert_all_agree(world.url, JAKARTA)
    finally:
        rebuild._days_statements.cache_clear()
    daily = {row[2:4]: row[4] for row in got["skm_profile_daily"] if row[:2] == (a, day.date())}
    assert daily[("gender", "f")] == 5 and daily[("gender", "m")] == 1
    assert daily[("age_group", "")] == 5 and daily[("age_group", "20-29")] == 1


async def test_month_rows_equal_the_sum_of_their_days(world: World):
    a = world.services["A"]
    await add(
        world.url,
        *(response(a, ALL_3, local(JAKARTA, 2026, 1, d)) for d in (1, 15, 31)),
        response(a, ALL_4, local(JAKARTA, 2026, 2, 1, 0, 1)),
    )
    got = await assert_all_agree(world.url, JAKARTA)
    assert [row[:3] for row in got["skm_service_monthly"]] == [
        (a, date(2026, 1, 1), 3),
        (a, date(2026, 2, 1), 1),
    ]


# -- incremental == full == raw ---------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.integers(0, 200), st.integers(0, 3)),
        st.tuples(st.just("late"), st.integers(0, 200), st.integers(0, 3)),
        st.tuples(st.just("press"), st.integers(0, 200), st.integers(0, 3)),
        st.tuples(st.just("submit_draft"), st.integers(0, 10**6), st.integers(0, 3)),
        st.tuples(st.just("hapusdata"), st.integers(0, 10**6), st.integers(0, 3)),
        st.tuples(st.just("change"), st.integers(0, 10**6), st.integers(0, 3)),
        st.tuples(st.just("move_service"), st.integers(0, 10**6), st.integers(0, 3)),
        st.tuples(st.just("rollup"), st.integers(0, 1), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=12,
)
# Around Berlin's switch to summer time (29 March 2026) and local midnights.
BASE = datetime(2026, 3, 28, 12, tzinfo=UTC)


def _instant(step: int) -> datetime:
    return BASE + timedelta(minutes=37 * step)


@dataclass
class _Op:
    """One generated operation on the world's responses, with what it works on."""

    world: World
    number: int
    choice: int
    service: int
    officer: int | None
    scores: tuple[int, ...]
    profile: dict[str, str | None]
    picked: int | None  # an existing response, for the operations that change one


async def _insert(session: AsyncSession, op: _Op) -> None:
    session.add(
        response(
            op.service,
            op.scores,
            _instant(op.number),
            employee_id=op.officer,
            comment="ok" if op.choice == 1 else None,
            **op.profile,
        )
    )


async def _late(session: AsyncSession, op: _Op) -> None:
    # Submitted "now" but long after it was started: a draft kept open.
    at = _instant(op.number)
    draft = response(op.service, op.scores[:3], at, status=DRAFT, started=at - timedelta(hours=20))
    session.add(draft)
    await session.flush()
    values = dict(zip(UNSUR, op.scores, strict=True))
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == draft.id)
        .values(status=SUBMITTED, submitted_at=_instant(op.number + 3), **values)
    )


async def _press(session: AsyncSession, op: _Op) -> None:
    # Submitted through the press's own storage call: the marks come with it.
    draft = response(op.service, op.scores, _instant(op.number), status=DRAFT, **op.profile)
    draft.step = survey.CONTACT
    session.add(draft)
    await session.flush()
    assert await survey.submit(
        session, draft.id, _instant(op.number + 1), contact_chat_id=None, tz=BERLIN
    )


async def _submit_draft(session: AsyncSession, op: _Op) -> None:
    await session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.id == op.picked, SurveyResponse.status == DRAFT)
        .values(status=SUBMITTED, submitted_at=_instant(op.number % 300))
    )


async def _hapusdata(session: AsyncSession, op: _Op) -> None:
    key = await session.scalar(
        select(SurveyResponse.user_key).where(SurveyResponse.id == op.picked)
    )
    await delete_user_data(session, key)


async def _change(session: AsyncSession, op: _Op) -> None:
    change = [
        {"u3": 1 + op.number % 4},
        {"service_id": op.service, "employee_id": op.officer},
        {"submitted_at": _instant(op.number % 300), "comment": "baru"},
        {"gender": op.profile["gender"], "u9": None},
    ][op.choice]
    await session.execute(
        update(SurveyResponse).where(SurveyResponse.id == op.picked).values(**change)
    )


async def _move_service(session: AsyncSession, op: _Op) -> None:
    units = list(op.world.units.values())
    await session.execute(
        update(Service)
        .where(Service.id == op.service)
        .values(unit_id=units[op.number % len(units)])
    )


_WRITES = {"insert": _insert, "late": _late, "press": _press, "move_service": _move_service}
_ON_A_RESPONSE = {"submit_draft": _submit_draft, "hapusdata": _hapusdata, "change": _change}


async def _apply(world: World, op: tuple[str, int, int], rng: Any) -> None:
    kind, number, choice = op
    if kind == "rollup":
        await roll(world.url, BERLIN, full=bool(number))
        return
    services = list(world.services.values())
    profile = {
        "gender": [None, "m", "f", ""][choice],
        "age_group": ["20-29", None, "60+", "old-value"][choice],
        "education": ["s1", "sma", None, "sd"][choice],
        "occupation": [None, "asn", "other", "self"][choice],
    }
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            ids = list(await session.scalars(select(SurveyResponse.id).order_by(SurveyResponse.id)))
            picked = ids[number % len(ids)] if ids else None
            write = _WRITES.get(kind) or (_ON_A_RESPONSE.get(kind) if picked is not None else None)
            if write is not None:
                await write(
                    session,
                    _Op(
                        world,
                        number,
                        choice,
                        services[choice % len(services)],
                        [None, *world.employees][choice % (len(world.employees) + 1)],
                        tuple(1 + (number * 7 + i * choice) % 4 for i in range(9)),
                        profile,
                        picked,
                    ),
                )
    finally:
        await engine.dispose()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
async def test_incremental_equals_full_equals_raw(world: World, ops):
    # The database carries over from one example to the next: every example
    # starts from whatever the previous ones left, which only adds cases.
    for op in ops:
        await _apply(world, op, None)
    await assert_all_agree(world.url, BERLIN)


async def test_late_submission_after_a_run_is_counted(world: World):
    a = world.services["A"]
    early = response(a, None, local(JAKARTA, 2026, 5, 1, 9), status=DRAFT)
    await add(world.url, early, response(a, ALL_4, local(JAKARTA, 2026, 5, 1, 10)))
    await roll(world.url, JAKARTA)
    # The draft (a lower id, started first) is submitted after the run, dated earlier
    # than responses already counted: a high-water mark on ids or times would miss it.
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(
                update(SurveyResponse)
                .where(SurveyResponse.id == early.id)
                .values(
                    status=SUBMITTED,
                    submitted_at=local(JAKARTA, 2026, 5, 1, 9, 30),
                    **dict(zip(UNSUR, ALL_3, strict=True)),
                )
            )
    finally:
        await engine.dispose()
    stats = await roll(world.url, JAKARTA)
    assert (stats.full, stats.claimed) == (False, 1)
    got = await assert_all_agree(world.url, JAKARTA)
    assert got["skm_service_daily"][0][:3] == (a, date(2026, 5, 1), 2)


async def test_hapusdata_and_changes_are_subtracted(world: World):
    a, c = world.services["A"], world.services["C"]
    await add(
        world.url,
        response(a, ALL_4, local(JAKARTA, 2026, 6, 1), user_key="warga-1", gender="m"),
        response(a, ALL_3, local(JAKARTA, 2026, 6, 1), user_key="warga-2"),
        response(c, MIXED, local(JAKARTA, 2026, 6, 2), user_key="warga-1"),
    )
    await roll(world.url, JAKARTA)
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            assert await delete_user_data(session, "warga-1") == 2
            await session.execute(
                update(SurveyResponse).where(SurveyResponse.user_key == "warga-2").values(u1=1)
            )
        async with session_factory(engine)() as session:
            # The trigger kept what to subtract, never who it was.
            rows = (await session.execute(select(SkmRollupRetraction))).scalars().all()
            assert len(rows) == 3 and not hasattr(rows[0], "user_key")  # 2 deleted, 1 changed
    finally:
        await engine.dispose()
    stats = await roll(world.url, JAKARTA)
    assert (stats.full, stats.retracted, stats.claimed) == (False, 3, 1)
    got = await assert_all_agree(world.url, JAKARTA)
    assert [row[:5] for row in got["skm_service_daily"]] == [(a, date(2026, 6, 1), 1, 0, 1)]
    assert not any(row[0] == c for row in got["skm_service_monthly"])  # n = 0 rows go


async def test_a_moved_service_moves_its_unit_rows(world: World):
    a = world.services["A"]
    await add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 7, 1)))
    await roll(world.url, JAKARTA)
    engine = create_engine(world.url)
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(
                update(Service).where(Service.id == a).values(unit_id=world.units["O"])
            )
    finally:
        await engine.dispose()
    stats = await roll(world.url, JAKARTA)
    assert stats.moved_services == 1 and not stats.full
    got = await assert_all_agree(world.url, JAKARTA)
    assert [row[0] for row in got["skm_unit_monthly"]] == [world.units["O"]]


async def test_lost_triggers_and_a_new_timezone_force_a_rebuild(world: World):
    a = world.services["A"]
    # 23:30 in Jakarta is 18:30 in Berlin: the same instant, another day only in Jakarta.
    await add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 8, 1, 0, 30)))
    await roll(world.url, JAKARTA)
    engine = create_engine(world.url)
    postgres = engine.dialect.name == "postgresql"
    try:
        async with session_factory(engine).begin() as session:
            for name in triggers.TRIGGER_NAMES:
                suffix = " ON survey_responses" if postgres else ""
                await session.execute(text(f"DROP TRIGGER {name}{suffix}"))
            await session.execute(delete(SurveyResponse))  # unseen by the rollup
    finally:
        await engine.dispose()
    stats = await roll(world.url, JAKARTA)
    assert stats.full and "triggers were missing" in stats.reason
    assert await tables(world.url) == await expected(world.url, JAKARTA)
    await add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 8, 1, 0, 30)))
    await roll(world.url, JAKARTA)
    stats = await roll(world.url, BERLIN)
    assert stats.full and "TIMEZONE changed from Asia/Jakarta" in stats.reason
    got = await assert_all_agree(world.url, BERLIN)
    assert got["skm_service_daily"][0][1] == date(2026, 7, 31)


# -- idempotence and the job ---------------------------------------------------------------------


async def _changed_rows(url: str) -> int:
    """A fingerprint of every table the job writes (contents and watermark)."""
    snapshot = await tables(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            mark = await progress.read_watermark(session)
            cycles = await session.scalar(select(func.count()).select_from(ReviewResultCycle))
    finally:
        await engine.dispose()
    return hash((repr(snapshot), mark, cycles))


async def test_a_second_run_writes_nothing(world: World, sessions: SessionFactory, settings):
    from scheduler.jobs import rollup as rollup_job
    from scheduler.jobs.specs import JobContext

    a = world.services["A"]
    await add(world.url, *(response(a, ALL_3, local(JAKARTA, 2026, 9, d)) for d in (1, 2)))
    ctx = JobContext(settings=settings, sessions=sessions, now=datetime.now(UTC))
    first = await rollup_job.run(ctx)
    assert "2 responses added" in first
    before = await _changed_rows(world.url)
    assert await rollup_job.run(ctx) == "rollup: up to date"
    assert await _changed_rows(world.url) == before
    # Even inside the transaction, a run with nothing to do issues no write.
    writes: list[str] = []
    engine = create_engine(world.url)
    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _log(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    try:
        async with session_factory(engine)() as session:
            assert not await rollup.needs_refresh(session, settings.tz, 3)
    finally:
        await engine.dispose()
    assert writes == []


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-0123456789",
        "TIMEZONE": "Asia/Jakarta",
        "LOG_LEVEL": "WARNING",
    }


def _invoke(url: str, tmp_path: Path, *args: str):
    register_commands()
    work = tmp_path / "cwd"
    work.mkdir(exist_ok=True)
    previous = Path.cwd()
    os.chdir(work)
    try:
        return CliRunner().invoke(cli, list(args), env=_env(url, tmp_path), catch_exceptions=False)
    finally:
        os.chdir(previous)


def test_cli_job_run_rollup_full(world: World, tmp_path: Path):
    a = world.services["A"]
    asyncio.run(add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 10, 1))))
    result = _invoke(world.url, tmp_path, "job", "run", "rollup")
    assert result.exit_code == 0 and "1 responses added" in result.output, result.output
    asyncio.run(_damage(world.url))  # behind the job's back: only --full repairs it
    result = _invoke(world.url, tmp_path, "job", "run", "rollup")
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    result = _invoke(world.url, tmp_path, "job", "run", "rollup", "--full")
    assert result.exit_code == 0, result.output
    assert "rollup: ok" in result.output and "full rebuild (requested)" in result.output
    assert asyncio.run(tables(world.url)) == asyncio.run(expected(world.url, JAKARTA))


async def _damage(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            await session.execute(update(SkmServiceMonthly).values(n=99))
    finally:
        await engine.dispose()


# -- the reports read the tables and are never stale ------------------------------------------


async def test_report_ikm_equals_the_raw_figures_and_is_never_stale(world: World):
    p, a, b = world.unit_codes["P"], world.services["A"], world.services["B"]
    await add(
        world.url,
        response(a, ALL_4, local(JAKARTA, 2026, 1, 31, 23, 59)),
        response(a, MIXED, local(JAKARTA, 2026, 2, 14), employee_id=world.employees[1]),
        response(b, ALL_3, local(JAKARTA, 2026, 3, 1, 0, 1), comment="Ramah"),
        response(b, ALL_3, local(JAKARTA, 2026, 4, 2)),
    )
    await roll(world.url, JAKARTA)
    # Submitted after the last run: the report rolls it up first (never stale).
    await add(world.url, response(a, (1,) * 9, local(JAKARTA, 2026, 3, 15)))
    engine = create_engine(world.url)
    try:
        for first, last in [
            (date(2026, 1, 31), date(2026, 3, 15)),
            (None, None),
            (date(2026, 2, 1), date(2026, 2, 28)),
        ]:
            async with session_factory(engine).begin() as session:
                report = await build_ikm_report(
                    session, unit_code=p, date_from=first, date_to=last, tz=JAKARTA
                )
                scope, *_ = await resolve_scope(
                    session, unit_code=p, date_from=first, date_to=last, tz=JAKARTA
                )
                raw = await totals_by_service(session, scope)  # straight from the responses
            assert report.overall.n == sum(t.n for t in raw.values())
            assert report.overall.sums == {
                code: sum(t.sums[code] for t in raw.values()) for code in skm.UNSUR_CODES
            }
            assert report.overall.comments == sum(t.comments for t in raw.values())
        async with session_factory(engine)() as session:
            assert not await rollup.scores_need_refresh(session, JAKARTA)
            # And it did read the tables: change them, and the report follows.
        async with session_factory(engine).begin() as session:
            await session.execute(delete(SkmServiceMonthly))
        async with session_factory(engine)() as session:
            tampered = await build_ikm_report(session, unit_code=p, tz=JAKARTA, refresh=False)
        assert tampered.overall.n == 0  # no period: month rows only, and they are gone
    finally:
        await engine.dispose()


def test_cli_report_ikm_rolls_up_first(world: World, tmp_path: Path):
    a = world.services["A"]
    asyncio.run(add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 3, 2))))
    asyncio.run(roll(world.url, JAKARTA))
    asyncio.run(add(world.url, response(a, ALL_3, local(JAKARTA, 2026, 3, 3))))  # not rolled up
    result = _invoke(
        world.url,
        tmp_path,
        "report",
        "ikm",
        "--unit",
        world.unit_codes["P"],
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    )
    assert result.exit_code == 0, result.output
    assert "Responden (n) : 2" in result.output
    assert "3.5000" in result.output  # IKM of one all-4 and one all-3 respondent


async def test_review_cycles_are_materialised_once_and_read_back(
    sessions: SessionFactory, settings
):
    seeded = await seed_cycle(sessions, base_reviews(peers=3, subordinates=3))
    async with sessions() as session:
        computed = await review_results.cycle_results(session, seeded.cycle_id, min_raters=3)
    async with sessions.begin() as session:
        stats = await rollup.refresh(session, tz=settings.tz, now=datetime.now(UTC), min_raters=3)
    assert stats.cycles == 1
    async with sessions.begin() as session:
        assert (
            await rollup.refresh(session, tz=settings.tz, now=datetime.now(UTC), min_raters=3)
        ).cycles == 0
        rows = await session.scalar(select(func.count()).select_from(ReviewResultItem))
        assert rows and rows > 0
        stored = await review_result_store.materialised_results(
            session, await review_results.closed_cycle(session, seeded.cycle_id), min_raters=3
        )
        read = await review_results.cycle_results(session, seeded.cycle_id, min_raters=3)
    assert stored is not None and read == stored == computed
    # Another minimum of anonymous raters: the stored rows no longer fit, so the
    # report computes (never serves the old rule) until the rollup rewrites them.
    async with sessions() as session:
        assert (
            await review_result_store.materialised_results(
                session, await review_results.closed_cycle(session, seeded.cycle_id), min_raters=4
            )
            is None
        )
    async with sessions.begin() as session:
        again = await rollup.refresh(session, tz=settings.tz, now=datetime.now(UTC), min_raters=4)
    assert again.cycles == 1


async def test_watermark_and_counts(world: World):
    a = world.services["A"]
    await add(world.url, response(a, ALL_4, local(JAKARTA, 2026, 11, 1)))
    stats = await roll(world.url, JAKARTA)
    assert stats.watermark and stats.watermark.startswith("Asia/Jakarta#")
    again = await roll(world.url, JAKARTA)
    assert not again.changed and again.summary() == "rollup: up to date"
    got = defaultdict(int)
    for row in (await tables(world.url))["skm_service_daily"]:
        got[row[0]] += row[2]
    assert dict(got) == {a: 1}


def test_offset_segments_find_every_change_to_the_microsecond():
    first = datetime(2026, 1, 1, tzinfo=UTC)
    last = datetime(2027, 1, 1, tzinfo=UTC)
    assert local_days.offset_segments(first, last, JAKARTA) == [(first, 7 * 3600)]
    segments = local_days.offset_segments(first, last, BERLIN)
    assert segments == [
        (first, 3600),
        (datetime(2026, 3, 29, 1, tzinfo=UTC), 7200),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), 3600),
    ]
